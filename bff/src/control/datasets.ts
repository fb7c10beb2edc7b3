/**
 * Datasets, batches and their files (Catalog / Data Access subset used by export jobs).
 *
 * Tables (migration 0600-datasets), every row keyed by (org_id, sandbox_id):
 *   datasets(id, name, description, schema_ref JSON, tags JSON, format, created, updated, created_client)
 *   batches(id, dataset_id, status, format, record_count, profile_count, event_count, bytes,
 *           export_job_id, created, started, completed, created_client)
 *   dataset_files(id, batch_id, dataset_id, name, bytes, records, content_type, created)
 *
 * A batch row and its file rows are inserted only once its files are complete and in place
 * (`commitBatch`, in the caller's transaction): a batch that is visible is whole.
 *
 * Files: `${SEG_STATE_DIR}/datasets/<org>/<sandbox>/<datasetId>/<batchId>/<name>` (path segments
 * URI-encoded). Writers work in `<datasetId>/.tmp-<batchId>/` and rename it into place.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PROFILE_UNION_SCHEMA, type ExportFormat } from '@seg/shared';
import { registerMigration, type ControlDb } from './db.js';

registerMigration(
  '0600-datasets',
  `CREATE TABLE datasets (
     id TEXT PRIMARY KEY,
     org_id TEXT NOT NULL,
     sandbox_id TEXT NOT NULL,
     name TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     schema_ref TEXT NOT NULL,
     tags TEXT NOT NULL DEFAULT '{}',
     format TEXT NOT NULL DEFAULT 'parquet',
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL,
     created_client TEXT NOT NULL DEFAULT ''
   );
   CREATE INDEX datasets_scope ON datasets(org_id, sandbox_id, created, id);
   CREATE TABLE batches (
     id TEXT PRIMARY KEY,
     org_id TEXT NOT NULL,
     sandbox_id TEXT NOT NULL,
     dataset_id TEXT NOT NULL REFERENCES datasets(id),
     status TEXT NOT NULL,
     format TEXT NOT NULL,
     record_count INTEGER NOT NULL DEFAULT 0,
     profile_count INTEGER NOT NULL DEFAULT 0,
     event_count INTEGER NOT NULL DEFAULT 0,
     bytes INTEGER NOT NULL DEFAULT 0,
     export_job_id INTEGER,
     created INTEGER NOT NULL,
     started INTEGER NOT NULL,
     completed INTEGER NOT NULL,
     created_client TEXT NOT NULL DEFAULT ''
   );
   CREATE INDEX batches_dataset ON batches(org_id, sandbox_id, dataset_id, created);
   CREATE TABLE dataset_files (
     id TEXT PRIMARY KEY,
     org_id TEXT NOT NULL,
     sandbox_id TEXT NOT NULL,
     batch_id TEXT NOT NULL REFERENCES batches(id),
     dataset_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     name TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     records INTEGER NOT NULL,
     content_type TEXT NOT NULL,
     created INTEGER NOT NULL
   );
   CREATE INDEX dataset_files_batch ON dataset_files(batch_id, seq);`,
);

export interface Scope {
  orgId: string;
  sandboxId: string;
}

export interface DatasetRecord {
  id: string;
  orgId: string;
  sandboxId: string;
  name: string;
  description: string;
  schemaRef: { id: string; contentType: string };
  tags: Record<string, string[]>;
  format: ExportFormat;
  created: number;
  updated: number;
  createdClient: string;
}

export interface BatchRecord {
  id: string;
  orgId: string;
  sandboxId: string;
  datasetId: string;
  status: 'success' | 'failed' | 'aborted' | 'loading';
  format: ExportFormat;
  recordCount: number;
  profileCount: number;
  eventCount: number;
  bytes: number;
  exportJobId: number | null;
  created: number;
  started: number;
  completed: number;
  createdClient: string;
}

export interface FileRecord {
  id: string;
  batchId: string;
  datasetId: string;
  seq: number;
  name: string;
  bytes: number;
  records: number;
  contentType: string;
  created: number;
}

/** A Catalog-style id: 24 lowercase hex digits. */
export function catalogId(): string {
  return randomBytes(12).toString('hex');
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  parquet: 'application/vnd.apache.parquet',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};
export const EXTENSIONS: Record<ExportFormat, string> = { parquet: 'parquet', ndjson: 'ndjson', csv: 'csv' };

