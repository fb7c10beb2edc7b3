/**
 * Evaluating checked definitions on the loaded data: a count, a page of
 * members in a stable order, and a batch of definitions in one pass.
 */
import type { CheckedQuery } from '@seg/shared';
import { CompileError, SqlProgram, type CompileOptions, type SegmentReference } from './compiler/compile.js';
import type { SqlDialect } from './compiler/dialect.js';
import type { TableLayout } from './compiler/compile.js';
import { findCycles } from './dependencies.js';

/** Runs SQL with bound parameters and returns plain rows. */
export interface SqlRunner {
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

export interface EngineTarget {
  readonly runner: SqlRunner;
  readonly dialect: SqlDialect;
  readonly layout: TableLayout;
}

export interface Definition {
  readonly id: string;
  readonly query: CheckedQuery;
}

/** A member as results name it: the profile's key and primary identity. */
export interface Member {
  readonly pk: number;
  readonly namespace: string;
  readonly id: string;
}

export interface EvaluationOptions {
  /** The evaluation's instant (SEG_NOW), epoch ms. */
  readonly now: number;
  /** Definitions `inSegment` may reference, by id (compiled in place). */
  readonly definitions?: ReadonlyMap<string, CheckedQuery>;
  /** SQL condition for "profile p is in segment $id" when the id is not among `definitions`. */
  readonly membershipCondition?: CompileOptions['membershipCondition'];
}

function program(target: EngineTarget, options: EvaluationOptions): SqlProgram {
  return new SqlProgram({
    dialect: target.dialect,
    layout: target.layout,
    now: options.now,
    resolveSegment: (id): SegmentReference => {
      const query = options.definitions?.get(id);
      return query ? { kind: 'inline', query } : { kind: 'membership' };
    },
    ...(options.membershipCondition ? { membershipCondition: options.membershipCondition } : {}),
  });
}

export async function countMembers(target: EngineTarget, query: CheckedQuery, options: EvaluationOptions): Promise<number> {
  const p = program(target, options);
  const condition = p.condition(query);
  const statement = p.params.finish(`SELECT count(*) AS n FROM ${p.fromClause()} WHERE ${condition}`);
  const rows = await target.runner.all(statement.sql, statement.values);
  return Number(rows[0]?.n ?? 0);
}

/** Members ordered by profile key, so that pages never overlap or skip. */
export async function pageMembers(
  target: EngineTarget,
  query: CheckedQuery,
  options: EvaluationOptions & { readonly offset: number; readonly limit: number },
): Promise<Member[]> {
  const p = program(target, options);
  const condition = p.condition(query);
  const offset = p.params.add(options.offset, 'BIGINT');
  const limit = p.params.add(options.limit, 'BIGINT');
  const statement = p.params.finish(
    `SELECT p.pk, p.primary_ns, p.primary_id FROM ${p.fromClause()} WHERE ${condition} ORDER BY p.pk LIMIT ${limit} OFFSET ${offset}`,
  );
  const rows = await target.runner.all(statement.sql, statement.values);
  return rows.map(toMember);
}

export interface BatchResult {
  /** Per definition: its members (in profile-key order), or why it could not be evaluated. */
  readonly results: ReadonlyMap<string, { members: Member[] } | { error: CompileError }>;
  readonly sql: string;
}

/**
 * Evaluates many definitions in one statement: one scan of profiles joined
 * to one grouped scan of events, a boolean column per definition.
 * A definition referencing another with inSegment sees that one's result of
 * this same pass (it is compiled in place); a cycle is an error naming it.
 */
export async function evaluateBatch(
  target: EngineTarget,
  definitions: readonly Definition[],
  options: EvaluationOptions,
): Promise<BatchResult> {
  const results = new Map<string, { members: Member[] } | { error: CompileError }>();
  const all = new Map<string, CheckedQuery>(options.definitions ?? []);
  for (const d of definitions) all.set(d.id, d.query);

  const cycles = findCycles([...all].map(([id, q]) => ({ id, segmentRefs: q.segmentRefs })));
  const inCycle = new Map<string, string[]>();
  for (const cycle of cycles) for (const id of cycle) if (!inCycle.has(id)) inCycle.set(id, cycle);

  const p = program(target, { ...options, definitions: all });
  const columns: { id: string; sql: string }[] = [];
  for (const d of definitions) {
    const cycle = inCycle.get(d.id);
    if (cycle) {
      results.set(d.id, { error: new CompileError(`Segments reference each other in a cycle: ${cycle.join(' → ')}`) });
      continue;
    }
    try {
      columns.push({ id: d.id, sql: p.condition(d.query) });
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      results.set(d.id, { error: e });
    }
  }
  if (columns.length === 0) return { results, sql: '' };
  try {
    return await runBatch(target, p, columns, results);
  } catch (e) {
    if (columns.length === 1) {
      results.set(columns[0]!.id, { error: new CompileError(engineMessage(e)) });
      return { results, sql: '' };
    }
    // one definition's failure must not sink the others: evaluate each alone to find it
    for (const d of definitions) {
      if (results.has(d.id)) continue;
      const single = await evaluateBatch(target, [d], { ...options, definitions: all });
      results.set(d.id, single.results.get(d.id)!);
    }
    return { results, sql: '' };
  }
}

/** The engine's message without its internal detail (never a stack). */
function engineMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return `The engine could not evaluate this definition: ${message.split('\n')[0]}`;
}

