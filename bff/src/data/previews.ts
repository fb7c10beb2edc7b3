/**
 * Previews and their estimates: asynchronous evaluations kept in memory per (organisation,
 * sandbox), with an expiry and a cap (segmentation-api.md §5).
 *
 *   const previews = previewManager(services);          // one per Services
 *   const rec = await previews.create(ctx, 'person.gender = "female"');   // 400 on invalid PQL
 *   previews.get(ctx, id)        // the record or undefined (another sandbox's id: undefined)
 *   await previews.page(ctx, rec, offset, limit)          // the page's results once RESULT_READY
 *   previews.delete(ctx, id)     // interrupts the running query and forgets the preview
 *
 * The evaluation runs in the background, on its own interruptible DuckDB connection per query:
 * - below the sampling threshold (§5.6: the estimate reads the full data) one pass: two steps over
 *   the hash buckets (the first 1/16, then the rest) each return their matched profile keys and a
 *   namespace bit mask, so the estimate is refined after the first step, exact after the second,
 *   and the members are collected on the way;
 * - above it, the estimate reads rising fractions of its sample (1/64, 1/16, 1/4, all), then one
 *   more pass collects the members over the full data.
 * The members' profile keys are kept ascending in a Float64Array (8 bytes a member), so that pages
 * never overlap or skip; a page fetches identities and attributes of just its profiles. States
 * NEW → RUNNING → RESULT_READY | FAILED; the whole evaluation has SEG_QUERY_TIMEOUT_MS, after which
 * the running query is interrupted and the preview FAILS with a message naming the limit.
 */
import { listAllDefinitions } from '../control/definitions.js';
import { ensureMembershipTables, membershipCondition } from '../jobs/membership.js';
import { randomUUID } from 'node:crypto';
import {
  analyzeText,
  type CheckedQuery,
  type DataSchema,
  type EstimateState,
  type PositionedDiagnostic,
  type PreviewResult,
  type PreviewState,
  type PqlType,
} from '@seg/shared';
import { CompileError } from '../engine/compiler/compile.js';
import {
  bucketCounts,
  DEFAULT_SAMPLE_THRESHOLD,
  estimateProgressively,
  namespaceDictionary,
  newProgram,
  type EstimateProgress,
  type SamplePlan,
} from '../engine/estimate.js';
import type { SandboxDb } from '../engine/sandboxDb.js';
import type { Interruptible } from '../engine/store.js';
import { ApiError, badRequest, tooMany } from '../http/errors.js';
import { QueryCancelledError, withTimeout } from '../http/limits.js';
import type { Services } from '../services.js';
import type { SandboxData } from './dataPlane.js';

/** How long a preview is kept after its creation. */
export const PREVIEW_TTL_MS = 60 * 60 * 1000;
/** Previews kept per (organisation, sandbox); past it the oldest finished one is dropped. */
export const PREVIEW_CAP = 100;
/** Members a page may ask for. */
export const PREVIEW_MAX_PAGE = 10_000;

/** Adobe's numeric ids of the standard identity namespaces; others report their code. */
const NAMESPACE_IDS: Record<string, string> = { ECID: '4', Email: '6', Phone: '7', AAID: '10', AdCloud: '411' };

interface DatasetFacts {
  counts: number[];
  namespaces: string[];
}

/** Profile keys in a growing Float64Array (8 bytes a member). */
class KeyBuffer {
  private buf = new Float64Array(1024);
  private n = 0;
  push(values: readonly unknown[]): void {
    if (this.n + values.length > this.buf.length) {
      const grown = new Float64Array(Math.max(this.buf.length * 2, this.n + values.length));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    for (const v of values) this.buf[this.n++] = Number(v);
  }
  /** The keys, ascending (a copy of exactly the right size). */
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }
}

export interface Scope {
  orgId: string;
  sandbox: { id: string; name: string };
}

