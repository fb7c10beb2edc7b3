/**
 * Segment jobs in the control database (segmentation-api.md §4) — the durable queue.
 *
 *   segment_jobs   one row per job, scoped by (org_id, sandbox_id); `seq` orders the queue (FIFO per
 *                  sandbox). `segments` is the snapshot taken at creation (requested definitions and
 *                  the ones they reference with inSegment), `metrics`/`errors` the API objects.
 *                  `commit_state` is 'committing' while the membership switch in the sandbox's DuckDB
 *                  is under way (set, with the final metrics, just before the DuckDB commit): after a
 *                  crash in that window the runner asks DuckDB whether the switch happened.
 *
 * Every function takes (orgId, sandboxId) except the runner's queue functions, which work across
 * sandboxes by design (`nextQueued`, `interruptedJobs`).
 */
import { registerMigration, type ControlDb } from './db.js';

registerMigration(
  '0400-jobs',
  `
CREATE TABLE segment_jobs (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  org_id        TEXT NOT NULL,
  sandbox_id    TEXT NOT NULL,
  sandbox_name  TEXT NOT NULL,
  status        TEXT NOT NULL,
  source        TEXT NOT NULL,
  requested     TEXT NOT NULL,
  segments      TEXT NOT NULL,
  properties    TEXT NOT NULL,
  metrics       TEXT NOT NULL,
  errors        TEXT NOT NULL,
  request_id    TEXT NOT NULL,
  commit_state  TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX segment_jobs_scope ON segment_jobs (org_id, sandbox_id, created_at);
CREATE INDEX segment_jobs_status ON segment_jobs (status, seq);
`,
);

export type JobStatus = 'NEW' | 'QUEUED' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';
export const TERMINAL: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export interface JobSegmentSnapshot {
  segmentId: string;
  segment: {
    id: string;
    version: number;
    expression: { type: string; format: string; value: string };
    mergePolicyId: string;
    mergePolicy: { id: string; version: number };
  };
  /** False for a definition pulled in because a requested one references it with inSegment. */
  requested: boolean;
  segmentRefs: string[];
}

export interface JobError {
  code: string;
  msg: string;
  callStack?: string;
  segmentId?: string;
}

export interface JobRow {
  seq: number;
  id: string;
  orgId: string;
  sandboxId: string;
  sandboxName: string;
  status: JobStatus;
  source: 'api' | 'scheduler' | 'export';
  requested: string[] | '*';
  segments: JobSegmentSnapshot[];
  properties: Record<string, unknown>;
  metrics: Record<string, unknown>;
  errors: JobError[];
  requestId: string;
  commitState: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  seq: number;
  id: string;
  org_id: string;
  sandbox_id: string;
  sandbox_name: string;
  status: string;
  source: string;
  requested: string;
  segments: string;
  properties: string;
  metrics: string;
  errors: string;
  request_id: string;
  commit_state: string | null;
  created_at: number;
  updated_at: number;
}