async function runBatch(
  target: EngineTarget,
  p: SqlProgram,
  columns: { id: string; sql: string }[],
  results: Map<string, { members: Member[] } | { error: CompileError }>,
): Promise<BatchResult> {
  const select = columns.map((c, i) => `${c.sql} AS s${i}`).join(', ');
  const sql = `SELECT * FROM (SELECT p.pk, p.primary_ns, p.primary_id, ${select} FROM ${p.fromClause()}) AS batch WHERE ${columns
    .map((_c, i) => `s${i}`)
    .join(' OR ')} ORDER BY pk`;
  const statement = p.params.finish(sql);
  const rows = await target.runner.all(statement.sql, statement.values);
  const members = columns.map(() => [] as Member[]);
  for (const row of rows) {
    const member = toMember(row);
    columns.forEach((_c, i) => {
      if (row[`s${i}`] === true) members[i]!.push(member);
    });
  }
  columns.forEach((c, i) => results.set(c.id, { members: members[i]! }));
  return { results, sql: statement.sql };
}

/**
 * Counts many definitions' members in one pass (one row back, whatever the
 * audience sizes): what job metrics and benchmarks need without the members.
 */
export async function countBatch(
  target: EngineTarget,
  definitions: readonly Definition[],
  options: EvaluationOptions,
): Promise<Map<string, number>> {
  const all = new Map<string, CheckedQuery>(options.definitions ?? []);
  for (const d of definitions) all.set(d.id, d.query);
  const cycles = findCycles([...all].map(([id, q]) => ({ id, segmentRefs: q.segmentRefs })));
  if (cycles.length) throw new CompileError(`Segments reference each other in a cycle: ${cycles[0]!.join(' → ')}`);
  const p = program(target, { ...options, definitions: all });
  const counts = definitions.map((d, i) => `count(*) FILTER (WHERE ${p.condition(d.query)}) AS c${i}`);
  const statement = p.params.finish(`SELECT ${counts.join(', ')} FROM ${p.fromClause()}`);
  const row = (await target.runner.all(statement.sql, statement.values))[0] ?? {};
  return new Map(definitions.map((d, i) => [d.id, Number(row[`c${i}`] ?? 0)]));
}

function toMember(row: Record<string, unknown>): Member {
  return { pk: Number(row.pk), namespace: String(row.primary_ns), id: String(row.primary_id) };
}
