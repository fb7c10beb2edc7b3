/**
 * Studio browser sessions (table from migration 0100-foundation). The cookie holds a random id;
 * the table keeps only its SHA-256, so a copy of the database opens no session. Each session has
 * its CSRF token, required on mutations (`x-csrf-token`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ControlDb } from './db.js';

export interface SessionRecord {
  username: string;
  orgId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

export function createSession(
  db: ControlDb,
  user: { username: string; orgId: string },
  ttlSeconds: number,
): { id: string; session: SessionRecord } {
  const id = randomBytes(32).toString('base64url');
  const now = Date.now();
  const session: SessionRecord = {
    username: user.username,
    orgId: user.orgId,
    csrfToken: randomBytes(24).toString('base64url'),
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
  };
  db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(now);
  db.prepare(
    'INSERT INTO sessions (id_hash, username, org_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(hashId(id), session.username, session.orgId, session.csrfToken, session.createdAt, session.expiresAt);
  return { id, session };
}

/** The live session for a cookie value, or undefined (unknown or expired). */
export function getSession(db: ControlDb, id: string): SessionRecord | undefined {
  const row = db
    .prepare(
      'SELECT username, org_id AS orgId, csrf_token AS csrfToken, created_at AS createdAt, expires_at AS expiresAt FROM sessions WHERE id_hash = ?',
    )
    .get(hashId(id)) as SessionRecord | undefined;
  if (!row || row.expiresAt <= Date.now()) return undefined;
  return row;
}

export function deleteSession(db: ControlDb, id: string): void {
  db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashId(id));
}