export interface EstimateView {
  state: EstimateState;
  plan: SamplePlan | undefined;
  progress: EstimateProgress | undefined;
  error: string;
}

export interface PreviewRecord {
  readonly id: string;
  readonly queryId: string;
  readonly executionId: number;
  readonly orgId: string;
  readonly sandboxId: string;
  readonly expression: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  state: PreviewState;
  estimate: EstimateView;
  /** Profile keys of the members, ascending (once RESULT_READY). */
  members: Float64Array | undefined;
  error: string;
  /** Aborted by DELETE (or shutdown). */
  readonly controller: AbortController;
  /** Settles when the background evaluation is over. */
  done: Promise<void>;
}

/** Resolves the definitions `inSegment` may reference in a sandbox (wired by the definitions owner). */
export type DefinitionsResolver = (scope: Scope) => ReadonlyMap<string, CheckedQuery> | undefined;

export interface PreviewManagerOptions {
  ttlMs?: number;
  cap?: number;
  sampleThreshold?: number;
  queryTimeoutMs?: number;
}

function scopeKey(orgId: string, sandboxId: string): string {
  return `${orgId}\u0000${sandboxId}`;
}

function newPreviewId(): string {
  // opaque, base64-like, as the platform's (e.g. "MDphcHAt…")
  return Buffer.from(`0:${randomUUID()}`).toString('base64url');
}

/** The message of an evaluation failure: never a stack or SQL. */
export function failureMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof CompileError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0]!.trim();
  return `The engine could not evaluate this expression: ${first}`;
}

function diagnosticsReport(errors: readonly PositionedDiagnostic[]) {
  return errors.map((d) => ({
    code: d.code,
    message: d.message,
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
  }));
}

export class PreviewManager {
  private readonly scopes = new Map<string, Map<string, PreviewRecord>>();
  private readonly facts = new WeakMap<SandboxDb, Promise<DatasetFacts>>();
  private readonly inFlight = new Set<Interruptible<unknown>>();
  private resolver: DefinitionsResolver | undefined;
  readonly ttlMs: number;
  readonly cap: number;
  readonly sampleThreshold: number;
  readonly queryTimeoutMs: number;

  constructor(
    private readonly services: Services,
    options: PreviewManagerOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? PREVIEW_TTL_MS;
    this.cap = options.cap ?? PREVIEW_CAP;
    this.sampleThreshold = options.sampleThreshold ?? services.config.estimateSampleThreshold ?? DEFAULT_SAMPLE_THRESHOLD;
    this.queryTimeoutMs = options.queryTimeoutMs ?? services.config.queryTimeoutMs;
  }

  /** Lets `inSegment` in a preview reference the sandbox's definitions. */
  setDefinitionsResolver(resolver: DefinitionsResolver | undefined): void {
    this.resolver = resolver;
  }

  /** DuckDB queries of previews running now (for tests and diagnostics). */
  get runningQueries(): number {
    return this.inFlight.size;
  }

