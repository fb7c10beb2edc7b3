/**
 * Segment definitions in the control database (segmentation-api.md §2.1, §3).
 *
 *   segment_definitions       one row per definition, keyed by id, scoped by (org_id, sandbox_id);
 *                             `name` unique per sandbox, ASCII case-insensitively ([decision] §11.12)
 *   segment_definition_refs   the inSegment edges (from_id → to_id), same scope; to_id references a
 *                             definition (so a referenced one cannot disappear under a dependent)
 *   segment_search            FTS5 index of the searchable fields (control/search.ts), written in the
 *                             same transaction as the row: never out of sync, even after a crash
 *
 * Every function takes (orgId, sandboxId) and never sees another sandbox's rows.
 *
 * For other modules (previews, jobs): `getDefinition`, `getDefinitions`, `listAllDefinitions`
 * (id, name, expression, segmentRefs of a sandbox, for evaluating inSegment dependencies).
 */
import { createHash } from 'node:crypto';
import type { DefinitionEligibility, EvaluationInfo, EvaluationInfoComputed, PqlExpression } from '@seg/shared';
import { registerMigration, type ControlDb } from './db.js';

registerMigration(
  '0200-definitions',
  `
CREATE TABLE segment_definitions (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL,
  sandbox_id     TEXT NOT NULL,
  name           TEXT NOT NULL,
  description    TEXT,
  folder         TEXT,
  body           TEXT NOT NULL,
  evaluation     TEXT NOT NULL,
  eligibility    TEXT NOT NULL,
  profile_only   INTEGER NOT NULL,
  batch_enabled       INTEGER NOT NULL,
  continuous_enabled  INTEGER NOT NULL,
  synchronous_enabled INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  created_by     TEXT NOT NULL
);
CREATE UNIQUE INDEX segment_definitions_name ON segment_definitions (org_id, sandbox_id, name COLLATE NOCASE);
CREATE INDEX segment_definitions_created ON segment_definitions (org_id, sandbox_id, created_at);
CREATE TABLE segment_definition_refs (
  org_id     TEXT NOT NULL,
  sandbox_id TEXT NOT NULL,
  from_id    TEXT NOT NULL REFERENCES segment_definitions (id) ON DELETE CASCADE,
  to_id      TEXT NOT NULL REFERENCES segment_definitions (id),
  PRIMARY KEY (from_id, to_id)
);
CREATE INDEX segment_definition_refs_to ON segment_definition_refs (org_id, sandbox_id, to_id);
CREATE VIRTUAL TABLE segment_search USING fts5 (
  definition_id UNINDEXED,
  org_id UNINDEXED,
  sandbox_id UNINDEXED,
  segmentId,
  segmentName,
  segmentDescription,
  folderId,
  parentFolderId,
  folderLocation,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE segment_search_vocab USING fts5vocab (segment_search, 'col');
`,
);

/** The fields a client chose (stored as sent, returned unchanged). */
export interface DefinitionBody {
  schema: { name?: string; id?: string };
  expression: PqlExpression;
  evaluationInfo?: EvaluationInfo;
  profileInstanceId: string;
  payloadSchema?: string;
  mergePolicyId?: string;
  ttlInDays?: number;
}

export interface DefinitionRecord {
  id: string;
  orgId: string;
  sandboxId: string;
  name: string;
  description: string | undefined;
  folder: string | undefined;
  body: DefinitionBody;
  evaluationInfo: EvaluationInfoComputed;
  eligibility: DefinitionEligibility;
  profileOnly: boolean;
  segmentRefs: string[];
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

export interface Scope {
  orgId: string;
  sandboxId: string;
}

interface Row {
  id: string;
  org_id: string;
  sandbox_id: string;
  name: string;
  description: string | null;
  folder: string | null;
  body: string;
  evaluation: string;
  eligibility: string;
  profile_only: number;
  created_at: number;
  updated_at: number;
  created_by: string;
  refs: string | null;
}

const SELECT = `SELECT d.*, (SELECT json_group_array(to_id) FROM segment_definition_refs r WHERE r.from_id = d.id) AS refs
  FROM segment_definitions d`;

function fromRow(r: Row): DefinitionRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    sandboxId: r.sandbox_id,
    name: r.name,
    description: r.description ?? undefined,
    folder: r.folder ?? undefined,
    body: JSON.parse(r.body) as DefinitionBody,
    evaluationInfo: JSON.parse(r.evaluation) as EvaluationInfoComputed,
    eligibility: JSON.parse(r.eligibility) as DefinitionEligibility,
    profileOnly: r.profile_only === 1,
    segmentRefs: r.refs ? (JSON.parse(r.refs) as string[]) : [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
  };
}

