/**
 * The segment-job runner: executes the durable queue of control/jobs.ts.
 *
 *   getRunner(services)   the runner of a Services (created and started on first use; stopped,
 *                         then the services closed, by `services.close()` through its onClose hook).
 *   runner.wake()         look at the queue now (else every SEG_JOB_POLL_MS, default 500 ms)
 *   runner.cancel(id)     interrupt the job's running DuckDB statement (the API already set CANCELLING)
 *   runner.changed(ms)    resolves at the next job state change (or after ms)
 *
 * Queue rules: NEW jobs move to QUEUED; per sandbox the oldest QUEUED job is claimed (→ PROCESSING)
 * only when no job of that sandbox is PROCESSING — at most one evaluation per sandbox; sandboxes run
 * in parallel. A job CANCELLING before it started becomes CANCELLED.
 *
 * Recovery at start: a job a previous process left PROCESSING becomes FAILED with "the server
 * stopped while the job was running" (CANCELLING → CANCELLED), unless it was in its membership
 * commit (`commit_state = 'committing'`): then DuckDB decides — heads switched → SUCCEEDED, else
 * FAILED. Rows such a job wrote are removed before the sandbox's next job (membership.ts).
 *
 * Execution of one job (one pass over the data):
 *   1. check every definition of the snapshot (analyzeExpression against the sandbox schema),
 *      cycles, dependents of failures, compile (SqlProgram) — failures become per-segment errors;
 *   2. one statement evaluates all definitions: a temp table (pk, identity, s0…sN) of the profiles
 *      qualifying for at least one (inSegment within the job compiled in place; outside it, the
 *      latest successful membership via membershipCondition);
 *   3. per segment, an INSERT computes realized/existing/exited against the previous head;
 *   4. metrics from the written rows; commit_state + metrics to SQLite; ONE DuckDB transaction
 *      switches the heads; SQLite status SUCCEEDED.
 * Every statement runs on one interruptible connection: DELETE interrupts the running statement.
 */
import { EventEmitter } from 'node:events';
import { analyzeExpression, type CheckedQuery, type PqlExpression } from '@seg/shared';
import { listAllDefinitions } from '../control/definitions.js';
import {
  getJobById,
  pendingJobs,
  runningJobs,
  setCommitState,
  transition,
  updateMetrics,
  type JobError,
  type JobRow,
} from '../control/jobs.js';
import { CompileError, SqlProgram, type SegmentReference } from '../engine/compiler/compile.js';
import { findCycles } from '../engine/dependencies.js';
import { InterruptedError, type SandboxDb } from '../engine/sandboxDb.js';
import type { SandboxData } from '../data/dataPlane.js';
import { ApiError } from '../http/errors.js';
import type { Services } from '../services.js';
import {
  ensureMembershipTables,
  HEAD_TABLE,
  jobCommitted,
  MEMBERSHIP_TABLE,
  membershipCondition,
  removeOrphans,
  timestampParam,
} from './membership.js';

export const STOPPED_REASON = 'the server stopped while the job was running';
const SHUTDOWN_REASON = 'the server shut down while the job was running';

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

class CancelledError extends Error {}

const runners = new WeakMap<Services, JobRunner>();

/** The runner of these services (created, recovered and started on first call). */
export function getRunner(services: Services): JobRunner {
  let r = runners.get(services);
  if (!r) {
    r = new JobRunner(services);
    runners.set(services, r);
    const runner = r;
    services.onClose(() => runner.stop());
    r.start();
  }
  return r;
}

export class JobRunner {
  private readonly running = new Map<string, Running>();
  /** Sandboxes whose interrupted commit must be checked in DuckDB first: jobId → row. */
  private readonly toReconcile = new Map<string, JobRow>();
  private readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pumping = false;
  private again = false;

  constructor(private readonly services: Services) {
    this.events.setMaxListeners(0);
  }

  start(): void {
    this.recover();
    this.schedule();
  }

  private recover(): void {
    const now = this.services.now();
    for (const job of runningJobs(this.services.db)) {
      if (job.status === 'CANCELLING') {
        transition(this.services.db, job.id, ['CANCELLING'], 'CANCELLED', now);
      } else if (job.commitState === 'committing') {
        this.toReconcile.set(job.id, job);
      } else {
        this.fail(job, STOPPED_REASON, 'SERVER_STOPPED');
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pump().finally(() => this.schedule());
    }, this.services.config.jobPollMs);
    this.timer.unref();
  }

  wake(): void {
    if (this.stopped) return;
    void this.pump();
  }

  cancel(jobId: string): void {
    this.running.get(jobId)?.controller.abort(new CancelledError('cancelled'));
    this.wake();
    this.emit();
  }