  /** Validates the expression, registers the preview and starts its evaluation. */
  async create(scope: Scope, expression: string): Promise<PreviewRecord> {
    const data = await this.services.dataPlane.forSandbox(scope.orgId, scope.sandbox.name);
    const definitions = this.resolver?.(scope);
    // inSegment reads the latest successful segment job's membership (issue 6)
    await ensureMembershipTables(data.db);
    const knownSegmentIds = new Set(listAllDefinitions(this.services.db, { orgId: scope.orgId, sandboxId: scope.sandbox.id }).map((d) => d.id));
    const query = this.check(expression, data.schema, definitions, data, knownSegmentIds);
    const previews = this.scopeOf(scope, true)!;
    this.makeRoom(previews);
    const wall = Date.now();
    const controller = new AbortController();
    const rec: PreviewRecord = {
      id: newPreviewId(),
      queryId: randomUUID(),
      executionId: 0,
      orgId: scope.orgId,
      sandboxId: scope.sandbox.id,
      expression,
      createdAt: wall,
      expiresAt: wall + this.ttlMs,
      state: 'NEW',
      estimate: { state: 'RUNNING', plan: undefined, progress: undefined, error: '' },
      members: undefined,
      error: '',
      controller,
      done: Promise.resolve(),
    };
    previews.set(rec.id, rec);
    // start on the next turn, so that the 201 answers NEW before any work
    rec.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.evaluate(rec, data, query, definitions));
    return rec;
  }

  get(scope: Scope, id: string): PreviewRecord | undefined {
    const previews = this.scopeOf(scope, false);
    if (!previews) return undefined;
    this.sweep(previews);
    return previews.get(id);
  }

  /** Cancels (interrupting its running query) and forgets the preview; false when unknown. */
  delete(scope: Scope, id: string): boolean {
    const previews = this.scopeOf(scope, false);
    const rec = previews?.get(id);
    if (!previews || !rec) return false;
    previews.delete(id);
    rec.controller.abort(new QueryCancelledError());
    rec.members = undefined;
    return true;
  }

  /** Cancels everything (shutdown). */
  close(): void {
    for (const previews of this.scopes.values()) for (const rec of previews.values()) rec.controller.abort(new QueryCancelledError());
    this.scopes.clear();
  }

  /** The results of one page (empty unless RESULT_READY or past the end). */
  async page(scope: Scope, rec: PreviewRecord, offset: number, limit: number): Promise<PreviewResult[]> {
    const members = rec.members;
    if (rec.state !== 'RESULT_READY' || !members || offset >= members.length) return [];
    const keys = Array.from(members.subarray(offset, Math.min(members.length, offset + Math.min(limit, PREVIEW_MAX_PAGE))));
    if (keys.length === 0) return [];
    const data = await this.services.dataPlane.forSandbox(scope.orgId, scope.sandbox.name);
    // the keys are our own integers: inlined, not bound
    const { dialect } = data.target;
    const sql = `SELECT CAST(pk AS DOUBLE PRECISION) AS pk, primary_ns, primary_id,
        ${dialect.jsonText('identity_map')} AS im, ${dialect.jsonText('attrs')} AS a
      FROM profiles WHERE pk BETWEEN ${keys[0]} AND ${keys[keys.length - 1]} AND pk IN (${keys.map((k) => String(k)).join(',')}) ORDER BY pk`;
    const rows = await withTimeout(data.db.interruptible(sql), this.queryTimeoutMs);
    return rows.map((r) => toResult(r, data.schema.profile));
  }

  // ---------------------------------------------------------------- internals

  private check(
    expression: string,
    schema: DataSchema,
    definitions: ReadonlyMap<string, CheckedQuery> | undefined,
    data: SandboxData,
    knownSegmentIds: ReadonlySet<string>,
  ): CheckedQuery {
    const analysis = analyzeText(expression, {
      schema,
      knownSegmentIds: definitions ? new Set([...knownSegmentIds, ...definitions.keys()]) : knownSegmentIds,
    });
    if (analysis.errors.length > 0) {
      const first = analysis.errors[0]!;
      throw badRequest(
        `The predicate expression is not valid PQL: ${first.message} (line ${first.line}, column ${first.column})` +
          (analysis.errors.length > 1 ? ` and ${analysis.errors.length - 1} more error(s)` : ''),
        { report: { errors: diagnosticsReport(analysis.errors), warnings: diagnosticsReport(analysis.warnings) } },
      );
    }
    // compile once now, so that what the engine cannot evaluate is a 400 too
    try {
      newProgram(data.target, this.services.now(), definitions, membershipCondition).condition(analysis.checked);
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      const pos = err.node ? positionOf(expression, err.node.span.start) : undefined;
      throw badRequest(`The predicate expression cannot be evaluated: ${err.message}`, {
        report: { errors: [{ code: 'PQL300', message: err.message, ...(pos ?? {}) }], warnings: [] },
      });
    }
    return analysis.checked;
  }

  private scopeOf(scope: Scope, create: boolean): Map<string, PreviewRecord> | undefined {
    const key = scopeKey(scope.orgId, scope.sandbox.id);
    let previews = this.scopes.get(key);
    if (!previews && create) {
      previews = new Map();
      this.scopes.set(key, previews);
    }
    return previews;
  }

  private sweep(previews: Map<string, PreviewRecord>): void {
    const now = Date.now();
    for (const [id, rec] of previews) {
      if (rec.expiresAt <= now) {
        previews.delete(id);
        rec.controller.abort(new QueryCancelledError());
      }
    }
  }

  private makeRoom(previews: Map<string, PreviewRecord>): void {
    this.sweep(previews);
    if (previews.size < this.cap) return;
    // Map iteration is in insertion order: the first finished one is the oldest
    for (const [id, rec] of previews) {
      if (rec.state === 'RESULT_READY' || rec.state === 'FAILED') {
        previews.delete(id);
        return;
      }
    }
    throw tooMany(`Too many previews are running in this sandbox (at most ${this.cap}); delete one or try again later.`, 5);
  }

  /** Per-bucket profile counts and the namespace dictionary of a dataset (computed once). */
  private datasetFacts(data: SandboxData): Promise<DatasetFacts> {
    let p = this.facts.get(data.db);
    if (!p) {
      p = Promise.all([bucketCounts(data.target), namespaceDictionary(data.target)]).then(([counts, namespaces]) => ({
        counts,
        namespaces,
      }));
      this.facts.set(data.db, p);
      p.catch(() => this.facts.delete(data.db));
    }
    return p;
  }

  private async evaluate(
    rec: PreviewRecord,
    data: SandboxData,
    query: CheckedQuery,
    definitions: ReadonlyMap<string, CheckedQuery> | undefined,
  ): Promise<void> {
    const signal = rec.controller.signal;
    if (signal.aborted) return;
    rec.state = 'RUNNING';
    const now = this.services.now();
    // one time limit for the whole evaluation: past it, the running query is interrupted
    const jobs = new Set<Interruptible<unknown>>();
    let timedOut = false;
    const cancelAll = () => {
      for (const job of jobs) job.cancel();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      cancelAll();
    }, this.queryTimeoutMs);
    signal.addEventListener('abort', cancelAll, { once: true });
    const track = async <T>(job: Interruptible<T>): Promise<T> => {
      jobs.add(job);
      this.inFlight.add(job);
      if (timedOut || signal.aborted) job.cancel();
      try {
        return await job.promise;
      } finally {
        jobs.delete(job);
        this.inFlight.delete(job);
      }
    };
    try {
      const { counts, namespaces } = await this.datasetFacts(data);
      const collected = new KeyBuffer();
      /** Runs a statement on its own interruptible connection, passing each chunk's columns on. */
      const stream = (sql: string, values: unknown[], onChunk: (columns: unknown[][]) => void) =>
        track(data.db.stream(sql, values, onChunk));
      const estimate = await estimateProgressively(data.target, query, {
        now,
        counts,
        namespaces,
        threshold: this.sampleThreshold,
        ...(definitions ? { definitions } : {}),
        membershipCondition,
        run: (sql, values) => track(data.db.interruptible(sql, values as unknown[])),
        collect: (sql, values, sink) => stream(sql, values, (columns) => sink(columns[0]!, columns[1]!)),
        onMembers: (pks) => collected.push(pks),
        onProgress: (progress) => {
          if (signal.aborted) return;
          rec.estimate = { state: progress.done ? 'RESULT_READY' : 'RUNNING', plan: progress.plan, progress, error: '' };
        },
      });
      if (!estimate.membersCollected) {
        // the estimate read a sample: the members need their own pass over the full data
        const p = newProgram(data.target, now, definitions, membershipCondition);
        const condition = p.condition(query);
        const statement = p.params.finish(`SELECT CAST(p.pk AS DOUBLE PRECISION) AS pk FROM ${p.fromClause()} WHERE ${condition}`);
        await stream(statement.sql, statement.values, (columns) => collected.push(columns[0]!));
      }
      const members = collected.sorted();
      if (signal.aborted) return;
      rec.members = members;
      rec.state = 'RESULT_READY';
    } catch (err) {
      if (signal.aborted) return;
      const message = timedOut
        ? `The query took longer than the limit of ${this.queryTimeoutMs} ms (SEG_QUERY_TIMEOUT_MS) and was interrupted.`
        : failureMessage(err);
      if (!timedOut && !(err instanceof ApiError)) this.services.log.warn({ err, previewId: rec.id }, 'preview evaluation failed');
      rec.error = message;
      rec.state = 'FAILED';
      if (rec.estimate.state !== 'RESULT_READY') rec.estimate = { ...rec.estimate, state: 'FAILED', error: message };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancelAll);
    }
  }
}