// ---------------------------------------------------------------- folders

export const ROOT_FOLDER = 'root';

/** The id of a folder path in a sandbox (deterministic). */
export function folderId(path: string): string {
  return createHash('sha256').update(`folder:${path}`).digest('hex').slice(0, 32);
}

/** "a/b/c" → ["a", "a/b", "a/b/c"]. */
export function folderPrefixes(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

export function normalizeFolder(path: string | null | undefined): string | undefined {
  if (path === null || path === undefined) return undefined;
  const parts = path
    .split('/')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return parts.length ? parts.join('/') : undefined;
}

// ---------------------------------------------------------------- reads

export function getDefinition(db: ControlDb, scope: Scope, id: string): DefinitionRecord | undefined {
  const row = db.prepare(`${SELECT} WHERE d.org_id = ? AND d.sandbox_id = ? AND d.id = ?`).get(scope.orgId, scope.sandboxId, id) as
    | Row
    | undefined;
  return row && fromRow(row);
}

export function getDefinitions(db: ControlDb, scope: Scope, ids: readonly string[]): Map<string, DefinitionRecord> {
  const out = new Map<string, DefinitionRecord>();
  const stmt = db.prepare(`${SELECT} WHERE d.org_id = ? AND d.sandbox_id = ? AND d.id = ?`);
  for (const id of new Set(ids)) {
    const row = stmt.get(scope.orgId, scope.sandboxId, id) as Row | undefined;
    if (row) out.set(id, fromRow(row));
  }
  return out;
}

/** Every definition of the sandbox (for dependency graphs and evaluation), oldest first. */
export function listAllDefinitions(db: ControlDb, scope: Scope): DefinitionRecord[] {
  return (db.prepare(`${SELECT} WHERE d.org_id = ? AND d.sandbox_id = ? ORDER BY d.created_at, d.id`).all(scope.orgId, scope.sandboxId) as Row[]).map(
    fromRow,
  );
}

/** id → {name, profileOnly, segmentRefs} of every definition of the sandbox (light). */
export function definitionGraph(db: ControlDb, scope: Scope): Map<string, { name: string; profileOnly: boolean; segmentRefs: string[] }> {
  const rows = db
    .prepare(
      `SELECT d.id, d.name, d.profile_only,
         (SELECT json_group_array(to_id) FROM segment_definition_refs r WHERE r.from_id = d.id) AS refs
       FROM segment_definitions d WHERE d.org_id = ? AND d.sandbox_id = ?`,
    )
    .all(scope.orgId, scope.sandboxId) as { id: string; name: string; profile_only: number; refs: string }[];
  return new Map(rows.map((r) => [r.id, { name: r.name, profileOnly: r.profile_only === 1, segmentRefs: JSON.parse(r.refs) as string[] }]));
}

export type SortField = 'creationTime' | 'updateTime' | 'updateEpoch' | 'name' | 'id' | 'description';
const SORT_COLUMNS: Record<SortField, string> = {
  creationTime: 'd.created_at',
  updateTime: 'd.updated_at',
  updateEpoch: 'd.updated_at',
  name: 'd.name COLLATE NOCASE',
  id: 'd.id',
  description: 'd.description COLLATE NOCASE',
};

export interface ListOptions {
  offset: number;
  limit: number;
  sort: { field: SortField; dir: 'asc' | 'desc' }[];
  filters: { batch?: boolean; continuous?: boolean; synchronous?: boolean };
}

export function listDefinitions(db: ControlDb, scope: Scope, o: ListOptions): { items: DefinitionRecord[]; total: number } {
  const where = ['d.org_id = ?', 'd.sandbox_id = ?'];
  const params: unknown[] = [scope.orgId, scope.sandboxId];
  const flag = (col: string, v: boolean | undefined) => {
    if (v === undefined) return;
    where.push(`d.${col} = ?`);
    params.push(v ? 1 : 0);
  };
  flag('batch_enabled', o.filters.batch);
  flag('continuous_enabled', o.filters.continuous);
  flag('synchronous_enabled', o.filters.synchronous);
  const order = [...o.sort.map((s) => `${SORT_COLUMNS[s.field]} ${s.dir === 'asc' ? 'ASC' : 'DESC'}`), 'd.id ASC'].join(', ');
  const w = where.join(' AND ');
  const rows = db.prepare(`${SELECT} WHERE ${w} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...params, o.limit, o.offset) as Row[];
  const { n } = db.prepare(`SELECT count(*) AS n FROM segment_definitions d WHERE ${w}`).get(...params) as { n: number };
  return { items: rows.map(fromRow), total: n };
}

/** The definitions of the sandbox that reference `id` with inSegment. */
export function dependentsOf(db: ControlDb, scope: Scope, id: string): { id: string; name: string }[] {
  return db
    .prepare(
      `SELECT d.id, d.name FROM segment_definition_refs r JOIN segment_definitions d ON d.id = r.from_id
       WHERE r.org_id = ? AND r.sandbox_id = ? AND r.to_id = ? ORDER BY d.name, d.id`,
    )
    .all(scope.orgId, scope.sandboxId, id) as { id: string; name: string }[];
}

// ---------------------------------------------------------------- writes

export class DuplicateNameError extends Error {
  constructor(name: string) {
    super(`A segment definition named ${JSON.stringify(name)} already exists in this sandbox.`);
    this.name = 'DuplicateNameError';
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function writeSearchRow(db: ControlDb, rec: DefinitionRecord): void {
  db.prepare('DELETE FROM segment_search WHERE definition_id = ?').run(rec.id);
  const fid = rec.folder ? folderId(rec.folder) : ROOT_FOLDER;
  db.prepare(
    `INSERT INTO segment_search (definition_id, org_id, sandbox_id, segmentId, segmentName, segmentDescription, folderId, parentFolderId, folderLocation)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(rec.id, rec.orgId, rec.sandboxId, rec.id, rec.name, rec.description ?? '', fid, fid, rec.folder ?? '');
}

function writeRefs(db: ControlDb, rec: DefinitionRecord): void {
  db.prepare('DELETE FROM segment_definition_refs WHERE from_id = ?').run(rec.id);
  const ins = db.prepare('INSERT OR IGNORE INTO segment_definition_refs (org_id, sandbox_id, from_id, to_id) VALUES (?, ?, ?, ?)');
  for (const to of new Set(rec.segmentRefs)) ins.run(rec.orgId, rec.sandboxId, rec.id, to);
}

function rowParams(rec: DefinitionRecord): unknown[] {
  return [
    rec.name,
    rec.description ?? null,
    rec.folder ?? null,
    JSON.stringify(rec.body),
    JSON.stringify(rec.evaluationInfo),
    JSON.stringify(rec.eligibility),
    rec.profileOnly ? 1 : 0,
    rec.evaluationInfo.batch.enabled ? 1 : 0,
    rec.evaluationInfo.continuous.enabled ? 1 : 0,
    rec.evaluationInfo.synchronous.enabled ? 1 : 0,
    rec.updatedAt,
  ];
}

/**
 * Inserts or overwrites (same id and scope) a definition with its references and its search row,
 * in one transaction. Throws DuplicateNameError when the name is taken in the sandbox.
 */
export function saveDefinition(db: ControlDb, rec: DefinitionRecord, mode: 'insert' | 'update'): void {
  try {
    db.transaction(() => {
      if (mode === 'insert') {
        db.prepare(
          `INSERT INTO segment_definitions (name, description, folder, body, evaluation, eligibility, profile_only,
             batch_enabled, continuous_enabled, synchronous_enabled, updated_at, id, org_id, sandbox_id, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...rowParams(rec), rec.id, rec.orgId, rec.sandboxId, rec.createdAt, rec.createdBy);
      } else {
        const res = db
          .prepare(
            `UPDATE segment_definitions SET name = ?, description = ?, folder = ?, body = ?, evaluation = ?, eligibility = ?,
               profile_only = ?, batch_enabled = ?, continuous_enabled = ?, synchronous_enabled = ?, updated_at = ?
             WHERE id = ? AND org_id = ? AND sandbox_id = ?`,
          )
          .run(...rowParams(rec), rec.id, rec.orgId, rec.sandboxId);
        if (res.changes !== 1) throw new Error(`definition ${rec.id} vanished during the update`);
      }
      writeRefs(db, rec);
      writeSearchRow(db, rec);
    })();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DuplicateNameError(rec.name);
    throw err;
  }
}

/** Deletes a definition (and its references and search row); false when absent. */
export function deleteDefinition(db: ControlDb, scope: Scope, id: string): boolean {
  return db.transaction(() => {
    const res = db.prepare('DELETE FROM segment_definitions WHERE org_id = ? AND sandbox_id = ? AND id = ?').run(scope.orgId, scope.sandboxId, id);
    if (res.changes === 0) return false;
    db.prepare('DELETE FROM segment_search WHERE definition_id = ?').run(id);
    return true;
  })();
}
