/**
 * Organisations, API clients and the studio admin user.
 *
 * The first organisation and its API client come from SEG_ORG_ID / SEG_CLIENT_ID /
 * SEG_CLIENT_SECRET, or are generated at first start. Secrets and the admin password are stored
 * as scrypt hashes only. A secret generated here cannot be recovered from the database, so it is
 * also written once to `${stateDir}/credentials.txt` (mode 0600) for `npm start` to print.
 */
import { randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { registerMigration, type ControlDb } from './db.js';
import { ensureProdSandbox } from './sandboxes.js';

registerMigration(
  '0100-foundation',
  `
  CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE api_clients (
    client_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE sandboxes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('production', 'development')),
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (org_id, name)
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_expiry ON sessions (expires_at);
`,
);

// ------------------------------------------------------------------ hashing

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** `scrypt$N$r$p$salt$hash` (base64url). */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export function verifySecret(secret: string, stored: string): boolean {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = scryptSync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// ------------------------------------------------------------------ records

export interface OrgRecord {
  id: string;
  name: string;
}

export interface ApiClientRecord {
  clientId: string;
  orgId: string;
  name: string;
}

export function getOrg(db: ControlDb, id: string): OrgRecord | undefined {
  return db.prepare('SELECT id, name FROM orgs WHERE id = ?').get(id) as OrgRecord | undefined;
}

export function firstOrg(db: ControlDb): OrgRecord | undefined {
  return db.prepare('SELECT id, name FROM orgs ORDER BY created_at, id LIMIT 1').get() as OrgRecord | undefined;
}

export function getClient(db: ControlDb, clientId: string): ApiClientRecord | undefined {
  return db
    .prepare('SELECT client_id AS clientId, org_id AS orgId, name FROM api_clients WHERE client_id = ?')
    .get(clientId) as ApiClientRecord | undefined;
}

/** The client when `secret` is its secret, else undefined (constant work either way). */
export function authenticateClient(db: ControlDb, clientId: string, secret: string): ApiClientRecord | undefined {
  const row = db
    .prepare('SELECT client_id AS clientId, org_id AS orgId, name, secret_hash AS hash FROM api_clients WHERE client_id = ?')
    .get(clientId) as (ApiClientRecord & { hash: string }) | undefined;
  const ok = verifySecret(secret, row?.hash ?? DUMMY_HASH);
  if (!row || !ok) return undefined;
  return { clientId: row.clientId, orgId: row.orgId, name: row.name };
}

/** The user's org when the password is right. */
export function authenticateUser(db: ControlDb, username: string, password: string): { username: string; orgId: string } | undefined {
  const row = db
    .prepare('SELECT username, org_id AS orgId, password_hash AS hash FROM users WHERE username = ?')
    .get(username) as { username: string; orgId: string; hash: string } | undefined;
  const ok = verifySecret(password, row?.hash ?? DUMMY_HASH);
  if (!row || !ok) return undefined;
  return { username: row.username, orgId: row.orgId };
}

const DUMMY_HASH = hashSecret(randomUUID());

/**
 * Creates another organisation with its `prod` sandbox and one API client; returns the client
 * secret (shown once). Used by tests and future admin tooling.
 */
export function createOrganization(
  db: ControlDb,
  input: { orgId?: string; name?: string; now: number },
): { org: OrgRecord; client: ApiClientRecord; clientSecret: string } {
  return db.transaction(() => {
    const org = { id: input.orgId ?? newOrgId(), name: input.name ?? 'Organisation' };
    db.prepare('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)').run(org.id, org.name, input.now);
    ensureProdSandbox(db, org.id, input.now);
    const client = { clientId: newClientId(), orgId: org.id, name: 'API client' };
    const clientSecret = newSecret();
    db.prepare('INSERT INTO api_clients (client_id, org_id, secret_hash, name, created_at) VALUES (?, ?, ?, ?, ?)').run(
      client.clientId,
      org.id,
      hashSecret(clientSecret),
      client.name,
      input.now,
    );
    return { org, client, clientSecret };
  })();
}

// ------------------------------------------------------------------ bootstrap

export const ADMIN_USER = 'admin';
export const CREDENTIALS_FILE = 'credentials.txt';

export interface Bootstrap {
  org: OrgRecord;
  client: ApiClientRecord;
  /** Set only when generated at this start (shown once). */
  generatedClientSecret: string | undefined;
  generatedAdminPassword: string | undefined;
}

const newOrgId = () => `${randomBytes(12).toString('hex').toUpperCase()}@AdobeOrg`;
const newClientId = () => randomBytes(16).toString('hex');
const newSecret = () => `p8e-${randomBytes(24).toString('base64url')}`;
const newPassword = () => randomBytes(12).toString('base64url');

/**
 * Ensures the first organisation, its API client and the admin user exist (from config or
 * generated), plus the org's `prod` sandbox. Environment values win over stored ones: a changed
 * SEG_CLIENT_SECRET / SEG_ADMIN_PASSWORD replaces the stored hash.
 */
export function bootstrapFirstOrg(
  db: ControlDb,
  config: Config,
  now: number,
  ensureProd: (orgId: string) => void,
): Bootstrap {
  return db.transaction((): Bootstrap => {
    let org = config.orgId ? getOrg(db, config.orgId) : firstOrg(db);
    if (!org) {
      org = { id: config.orgId ?? newOrgId(), name: 'Default organisation' };
      db.prepare('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)').run(org.id, org.name, now);
    }
    ensureProd(org.id);

    let generatedClientSecret: string | undefined;
    let client = config.clientId
      ? getClient(db, config.clientId)
      : (db
          .prepare('SELECT client_id AS clientId, org_id AS orgId, name FROM api_clients WHERE org_id = ? ORDER BY created_at LIMIT 1')
          .get(org.id) as ApiClientRecord | undefined);
    if (client && client.orgId !== org.id) {
      throw new Error(`SEG_CLIENT_ID ${client.clientId} belongs to organisation ${client.orgId}, not ${org.id}`);
    }
    if (!client) {
      client = { clientId: config.clientId ?? newClientId(), orgId: org.id, name: 'Default API client' };
      const secret = config.clientSecret ?? newSecret();
      if (!config.clientSecret) generatedClientSecret = secret;
      db.prepare('INSERT INTO api_clients (client_id, org_id, secret_hash, name, created_at) VALUES (?, ?, ?, ?, ?)').run(
        client.clientId,
        org.id,
        hashSecret(secret),
        client.name,
        now,
      );
    } else if (config.clientSecret && !authenticateClient(db, client.clientId, config.clientSecret)) {
      db.prepare('UPDATE api_clients SET secret_hash = ? WHERE client_id = ?').run(hashSecret(config.clientSecret), client.clientId);
    }

    let generatedAdminPassword: string | undefined;
    const admin = db.prepare('SELECT username FROM users WHERE username = ?').get(ADMIN_USER);
    if (!admin) {
      const password = config.adminPassword ?? newPassword();
      if (!config.adminPassword) generatedAdminPassword = password;
      db.prepare('INSERT INTO users (username, org_id, password_hash, created_at) VALUES (?, ?, ?, ?)').run(
        ADMIN_USER,
        org.id,
        hashSecret(password),
        now,
      );
    } else if (config.adminPassword && !authenticateUser(db, ADMIN_USER, config.adminPassword)) {
      db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(hashSecret(config.adminPassword), ADMIN_USER);
    }
    return { org, client, generatedClientSecret, generatedAdminPassword };
  })();
}

export interface StoredCredentials {
  orgId?: string;
  clientId?: string;
  clientSecret?: string;
  adminUser?: string;
  adminPassword?: string;
}

/** Writes/updates `credentials.txt` (KEY=value lines, mode 0600) with newly generated secrets. */
export function saveCredentials(stateDir: string, boot: Bootstrap): void {
  const file = path.join(stateDir, CREDENTIALS_FILE);
  const current = readCredentials(stateDir);
  const next: StoredCredentials = {
    ...current,
    orgId: boot.org.id,
    clientId: boot.client.clientId,
    ...(boot.generatedClientSecret ? { clientSecret: boot.generatedClientSecret } : {}),
    ...(boot.generatedAdminPassword ? { adminUser: ADMIN_USER, adminPassword: boot.generatedAdminPassword } : {}),
  };
  if (current.clientId !== undefined && current.clientId !== boot.client.clientId && !boot.generatedClientSecret) {
    delete next.clientSecret; // the stored secret belonged to another client
  }
  const lines = [
    '# Segmentation Service credentials generated at first start. Keep this file private.',
    `SEG_ORG_ID=${next.orgId ?? ''}`,
    `SEG_CLIENT_ID=${next.clientId ?? ''}`,
    ...(next.clientSecret ? [`SEG_CLIENT_SECRET=${next.clientSecret}`] : []),
    ...(next.adminPassword ? [`SEG_ADMIN_USER=${next.adminUser ?? ADMIN_USER}`, `SEG_ADMIN_PASSWORD=${next.adminPassword}`] : []),
    '',
  ];
  writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function readCredentials(stateDir: string): StoredCredentials {
  const file = path.join(stateDir, CREDENTIALS_FILE);
  if (!existsSync(file)) return {};
  const out: StoredCredentials = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, k, v] = m;
    if (k === 'SEG_ORG_ID') out.orgId = v;
    else if (k === 'SEG_CLIENT_ID') out.clientId = v;
    else if (k === 'SEG_CLIENT_SECRET') out.clientSecret = v;
    else if (k === 'SEG_ADMIN_USER') out.adminUser = v;
    else if (k === 'SEG_ADMIN_PASSWORD') out.adminPassword = v;
  }
  return out;
}
