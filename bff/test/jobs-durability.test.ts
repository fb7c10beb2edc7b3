/**
 * Long jobs on a generated dataset (20,000 profiles, 100 definitions: a job takes seconds):
 * QUEUED while another job of the sandbox runs, progress while PROCESSING, cancellation mid-run
 * (the running DuckDB statement is interrupted; the previous membership stays), and a real
 * `kill -9` of a child server in the middle of a job: after the restart the job is FAILED with the
 * reason and the membership of the last successful run is intact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentials } from '../src/control/clients.js';
import { generateDataset } from '../src/engine/generate.js';
import { STOPPED_REASON } from '../src/jobs/runner.js';
import { call, createJob, waitJob, type Loose } from './support/jobs.js';
import { startTestServer, type TestServer } from './support/server.js';
import { startChildServer } from './support/childServer.js';

const NOW = '2026-06-15T12:00:00Z';
const temps: string[] = [];
let dataDir = '';

const PQLS = [
  'loyalty.tier = "gold"',
  'xEvent[eventType = "commerce.purchases"].count() >= 3',
  'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal) > 500',
  'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews"), P: WHAT(eventType = "commerce.purchases")])',
  'xEvent.productListItems.SKU.distinct().count() >= 5',
  'xEvent[eventType = "commerce.purchases"].count() = 0 and xEvent.count() > 10',
];
const pqlOf = (i: number) => (i < PQLS.length ? PQLS[i]! : `(${PQLS[i % PQLS.length]!}) and not (loyalty.points = ${-1 - i})`);

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'seg-jobs-big-'));
  temps.push(dataDir);
  await generateDataset({ profiles: 20_000, eventsPerProfile: 20, seed: 7, outDir: dataDir, now: new Date(NOW) });
}, 120_000);
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

async function defineMany(api: (m: string, p: string, b?: unknown) => Promise<{ status: number; body: Loose }>, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api('POST', '/segment/definitions', { name: `${prefix} ${i}`, schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/text', value: pqlOf(i) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    ids.push(String(r.body.id));
  }
  return ids;
}

describe('queueing, progress and cancellation (in process)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ dataDir });
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('one evaluation per sandbox: the second job waits QUEUED; cancelling mid-run interrupts it', async () => {
    const api = (m: string, p: string, b?: unknown) => call(srv, m, p, b);
    const ids = await defineMany(api, 100, 'big');
    const gold = ids[0]!;
    const baseline = await waitJob(srv, (await createJob(srv, [gold])).id, 'prod', undefined, 120_000);
    expect(baseline.status).toBe('SUCCEEDED');
    const goldCount = baseline.metrics.segmentedProfileCounter[gold] as number;

    const a = await createJob(srv, ids);
    const b = await createJob(srv, [gold]);
    const running = await waitJob(srv, a.id, 'prod', (j) => j.status === 'PROCESSING' && j.metrics.progress?.stage === 'evaluating');
    expect(running.metrics.progress).toMatchObject({ profilesDone: 0, totalProfiles: running.metrics.totalProfiles });
    expect(running.metrics.totalProfiles).toBeGreaterThanOrEqual(20_000);
    const queued = await waitJob(srv, b.id, 'prod', (j) => j.status !== 'NEW');
    expect(queued.status).toBe('QUEUED');

    // cancel A mid-run: CANCELLING, then CANCELLED (a job that ran to completion would end SUCCEEDED)
    expect((await call(srv, 'DELETE', `/segment/jobs/${a.id}`)).status).toBe(204);
    const cancelling = await call(srv, 'GET', `/segment/jobs/${a.id}`);
    expect(['CANCELLING', 'CANCELLED']).toContain(cancelling.body.status);
    const cancelled = await waitJob(srv, a.id);
    expect(cancelled.status).toBe('CANCELLED');
    // B runs after A; gold's membership (from the baseline) was kept: everyone existing
    const bDone = await waitJob(srv, b.id, 'prod', undefined, 120_000);
    expect(bDone.status).toBe('SUCCEEDED');
    expect(bDone.metrics.segmentedProfileByStatusCounter[gold]).toEqual({ realized: 0, existing: goldCount, exited: 0 });

    // a QUEUED job cancelled before it starts
    const c = await createJob(srv, ids);
    const d = await createJob(srv, [gold]);
    await waitJob(srv, c.id, 'prod', (j) => j.status === 'PROCESSING');
    expect((await call(srv, 'DELETE', `/segment/jobs/${d.id}`)).status).toBe(204);
    expect((await waitJob(srv, d.id)).status).toBe('CANCELLED');
    expect((await call(srv, 'DELETE', `/segment/jobs/${c.id}`)).status).toBe(204);
    expect((await waitJob(srv, c.id)).status).toBe('CANCELLED');
  }, 180_000);
});

function startChild(stateDir: string): ReturnType<typeof startChildServer> {
  return startChildServer({ SEG_STATE_DIR: stateDir, SEG_DATA_DIR: dataDir, SEG_NOW: NOW, SEG_RATE_LIMIT: '0' });
}

async function client(url: string, stateDir: string) {
  for (let i = 0; i < 1200; i++) {
    if ((await fetch(`${url}/healthz`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const creds = readCredentials(stateDir);
  const res = await fetch(`${url}/ims/token/v3`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId!, client_secret: creds.clientSecret! }),
  });
  const { access_token } = (await res.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${access_token}`, 'x-api-key': creds.clientId!, 'x-gw-ims-org-id': creds.orgId!, 'x-sandbox-name': 'prod', 'content-type': 'application/json' };
  return async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${url}/data/core/ups${p}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as Loose };
  };
}

async function poll(api: Awaited<ReturnType<typeof client>>, id: string, until: (j: Loose) => boolean, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await api('GET', `/segment/jobs/${id}`);
    if (until(r.body)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck at ${r.body.status}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('kill -9 in the middle of a job (child process)', () => {
  it('comes back with the job FAILED and the last successful membership intact', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'seg-jobs-kill-'));
    temps.push(stateDir);
    const first = await startChild(stateDir);
    let ids: string[];
    let jobId: string;
    let goldCount: number;
    try {
      const api = await client(first.url, stateDir);
      ids = await defineMany(api, 100, 'kill');
      const base = await api('POST', '/segment/jobs', [{ segmentId: ids[0] }]);
      const baseDone = await poll(api, base.body.id, (j) => ['SUCCEEDED', 'FAILED'].includes(j.status));
      expect(baseDone.status).toBe('SUCCEEDED');
      goldCount = baseDone.metrics.segmentedProfileCounter[ids[0]!];
      const big = await api('POST', '/segment/jobs', ids.map((segmentId) => ({ segmentId })));
      jobId = big.body.id;
      await poll(api, jobId, (j) => j.status === 'PROCESSING' && j.metrics.progress?.stage === 'evaluating');
    } finally {
      first.child.kill('SIGKILL');
    }
    await new Promise((r) => first.child.once('exit', r));

    const second = await startChild(stateDir);
    try {
      const api = await client(second.url, stateDir);
      const job = await poll(api, jobId, (j) => !['PROCESSING', 'NEW', 'QUEUED'].includes(j.status));
      expect(job.status).toBe('FAILED');
      expect(job.errors).toEqual([{ code: 'SERVER_STOPPED', msg: STOPPED_REASON }]);
      // the membership of the last successful run is intact: a new run sees every member as existing
      const again = await api('POST', '/segment/jobs', [{ segmentId: ids[0] }]);
      const done = await poll(api, again.body.id, (j) => ['SUCCEEDED', 'FAILED'].includes(j.status));
      expect(done.status).toBe('SUCCEEDED');
      expect(done.metrics.segmentedProfileByStatusCounter[ids[0]!]).toEqual({ realized: 0, existing: goldCount, exited: 0 });
    } finally {
      second.child.kill('SIGKILL');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 240_000);
});