  /** Resolves at the next state change, after `ms`, or when `signal` aborts. */
  changed(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.events.off('change', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.events.once('change', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private emit(): void {
    this.events.emit('change');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const r of this.running.values()) r.controller.abort(new Error(SHUTDOWN_REASON));
    await Promise.all([...this.running.values()].map((r) => r.done.catch(() => undefined)));
  }

  /** Wall-clock timestamps for the resource (services.now() may be a fixed SEG_NOW). */
  private stamp(): number {
    return this.services.now();
  }

  private fail(job: JobRow, msg: string, code: string, metrics?: unknown): void {
    transition(this.services.db, job.id, ['PROCESSING', 'CANCELLING', 'QUEUED', 'NEW'], 'FAILED', this.stamp(), {
      errors: [...job.errors, { code, msg }],
      ...(metrics !== undefined ? { metrics } : {}),
    });
    this.emit();
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.reconcile();
        this.step();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.services.log.error({ err }, 'segment job runner failed');
    } finally {
      this.pumping = false;
    }
  }

  private async reconcile(): Promise<void> {
    for (const [id, job] of this.toReconcile) {
      let data: SandboxData;
      try {
        data = await this.services.dataPlane.forSandbox(job.orgId, job.sandboxName);
      } catch {
        continue; // data still loading: later
      }
      await ensureMembershipTables(data.db);
      if (await jobCommitted(data.db, id)) {
        transition(this.services.db, id, ['PROCESSING', 'CANCELLING'], 'SUCCEEDED', this.stamp());
      } else {
        this.fail(job, STOPPED_REASON, 'SERVER_STOPPED');
      }
      this.toReconcile.delete(id);
      this.emit();
    }
  }

  private step(): void {
    if (this.stopped) return;
    const busy = new Set<string>();
    for (const id of this.running.keys()) {
      const j = getJobById(this.services.db, id);
      if (j) busy.add(j.sandboxId);
    }
    for (const j of this.toReconcile.values()) busy.add(j.sandboxId);
    const now = this.stamp();
    for (const job of pendingJobs(this.services.db)) {
      if (job.status === 'CANCELLING') {
        if (!this.running.has(job.id) && transition(this.services.db, job.id, ['CANCELLING'], 'CANCELLED', now)) this.emit();
        continue;
      }
      if (job.status === 'NEW') {
        transition(this.services.db, job.id, ['NEW'], 'QUEUED', now);
        this.emit();
      }
      if (busy.has(job.sandboxId)) continue;
      if (!transition(this.services.db, job.id, ['QUEUED'], 'PROCESSING', now)) continue;
      busy.add(job.sandboxId);
      this.emit();
      const controller = new AbortController();
      const entry: Running = { controller, done: Promise.resolve() };
      this.running.set(job.id, entry);
      entry.done = this.execute(job, controller.signal).finally(() => {
        this.running.delete(job.id);
        this.emit();
        this.wake();
      });
    }
  }

  // ---------------------------------------------------------------- one job

  private async execute(job: JobRow, signal: AbortSignal): Promise<void> {
    const { db, log } = this.services;
    const t0 = Date.now();
    const metrics: Record<string, unknown> = {
      totalTime: { startTimeInMs: t0 },
      profileSegmentationTime: {},
      progress: { profilesDone: 0, totalProfiles: 0, stage: 'opening' },
    };
    try {
      let data: SandboxData;
      try {
        data = await this.services.dataPlane.forSandbox(job.orgId, job.sandboxName);
      } catch (err) {
        if (err instanceof ApiError && err.status === 503 && !this.stopped && !signal.aborted && /loading/.test(err.detail)) {
          // the data is not loaded yet: back to the queue
          transition(db, job.id, ['PROCESSING'], 'QUEUED', this.stamp());
          return;
        }
        throw err;
      }
      const result = await this.evaluate(job, data, metrics, signal);
      if (result === 'failed') return;
      transition(db, job.id, ['PROCESSING', 'CANCELLING'], 'SUCCEEDED', this.stamp());
    } catch (err) {
      const reason: unknown = signal.aborted ? signal.reason : undefined;
      const end = Date.now();
      metrics.totalTime = { startTimeInMs: t0, endTimeInMs: end, totalTimeInMs: end - t0 };
      if (reason instanceof CancelledError) {
        transition(db, job.id, ['CANCELLING', 'PROCESSING'], 'CANCELLED', this.stamp(), { metrics });
      } else if (reason instanceof Error) {
        this.fail(job, reason.message, 'SERVER_STOPPED', metrics);
      } else {
        const msg = err instanceof ApiError ? err.detail : err instanceof Error ? err.message.split('\n')[0]! : String(err);
        log.warn({ err, jobId: job.id }, 'segment job failed');
        this.fail(job, `The job failed: ${msg}`, 'JOB_FAILED', metrics);
      }
    } finally {
      this.emit();
    }
  }

  private progress(job: JobRow, metrics: Record<string, unknown>, p: { profilesDone: number; totalProfiles: number; stage: string }): void {
    metrics.progress = p;
    updateMetrics(this.services.db, job.id, metrics, this.stamp());
    this.emit();
  }

  /** Returns 'failed' when it recorded a FAILED state itself. */
  private async evaluate(job: JobRow, data: SandboxData, metrics: Record<string, unknown>, signal: AbortSignal): Promise<'ok' | 'failed'> {
    const control = this.services.db;
    const db = data.db;
    const total = data.profileCount;
    const now = this.services.now();
    const t0 = (metrics.totalTime as { startTimeInMs: number }).startTimeInMs;
    await ensureMembershipTables(db);
    await removeOrphans(db);
    metrics.totalProfiles = total;
    this.progress(job, metrics, { profilesDone: 0, totalProfiles: total, stage: 'checking' });

    // 1. check, cycles, dependencies, compile
    const errors: JobError[] = [];
    const failed = new Set<string>();
    const known = new Set([...listAllDefinitions(control, { orgId: job.orgId, sandboxId: job.sandboxId }).map((d) => d.id), ...job.segments.map((s) => s.segmentId)]);
    const checked = new Map<string, CheckedQuery>();
    for (const s of job.segments) {
      const a = analyzeExpression(s.segment.expression as PqlExpression, { schema: data.schema, knownSegmentIds: known });
      if (a.errors.length) {
        const e = a.errors[0]!;
        errors.push({ code: 'INVALID_DEFINITION', segmentId: s.segmentId, msg: `Segment ${s.segmentId} does not check: ${e.message} (line ${e.line}, column ${e.column})` });
        failed.add(s.segmentId);
      } else checked.set(s.segmentId, a.checked);
    }
    for (const cycle of findCycles([...checked].map(([id, q]) => ({ id, segmentRefs: q.segmentRefs })))) {
      for (const id of new Set(cycle)) {
        if (failed.has(id)) continue;
        failed.add(id);
        checked.delete(id);
        errors.push({ code: 'SEGMENT_CYCLE', segmentId: id, msg: `Segments reference each other in a cycle: ${cycle.join(' → ')}` });
      }
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, q] of checked) {
        const bad = q.segmentRefs.find((r) => failed.has(r));
        if (bad === undefined) continue;
        checked.delete(id);
        failed.add(id);
        errors.push({ code: 'DEPENDENCY_FAILED', segmentId: id, msg: `Segment ${id} references segment ${bad}, which could not be evaluated.` });
        changed = true;
      }
    }
    const p = new SqlProgram({
      dialect: data.target.dialect,
      layout: data.target.layout,
      now,
      resolveSegment: (id): SegmentReference => {
        const query = checked.get(id);
        return query ? { kind: 'inline', query } : { kind: 'membership' };
      },
      membershipCondition,
    });
    const columns: { id: string; sql: string }[] = [];
    for (const [id, q] of checked) {
      try {
        columns.push({ id, sql: p.condition(q) });
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        errors.push({ code: 'COMPILE_ERROR', segmentId: id, msg: `Segment ${id} cannot be evaluated: ${e.message}` });
      }
    }
    if (columns.length === 0) {
      const end = Date.now();
      metrics.totalTime = { startTimeInMs: t0, endTimeInMs: end, totalTimeInMs: end - t0 };
      delete metrics.progress;
      transition(control, job.id, ['PROCESSING', 'CANCELLING'], 'FAILED', this.stamp(), {
        metrics,
        errors: [...errors, { code: 'JOB_FAILED', msg: 'No definition of the job could be evaluated.' }],
      });
      return 'failed';
    }

