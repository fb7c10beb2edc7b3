/**
 * Schedules (segmentation-api.md §7) and their firings, in the control database.
 *
 *   schedules         one row per schedule, scoped by (org_id, sandbox_id). `anchor_ms` is the instant
 *                     from which cron firings count: creation, or the last change of state/schedule
 *                     (a schedule never fires for periods before it was active with its expression).
 *   schedule_firings  every firing, cron or manual (trigger), with its scheduled time; UNIQUE
 *                     (schedule_id, scheduled_time) is the guard that no firing ever runs twice, also
 *                     across restarts and concurrent ticks. `job_id`/`job_kind` name what it created,
 *                     `error` why it created nothing.
 */
import { registerMigration, type ControlDb } from './db.js';

registerMigration(
  '0500-schedules',
  `
CREATE TABLE schedules (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  sandbox_id   TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  name         TEXT NOT NULL,
  description  TEXT,
  type         TEXT NOT NULL,
  schedule     TEXT NOT NULL,
  state        TEXT NOT NULL,
  properties   TEXT NOT NULL,
  anchor_ms    INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX schedules_scope ON schedules (org_id, sandbox_id, created_at);
CREATE TABLE schedule_firings (
  schedule_id    TEXT NOT NULL,
  scheduled_time INTEGER NOT NULL,
  fired_at       INTEGER NOT NULL,
  trigger        TEXT NOT NULL,
  job_kind       TEXT,
  job_id         TEXT,
  error          TEXT,
  UNIQUE (schedule_id, scheduled_time)
);
`,
);

export interface ScheduleRow {
  id: string;
  orgId: string;
  sandboxId: string;
  sandboxName: string;
  name: string;
  description: string | undefined;
  type: 'batch_segmentation' | 'export';
  schedule: string;
  state: 'active' | 'inactive';
  properties: Record<string, unknown>;
  anchorMs: number;
  createdAt: number;
  updatedAt: number;
}

export interface FiringRow {
  scheduleId: string;
  scheduledTime: number;
  firedAt: number;
  trigger: 'cron' | 'manual';
  jobKind: string | null;
  jobId: string | null;
  error: string | null;
}

interface Row {
  id: string;
  org_id: string;
  sandbox_id: string;
  sandbox_name: string;
  name: string;
  description: string | null;
  type: string;
  schedule: string;
  state: string;
  properties: string;
  anchor_ms: number;
  created_at: number;
  updated_at: number;
}

