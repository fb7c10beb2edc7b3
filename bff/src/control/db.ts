/**
 * CONTRACT — the control-plane database (SQLite via better-sqlite3, WAL, synchronous=FULL so a
 * committed write survives `kill -9` and power loss).
 *
 * Migrations: every control module registers its own, at module top level:
 *
 *   // bff/src/control/definitions.ts
 *   registerMigration('0200-definitions', `CREATE TABLE definitions (...)`);
 *
 * Names are unique; migrations run in name order (`localeCompare`-free: plain code-unit order), each
 * once, each in its own transaction, recorded in `schema_migrations`. `openControlDb` applies every
 * migration registered so far; a migration registered later (its module imported after the
 * database opened) is applied to every open database at registration. So no shared list needs
 * editing: create your module, import it from your route file. Never edit an applied migration;
 * add a new one. Name prefixes in use: 0100-foundation (orgs, clients, sandboxes, sessions).
 * Suggested: 0200-definitions, 0300-previews, 0400-jobs, 0500-exports, 0600-schedules, 0700-search.
 *
 * Every table holding user resources must carry `org_id` and `sandbox_id` columns and every query
 * must filter on both (sandbox isolation, segmentation-api.md §1.3).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type ControlDb = Database.Database;
export type MigrationStep = string | ((db: ControlDb) => void);

interface Migration {
  name: string;
  up: MigrationStep;
}

const migrations = new Map<string, Migration>();
const openDbs = new Set<ControlDb>();

/** Registers a migration (idempotent for the same name and SQL). */
export function registerMigration(name: string, up: MigrationStep): void {
  const existing = migrations.get(name);
  if (existing) {
    if (typeof up === 'string' && typeof existing.up === 'string' && up !== existing.up) {
      throw new Error(`Migration "${name}" is registered twice with different content`);
    }
    return;
  }
  migrations.set(name, { name, up });
  for (const db of openDbs) applyMigrations(db);
}

export function registeredMigrations(): string[] {
  return [...migrations.keys()].sort();
}

function applyMigrations(db: ControlDb): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name),
  );
  for (const name of registeredMigrations()) {
    if (applied.has(name)) continue;
    const m = migrations.get(name)!;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(name, Date.now());
    })();
  }
}

/** Opens (creating when absent) the control database and applies the registered migrations. */
export function openControlDb(file: string): ControlDb {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db);
  openDbs.add(db);
  const close = db.close.bind(db);
  db.close = () => {
    openDbs.delete(db);
    return close();
  };
  return db;
}
