/**
 * CONTRACT — request limits and the engine query timeout.
 *
 *   // one interruptible query:
 *   const rows = await withTimeout(data.db.interruptible(sql, params), services.config.queryTimeoutMs);
 *   // engine functions (countMembers, pageMembers, evaluateBatch) on an interruptible target:
 *   const n = await runWithTimeout(data.db, services.config.queryTimeoutMs,
 *                                  (target) => countMembers(target, query, { now }), { signal });
 *
 * On timeout the running query is interrupted (DuckDB `interrupt()`, PostgreSQL `pg_cancel_backend`) and an ApiError 503
 * ServiceUnavailableError is thrown whose detail names the limit (segmentation-api.md lists 503 on
 * every endpoint; [decision] 503 rather than 504). An aborted `signal` (e.g. DELETE /preview)
 * interrupts too and rethrows `signal.reason` (or a QueryCancelledError).
 *
 * `rateLimiter(perSecond)`: token bucket per key (principal), 429 TooManyRequestsError with
 * Retry-After. Body size: express.json limit (SEG_BODY_LIMIT) → 413 PayloadTooLargeError.
 */
import type { NextFunction, Request, Response } from 'express';
import type { EngineTarget } from '../engine/evaluate.js';
import type { SandboxDb } from '../engine/sandboxDb.js';
import type { Interruptible } from '../engine/store.js';
import { ApiError, tooMany } from './errors.js';

export class QueryCancelledError extends Error {
  constructor() {
    super('The query was cancelled.');
    this.name = 'QueryCancelledError';
  }
}

function timeoutError(ms: number): ApiError {
  return new ApiError(
    503,
    `The query took longer than the limit of ${ms} ms (SEG_QUERY_TIMEOUT_MS) and was interrupted.`,
  );
}

/** Awaits an interruptible query, interrupting it after `ms` (→ ApiError 503) or on `signal`. */
export async function withTimeout<T>(job: Interruptible<T>, ms: number, options: { signal?: AbortSignal } = {}): Promise<T> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    job.cancel();
  }, ms);
  const onAbort = () => job.cancel();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) job.cancel();
  try {
    return await job.promise;
  } catch (err) {
    if (timedOut) throw timeoutError(ms);
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new QueryCancelledError();
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs `fn` with an EngineTarget whose every query is interruptible; after `ms` (or on `signal`)
 * all its running queries are interrupted and later ones refused.
 */
export async function runWithTimeout<T>(
  db: SandboxDb,
  ms: number,
  fn: (target: EngineTarget) => Promise<T>,
  options: { signal?: AbortSignal } = {},
): Promise<T> {
  const running = new Set<Interruptible<unknown>>();
  let stopped: 'timeout' | 'abort' | undefined;
  const stopAll = (why: 'timeout' | 'abort') => {
    stopped ??= why;
    for (const job of running) job.cancel();
  };
  const target: EngineTarget = {
    ...db.target,
    runner: {
      all: async (sql, params) => {
        if (stopped) throw new QueryCancelledError();
        const job = db.interruptible(sql, params);
        running.add(job);
        try {
          return await job.promise;
        } finally {
          running.delete(job);
        }
      },
    },
  };
  const timer = setTimeout(() => stopAll('timeout'), ms);
  const onAbort = () => stopAll('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stopAll('abort');
  try {
    return await fn(target);
  } catch (err) {
    if (stopped === 'timeout') throw timeoutError(ms);
    if (stopped === 'abort') throw options.signal?.reason instanceof Error ? options.signal.reason : new QueryCancelledError();
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

// ------------------------------------------------------------------ rate limiting

/** Token bucket per key: `perSecond` tokens per second, burst `perSecond`. 0 disables. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = Date.now();
  constructor(readonly perSecond: number) {}

  /** 0 when allowed, else the seconds to wait. */
  take(key: string, now = Date.now()): number {
    if (this.perSecond <= 0) return 0;
    if (now - this.lastSweep > 60_000) {
      for (const [k, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(k);
      this.lastSweep = now;
    }
    const b = this.buckets.get(key) ?? { tokens: this.perSecond, at: now };
    b.tokens = Math.min(this.perSecond, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.perSecond;
  }
}

/** Express middleware limiting by `keyOf(req, res)`. */
export function rateLimit(limiter: RateLimiter, keyOf: (req: Request, res: Response) => string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const wait = limiter.take(keyOf(req, res));
    if (wait > 0) {
      throw tooMany(`Too many requests: the limit is ${limiter.perSecond} per second (SEG_RATE_LIMIT).`, wait);
    }
    next();
  };
}
