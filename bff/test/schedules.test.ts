/**
 * Schedules: validation (Quartz fields, minimum interval), CRUD and JSON Patch, firings driven by an
 * injected clock (scheduler.tick), a missed firing runs once, no double firing across a restart,
 * the trigger extension, export schedules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFirings } from '../src/control/schedules.js';
import { parseQuartz } from '../src/jobs/cron.js';
import { getScheduler } from '../src/jobs/scheduler.js';
import { call, createDefinition, waitJob } from './support/jobs.js';
import { startTestServer, type TestServer } from './support/server.js';

let srv: TestServer;
const stateDir = mkdtempSync(path.join(tmpdir(), 'seg-sched-'));
beforeAll(async () => {
  // SEG_SCHEDULER_TICK_MS 0: only the ticks this test drives (srv.restart() keeps this env)
  srv = await startTestServer({ stateDir, keepState: true, env: { SEG_SCHEDULER_TICK_MS: '0' } });
});
afterAll(async () => {
  await srv?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const body = (extra: Record<string, unknown> = {}) => ({
  name: 'Daily gold',
  type: 'batch_segmentation',
  properties: { segments: ['*'] },
  schedule: '0 30 2 * * ?',
  state: 'active',
  ...extra,
});

describe('schedule validation', () => {
  it('rejects bad cron with the field, too-frequent expressions, bad properties', async () => {
    let r = await call(srv, 'POST', '/config/schedules', body({ schedule: '0 61 2 * * ?' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ field: 'schedule', cronField: 'minutes' });
    expect(r.body.detail).toContain('61');
    r = await call(srv, 'POST', '/config/schedules', body({ schedule: '0 0 2 * *' }));
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('6 or 7 fields');
    r = await call(srv, 'POST', '/config/schedules', body({ schedule: '0 0 2 * * MON' }));
    expect(r.status).toBe(400);
    expect(r.body.cronField).toBe('day-of-week');
    r = await call(srv, 'POST', '/config/schedules', body({ schedule: '0 0/10 17 * * ?' }));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/every 10 minute.*minimum interval .* 15 minutes/);
    r = await call(srv, 'POST', '/config/schedules', body({ schedule: '0 0 0 1 1 ? 2020' }));
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('never fires');
    r = await call(srv, 'POST', '/config/schedules', body({ properties: {} }));
    expect(r.status).toBe(400);
    r = await call(srv, 'POST', '/config/schedules', body({ properties: { segments: ['nope'] } }));
    expect(r.status).toBe(400);
    r = await call(srv, 'POST', '/config/schedules', body({ type: 'export', properties: {} }));
    expect(r.status).toBe(400);
    r = await call(srv, 'POST', '/config/schedules', body({ type: 'other' }));
    expect(r.status).toBe(400);
    // Quartz specials are accepted
    for (const s of ['0 15 10 ? * 6L', '0 0 12 ? * 2#1', '0 0 12 LW * ?', '0 0 12 15W * ?', '0 0/15 14 * * ?', '0 0 0 1 1 ? 2090', '0 0 12 ? * MON-FRI']) {
      r = await call(srv, 'POST', '/config/schedules', body({ schedule: s, state: 'inactive', name: s }));
      expect(r.status, `${s}: ${r.text}`).toBe(200);
      expect((await call(srv, 'DELETE', `/config/schedules/${r.body.id}`)).status).toBe(204);
    }
  });
});

describe('schedules', () => {
  let id = '';
  let first = 0;
  let segId = '';

  it('creates, gets, lists (default inactive; frequency; next run)', async () => {
    segId = await createDefinition(srv, 'sched gold', 'loyalty.tier = "gold"');
    const created = await call(srv, 'POST', '/config/schedules', body({ properties: { segments: [segId] } }));
    expect(created.status, created.text).toBe(200);
    id = created.body.id;
    expect(created.body).toMatchObject({ type: 'batch_segmentation', state: 'active', schedule: '0 30 2 * * ?', frequency: 'daily', properties: { segments: [segId] } });
    expect(typeof created.body.createEpoch).toBe('number');
    const inactive = await call(srv, 'POST', '/config/schedules', { name: 'idle', type: 'batch_segmentation', properties: { segments: ['*'] }, schedule: '0 0 3 * * ?' });
    expect(inactive.body.state).toBe('inactive');
    const list = await call(srv, 'GET', '/config/schedules?limit=1');
    expect(list.body._page).toMatchObject({ totalCount: 2, pageSize: 1 });
    expect(list.body._links.next.href).toContain('start=1');
    expect((await call(srv, 'GET', '/config/schedules?limit=0')).status).toBe(400);
    expect((await call(srv, 'GET', `/config/schedules/${id}`)).body.id).toBe(id);
    expect((await call(srv, 'DELETE', `/config/schedules/${inactive.body.id}`)).status).toBe(204);
    expect((await call(srv, 'GET', `/config/schedules/${inactive.body.id}`)).status).toBe(404);
  });

  it('fires on its cron with an injected clock: once, a missed firing once, never twice', async () => {
    const services = srv.running.services;
    const scheduler = getScheduler(services);
    const anchor = (services.db.prepare('SELECT anchor_ms FROM schedules WHERE id = ?').get(id) as { anchor_ms: number }).anchor_ms;
    first = parseQuartz('0 30 2 * * ?').next(anchor)!;
    expect(await scheduler.tick(first - 1)).toEqual([]);
    const fired = await scheduler.tick(first);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ scheduleId: id, scheduledTime: first, trigger: 'cron', jobKind: 'segment' });
    expect(await scheduler.tick(first)).toEqual([]);
    expect(await scheduler.tick(first + 60_000)).toEqual([]);
    const job = await waitJob(srv, fired[0]!.jobId!);
    expect(job).toMatchObject({ status: 'SUCCEEDED', source: 'scheduler', properties: { scheduleId: id } });
    expect(typeof job.properties.runId).toBe('string');
    expect(Object.keys(job.metrics.segmentedProfileCounter)).toEqual([segId]);
    const bySchedule = await call(srv, 'GET', `/segment/jobs?property=${encodeURIComponent(`properties.scheduleId==${id}`)}`);
    expect(bySchedule.body._page.totalCount).toBe(1);

    // five days later (four missed firings): it runs once, for the latest
    const late = first + 5 * 86_400_000 + 3_600_000;
    const missed = await scheduler.tick(late);
    expect(missed).toHaveLength(1);
    expect(missed[0]!.scheduledTime).toBe(first + 5 * 86_400_000);
    expect(await scheduler.tick(late)).toEqual([]);
    expect(listFirings(services.db, id)).toHaveLength(2);
  });

  it('after a restart nothing fires twice and the next firing runs once', async () => {
    srv = await srv.restart();
    const scheduler = getScheduler(srv.running.services);
    const late = first + 5 * 86_400_000 + 3_600_000;
    expect(await scheduler.tick(late)).toEqual([]);
    const next = await scheduler.tick(first + 6 * 86_400_000);
    expect(next).toHaveLength(1);
    expect(listFirings(srv.running.services.db, id).map((f) => f.scheduledTime)).toEqual([first, first + 5 * 86_400_000, first + 6 * 86_400_000]);
    const got = await call(srv, 'GET', `/config/schedules/${id}`);
    expect(got.body.lastRun).toMatchObject({ scheduledTime: new Date(first + 6 * 86_400_000).toISOString(), trigger: 'cron' });
  });

  it('PATCH: add/replace on /state and /schedule; anything else 400', async () => {
    const bad = async (ops: unknown) => expect((await call(srv, 'PATCH', `/config/schedules/${id}`, ops)).status).toBe(400);
    await bad([{ op: 'add', path: '/name', value: 'x' }]);
    await bad([{ op: 'remove', path: '/state' }]);
    await bad([{ op: 'add', path: '/state', value: 'paused' }]);
    await bad([{ op: 'add', path: '/schedule', value: '0 * * * * ?' }]);
    await bad({ op: 'add', path: '/state', value: 'inactive' });
    let r = await call(srv, 'PATCH', `/config/schedules/${id}`, [{ op: 'replace', path: '/schedule', value: '0 0 4 * * ?' }]);
    expect(r.status).toBe(204);
    r = await call(srv, 'PATCH', `/config/schedules/${id}`, [{ op: 'add', path: '/state', value: 'inactive' }]);
    expect(r.status).toBe(204);
    const got = await call(srv, 'GET', `/config/schedules/${id}`);
    expect(got.body).toMatchObject({ schedule: '0 0 4 * * ?', state: 'inactive' });
    expect(await getScheduler(srv.running.services).tick(first + 30 * 86_400_000)).toEqual([]);
    expect((await call(srv, 'PATCH', '/config/schedules/nope', [{ op: 'add', path: '/state', value: 'active' }])).status).toBe(404);
  });

  it('trigger runs a schedule now (even inactive)', async () => {
    const r = await call(srv, 'POST', '/config/schedules/trigger', { id });
    expect(r.status).toBe(200);
    const got = await call(srv, 'GET', `/config/schedules/${id}`);
    expect(got.body.lastRun.trigger).toBe('manual');
    const job = await waitJob(srv, got.body.lastRun.jobId);
    expect(job.properties.scheduleId).toBe(id);
    expect((await call(srv, 'POST', '/config/schedules/trigger', { id: 'nope' })).status).toBe(404);
  });

  it('export schedules create an export job, or record why not', async () => {
    const created = await call(srv, 'POST', '/config/schedules', body({ type: 'export', name: 'exp', properties: { exportJob: { fields: 'identityMap' } }, state: 'inactive' }));
    expect(created.status, created.text).toBe(200);
    expect((await call(srv, 'POST', '/config/schedules/trigger', { id: created.body.id })).status).toBe(200);
    const got = await call(srv, 'GET', `/config/schedules/${created.body.id}`);
    expect(got.body.lastRun.trigger).toBe('manual');
    // either an export job id, or the recorded reason (an invalid export body here)
    expect(Boolean(got.body.lastRun.jobId) || /export job could not be created/.test(got.body.lastRun.error)).toBe(true);
  });
});