function fromRow(r: Row): ScheduleRow {
  return {
    id: r.id,
    orgId: r.org_id,
    sandboxId: r.sandbox_id,
    sandboxName: r.sandbox_name,
    name: r.name,
    description: r.description ?? undefined,
    type: r.type as ScheduleRow['type'],
    schedule: r.schedule,
    state: r.state as ScheduleRow['state'],
    properties: JSON.parse(r.properties) as Record<string, unknown>,
    anchorMs: r.anchor_ms,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface Scope {
  orgId: string;
  sandboxId: string;
}

export function insertSchedule(db: ControlDb, s: ScheduleRow): void {
  db.prepare(
    `INSERT INTO schedules (id, org_id, sandbox_id, sandbox_name, name, description, type, schedule, state, properties, anchor_ms, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    s.id,
    s.orgId,
    s.sandboxId,
    s.sandboxName,
    s.name,
    s.description ?? null,
    s.type,
    s.schedule,
    s.state,
    JSON.stringify(s.properties),
    s.anchorMs,
    s.createdAt,
    s.updatedAt,
  );
}

export function getSchedule(db: ControlDb, scope: Scope, id: string): ScheduleRow | undefined {
  const r = db.prepare('SELECT * FROM schedules WHERE org_id = ? AND sandbox_id = ? AND id = ?').get(scope.orgId, scope.sandboxId, id) as
    | Row
    | undefined;
  return r && fromRow(r);
}

export function listSchedules(db: ControlDb, scope: Scope, offset: number, limit: number): { items: ScheduleRow[]; total: number } {
  const rows = db
    .prepare('SELECT * FROM schedules WHERE org_id = ? AND sandbox_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?')
    .all(scope.orgId, scope.sandboxId, limit, offset) as Row[];
  const { n } = db.prepare('SELECT count(*) AS n FROM schedules WHERE org_id = ? AND sandbox_id = ?').get(scope.orgId, scope.sandboxId) as {
    n: number;
  };
  return { items: rows.map(fromRow), total: n };
}

/** Every active schedule (the scheduler's view, across sandboxes). */
export function activeSchedules(db: ControlDb): ScheduleRow[] {
  return (db.prepare(`SELECT * FROM schedules WHERE state = 'active' ORDER BY created_at, id`).all() as Row[]).map(fromRow);
}

export function updateSchedule(db: ControlDb, scope: Scope, id: string, patch: { state?: string; schedule?: string; anchorMs?: number }, now: number): void {
  const sets = ['updated_at = ?'];
  const params: unknown[] = [now];
  if (patch.state !== undefined) {
    sets.push('state = ?');
    params.push(patch.state);
  }
  if (patch.schedule !== undefined) {
    sets.push('schedule = ?');
    params.push(patch.schedule);
  }
  if (patch.anchorMs !== undefined) {
    sets.push('anchor_ms = ?');
    params.push(patch.anchorMs);
  }
  db.prepare(`UPDATE schedules SET ${sets.join(', ')} WHERE org_id = ? AND sandbox_id = ? AND id = ?`).run(...params, scope.orgId, scope.sandboxId, id);
}

export function deleteSchedule(db: ControlDb, scope: Scope, id: string): boolean {
  const info = db.prepare('DELETE FROM schedules WHERE org_id = ? AND sandbox_id = ? AND id = ?').run(scope.orgId, scope.sandboxId, id);
  if (info.changes) db.prepare('DELETE FROM schedule_firings WHERE schedule_id = ?').run(id);
  return info.changes === 1;
}

/** Records a firing; false when this (schedule, scheduled time) already fired. */
export function recordFiring(db: ControlDb, f: { scheduleId: string; scheduledTime: number; firedAt: number; trigger: 'cron' | 'manual' }): boolean {
  const info = db
    .prepare('INSERT OR IGNORE INTO schedule_firings (schedule_id, scheduled_time, fired_at, trigger) VALUES (?, ?, ?, ?)')
    .run(f.scheduleId, f.scheduledTime, f.firedAt, f.trigger);
  return info.changes === 1;
}

export function completeFiring(db: ControlDb, scheduleId: string, scheduledTime: number, result: { jobKind?: string; jobId?: string; error?: string }): void {
  db.prepare('UPDATE schedule_firings SET job_kind = ?, job_id = ?, error = ? WHERE schedule_id = ? AND scheduled_time = ?').run(
    result.jobKind ?? null,
    result.jobId ?? null,
    result.error ?? null,
    scheduleId,
    scheduledTime,
  );
}

function firingFromRow(r: Record<string, unknown>): FiringRow {
  return {
    scheduleId: String(r.schedule_id),
    scheduledTime: Number(r.scheduled_time),
    firedAt: Number(r.fired_at),
    trigger: r.trigger as FiringRow['trigger'],
    jobKind: (r.job_kind as string | null) ?? null,
    jobId: (r.job_id as string | null) ?? null,
    error: (r.error as string | null) ?? null,
  };
}

/** The last recorded firing of a schedule; with `cronOnly`, the cron firing of the latest scheduled time. */
export function lastFiring(db: ControlDb, scheduleId: string, cronOnly = false): FiringRow | undefined {
  const r = db
    .prepare(
      `SELECT * FROM schedule_firings WHERE schedule_id = ? ${cronOnly ? "AND trigger = 'cron'" : ''} ORDER BY ${cronOnly ? 'scheduled_time' : 'rowid'} DESC LIMIT 1`,
    )
    .get(scheduleId) as Record<string, unknown> | undefined;
  return r && firingFromRow(r);
}

export function listFirings(db: ControlDb, scheduleId: string): FiringRow[] {
  return (db.prepare('SELECT * FROM schedule_firings WHERE schedule_id = ? ORDER BY scheduled_time').all(scheduleId) as Record<string, unknown>[]).map(
    firingFromRow,
  );
}