function fromRow(r: Row): JobRow {
  return {
    seq: r.seq,
    id: r.id,
    orgId: r.org_id,
    sandboxId: r.sandbox_id,
    sandboxName: r.sandbox_name,
    status: r.status as JobStatus,
    source: r.source as JobRow['source'],
    requested: JSON.parse(r.requested) as JobRow['requested'],
    segments: JSON.parse(r.segments) as JobSegmentSnapshot[],
    properties: JSON.parse(r.properties) as Record<string, unknown>,
    metrics: JSON.parse(r.metrics) as Record<string, unknown>,
    errors: JSON.parse(r.errors) as JobError[],
    requestId: r.request_id,
    commitState: r.commit_state,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface Scope {
  orgId: string;
  sandboxId: string;
}

export function insertJob(db: ControlDb, job: Omit<JobRow, 'seq' | 'commitState'>): void {
  db.prepare(
    `INSERT INTO segment_jobs (id, org_id, sandbox_id, sandbox_name, status, source, requested, segments, properties, metrics,
       errors, request_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    job.id,
    job.orgId,
    job.sandboxId,
    job.sandboxName,
    job.status,
    job.source,
    JSON.stringify(job.requested),
    JSON.stringify(job.segments),
    JSON.stringify(job.properties),
    JSON.stringify(job.metrics),
    JSON.stringify(job.errors),
    job.requestId,
    job.createdAt,
    job.updatedAt,
  );
}

export function getJob(db: ControlDb, scope: Scope, id: string): JobRow | undefined {
  const r = db.prepare('SELECT * FROM segment_jobs WHERE org_id = ? AND sandbox_id = ? AND id = ?').get(scope.orgId, scope.sandboxId, id) as
    | Row
    | undefined;
  return r && fromRow(r);
}

/** A job by id alone (the runner's own bookkeeping). */
export function getJobById(db: ControlDb, id: string): JobRow | undefined {
  const r = db.prepare('SELECT * FROM segment_jobs WHERE id = ?').get(id) as Row | undefined;
  return r && fromRow(r);
}

export interface JobListOptions {
  offset: number;
  limit: number;
  status?: JobStatus;
  sort: { column: 'created_at' | 'updated_at' | 'status' | 'id'; dir: 'ASC' | 'DESC' };
  /** Exact filters: `source`, `status`, `id`, a property (`properties.x`) or a segment id. */
  source?: string;
  property?: { key: string; value: string };
  segmentId?: string;
}

export function listJobs(db: ControlDb, scope: Scope, o: JobListOptions): { items: JobRow[]; total: number } {
  const where = ['org_id = ?', 'sandbox_id = ?'];
  const params: unknown[] = [scope.orgId, scope.sandboxId];
  if (o.status) {
    where.push('status = ?');
    params.push(o.status);
  }
  if (o.source) {
    where.push('source = ?');
    params.push(o.source);
  }
  if (o.property) {
    where.push(`CAST(json_extract(properties, ?) AS TEXT) = ?`);
    params.push(`$.${o.property.key}`, o.property.value);
  }
  if (o.segmentId) {
    where.push(`EXISTS (SELECT 1 FROM json_each(segments) s WHERE json_extract(s.value, '$.segmentId') = ?)`);
    params.push(o.segmentId);
  }
  const w = where.join(' AND ');
  const rows = db
    .prepare(`SELECT * FROM segment_jobs WHERE ${w} ORDER BY ${o.sort.column} ${o.sort.dir}, seq ${o.sort.dir} LIMIT ? OFFSET ?`)
    .all(...params, o.limit, o.offset) as Row[];
  const { n } = db.prepare(`SELECT count(*) AS n FROM segment_jobs WHERE ${w}`).get(...params) as { n: number };
  return { items: rows.map(fromRow), total: n };
}

/** Sets the status when the job is in one of `from`; true when it changed. */
export function transition(db: ControlDb, id: string, from: readonly JobStatus[], to: JobStatus, now: number, patch: { metrics?: unknown; errors?: unknown } = {}): boolean {
  const sets = ['status = ?', 'updated_at = ?'];
  const params: unknown[] = [to, now];
  if (patch.metrics !== undefined) {
    sets.push('metrics = ?');
    params.push(JSON.stringify(patch.metrics));
  }
  if (patch.errors !== undefined) {
    sets.push('errors = ?');
    params.push(JSON.stringify(patch.errors));
  }
  const info = db
    .prepare(`UPDATE segment_jobs SET ${sets.join(', ')} WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`)
    .run(...params, id, ...from);
  return info.changes === 1;
}

export function updateMetrics(db: ControlDb, id: string, metrics: unknown, now: number): void {
  db.prepare('UPDATE segment_jobs SET metrics = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(metrics), now, id);
}

export function setCommitState(db: ControlDb, id: string, state: string | null, metrics: unknown, errors: unknown, now: number): void {
  db.prepare('UPDATE segment_jobs SET commit_state = ?, metrics = ?, errors = ?, updated_at = ? WHERE id = ?').run(
    state,
    JSON.stringify(metrics),
    JSON.stringify(errors),
    now,
    id,
  );
}

/** Jobs waiting (NEW, QUEUED, CANCELLING-before-start), oldest first, across sandboxes. */
export function pendingJobs(db: ControlDb): JobRow[] {
  return (db.prepare(`SELECT * FROM segment_jobs WHERE status IN ('NEW', 'QUEUED', 'CANCELLING') ORDER BY seq`).all() as Row[]).map(fromRow);
}

/** Jobs a previous process left PROCESSING (or CANCELLING while running). */
export function runningJobs(db: ControlDb): JobRow[] {
  return (db.prepare(`SELECT * FROM segment_jobs WHERE status IN ('PROCESSING', 'CANCELLING') ORDER BY seq`).all() as Row[]).map(fromRow);
}
