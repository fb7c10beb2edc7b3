/**
 * Export jobs (segmentation-api.md §6): write the members of segments (or every profile) into a
 * NEW batch of a dataset, as Parquet (default), NDJSON or CSV.
 *
 *   createExportJob(services, {orgId, sandbox}, body, {source, properties?}) → ExportJobRecord (NEW)
 *       validates the body (ZodError / ApiError 400), stores the job and queues it;
 *   cancelExportJob(services, scope, id)   DELETE: non-terminal → marked for cancelling (the running
 *       DuckDB statement is interrupted; the job ends FAILED with error code CANCELLED); terminal →
 *       the job record is deleted (its batch stays in the dataset);
 *   exportRunner(services)                 one per Services; its creation runs the startup recovery.
 *
 * Running (one export at a time per sandbox, NEW while waiting): PROCESSING → optional segment
 * job (`evaluationInfo.segmentation: true`: createSegmentJob + waitForSegmentJob, then that
 * membership) → members into a DuckDB temp table (`membersSql` of jobs/membership.ts: latest
 * successful membership, per-segment status filter, qualification-time window; under
 * SEG_ENGINE=postgres selected in PostgreSQL, where the membership lives, and appended to the temp
 * table of the sandbox's DuckDB file, which holds the same profiles under the same keys) → `COPY (SELECT …)
 * TO` files in `<dataset>/.tmp-<batchId>/` (DuckDB streams: memory stays bounded whatever the
 * audience) → fsync files → rename the directory to `<batchId>` → fsync the parent → ONE SQLite
 * transaction inserts the batch and its files and marks the job SUCCEEDED. Any failure or
 * cancellation removes the directories; no batch row ever exists for them.
 *
 * Startup recovery: jobs left NEW/PROCESSING are marked FAILED ("the server stopped while …"),
 * `.tmp-*` directories are removed and so are batch directories that have no batch row (a kill
 * between the rename and the commit).
 *
 * Rows: profile files hold `primaryIdentity` {namespace, id}, `identityMap`, the selected
 * attributes (`fields`: comma-separated dot paths into the profile; all attributes when absent;
 * nested as in the profile) and, with a segment filter, `segmentMembership` {ups: {<segmentId>:
 * {status, lastQualificationTime}}}. With `additionalFields.eventList` an events file holds
 * `primaryIdentity`, `timestamp` and the selected event fields of every exported profile. CSV
 * flattens nested values to dot-named columns (lists and maps as JSON text).
 * `fromIngestTimestamp`/`toIngestTimestamp`: the ingestion time of every record is the time its
 * sandbox dataset was loaded (the only ingestion the service knows of).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
  DuckDBTimestampValue,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import { ExportJobCreate, PROFILE_UNION_SCHEMA, type ExportFormat } from '@seg/shared';
import { ZodError } from 'zod';
import {
  allBatchIds,
  catalogId,
  commitBatch,
  CONTENT_TYPES,
  datasetDir,
  datasetsRoot,
  EXTENSIONS,
  getDataset,
  TEMP_PREFIX,
} from '../control/datasets.js';
import { getDefinitions } from '../control/definitions.js';
import {
  deleteExportJob,
  failInFlightExports,
  getExportJob,
  getExportJobById,
  insertExportJob,
  TERMINAL,
  updateExportJob,
  type ExportBatchRef,
  type ExportJobError,
  type ExportJobRecord,
  type ExportMetrics,
  type ExportScope,
} from '../control/exports.js';
import { getSandbox, type SandboxRecord } from '../control/sandboxes.js';
import type { SandboxData } from '../data/dataPlane.js';
import { quoteIdent, quoteLiteral } from '../engine/types.js';
import { isInterruptError, type SandboxDb } from '../engine/sandboxDb.js';
import { ApiError, badRequest } from '../http/errors.js';
import type { Services } from '../services.js';
import { ensureMembershipTables, membersSql } from './membership.js';
import { createSegmentJob, waitForSegmentJob } from './segmentJobs.js';

export type { ExportJobRecord } from '../control/exports.js';

export const PROFILE_SCHEMA_NAME = '_xdm.context.profile';

// ------------------------------------------------------------------ create

class CancelledError extends Error {
  constructor() {
    super('The export job was cancelled.');
    this.name = 'CancelledError';
  }
}

function normalizeBody(body: unknown): unknown {
  // §11.19: an example spells it dataSetId.
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const d = b.destination;
    if (d && typeof d === 'object' && !Array.isArray(d)) {
      const dest = d as Record<string, unknown>;
      if (dest.datasetId === undefined && typeof dest.dataSetId === 'string') {
        const { dataSetId, ...rest } = dest;
        return { ...b, destination: { ...rest, datasetId: dataSetId } };
      }
    }
  }
  return body;
}

/** Validates an export request against the sandbox (dataset, segments); throws 400s. */
export function validateExportRequest(
  services: Services,
  scope: ExportScope,
  body: unknown,
): { request: ExportJobCreate; format: ExportFormat } {
  const request = ExportJobCreate.parse(normalizeBody(body));
  if (request.schema.name !== PROFILE_SCHEMA_NAME) {
    throw badRequest(`schema.name must be ${PROFILE_SCHEMA_NAME} (exports write profiles), not ${JSON.stringify(request.schema.name)}.`);
  }
  const dataset = getDataset(services.db, scope, request.destination.datasetId);
  if (!dataset) throw badRequest(`destination.datasetId: dataset ${request.destination.datasetId} not found in this sandbox.`);
  if (dataset.schemaRef.id !== PROFILE_UNION_SCHEMA) {
    throw badRequest(`Dataset ${dataset.id} is based on ${dataset.schemaRef.id}; export jobs need a dataset of the profile union schema ${PROFILE_UNION_SCHEMA}.`);
  }
  const segments = request.filter?.segments;
  if (segments) {
    if (segments.length === 0) throw badRequest('filter.segments must not be empty (omit filter to export every profile).');
    const ids = segments.map((s) => s.segmentId);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) throw badRequest(`filter.segments lists segment ${dup} twice.`);
    const bad = segments.find((s) => s.segmentNs !== 'ups');
    if (bad) throw badRequest(`filter.segments: segmentNs ${JSON.stringify(bad.segmentNs)} is not supported (only "ups").`);
    const found = getDefinitions(services.db, scope, ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw badRequest(`Unknown segment definition(s): ${missing.join(', ')}`, { unknownSegments: missing });
  } else if (request.destination.segmentPerBatch) {
    throw badRequest('destination.segmentPerBatch needs filter.segments.');
  }
  const w = request.filter?.segmentQualificationTime;
  if (w?.startTime && w.endTime && Date.parse(w.startTime) > Date.parse(w.endTime)) {
    throw badRequest('filter.segmentQualificationTime.startTime is after endTime.');
  }
  return { request, format: request.destination.format ?? dataset.format };
}

