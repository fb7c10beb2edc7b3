/**
 * Export jobs in the control database (migration 0700-exports). Integer ids (AUTOINCREMENT, never
 * reused); every query filters on (org_id, sandbox_id).
 *
 *   insertExportJob(db, rec) → id       getExportJob(db, scope, id)       deleteExportJob(db, scope, id)
 *   listExportJobs(db, scope, {limit, after?: {ms, id}, status?})   newest first (creation ms, id)
 *   updateExportJob(db, id, patch)      failInFlightExports(db, reason, now)   (startup recovery)
 */
import type { ExportFormat, ExportJobCreate, ExportJobStatus } from '@seg/shared';
import { registerMigration, type ControlDb } from './db.js';

registerMigration(
  '0700-exports',
  `CREATE TABLE export_jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     org_id TEXT NOT NULL,
     sandbox_id TEXT NOT NULL,
     sandbox_name TEXT NOT NULL,
     status TEXT NOT NULL,
     source TEXT NOT NULL,
     properties TEXT,
     request TEXT NOT NULL,
     dataset_id TEXT NOT NULL,
     batch_id TEXT,
     batches TEXT,
     format TEXT NOT NULL,
     segment_job_id TEXT,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     errors TEXT NOT NULL DEFAULT '[]',
     metrics TEXT NOT NULL DEFAULT '{}',
     request_id TEXT NOT NULL,
     created_client TEXT NOT NULL DEFAULT '',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX export_jobs_list ON export_jobs(org_id, sandbox_id, created_at DESC, id DESC);
   CREATE INDEX export_jobs_status ON export_jobs(status);`,
);

export interface ExportScope {
  orgId: string;
  sandboxId: string;
}

export interface ExportJobError {
  code: string;
  msg: string;
  callStack?: string;
}

export interface Timing {
  startTimeInMs?: number;
  endTimeInMs?: number;
  totalTimeInMs?: number;
}

export interface ExportMetrics {
  totalTime: Timing;
  profileExportTime: Timing;
  aCPDatasetWriteTime: Timing;
  totalExportedProfileCounter?: number;
  exportedProfileByNamespaceCounter?: Record<string, number>;
  exportedEventCounter?: number;
  sizeInBytes?: number;
  progress?: { stage: string; profilesTotal?: number; profilesDone?: number; percent: number };
}

export interface ExportBatchRef {
  segmentId: string;
  segmentNs: string;
  status: string[];
  batchId: string;
}

export interface ExportJobRecord {
  id: number;
  orgId: string;
  sandboxId: string;
  sandboxName: string;
  status: ExportJobStatus;
  source: 'api' | 'scheduler';
  properties: Record<string, unknown> | undefined;
  /** The validated request (defaults applied). */
  request: ExportJobCreate;
  datasetId: string;
  /** The one batch (segmentPerBatch false). */
  batchId: string | undefined;
  /** One batch per segment (segmentPerBatch true). */
  batches: ExportBatchRef[] | undefined;
  format: ExportFormat;
  segmentJobId: string | undefined;
  cancelRequested: boolean;
  errors: ExportJobError[];
  metrics: ExportMetrics;
  requestId: string;
  createdClient: string;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: number;
  org_id: string;
  sandbox_id: string;
  sandbox_name: string;
  status: ExportJobStatus;
  source: 'api' | 'scheduler';
  properties: string | null;
  request: string;
  dataset_id: string;
  batch_id: string | null;
  batches: string | null;
  format: ExportFormat;
  segment_job_id: string | null;
  cancel_requested: number;
  errors: string;
  metrics: string;
  request_id: string;
  created_client: string;
  created_at: number;
  updated_at: number;
}

function fromRow(r: Row): ExportJobRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    sandboxId: r.sandbox_id,
    sandboxName: r.sandbox_name,
    status: r.status,
    source: r.source,
    properties: r.properties === null ? undefined : (JSON.parse(r.properties) as Record<string, unknown>),
    request: JSON.parse(r.request) as ExportJobCreate,
    datasetId: r.dataset_id,
    batchId: r.batch_id ?? undefined,
    batches: r.batches === null ? undefined : (JSON.parse(r.batches) as ExportBatchRef[]),
    format: r.format,
    segmentJobId: r.segment_job_id ?? undefined,
    cancelRequested: r.cancel_requested === 1,
    errors: JSON.parse(r.errors) as ExportJobError[],
    metrics: JSON.parse(r.metrics) as ExportMetrics,
    requestId: r.request_id,
    createdClient: r.created_client,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const TERMINAL: ReadonlySet<ExportJobStatus> = new Set(['SUCCEEDED', 'FAILED']);