const seg = (s: string) => encodeURIComponent(s);

/** `${stateDir}/datasets` */
export function datasetsRoot(stateDir: string): string {
  return path.join(stateDir, 'datasets');
}
export function datasetDir(stateDir: string, orgId: string, sandboxName: string, datasetId: string): string {
  return path.join(datasetsRoot(stateDir), seg(orgId), seg(sandboxName), seg(datasetId));
}
export const TEMP_PREFIX = '.tmp-';

// ------------------------------------------------------------------ datasets

interface DatasetRow {
  id: string;
  org_id: string;
  sandbox_id: string;
  name: string;
  description: string;
  schema_ref: string;
  tags: string;
  format: ExportFormat;
  created: number;
  updated: number;
  created_client: string;
}

function datasetFromRow(r: DatasetRow): DatasetRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    sandboxId: r.sandbox_id,
    name: r.name,
    description: r.description,
    schemaRef: JSON.parse(r.schema_ref) as DatasetRecord['schemaRef'],
    tags: JSON.parse(r.tags) as Record<string, string[]>,
    format: r.format,
    created: r.created,
    updated: r.updated,
    createdClient: r.created_client,
  };
}

export function createDataset(
  db: ControlDb,
  scope: Scope,
  input: {
    name: string;
    description?: string;
    schemaRef?: { id: string; contentType?: string };
    tags?: Record<string, string[]>;
    format?: ExportFormat;
    createdClient: string;
  },
  now: number,
): DatasetRecord {
  const rec: DatasetRecord = {
    id: catalogId(),
    orgId: scope.orgId,
    sandboxId: scope.sandboxId,
    name: input.name,
    description: input.description ?? '',
    schemaRef: {
      id: input.schemaRef?.id ?? PROFILE_UNION_SCHEMA,
      contentType: input.schemaRef?.contentType ?? 'application/vnd.adobe.xed-full+json;version=1',
    },
    tags: input.tags ?? {},
    format: input.format ?? 'parquet',
    created: now,
    updated: now,
    createdClient: input.createdClient,
  };
  db.prepare(
    `INSERT INTO datasets (id, org_id, sandbox_id, name, description, schema_ref, tags, format, created, updated, created_client)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    rec.id,
    rec.orgId,
    rec.sandboxId,
    rec.name,
    rec.description,
    JSON.stringify(rec.schemaRef),
    JSON.stringify(rec.tags),
    rec.format,
    rec.created,
    rec.updated,
    rec.createdClient,
  );
  return rec;
}

export function getDataset(db: ControlDb, scope: Scope, id: string): DatasetRecord | undefined {
  const row = db
    .prepare('SELECT * FROM datasets WHERE org_id = ? AND sandbox_id = ? AND id = ?')
    .get(scope.orgId, scope.sandboxId, id) as DatasetRow | undefined;
  return row && datasetFromRow(row);
}

export function listDatasets(
  db: ControlDb,
  scope: Scope,
  o: { limit: number; start: number; name?: string },
): { items: DatasetRecord[]; total: number } {
  const where = `org_id = ? AND sandbox_id = ?${o.name !== undefined ? ' AND name = ?' : ''}`;
  const params: unknown[] = [scope.orgId, scope.sandboxId, ...(o.name !== undefined ? [o.name] : [])];
  const total = (db.prepare(`SELECT count(*) AS n FROM datasets WHERE ${where}`).get(...params) as { n: number }).n;
  const rows = db
    .prepare(`SELECT * FROM datasets WHERE ${where} ORDER BY created, id LIMIT ? OFFSET ?`)
    .all(...params, o.limit, o.start) as DatasetRow[];
  return { items: rows.map(datasetFromRow), total };
}

/** The dataset's newest batch (for lastBatchId / lastBatchStatus). */
export function lastBatch(db: ControlDb, scope: Scope, datasetId: string): BatchRecord | undefined {
  const row = db
    .prepare('SELECT * FROM batches WHERE org_id = ? AND sandbox_id = ? AND dataset_id = ? ORDER BY completed DESC, rowid DESC LIMIT 1')
    .get(scope.orgId, scope.sandboxId, datasetId) as BatchRow | undefined;
  return row && batchFromRow(row);
}

// ------------------------------------------------------------------ batches and files

interface BatchRow {
  id: string;
  org_id: string;
  sandbox_id: string;
  dataset_id: string;
  status: BatchRecord['status'];
  format: ExportFormat;
  record_count: number;
  profile_count: number;
  event_count: number;
  bytes: number;
  export_job_id: number | null;
  created: number;
  started: number;
  completed: number;
  created_client: string;
}

function batchFromRow(r: BatchRow): BatchRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    sandboxId: r.sandbox_id,
    datasetId: r.dataset_id,
    status: r.status,
    format: r.format,
    recordCount: r.record_count,
    profileCount: r.profile_count,
    eventCount: r.event_count,
    bytes: r.bytes,
    exportJobId: r.export_job_id,
    created: r.created,
    started: r.started,
    completed: r.completed,
    createdClient: r.created_client,
  };
}

export function getBatch(db: ControlDb, scope: Scope, id: string): BatchRecord | undefined {
  const row = db
    .prepare('SELECT * FROM batches WHERE org_id = ? AND sandbox_id = ? AND id = ?')
    .get(scope.orgId, scope.sandboxId, id) as BatchRow | undefined;
  return row && batchFromRow(row);
}

/** Every batch id of every sandbox (recovery: batch directories without a batch row are orphans). */
export function allBatchIds(db: ControlDb): Set<string> {
  return new Set((db.prepare('SELECT id FROM batches').all() as { id: string }[]).map((r) => r.id));
}

interface FileRow {
  id: string;
  batch_id: string;
  dataset_id: string;
  seq: number;
  name: string;
  bytes: number;
  records: number;
  content_type: string;
  created: number;
}

function fileFromRow(r: FileRow): FileRecord {
  return {
    id: r.id,
    batchId: r.batch_id,
    datasetId: r.dataset_id,
    seq: r.seq,
    name: r.name,
    bytes: r.bytes,
    records: r.records,
    contentType: r.content_type,
    created: r.created,
  };
}

export function listBatchFiles(db: ControlDb, scope: Scope, batchId: string): FileRecord[] {
  return (
    db
      .prepare('SELECT * FROM dataset_files WHERE org_id = ? AND sandbox_id = ? AND batch_id = ? ORDER BY seq')
      .all(scope.orgId, scope.sandboxId, batchId) as FileRow[]
  ).map(fileFromRow);
}

export function getFile(db: ControlDb, scope: Scope, id: string): FileRecord | undefined {
  const row = db
    .prepare('SELECT * FROM dataset_files WHERE org_id = ? AND sandbox_id = ? AND id = ?')
    .get(scope.orgId, scope.sandboxId, id) as FileRow | undefined;
  return row && fileFromRow(row);
}

/**
 * Makes a complete batch visible: inserts the batch and its files. Call inside the transaction
 * that also records the export job's success, after the files were renamed into place.
 */
export function commitBatch(
  db: ControlDb,
  batch: Omit<BatchRecord, 'status'>,
  files: Omit<FileRecord, 'batchId' | 'datasetId' | 'created'>[],
): void {
  db.prepare(
    `INSERT INTO batches (id, org_id, sandbox_id, dataset_id, status, format, record_count, profile_count, event_count, bytes,
                          export_job_id, created, started, completed, created_client)
     VALUES (?, ?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    batch.id,
    batch.orgId,
    batch.sandboxId,
    batch.datasetId,
    batch.format,
    batch.recordCount,
    batch.profileCount,
    batch.eventCount,
    batch.bytes,
    batch.exportJobId,
    batch.created,
    batch.started,
    batch.completed,
    batch.createdClient,
  );
  const insert = db.prepare(
    `INSERT INTO dataset_files (id, org_id, sandbox_id, batch_id, dataset_id, seq, name, bytes, records, content_type, created)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const f of files) {
    insert.run(f.id, batch.orgId, batch.sandboxId, batch.id, batch.datasetId, f.seq, f.name, f.bytes, f.records, f.contentType, batch.completed);
  }
  db.prepare('UPDATE datasets SET updated = ? WHERE id = ?').run(batch.completed, batch.datasetId);
}
