/**
 * Exports never leave a partial batch: cancelling mid-run (in process) and `kill -9` mid-run (a
 * child server) both end with the job FAILED, no batch row and no files.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentials } from '../src/control/clients.js';
import { generateDataset } from '../src/engine/generate.js';
import { startTestServer, TEST_NOW } from './support/server.js';
import { CATALOG, UPS, call, createDataset, waitJob, type Api } from './support/exports.js';
import { startChildServer } from './support/childServer.js';

const temps: string[] = [];
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'seg-exp-data-'));
  temps.push(dataDir);
  await generateDataset({ profiles: 30_000, eventsPerProfile: 20, outDir: dataDir, now: new Date(TEST_NOW), seed: 7 });
}, 120_000);
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Every directory entry below `${stateDir}/datasets` (recursively), relative. */
function datasetEntries(stateDir: string): string[] {
  const root = path.join(stateDir, 'datasets');
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(root, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

async function waitForTempFile(stateDir: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (datasetEntries(stateDir).some((e) => /\.tmp-[^/]+\/.+/.test(e))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the export never started writing');
}

const BIG_EXPORT = (datasetId: string) => ({
  destination: { datasetId, format: 'ndjson' },
  schema: { name: '_xdm.context.profile' },
  additionalFields: { eventList: {} },
});

describe('export durability', () => {
  it('cancelling a running export interrupts it and leaves no batch', async () => {
    const srv = await startTestServer({ dataDir });
    try {
      const datasetId = await createDataset(srv, 'Cancelled');
      const r = await call(srv, 'POST', `${UPS}/export/jobs`, BIG_EXPORT(datasetId));
      expect(r.status).toBe(200);
      await waitForTempFile(srv.stateDir);
      const running = await call(srv, 'GET', `${UPS}/export/jobs/${r.body.id}`);
      expect(running.body.status).toBe('PROCESSING');
      expect(running.body.metrics.progress).toMatchObject({ stage: expect.any(String) });
      const del = await call(srv, 'DELETE', `${UPS}/export/jobs/${r.body.id}`);
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ status: true, message: 'Export job has been marked for cancelling' });
      const job = await waitJob(srv, r.body.id);
      expect(job.status).toBe('FAILED');
      expect(job.errors).toEqual([expect.objectContaining({ code: 'CANCELLED' })]);
      expect((await call(srv, 'GET', `${CATALOG}/batches/${job.destination.batchId}`)).status).toBe(404);
      expect(datasetEntries(srv.stateDir).filter((e) => e.split(path.sep).length > 3)).toEqual([]);
      const ds = await call(srv, 'GET', `${CATALOG}/dataSets/${datasetId}`);
      expect(ds.body[datasetId].lastBatchId).toBeUndefined();
    } finally {
      await srv.stop();
    }
  }, 180_000);

  it('kill -9 mid-export: after restart the job is FAILED with a reason and no partial batch is visible', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'seg-exp-kill-'));
    temps.push(stateDir);
    let { child, url } = await startChild(stateDir);
    try {
      let api = await apiFor(url, stateDir);
      await waitHealthy(url);
      const datasetId = await createDataset(api, 'Killed');
      const r = await call(api, 'POST', `${UPS}/export/jobs`, BIG_EXPORT(datasetId));
      expect(r.status).toBe(200);
      await waitForTempFile(stateDir);
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      expect(datasetEntries(stateDir).some((e) => e.includes('.tmp-'))).toBe(true); // the kill left a partial write

      ({ child, url } = await startChild(stateDir));
      api = await apiFor(url, stateDir);
      const job = await call(api, 'GET', `${UPS}/export/jobs/${r.body.id}`);
      expect(job.status).toBe(200);
      expect(job.body.status).toBe('FAILED');
      expect(job.body.errors).toEqual([expect.objectContaining({ code: 'SERVER_RESTARTED', msg: expect.stringMatching(/server stopped/) })]);
      expect((await call(api, 'GET', `${CATALOG}/batches/${job.body.destination.batchId}`)).status).toBe(404);
      expect(datasetEntries(stateDir).filter((e) => e.split(path.sep).length > 3)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 240_000);
});

function startChild(stateDir: string): ReturnType<typeof startChildServer> {
  return startChildServer({ SEG_STATE_DIR: stateDir, SEG_DATA_DIR: dataDir, SEG_NOW: TEST_NOW });
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    const res = await fetch(`${url}/healthz`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('not healthy');
}

async function apiFor(url: string, stateDir: string): Promise<Api> {
  const creds = readCredentials(stateDir);
  const res = await fetch(`${url}/ims/token/v3`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId!, client_secret: creds.clientSecret! }),
  });
  const { access_token } = (await res.json()) as { access_token: string };
  return {
    url,
    headers: (sandbox = 'prod') => ({
      authorization: `Bearer ${access_token}`,
      'x-api-key': creds.clientId!,
      'x-gw-ims-org-id': readOrg(stateDir),
      'x-sandbox-name': sandbox,
      'content-type': 'application/json',
    }),
  };
}

function readOrg(stateDir: string): string {
  const c = readCredentials(stateDir) as { orgId?: string };
  if (!c.orgId) throw new Error('no org id in credentials.txt');
  return c.orgId;
}