export function createExportJob(
  services: Services,
  ctx: { orgId: string; sandbox: SandboxRecord },
  body: unknown,
  options: { source: 'api' | 'scheduler'; properties?: Record<string, unknown>; requestId?: string; createdClient?: string },
): ExportJobRecord {
  const runner = exportRunner(services);
  const scope = { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
  const { request, format } = validateExportRequest(services, scope, body);
  const now = services.now();
  const perBatch = request.destination.segmentPerBatch && request.filter?.segments !== undefined;
  const batches: ExportBatchRef[] | undefined = perBatch
    ? request.filter!.segments!.map((s) => ({ segmentId: s.segmentId, segmentNs: s.segmentNs, status: [...s.status], batchId: catalogId() }))
    : undefined;
  const rec = insertExportJob(services.db, {
    orgId: ctx.orgId,
    sandboxId: ctx.sandbox.id,
    sandboxName: ctx.sandbox.name,
    status: 'NEW',
    source: options.source,
    properties: options.properties,
    request,
    datasetId: request.destination.datasetId,
    batchId: perBatch ? undefined : catalogId(),
    batches,
    format,
    segmentJobId: undefined,
    cancelRequested: false,
    errors: [],
    metrics: { totalTime: {}, profileExportTime: {}, aCPDatasetWriteTime: {} },
    requestId: options.requestId ?? '',
    createdClient: options.createdClient ?? '',
    createdAt: now,
    updatedAt: now,
  });
  runner.enqueue(rec);
  return rec;
}

/**
 * DELETE /export/jobs/{id}. Returns undefined when the job does not exist in the scope.
 */
export function cancelExportJob(
  services: Services,
  scope: ExportScope,
  id: number,
): { outcome: 'cancelling' | 'deleted'; job: ExportJobRecord } | undefined {
  const runner = exportRunner(services);
  const job = getExportJob(services.db, scope, id);
  if (!job) return undefined;
  if (TERMINAL.has(job.status)) {
    deleteExportJob(services.db, scope, id);
    return { outcome: 'deleted', job };
  }
  runner.cancel(job);
  return { outcome: 'cancelling', job: getExportJob(services.db, scope, id) ?? job };
}

// ------------------------------------------------------------------ runner

const runners = new WeakMap<Services, ExportRunner>();

export function exportRunner(services: Services): ExportRunner {
  let r = runners.get(services);
  if (!r) {
    r = new ExportRunner(services);
    runners.set(services, r);
  }
  return r;
}

interface Active {
  controller: AbortController;
}

export class ExportRunner {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly active = new Map<number, Active>();
  private readonly pending = new Set<number>();
  /** Settles when every queued job is done (tests, shutdown). */
  readonly idle = new Set<Promise<void>>();

  constructor(private readonly services: Services) {
    this.recover();
  }

  private get dbOpen(): boolean {
    return this.services.db.open;
  }

  /** Startup recovery (see the file header). */
  private recover(): void {
    const { db, config, log } = this.services;
    const failed = failInFlightExports(
      db,
      {
        code: 'SERVER_RESTARTED',
        msg: 'The server stopped while this export job was queued or running; no batch was written. Create the job again.',
      },
      this.services.now(),
    );
    if (failed.length) log.warn({ jobs: failed }, `marked ${failed.length} interrupted export job(s) FAILED`);
    // Remove temp directories and batch directories without a batch row.
    const root = datasetsRoot(config.stateDir);
    const known = allBatchIds(db);
    const walk = (dir: string, depth: number): void => {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of entries) {
        const p = path.join(dir, name);
        if (depth < 3) walk(p, depth + 1);
        else if (name.startsWith(TEMP_PREFIX) || !known.has(decodeURIComponent(name))) {
          rmSync(p, { recursive: true, force: true });
          log.warn({ path: p }, 'removed an incomplete export batch directory');
        }
      }
    };
    walk(root, 0);
  }

  enqueue(job: ExportJobRecord): void {
    const key = `${job.orgId}\u0000${job.sandboxId}`;
    this.pending.add(job.id);
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.run(job.id)).catch((err: unknown) => {
      this.services.log.error({ err, jobId: job.id }, 'export job runner failed');
    });
    this.queues.set(key, next);
    this.idle.add(next);
    void next.finally(() => {
      this.idle.delete(next);
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  cancel(job: ExportJobRecord): void {
    const now = this.services.now();
    const active = this.active.get(job.id);
    if (active) {
      updateExportJob(this.services.db, job.id, { cancelRequested: true }, now);
      active.controller.abort(new CancelledError());
      return;
    }
    // Queued, not started: it ends at once.
    updateExportJob(
      this.services.db,
      job.id,
      { cancelRequested: true, status: 'FAILED', errors: [...job.errors, cancelledError()] },
      now,
    );
  }

  private async run(id: number): Promise<void> {
    this.pending.delete(id);
    if (!this.dbOpen) return;
    const job = getExportJobById(this.services.db, id);
    if (!job || job.status !== 'NEW') return; // cancelled (or deleted) while queued
    const controller = new AbortController();
    this.active.set(id, { controller });
    const work = new ExportWork(this.services, job, controller.signal);
    try {
      await work.execute();
    } finally {
      this.active.delete(id);
    }
  }
}

function cancelledError(): ExportJobError {
  return { code: 'CANCELLED', msg: 'The export job was cancelled (DELETE); no batch was written.' };
}

// ------------------------------------------------------------------ one job

interface Unit {
  batchId: string;
  /** Segments of this batch (undefined: every profile). */
  segments: { segmentId: string; status: string[] }[] | undefined;
}

interface WrittenFile {
  id: string;
  seq: number;
  name: string;
  bytes: number;
  records: number;
  contentType: string;
}

interface WrittenUnit {
  unit: Unit;
  tmpDir: string;
  finalDir: string;
  files: WrittenFile[];
  profiles: number;
  events: number;
  renamed: boolean;
}

/** A node of the selected-fields tree: `true` = the whole subtree. */
type Selection = Map<string, Selection | true>;

class ExportWork {
  private metrics: ExportMetrics;
  private readonly scope: ExportScope;
  private readonly written: WrittenUnit[] = [];

  constructor(
    private readonly services: Services,
    private job: ExportJobRecord,
    private readonly signal: AbortSignal,
  ) {
    this.metrics = { ...job.metrics };
    this.scope = { orgId: job.orgId, sandboxId: job.sandboxId };
  }

  private save(patch: Parameters<typeof updateExportJob>[2] = {}): void {
    if (!this.services.db.open) return;
    updateExportJob(this.services.db, this.job.id, { metrics: this.metrics, ...patch }, this.services.now());
  }

  private progress(stage: string, percent: number, extra: { profilesTotal?: number; profilesDone?: number } = {}): void {
    this.metrics.progress = { stage, percent: Math.round(percent * 10) / 10, ...extra };
    this.save();
  }

  private checkCancelled(): void {
    if (this.signal.aborted) throw new CancelledError();
  }

  async execute(): Promise<void> {
    const start = Date.now();
    this.metrics.totalTime = { startTimeInMs: start };
    this.save({ status: 'PROCESSING' });
    try {
      const data = await this.sandboxData();
      this.checkCancelled();
      if (this.job.request.evaluationInfo?.segmentation) await this.runSegmentation();
      this.checkCancelled();
      await this.write(data);
      this.checkCancelled();
      await this.publish();
      this.commit(start);
    } catch (err) {
      await this.cleanup();
      this.fail(err, start);
    }
  }

  private async sandboxData(): Promise<SandboxData> {
    for (;;) {
      try {
        return await this.services.dataPlane.forSandbox(this.job.orgId, this.job.sandboxName);
      } catch (err) {
        const state = this.services.dataPlane.status().state;
        if (err instanceof ApiError && err.status === 503 && (state === 'loading' || state === 'generating' || state === 'idle')) {
          this.progress('waiting for the data to load', 0);
          await new Promise((r) => setTimeout(r, 500));
          this.checkCancelled();
          continue;
        }
        throw err;
      }
    }
  }

  private async runSegmentation(): Promise<void> {
    this.progress('segmentation', 0);
    const segs = this.job.request.filter?.segments;
    const rec = getSandbox(this.services.db, this.job.orgId, this.job.sandboxName);
    if (!rec) throw new Error(`Sandbox ${this.job.sandboxName} no longer exists.`);
    let sj: { id: string };
    try {
      sj = createSegmentJob(
        this.services,
        { orgId: this.job.orgId, sandbox: rec },
        { segmentIds: segs ? segs.map((s) => s.segmentId) : '*', source: 'export', properties: { exportJobId: this.job.id } },
      );
    } catch (err) {
      const detail = err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err);
      throw Object.assign(new Error(`The segment job could not be created: ${detail}`), { code: 'SEGMENTATION_FAILED' });
    }
    this.job = { ...this.job, segmentJobId: sj.id };
    this.save({ segmentJobId: sj.id });
    const done = await waitForSegmentJob(this.services, this.job.orgId, this.job.sandboxId, sj.id, this.signal);
    this.checkCancelled();
    if (done.status !== 'SUCCEEDED') {
      const why = done.errors?.map((e) => e.msg).filter(Boolean).join('; ');
      throw Object.assign(new Error(`The segment job ${sj.id} run before the export ended ${done.status}${why ? `: ${why}` : ''}.`), {
        code: 'SEGMENTATION_FAILED',
      });
    }
  }

  private units(): Unit[] {
    const segs = this.job.request.filter?.segments;
    if (this.job.batches) {
      return this.job.batches.map((b) => ({ batchId: b.batchId, segments: [{ segmentId: b.segmentId, status: b.status }] }));
    }
    return [{ batchId: this.job.batchId!, segments: segs?.map((s) => ({ segmentId: s.segmentId, status: [...s.status] })) }];
  }

  private async write(data: SandboxData): Promise<void> {
    const { store } = data;
    const req = this.job.request;
    const segs = req.filter?.segments;
    if (segs) await ensureMembershipTables(data.db);
    const dsDir = datasetDir(this.services.config.stateDir, this.job.orgId, this.job.sandboxName, this.job.datasetId);
    mkdirSync(dsDir, { recursive: true });
    const format = this.job.format;
    const ext = EXTENSIONS[format];
    const loadedAt = data.report ? Date.parse(data.report.loadedAt) : 0;
    const profilesIngested = !req.filter?.fromIngestTimestamp || Date.parse(req.filter.fromIngestTimestamp) < loadedAt;
    const ev = req.additionalFields?.eventList;
    const evFilter = ev?.filter;
    const eventsIngested =
      (!evFilter?.fromIngestTimestamp || Date.parse(evFilter.fromIngestTimestamp) < loadedAt) &&
      (!evFilter?.toIngestTimestamp || loadedAt <= Date.parse(evFilter.toIngestTimestamp)) &&
      (!req.filter?.fromIngestTimestamp || Date.parse(req.filter.fromIngestTimestamp) < loadedAt);
    const table = `export_members_${this.job.id}`;

    const profileStart = Date.now();
    this.metrics.profileExportTime = { startTimeInMs: profileStart };
    this.progress('selecting members', 0);

    const op = store.interruptibleWith(async (conn) => {
      const onAbort = () => op.cancel();
      this.signal.addEventListener('abort', onAbort);
      try {
        // Types of the attribute structs (the projection follows the data, not a guess).
        const attrsType = await columnType(conn, 'SELECT attrs FROM profiles LIMIT 0');
        const eventType = ev ? await columnType(conn, 'SELECT attrs FROM events LIMIT 0') : undefined;
        const profileCols = profileProjection(attrsType, req.fields, format);
        const eventCols = ev ? eventProjection(eventType, ev.fields, format) : [];

        // Members → temp table (pk + the membership of each exported segment).
        let memberFrom: string;
        if (segs) {
          const windowStart = req.filter?.segmentQualificationTime?.startTime;
          const windowEnd = req.filter?.segmentQualificationTime?.endTime;
          const { sql, params } = membersSql({
            segmentIds: segs.map((s) => s.segmentId),
            ...(windowStart ? { from: Date.parse(windowStart) } : {}),
            // RFC 3339 end bound, inclusive: [from, to + 1 ms)
            ...(windowEnd ? { to: Date.parse(windowEnd) + 1 } : {}),
          });
          const perSegment = segs
            .map((s) => `(m.segment_id = ${quoteLiteral(s.segmentId)} AND m.status IN (${s.status.map(quoteLiteral).join(', ')}))`)
            .join(' OR ');
          const members = `SELECT m.pk, m.segment_id, m.status, m.qualification_time FROM (${sql}) m
             WHERE m.pk IS NOT NULL AND (${perSegment}) AND ${profilesIngested ? 'TRUE' : 'FALSE'}`;
          if (data.db.engine === 'duckdb') {
            await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${members}`, params);
          } else {
            await appendMembersFrom(data.db, members, params, conn, table);
          }
          memberFrom = table;
        } else {
          memberFrom = '';
        }
        this.checkCancelled();

        const units = this.units();
        let u = 0;
        for (const unit of units) {
          u++;
          const segList = unit.segments?.map((s) => quoteLiteral(s.segmentId)).join(', ');
          const membersOfUnit = memberFrom
            ? `(SELECT pk, map_from_entries(list({'k': segment_id, 'v': {'status': status, 'lastQualificationTime': ${isoTs('qualification_time')}}})) AS ups
                FROM ${memberFrom} WHERE segment_id IN (${segList}) GROUP BY pk)`
            : '';
          const from = membersOfUnit
            ? `profiles p JOIN ${membersOfUnit} sm ON sm.pk = p.pk`
            : `profiles p${profilesIngested ? '' : ' WHERE FALSE'}`;
          const smCol = membersOfUnit
            ? format === 'csv'
              ? `to_json(MAP {'ups': sm.ups})::VARCHAR AS "segmentMembership"`
              : `MAP {'ups': sm.ups} AS "segmentMembership"`
            : undefined;

          // Counts first (progress total, namespace counters).
          const counts = (
            await conn.runAndReadAll(`SELECT p.primary_ns AS ns, count(*)::BIGINT AS n FROM ${from} GROUP BY 1`)
          ).getRowObjectsJson();
          const total = counts.reduce((a, r) => a + Number(r.n), 0);
          const byNs = { ...(this.metrics.exportedProfileByNamespaceCounter ?? {}) };
          for (const r of counts) byNs[String(r.ns)] = (byNs[String(r.ns)] ?? 0) + Number(r.n);

          const tmpDir = path.join(dsDir, `${TEMP_PREFIX}${unit.batchId}`);
          const finalDir = path.join(dsDir, encodeURIComponent(unit.batchId));
          rmSync(tmpDir, { recursive: true, force: true });
          mkdirSync(tmpDir, { recursive: true });
          const w: WrittenUnit = { unit, tmpDir, finalDir, files: [], profiles: 0, events: 0, renamed: false };
          this.written.push(w);

          const stage = units.length > 1 ? `writing profiles (batch ${u} of ${units.length})` : 'writing profiles';
          const cols = [...profileCols, ...(smCol ? [smCol] : [])].join(',\n  ');
          const profileFile = `profiles.${ext}`;
          const profileRows = await this.copy(
            conn,
            `SELECT ${cols} FROM ${from} ORDER BY p.pk`,
            path.join(tmpDir, profileFile),
            format,
            stage,
            total,
          );
          w.profiles = profileRows;
          w.files.push({ id: catalogId(), seq: 0, name: profileFile, bytes: 0, records: profileRows, contentType: CONTENT_TYPES[format] });
          this.metrics.totalExportedProfileCounter = (this.metrics.totalExportedProfileCounter ?? 0) + profileRows;
          this.metrics.exportedProfileByNamespaceCounter = byNs;

          if (ev) {
            const eventFile = `events.${ext}`;
            const evCols = [
              primaryIdentityCols(format, 'p'),
              format === 'parquet' ? `e.ts AS "timestamp"` : `${isoTs('e.ts')} AS "timestamp"`,
              ...eventCols,
            ].join(',\n  ');
            const evRows = await this.copy(
              conn,
              `SELECT ${evCols} FROM ${from} JOIN events e ON e.pk = p.pk ${eventsIngested ? '' : 'WHERE FALSE'} ORDER BY p.pk, e.ts`,
              path.join(tmpDir, eventFile),
              format,
              units.length > 1 ? `writing events (batch ${u} of ${units.length})` : 'writing events',
              total,
            );
            w.events = evRows;
            w.files.push({ id: catalogId(), seq: 1, name: eventFile, bytes: 0, records: evRows, contentType: CONTENT_TYPES[format] });
            this.metrics.exportedEventCounter = (this.metrics.exportedEventCounter ?? 0) + evRows;
          }
          this.checkCancelled();
        }
      } finally {
        this.signal.removeEventListener('abort', onAbort);
        await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      }
    });
    if (this.signal.aborted) op.cancel();
    try {
      await op.promise;
    } catch (err) {
      if (this.signal.aborted) throw new CancelledError();
      throw err;
    }
    const end = Date.now();
    this.metrics.profileExportTime = { startTimeInMs: profileStart, endTimeInMs: end, totalTimeInMs: end - profileStart };
  }

  /** COPY (query) TO file; polls DuckDB's query progress meanwhile. Returns the rows written. */
  private async copy(conn: DuckDBConnection, query: string, file: string, format: ExportFormat, stage: string, total: number): Promise<number> {
    const options =
      format === 'parquet'
        ? `FORMAT parquet, COMPRESSION zstd`
        : format === 'ndjson'
          ? `FORMAT json`
          : `FORMAT csv, HEADER true`;
    this.progress(stage, 0, { profilesTotal: total, profilesDone: 0 });
    const timer = setInterval(() => {
      try {
        const p = conn.progress;
        if (p.percentage >= 0) {
          this.progress(stage, p.percentage, { profilesTotal: total, profilesDone: Math.floor((total * p.percentage) / 100) });
        }
      } catch {
        /* progress is best effort */
      }
    }, 500);
    try {
      const result = await conn.runAndReadAll(`COPY (${query}) TO ${quoteLiteral(file)} (${options})`);
      const rows = result.getRows();
      const n = Number(rows[0]?.[0] ?? 0);
      this.progress(stage, 100, { profilesTotal: total, profilesDone: total });
      return n;
    } finally {
      clearInterval(timer);
    }
  }

  /** fsync every file, rename each temp directory into place, fsync the parent. */
  private async publish(): Promise<void> {
    const start = Date.now();
    this.progress('committing', 100);
    for (const w of this.written) {
      for (const f of w.files) {
        const p = path.join(w.tmpDir, f.name);
        f.bytes = (await stat(p)).size;
        const fh = await open(p, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      await fsyncDir(w.tmpDir);
      this.checkCancelled();
      await rm(w.finalDir, { recursive: true, force: true });
      await rename(w.tmpDir, w.finalDir);
      w.renamed = true;
      await fsyncDir(path.dirname(w.finalDir));
    }
    const end = Date.now();
    this.metrics.aCPDatasetWriteTime = { startTimeInMs: start, endTimeInMs: end, totalTimeInMs: end - start };
  }

  /** One transaction: the batches become visible and the job SUCCEEDS — unless it was cancelled. */
  private commit(start: number): void {
    const { db } = this.services;
    if (!db.open) throw new Error('The server is shutting down.');
    const cancelled = db.transaction(() => {
      const current = getExportJobById(db, this.job.id);
      if (!current || current.cancelRequested) return true;
      const now = this.services.now();
      for (const w of this.written) {
        commitBatch(
          db,
          {
            id: w.unit.batchId,
            orgId: this.job.orgId,
            sandboxId: this.job.sandboxId,
            datasetId: this.job.datasetId,
            format: this.job.format,
            recordCount: w.profiles + w.events,
            profileCount: w.profiles,
            eventCount: w.events,
            bytes: w.files.reduce((a, f) => a + f.bytes, 0),
            exportJobId: this.job.id,
            created: this.job.createdAt,
            started: this.metrics.totalTime.startTimeInMs ?? now,
            completed: now,
            createdClient: this.job.createdClient,
          },
          w.files,
        );
      }
      const end = Date.now();
      this.metrics.totalTime = { startTimeInMs: start, endTimeInMs: end, totalTimeInMs: end - start };
      this.metrics.sizeInBytes = this.written.reduce((a, w) => a + w.files.reduce((b, f) => b + f.bytes, 0), 0);
      delete this.metrics.progress;
      updateExportJob(db, this.job.id, { status: 'SUCCEEDED', metrics: this.metrics }, now);
      return false;
    })();
    if (cancelled) throw new CancelledError();
  }

  private async cleanup(): Promise<void> {
    for (const w of this.written) {
      await rm(w.tmpDir, { recursive: true, force: true }).catch(() => undefined);
      if (w.renamed) await rm(w.finalDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private fail(err: unknown, start: number): void {
    const cancelled = err instanceof CancelledError || (this.signal.aborted && isInterruptError(err));
    let error: ExportJobError;
    if (cancelled) error = cancelledError();
    else if (err instanceof ZodError || err instanceof ApiError) error = { code: 'INVALID_REQUEST', msg: err instanceof ApiError ? err.detail : err.message };
    else {
      const e = err as { code?: unknown; message?: unknown };
      const msg = typeof e?.message === 'string' ? e.message : String(err);
      error = {
        code: typeof e?.code === 'string' ? e.code : isInterruptError(err) ? 'INTERRUPTED' : 'EXPORT_FAILED',
        msg: isInterruptError(err) ? `The export was interrupted (server shutting down?): ${msg}` : msg,
        ...(err instanceof Error && err.stack ? { callStack: err.stack.split('\n').slice(0, 6).join('\n') } : {}),
      };
      this.services.log.warn({ err, jobId: this.job.id }, 'export job failed');
    }
    const end = Date.now();
    this.metrics.totalTime = { startTimeInMs: start, endTimeInMs: end, totalTimeInMs: end - start };
    delete this.metrics.progress;
    if (!this.services.db.open) return;
    const current = getExportJobById(this.services.db, this.job.id);
    this.save({ status: 'FAILED', errors: [...(current?.errors ?? []), error] });
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    /* some file systems refuse fsync on directories */
  } finally {
    await fh.close();
  }
}

async function columnType(conn: DuckDBConnection, sql: string): Promise<DuckDBType> {
  const r = await conn.run(sql);
  return r.columnType(0);
}

// ------------------------------------------------------------------ projection

const RESERVED = new Set(['identityMap', 'primaryIdentity', 'segmentMembership']);

function isoTs(expr: string): string {
  return `strftime(${expr}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
}

function primaryIdentityCols(format: ExportFormat, alias: string): string {
  return format === 'csv'
    ? `${alias}.primary_ns AS "primaryIdentity.namespace", ${alias}.primary_id AS "primaryIdentity.id"`
    : `{'namespace': ${alias}.primary_ns, 'id': ${alias}.primary_id} AS "primaryIdentity"`;
}

/** Parses `fields` into a selection tree, checking every path against the struct type. */
export function parseSelection(fields: string | undefined, type: DuckDBType | undefined, what: string): Selection {
  const sel: Selection = new Map();
  const struct = type instanceof DuckDBStructType ? type : undefined;
  if (fields === undefined) {
    for (const name of struct?.entryNames ?? []) sel.set(name, true);
    return sel;
  }
  for (const raw of fields.split(',')) {
    const parts = raw.trim().split('.');
    if (parts.length === 0 || parts[0] === '') continue;
    if (RESERVED.has(parts[0]!)) continue; // always exported
    let node = sel;
    let t: DuckDBType | undefined = struct;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const here = parts.slice(0, i + 1).join('.');
      if (!(t instanceof DuckDBStructType)) {
        const kind = t instanceof DuckDBListType ? 'a list' : t instanceof DuckDBMapType ? 'a map' : 'not an object';
        throw badRequest(`${what} "${raw.trim()}": ${parts.slice(0, i).join('.')} is ${kind}; select it whole.`);
      }
      if (!t.entryNames.includes(name)) throw badRequest(`${what} "${raw.trim()}": no field ${here} in the data.`);
      t = t.typeForEntry(name);
      const existing = node.get(name);
      if (existing === true) break; // already whole
      if (i === parts.length - 1) {
        node.set(name, true);
      } else {
        const child: Selection = existing ?? new Map<string, Selection | true>();
        node.set(name, child);
        node = child;
      }
    }
  }
  return sel;
}

function access(base: string, pathParts: string[]): string {
  return pathParts.reduce((e, p) => `struct_extract(${e}, ${quoteLiteral(p)})`, base);
}

/** Nested expressions (Parquet, NDJSON): one column per top-level field. */
function nestedColumns(sel: Selection, base: string): string[] {
  const expr = (node: Selection | true, parts: string[]): string =>
    node === true
      ? access(base, parts)
      : `struct_pack(${[...node].map(([k, v]) => `${quoteIdent(k)} := ${expr(v, [...parts, k])}`).join(', ')})`;
  return [...sel].map(([k, v]) => `${expr(v, [k])} AS ${quoteIdent(k)}`);
}

/** Flat leaf columns (CSV): dot-named, lists/maps as JSON text. */
function flatColumns(sel: Selection, type: DuckDBType | undefined, base: string): string[] {
  const out: string[] = [];
  const leaves = (t: DuckDBType | undefined, parts: string[]): void => {
    if (t instanceof DuckDBStructType) {
      for (const name of t.entryNames) leaves(t.typeForEntry(name), [...parts, name]);
      return;
    }
    const e = access(base, parts);
    const v = t instanceof DuckDBListType || t instanceof DuckDBMapType ? `to_json(${e})::VARCHAR` : e;
    out.push(`${v} AS ${quoteIdent(parts.join('.'))}`);
  };
  const walk = (node: Selection, t: DuckDBType | undefined, parts: string[]): void => {
    for (const [k, v] of node) {
      const ct = t instanceof DuckDBStructType ? t.typeForEntry(k) : undefined;
      if (v === true) leaves(ct, [...parts, k]);
      else walk(v, ct, [...parts, k]);
    }
  };
  walk(sel, type, []);
  return out;
}

function profileProjection(attrsType: DuckDBType, fields: string | undefined, format: ExportFormat): string[] {
  const sel = parseSelection(fields, attrsType, 'fields');
  const cols = [primaryIdentityCols(format, 'p')];
  cols.push(format === 'csv' ? `to_json(p.identity_map)::VARCHAR AS "identityMap"` : `p.identity_map AS "identityMap"`);
  cols.push(...(format === 'csv' ? flatColumns(sel, attrsType, 'p.attrs') : nestedColumns(sel, 'p.attrs')));
  return cols;
}

function eventProjection(type: DuckDBType | undefined, fields: string | undefined, format: ExportFormat): string[] {
  const sel = parseSelection(fields, type, 'additionalFields.eventList.fields');
  sel.delete('timestamp');
  return format === 'csv' ? flatColumns(sel, type, 'e.attrs') : nestedColumns(sel, 'e.attrs');
}

/** Checks `fields` / `eventList.fields` against the sandbox's data (the route answers 400). */
/**
 * The members a query selects in the sandbox's evaluation database (PostgreSQL), appended to a
 * temp table of the DuckDB connection that writes the files.
 */
async function appendMembersFrom(
  db: SandboxDb,
  members: string,
  params: readonly unknown[],
  conn: DuckDBConnection,
  table: string,
): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${table} (pk BIGINT, segment_id VARCHAR, status VARCHAR, qualification_time TIMESTAMP)`,
  );
  const rows = await db.all(
    `SELECT pk, segment_id, status, CAST(round(extract(epoch FROM qualification_time) * 1000000) AS BIGINT) AS qt_us FROM (${members}) x`,
    params,
  );
  const appender = await conn.createAppender(table, 'main', 'temp');
  try {
    for (const r of rows) {
      appender.appendBigInt(BigInt(String(r.pk)));
      appender.appendVarchar(String(r.segment_id));
      appender.appendVarchar(String(r.status));
      if (r.qt_us === null || r.qt_us === undefined) appender.appendNull();
      else appender.appendTimestamp(new DuckDBTimestampValue(BigInt(String(r.qt_us))));
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

export async function checkFieldsAgainstData(data: SandboxData, request: ExportJobCreate): Promise<void> {
  const attrs = await data.store.withConnection((c) => columnType(c, 'SELECT attrs FROM profiles LIMIT 0'));
  parseSelection(request.fields, attrs, 'fields');
  const ev = request.additionalFields?.eventList;
  if (ev?.fields !== undefined) {
    const et = await data.store.withConnection((c) => columnType(c, 'SELECT attrs FROM events LIMIT 0'));
    parseSelection(ev.fields, et, 'additionalFields.eventList.fields');
  }
}
