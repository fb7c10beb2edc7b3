/**
 * Segment membership, stored in each sandbox's database next to the profiles (its DuckDB file, or
 * its PostgreSQL schema under SEG_ENGINE=postgres): plain SQL both engines accept.
 *
 * Tables (created by `ensureMembershipTables(db)`, idempotent; the dataset loader never touches
 * them, so a reloaded dataset keeps its membership):
 *
 *   segment_membership(segment_id VARCHAR, pk BIGINT, status VARCHAR, qualification_time TIMESTAMP,
 *                      job_id VARCHAR, primary_ns VARCHAR, primary_id VARCHAR)
 *       one row per (job, segment, profile) written by a segment job: `realized` (entered in that
 *       job, qualification_time = the job's evaluation instant), `existing` (was realized/existing in
 *       the previous successful run, still qualifies; qualification_time kept), `exited` (was a
 *       member in the previous successful run, no longer qualifies; qualification_time kept = its
 *       last qualification). `exited` lasts one run: a profile that exited and still does not
 *       qualify has no row in the next run. pk is the profile key of the dataset as loaded when the
 *       job ran; profiles are matched across runs by their primary identity (primary_ns, primary_id),
 *       because a reloaded dataset renumbers pk.
 *   segment_membership_head(segment_id VARCHAR PRIMARY KEY, job_id VARCHAR, evaluated_at TIMESTAMP)
 *       the "latest successful job" pointer, per segment. A job writes its rows under its own job id
 *       and switches the heads of the segments it evaluated in ONE transaction when it
 *       completes, so a failed, cancelled or killed job leaves the previous membership intact (its
 *       orphan rows are removed before the next job of the sandbox starts).
 *
 * For the export engineer — `membersSql(options)` returns `{ sql, params }` (positional `$1…`
 * parameters) selecting
 *     segment_id VARCHAR, pk BIGINT, status VARCHAR, qualification_time TIMESTAMP,
 *     primary_ns VARCHAR, primary_id VARCHAR
 * of the LATEST SUCCESSFUL membership of the given segments, optionally filtered by status
 * (default: every status) and by a qualification-time window [from, to) in epoch ms. `pk` is the
 * CURRENT profile key (resolved through the primary identity against `profiles`); it is NULL for a
 * member (typically `exited`) whose profile is no longer in the dataset. Run it on the sandbox's
 * database after `await ensureMembershipTables(db)`. Example:
 *     const { sql, params } = membersSql({ segmentIds: ['s1'], statuses: ['realized', 'existing'] });
 *     await db.all(`SELECT m.pk, p.attrs FROM (${sql}) m JOIN profiles p USING (pk)`, params);
 *
 * For the compiler (previews, estimates, jobs) — `membershipCondition(profileAlias, segmentIdParam)`
 * is the `CompileOptions.membershipCondition`: "profile <alias> is realized or existing in the
 * latest successful membership of segment <param>".
 */
import type { SandboxDb } from '../engine/sandboxDb.js';

export const MEMBERSHIP_TABLE = 'segment_membership';
export const HEAD_TABLE = 'segment_membership_head';

export type MembershipStatus = 'realized' | 'existing' | 'exited';

const ensured = new WeakMap<SandboxDb, Promise<void>>();

/**
 * Creates the membership tables in the sandbox's database when missing. The first callers share
 * one creation; on PostgreSQL it also holds an advisory lock of the schema, because concurrent
 * `CREATE … IF NOT EXISTS` from several connections (or servers) can fail on the catalog.
 */
export function ensureMembershipTables(db: SandboxDb): Promise<void> {
  let creation = ensured.get(db);
  if (!creation) {
    creation = createMembershipTables(db);
    ensured.set(db, creation);
    creation.catch(() => ensured.delete(db));
  }
  return creation;
}

