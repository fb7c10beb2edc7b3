/** config.ts: the job, scheduler and ingestion settings are read once, validated, with a clear error. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_INGEST_MAX_BYTES, loadConfig } from '../src/config.js';
import { startServer } from '../src/http/start.js';

describe('loadConfig: job, schedule and ingestion settings', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      maxQueuedJobs: 100,
      jobPollMs: 500,
      schedulerTickMs: 30_000,
      scheduleMinIntervalMinutes: 15,
      ingestMaxBytes: DEFAULT_INGEST_MAX_BYTES,
    });
    expect(DEFAULT_INGEST_MAX_BYTES).toBe(1024 ** 3);
  });

  it('reads the environment (0 allowed where documented)', () => {
    const c = loadConfig({
      SEG_MAX_QUEUED_JOBS: '3',
      SEG_JOB_POLL_MS: '50',
      SEG_SCHEDULER_TICK_MS: '0',
      SEG_SCHEDULE_MIN_INTERVAL_MINUTES: '0',
      SEG_INGEST_MAX_BYTES: ' 200000 ',
    });
    expect(c).toMatchObject({ maxQueuedJobs: 3, jobPollMs: 50, schedulerTickMs: 0, scheduleMinIntervalMinutes: 0, ingestMaxBytes: 200_000 });
  });

  it.each([
    ['SEG_MAX_QUEUED_JOBS', '0', 1],
    ['SEG_JOB_POLL_MS', '0', 1],
    ['SEG_SCHEDULER_TICK_MS', '-1', 0],
    ['SEG_SCHEDULE_MIN_INTERVAL_MINUTES', '7.5', 0],
    ['SEG_INGEST_MAX_BYTES', '1gb', 1],
  ])('rejects %s=%s naming the variable', (key, value, min) => {
    expect(() => loadConfig({ [key]: value })).toThrow(`${key} must be an integer ≥ ${min}, got "${value}"`);
  });

  it('a server does not start with a bad value', async () => {
    await expect(startServer({ env: { PORT: '0', SEG_INGEST_MAX_BYTES: 'abc' }, banner: false })).rejects.toThrow(
      'SEG_INGEST_MAX_BYTES must be an integer ≥ 1, got "abc"',
    );
  });
});
