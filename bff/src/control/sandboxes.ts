/**
 * CONTRACT — sandboxes (table created by migration 0100-foundation in control/clients.ts).
 *
 *   SandboxRecord {id, orgId, name, title, type: 'production'|'development', isDefault, createdAt, updatedAt, createdBy}
 *   sandboxRef(record) → {sandboxId, sandboxName, type, default}   // the §1.3 object echoed by resources
 *   getSandbox(db, orgId, name) / listSandboxes(db, orgId, {limit, offset}) / createSandbox(db, ...)
 *
 * Resource tables key rows by `sandbox_id` (the uuid), never by name alone.
 */
import { randomUUID } from 'node:crypto';
import type { ControlDb } from './db.js';

export type SandboxType = 'production' | 'development';

export interface SandboxRecord {
  id: string;
  orgId: string;
  name: string;
  title: string;
  type: SandboxType;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

/** The sandbox object resources echo (segmentation-api.md §1.3). */
export interface SandboxRef {
  sandboxId: string;
  sandboxName: string;
  type: SandboxType;
  default: boolean;
}

export function sandboxRef(s: SandboxRecord): SandboxRef {
  return { sandboxId: s.id, sandboxName: s.name, type: s.type, default: s.isDefault };
}

export const PROD_SANDBOX = 'prod';
/** Sandbox names: lowercase letters, digits and hyphens, starting with a letter or digit. */
export const SANDBOX_NAME_RE = /^[a-z0-9][a-z0-9-]{0,254}$/;

interface Row {
  id: string;
  org_id: string;
  name: string;
  title: string;
  type: SandboxType;
  is_default: number;
  created_at: number;
  updated_at: number;
  created_by: string;
}

function fromRow(r: Row): SandboxRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    title: r.title,
    type: r.type,
    isDefault: r.is_default === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
  };
}

/** The org's sandbox by exact (lowercase) name; never another org's. */
export function getSandbox(db: ControlDb, orgId: string, name: string): SandboxRecord | undefined {
  const row = db.prepare('SELECT * FROM sandboxes WHERE org_id = ? AND name = ?').get(orgId, name) as Row | undefined;
  return row && fromRow(row);
}

export function listSandboxes(
  db: ControlDb,
  orgId: string,
  page: { limit: number; offset: number },
): { items: SandboxRecord[]; total: number } {
  const rows = db
    .prepare('SELECT * FROM sandboxes WHERE org_id = ? ORDER BY is_default DESC, created_at, name LIMIT ? OFFSET ?')
    .all(orgId, page.limit, page.offset) as Row[];
  const { n } = db.prepare('SELECT count(*) AS n FROM sandboxes WHERE org_id = ?').get(orgId) as { n: number };
  return { items: rows.map(fromRow), total: n };
}

/** Inserts a sandbox; returns undefined when the name is taken in that org. */
export function createSandbox(
  db: ControlDb,
  input: { orgId: string; name: string; title: string; type: SandboxType; isDefault?: boolean; createdBy: string; now: number },
): SandboxRecord | undefined {
  const id = randomUUID();
  const res = db
    .prepare(
      `INSERT INTO sandboxes (id, org_id, name, title, type, is_default, created_at, updated_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, name) DO NOTHING`,
    )
    .run(id, input.orgId, input.name, input.title, input.type, input.isDefault ? 1 : 0, input.now, input.now, input.createdBy);
  if (res.changes === 0) return undefined;
  return getSandbox(db, input.orgId, input.name);
}

/** Creates the org's default production sandbox `prod` when absent. */
export function ensureProdSandbox(db: ControlDb, orgId: string, now: number): SandboxRecord {
  return (
    getSandbox(db, orgId, PROD_SANDBOX) ??
    createSandbox(db, {
      orgId,
      name: PROD_SANDBOX,
      title: 'Production',
      type: 'production',
      isDefault: true,
      createdBy: 'system',
      now,
    })!
  );
}