async function createMembershipTables(db: SandboxDb): Promise<void> {
  await db.session(async (session) => {
    const postgres = db.engine === 'postgres';
    if (postgres) {
      await session.run('BEGIN');
      await session.run('SELECT pg_advisory_xact_lock(hashtext(current_schema()))');
    }
    await session.run(`CREATE TABLE IF NOT EXISTS ${MEMBERSHIP_TABLE} (
      segment_id VARCHAR NOT NULL, pk BIGINT, status VARCHAR NOT NULL, qualification_time TIMESTAMP,
      job_id VARCHAR NOT NULL, primary_ns VARCHAR NOT NULL, primary_id VARCHAR NOT NULL)`);
    await session.run(`CREATE TABLE IF NOT EXISTS ${HEAD_TABLE} (
      segment_id VARCHAR PRIMARY KEY, job_id VARCHAR NOT NULL, evaluated_at TIMESTAMP)`);
    if (postgres) {
      // inSegment probes membership per profile: a server engine needs the index (DuckDB scans
      // and hash-joins, where an index would only slow the job's inserts)
      await session.run(
        `CREATE INDEX IF NOT EXISTS ${MEMBERSHIP_TABLE}_member ON ${MEMBERSHIP_TABLE} (segment_id, primary_ns, primary_id)`,
      );
      await session.run('COMMIT');
    }
  }).promise;
}

/** A bound instant (epoch ms) as a TIMESTAMP, the way the compiler binds them. */
export function timestampParam(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}

/**
 * `CompileOptions.membershipCondition`: profile `<alias>` is `realized` or `existing` in the latest
 * successful membership of the segment bound to `segmentIdParam`.
 */
export function membershipCondition(profileAlias: string, segmentIdParam: string): string {
  return `EXISTS (SELECT 1 FROM ${MEMBERSHIP_TABLE} __m JOIN ${HEAD_TABLE} __h ON __h.segment_id = __m.segment_id AND __h.job_id = __m.job_id
    WHERE __m.segment_id = ${segmentIdParam} AND __m.primary_ns = ${profileAlias}.primary_ns AND __m.primary_id = ${profileAlias}.primary_id
      AND __m.status IN ('realized', 'existing'))`;
}


export interface MembersSqlOptions {
  segmentIds: readonly string[];
  /** Default: all three. */
  statuses?: readonly MembershipStatus[];
  /** Qualification-time window, epoch ms: from inclusive, to exclusive. */
  from?: number;
  to?: number;
}

/** SQL of the latest successful membership; see the file header. */
export function membersSql(o: MembersSqlOptions): { sql: string; params: (string | number)[] } {
  const params: (string | number)[] = [];
  const add = (v: string | number) => {
    params.push(v);
    return `$${params.length}`;
  };
  const ids = o.segmentIds.length ? o.segmentIds.map((id) => add(id)).join(', ') : 'NULL';
  const where = [`m.segment_id IN (${ids})`];
  if (o.statuses && o.statuses.length) where.push(`m.status IN (${o.statuses.map((s) => add(s)).join(', ')})`);
  if (o.from !== undefined) where.push(`m.qualification_time >= CAST(${add(timestampParam(o.from))} AS TIMESTAMP)`);
  if (o.to !== undefined) where.push(`m.qualification_time < CAST(${add(timestampParam(o.to))} AS TIMESTAMP)`);
  const sql = `SELECT m.segment_id, p.pk, m.status, m.qualification_time, m.primary_ns, m.primary_id
    FROM ${MEMBERSHIP_TABLE} m
    JOIN ${HEAD_TABLE} h ON h.segment_id = m.segment_id AND h.job_id = m.job_id
    LEFT JOIN profiles p ON p.primary_ns = m.primary_ns AND p.primary_id = m.primary_id
    WHERE ${where.join(' AND ')}`;
  return { sql, params };
}

/** Deletes rows of jobs that are not a head (failed, cancelled, killed or superseded runs). */
export async function removeOrphans(db: SandboxDb): Promise<void> {
  await db.run(
    `DELETE FROM ${MEMBERSHIP_TABLE} m WHERE NOT EXISTS (SELECT 1 FROM ${HEAD_TABLE} h WHERE h.segment_id = m.segment_id AND h.job_id = m.job_id)`,
  );
}

/** True when job `jobId` switched at least one head (its membership commit happened). */
export async function jobCommitted(db: SandboxDb, jobId: string): Promise<boolean> {
  const rows = await db.all(`SELECT count(*) AS n FROM ${HEAD_TABLE} WHERE job_id = $1`, [jobId]);
  return Number(rows[0]?.n ?? 0) > 0;
}