export function insertExportJob(db: ControlDb, rec: Omit<ExportJobRecord, 'id'>): ExportJobRecord {
  const info = db
    .prepare(
      `INSERT INTO export_jobs (org_id, sandbox_id, sandbox_name, status, source, properties, request, dataset_id, batch_id, batches,
         format, segment_job_id, cancel_requested, errors, metrics, request_id, created_client, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      rec.orgId,
      rec.sandboxId,
      rec.sandboxName,
      rec.status,
      rec.source,
      rec.properties === undefined ? null : JSON.stringify(rec.properties),
      JSON.stringify(rec.request),
      rec.datasetId,
      rec.batchId ?? null,
      rec.batches === undefined ? null : JSON.stringify(rec.batches),
      rec.format,
      rec.segmentJobId ?? null,
      rec.cancelRequested ? 1 : 0,
      JSON.stringify(rec.errors),
      JSON.stringify(rec.metrics),
      rec.requestId,
      rec.createdClient,
      rec.createdAt,
      rec.updatedAt,
    );
  return { ...rec, id: Number(info.lastInsertRowid) };
}

export function getExportJob(db: ControlDb, scope: ExportScope, id: number): ExportJobRecord | undefined {
  const row = db
    .prepare('SELECT * FROM export_jobs WHERE org_id = ? AND sandbox_id = ? AND id = ?')
    .get(scope.orgId, scope.sandboxId, id) as Row | undefined;
  return row && fromRow(row);
}

/** By id alone (the runner, which already owns the job). */
export function getExportJobById(db: ControlDb, id: number): ExportJobRecord | undefined {
  const row = db.prepare('SELECT * FROM export_jobs WHERE id = ?').get(id) as Row | undefined;
  return row && fromRow(row);
}

export function listExportJobs(
  db: ControlDb,
  scope: ExportScope,
  o: { limit: number; after?: { ms: number; id: number }; status?: ExportJobStatus },
): ExportJobRecord[] {
  const where = ['org_id = ?', 'sandbox_id = ?'];
  const params: unknown[] = [scope.orgId, scope.sandboxId];
  if (o.status) {
    where.push('status = ?');
    params.push(o.status);
  }
  if (o.after) {
    where.push('(created_at < ? OR (created_at = ? AND id < ?))');
    params.push(o.after.ms, o.after.ms, o.after.id);
  }
  const rows = db
    .prepare(`SELECT * FROM export_jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .all(...params, o.limit) as Row[];
  return rows.map(fromRow);
}

export interface ExportJobPatch {
  status?: ExportJobStatus;
  errors?: ExportJobError[];
  metrics?: ExportMetrics;
  segmentJobId?: string;
  cancelRequested?: boolean;
}

export function updateExportJob(db: ControlDb, id: number, patch: ExportJobPatch, now: number): void {
  const sets: string[] = ['updated_at = ?'];
  const params: unknown[] = [now];
  if (patch.status !== undefined) {
    sets.push('status = ?');
    params.push(patch.status);
  }
  if (patch.errors !== undefined) {
    sets.push('errors = ?');
    params.push(JSON.stringify(patch.errors));
  }
  if (patch.metrics !== undefined) {
    sets.push('metrics = ?');
    params.push(JSON.stringify(patch.metrics));
  }
  if (patch.segmentJobId !== undefined) {
    sets.push('segment_job_id = ?');
    params.push(patch.segmentJobId);
  }
  if (patch.cancelRequested !== undefined) {
    sets.push('cancel_requested = ?');
    params.push(patch.cancelRequested ? 1 : 0);
  }
  db.prepare(`UPDATE export_jobs SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
}

export function deleteExportJob(db: ControlDb, scope: ExportScope, id: number): boolean {
  return db.prepare('DELETE FROM export_jobs WHERE org_id = ? AND sandbox_id = ? AND id = ?').run(scope.orgId, scope.sandboxId, id).changes > 0;
}

/**
 * Startup recovery: every job left NEW or PROCESSING by a previous process (killed or stopped)
 * becomes FAILED with `reason`. Returns the ids.
 */
export function failInFlightExports(db: ControlDb, reason: ExportJobError, now: number): number[] {
  return db.transaction(() => {
    const rows = db.prepare(`SELECT * FROM export_jobs WHERE status IN ('NEW', 'PROCESSING')`).all() as Row[];
    for (const r of rows) {
      const rec = fromRow(r);
      const metrics = { ...rec.metrics };
      delete metrics.progress;
      updateExportJob(db, rec.id, { status: 'FAILED', errors: [...rec.errors, reason], metrics }, now);
    }
    return rows.map((r) => r.id);
  })();
}