    // 2.–3. evaluate in one pass, write the membership rows under the job id
    this.progress(job, metrics, { profilesDone: 0, totalProfiles: total, stage: 'evaluating' });
    const tEval = Date.now();
    const select = columns.map((c, i) => `${c.sql} AS s${i}`).join(', ');
    const evalTable = '__seg_job_eval';
    const evalSql = p.params.finish(
      `CREATE TEMP TABLE ${evalTable} AS SELECT * FROM (SELECT p.pk, p.primary_ns, p.primary_id, ${select} FROM ${p.fromClause()}) AS batch WHERE ${columns
        .map((_c, i) => `s${i}`)
        .join(' OR ')}`,
    );
    const ids = columns.map((c) => c.id);
    const job_ = db.session(async (session) => {
      const dropEval = `DROP TABLE IF EXISTS ${db.tempSchema}.${evalTable}`;
      try {
        await session.run(dropEval);
        await session.run(evalSql.sql, evalSql.values);
        const tEvalEnd = Date.now();
        metrics.profileSegmentationTime = { startTimeInMs: tEval, endTimeInMs: tEvalEnd, totalTimeInMs: tEvalEnd - tEval };
        this.progress(job, metrics, { profilesDone: total, totalProfiles: total, stage: 'writing membership' });
        for (let i = 0; i < ids.length; i++) {
          if (signal.aborted) throw new InterruptedError('cancelled');
          // entered (realized), stayed (existing, first qualification kept) and left (exited)
          await session.run(
            `INSERT INTO ${MEMBERSHIP_TABLE} (segment_id, pk, status, qualification_time, job_id, primary_ns, primary_id)
             WITH prev AS (
               SELECT m.pk, m.primary_ns, m.primary_id, m.qualification_time FROM ${MEMBERSHIP_TABLE} m
               JOIN ${HEAD_TABLE} h ON h.segment_id = m.segment_id AND h.job_id = m.job_id
               WHERE m.segment_id = $1 AND m.status IN ('realized', 'existing')),
             cur AS (SELECT pk, primary_ns, primary_id FROM ${evalTable} WHERE s${i})
             SELECT $1, cur.pk, CASE WHEN prev.primary_id IS NULL THEN 'realized' ELSE 'existing' END,
                    coalesce(prev.qualification_time, CAST($3 AS TIMESTAMP)), $2, cur.primary_ns, cur.primary_id
             FROM cur LEFT JOIN prev ON prev.primary_ns = cur.primary_ns AND prev.primary_id = cur.primary_id
             UNION ALL
             SELECT $1, prev.pk, 'exited', prev.qualification_time, $2, prev.primary_ns, prev.primary_id
             FROM prev WHERE NOT EXISTS (
               SELECT 1 FROM cur WHERE cur.primary_ns = prev.primary_ns AND cur.primary_id = prev.primary_id)`,
            [ids[i]!, job.id, timestampParam(now)],
          );
        }
        return await session.all(
          `SELECT segment_id, status, primary_ns, count(*) AS n FROM ${MEMBERSHIP_TABLE} WHERE job_id = $1 GROUP BY 1, 2, 3`,
          [job.id],
        );
      } finally {
        await session.run(dropEval).catch(() => undefined);
      }
    });
    const onAbort = () => job_.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) job_.cancel();
    let counts;
    try {
      counts = await job_.promise;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }

    // 4. metrics, commit
    const byStatus: Record<string, { realized: number; existing: number; exited: number }> = {};
    const counter: Record<string, number> = {};
    const byNs: Record<string, Record<string, number>> = {};
    const byPolicy: Record<string, number> = {};
    for (const id of ids) {
      byStatus[id] = { realized: 0, existing: 0, exited: 0 };
      counter[id] = 0;
      byNs[id] = {};
    }
    for (const r of counts) {
      const id = String(r.segment_id);
      const status = String(r.status) as 'realized' | 'existing' | 'exited';
      const n = Number(r.n);
      byStatus[id]![status] += n;
      if (status !== 'exited') {
        counter[id]! += n;
        const ns = String(r.primary_ns);
        byNs[id]![ns] = (byNs[id]![ns] ?? 0) + n;
      }
    }
    for (const s of job.segments) if (ids.includes(s.segmentId)) byPolicy[s.segment.mergePolicyId] = total;
    const end = Date.now();
    Object.assign(metrics, {
      totalTime: { startTimeInMs: t0, endTimeInMs: end, totalTimeInMs: end - t0 },
      totalProfiles: total,
      segmentedProfileCounter: counter,
      segmentedProfileByNamespaceCounter: byNs,
      segmentedProfileByStatusCounter: byStatus,
      totalProfilesByMergePolicy: byPolicy,
    });
    delete metrics.progress;
    if (signal.aborted) throw new InterruptedError('cancelled');
    setCommitState(control, job.id, 'committing', metrics, errors, this.stamp());
    await switchHeads(db, ids, job.id, now);
    setCommitState(control, job.id, 'committed', metrics, errors, this.stamp());
    await removeOrphans(db).catch(() => undefined);
    return 'ok';
  }
}

/** The "latest successful job" pointer switch: one transaction. */
async function switchHeads(db: SandboxDb, segmentIds: string[], jobId: string, now: number): Promise<void> {
  await db.session(async (session) => {
    await session.run('BEGIN');
    const ids = segmentIds.map((_id, i) => `$${i + 1}`).join(', ');
    await session.run(`DELETE FROM ${HEAD_TABLE} WHERE segment_id IN (${ids})`, segmentIds);
    const rows = segmentIds.map((_id, i) => `($${i + 3}, $1, CAST($2 AS TIMESTAMP))`).join(', ');
    await session.run(`INSERT INTO ${HEAD_TABLE} (segment_id, job_id, evaluated_at) VALUES ${rows}`, [
      jobId,
      timestampParam(now),
      ...segmentIds,
    ]);
    await session.run('COMMIT');
  }).promise;
}