/** 1-based line and column of a UTF-16 offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: [...lines[lines.length - 1]!].length + 1 };
}

function profileHref(ns: string, id: string): string {
  return `/data/core/ups/access/entities?schema.name=_xdm.context.profile&entityId=${encodeURIComponent(id)}&entityIdNS=${encodeURIComponent(ns)}`;
}

/**
 * A profile's attributes as the API shows them, the way the data contract writes them: the
 * engines write a timestamp inside JSON as `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC), answered as an
 * ISO-8601 instant (the schema says which fields), and a field the profile does not have as
 * null, left out (missing and null are the same value in PQL).
 */
export function presentEntity(value: unknown, type: PqlType | undefined): unknown {
  if (value === null || value === undefined || type === undefined) return value;
  switch (type.kind) {
    case 'datetime': {
      if (typeof value !== 'string') return value;
      const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(value);
      return m ? `${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4).padEnd(4, '0') : '.000'}Z` : value;
    }
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => [k, presentEntity(v, type.fields[k])]),
      );
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, presentEntity(v, type.value)]));
    case 'list':
      return Array.isArray(value) ? value.map((v) => presentEntity(v, type.element)) : value;
    default:
      return value;
  }
}

function toResult(row: Record<string, unknown>, profileType: PqlType): PreviewResult {
  const namespace = String(row.primary_ns);
  const id = String(row.primary_id);
  const identityMap = (row.im === null || row.im === undefined ? {} : JSON.parse(String(row.im))) as PreviewResult['identityMap'];
  const entity = presentEntity(row.a === null || row.a === undefined ? {} : JSON.parse(String(row.a)), profileType) as Record<
    string,
    unknown
  >;
  const relatedObjects: PreviewResult['relatedObjects'] = [];
  for (const [ns, ids] of Object.entries(identityMap)) {
    for (const ident of ids) {
      if (ns === namespace && ident.id === id) continue;
      relatedObjects.push({ objectId: ident.id, namespace: ns, _href: profileHref(ns, ident.id) });
    }
  }
  return {
    objectId: id,
    _href: profileHref(namespace, id),
    relatedObjects,
    primaryIdentity: { namespace, id },
    identityMap,
    entity,
  };
}

/** `namespaceId` of a namespace code in estimates. */
export function namespaceId(code: string): string {
  return NAMESPACE_IDS[code] ?? code;
}

const managers = new WeakMap<Services, PreviewManager>();

/** The preview manager of a Services (created on first use). */
export function previewManager(services: Services, options?: PreviewManagerOptions): PreviewManager {
  let m = managers.get(services);
  if (!m) {
    const manager = new PreviewManager(services, options);
    m = manager;
    managers.set(services, manager);
    // running previews are cancelled at shutdown (a PostgreSQL pool would wait for them)
    services.onClose(() => manager.close());
  }
  return m;
}
