/**
 * The scheduler: fires active schedules (control/schedules.ts) on their Quartz cron (UTC).
 *
 *   getScheduler(services, { clock? })  the scheduler of a Services (created and started on first
 *                                       use; stopped by services.close()). `clock` (default
 *                                       Date.now — the wall clock, not SEG_NOW) anchors new and
 *                                       changed schedules and drives the automatic ticks.
 *   scheduler.tick(nowMs)               fires what is due at nowMs; returns the firings it made.
 *                                       Tests drive it with their own instants.
 *   scheduler.trigger(schedule)         §7.8: fires now (manual), whatever the state.
 *
 * Automatic ticks every config.schedulerTickMs (SEG_SCHEDULER_TICK_MS, default 30000; 0 = only
 * explicit tick()).
 *
 * Rules: a schedule is due when a cron firing falls in (since, now], since = max(anchor, its last
 * cron firing). Only the LATEST such firing runs: after downtime a missed firing runs once, not once
 * per missed period. The firing is recorded (schedule_firings, UNIQUE (schedule_id, scheduled_time))
 * in the same SQLite transaction that creates the segment job, so a firing never runs twice and
 * never gets lost between the two. Export schedules create their export job right after recording
 * the firing (createExportJob of jobs/exportJobs.ts); a failure is recorded on the firing.
 *
 * Firing a batch_segmentation schedule: createSegmentJob(source 'scheduler', segments `*` or the
 * listed ids, properties {scheduleId, runId}). Firing an export schedule: createExportJob with the
 * body in properties.exportJob, { source: 'scheduler', properties: {scheduleId, runId} }.
 */
import { randomUUID } from 'node:crypto';
import { activeSchedules, completeFiring, lastFiring, recordFiring, type ScheduleRow } from '../control/schedules.js';
import { getSandbox, type SandboxRecord } from '../control/sandboxes.js';
import { ApiError } from '../http/errors.js';
import type { Services } from '../services.js';
import { CronError, parseQuartz } from './cron.js';
import { createSegmentJob } from './segmentJobs.js';

export interface Firing {
  scheduleId: string;
  scheduledTime: number;
  trigger: 'cron' | 'manual';
  jobKind?: 'segment' | 'export';
  jobId?: string;
  error?: string;
}

const schedulers = new WeakMap<Services, Scheduler>();

export function getScheduler(services: Services, options: { clock?: () => number } = {}): Scheduler {
  let s = schedulers.get(services);
  if (!s) {
    s = new Scheduler(services, options.clock ?? (() => Date.now()));
    schedulers.set(services, s);
    const sched = s;
    services.onClose(() => sched.stop());
    s.start();
  }
  return s;
}

function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly services: Services,
    readonly clock: () => number,
  ) {}

  start(): void {
    const ms = this.services.config.schedulerTickMs;
    if (ms === 0) return;
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.tick(this.clock())
          .catch((err: unknown) => this.services.log.error({ err }, 'scheduler tick failed'))
          .finally(loop);
      }, ms);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Fires every active schedule due at `nowMs` (at most once each). */
  async tick(nowMs: number): Promise<Firing[]> {
    const out: Firing[] = [];
    for (const s of activeSchedules(this.services.db)) {
      let cron;
      try {
        cron = parseQuartz(s.schedule);
      } catch (err) {
        if (err instanceof CronError) continue;
        throw err;
      }
      const last = lastFiring(this.services.db, s.id, true);
      const since = Math.max(s.anchorMs, last?.scheduledTime ?? -Infinity);
      const due = cron.latestAtOrBefore(nowMs, since);
      if (due === undefined) continue;
      const f = await this.fire(s, due, 'cron', nowMs);
      if (f) out.push(f);
    }
    return out;
  }

  /** §7.8 trigger: fires the schedule now. */
  async trigger(schedule: ScheduleRow): Promise<Firing | undefined> {
    const now = this.clock();
    return this.fire(schedule, now, 'manual', now);
  }

  private sandboxOf(s: ScheduleRow): SandboxRecord | undefined {
    return getSandbox(this.services.db, s.orgId, s.sandboxName);
  }

  private async fire(s: ScheduleRow, scheduledTime: number, trigger: 'cron' | 'manual', firedAt: number): Promise<Firing | undefined> {
    const { db, log } = this.services;
    const sandbox = this.sandboxOf(s);
    const properties = { scheduleId: s.id, runId: randomUUID() };
    if (s.type === 'batch_segmentation') {
      return db.transaction((): Firing | undefined => {
        if (!recordFiring(db, { scheduleId: s.id, scheduledTime, firedAt, trigger })) return undefined;
        const f: Firing = { scheduleId: s.id, scheduledTime, trigger, jobKind: 'segment' };
        try {
          if (!sandbox) throw new Error(`The sandbox ${s.sandboxName} no longer exists.`);
          const raw = Array.isArray(s.properties.segments) ? (s.properties.segments as string[]) : ['*'];
          const segmentIds = raw.includes('*') ? '*' : raw;
          const job = createSegmentJob(this.services, { orgId: s.orgId, sandbox }, { segmentIds, source: 'scheduler', properties });
          f.jobId = job.id;
        } catch (err) {
          f.error = `The scheduled segment job could not be created: ${errorMessage(err)}`;
          log.warn({ scheduleId: s.id, err }, f.error);
        }
        completeFiring(db, s.id, scheduledTime, f);
        return f;
      })();
    }
    if (!recordFiring(db, { scheduleId: s.id, scheduledTime, firedAt, trigger })) return undefined;
    const f: Firing = { scheduleId: s.id, scheduledTime, trigger, jobKind: 'export' };
    try {
      if (!sandbox) throw new Error(`The sandbox ${s.sandboxName} no longer exists.`);
      let mod: { createExportJob?: unknown };
      try {
        mod = (await import('./exportJobs.js')) as { createExportJob?: unknown };
      } catch (err) {
        throw new Error(`export jobs are not available in this build (${errorMessage(err)})`, { cause: err });
      }
      if (typeof mod.createExportJob !== 'function') throw new Error('export jobs are not available in this build (createExportJob missing)');
      const create = mod.createExportJob as (
        services: Services,
        ctx: { orgId: string; sandbox: SandboxRecord },
        body: unknown,
        options: { source: 'scheduler'; properties: Record<string, unknown> },
      ) => { id: number | string } | Promise<{ id: number | string }>;
      const job = await create(this.services, { orgId: s.orgId, sandbox }, s.properties.exportJob, { source: 'scheduler', properties });
      f.jobId = String(job.id);
    } catch (err) {
      f.error = `The scheduled export job could not be created: ${errorMessage(err)}`;
      log.warn({ scheduleId: s.id, err }, f.error);
    }
    completeFiring(db, s.id, scheduledTime, f);
    return f;
  }
}
