/**
 * Persistence: clients, sandboxes and the loaded data survive a restart and a `kill -9`; the same
 * dataset is not loaded again; a changed one is.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCredentials } from '../src/control/clients.js';
import { CONFORMANCE_DIR, startTestServer, TEST_NOW } from './support/server.js';
import { startChildServer } from './support/childServer.js';

const SANDBOXES = '/data/foundation/sandbox-management/sandboxes';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('restart persistence (in process)', () => {
  it('keeps clients, sandboxes and the loaded dataset; does not reload an unchanged source', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'seg-data-'));
    temps.push(dataDir);
    cpSync(CONFORMANCE_DIR, dataDir, { recursive: true });
    let srv = await startTestServer({ dataDir });
    const { clientId, clientSecret, orgId, stateDir } = srv;
    expect((await srv.createSandbox('keep-me')).status).toBe(201);
    const before = await srv.running.services.dataPlane.forSandbox(orgId, 'prod');
    const loadedAt = before.report!.loadedAt;
    const count = before.profileCount;
    const oldToken = srv.token;

    // credentials.txt is private
    expect(statSync(path.join(stateDir, 'credentials.txt')).mode & 0o777).toBe(0o600);
    // the secret is stored hashed only
    const sqlite = readFileSync(path.join(stateDir, 'control.sqlite')).toString('latin1');
    const wal = (() => {
      try {
        return readFileSync(path.join(stateDir, 'control.sqlite-wal')).toString('latin1');
      } catch {
        return '';
      }
    })();
    expect(sqlite + wal).not.toContain(clientSecret);

    srv = await srv.restart();
    expect(srv.clientId).toBe(clientId);
    expect(srv.orgId).toBe(orgId);
    // tokens issued before the restart stay valid (persistent signing key)
    const withOld = await fetch(`${srv.url}${SANDBOXES}/keep-me`, { headers: { ...srv.headers(), authorization: `Bearer ${oldToken}` } });
    expect(withOld.status).toBe(200);
    const after = await srv.running.services.dataPlane.forSandbox(orgId, 'prod');
    expect(after.report!.loadedAt).toBe(loadedAt); // not loaded again
    expect(after.profileCount).toBe(count);

    // a changed source is loaded again
    const f = path.join(dataDir, 'profiles.ndjson');
    const future = new Date(Date.now() + 60_000);
    utimesSync(f, future, future);
    srv = await srv.restart();
    const reloaded = await srv.running.services.dataPlane.forSandbox(orgId, 'prod');
    expect(reloaded.report!.loadedAt).not.toBe(loadedAt);
    expect(reloaded.profileCount).toBe(count);
    await srv.stop();
  });

  it('a load failure keeps /healthz at 503 with a message naming the file and line', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'seg-bad-'));
    temps.push(dataDir);
    cpSync(path.join(CONFORMANCE_DIR, 'profiles.ndjson'), path.join(dataDir, 'profiles.ndjson'));
    writeFileSync(path.join(dataDir, 'events.ndjson'), '{"timestamp": "2026-01-01T00:00:00Z", "identityMap": {}}\n{not json\n');
    const srv = await startTestServer({ dataDir, waitReady: false });
    try {
      let body: Record<string, unknown> = {};
      for (let i = 0; i < 300; i++) {
        const res = await fetch(`${srv.url}/healthz`);
        body = (await res.json()) as Record<string, unknown>;
        expect(res.status).toBe(503);
        if (body.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(body).toMatchObject({ status: 'failed', error: expect.stringMatching(/events\.ndjson:2/) });
      // the API keeps answering; data requests on prod say why they cannot be served
      const list = await fetch(`${srv.url}${SANDBOXES}`, { headers: srv.headers() });
      expect(list.status).toBe(200);
      await expect(srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod')).rejects.toMatchObject({
        status: 503,
        detail: expect.stringMatching(/could not be loaded: .*events\.ndjson:2/),
      });
    } finally {
      await srv.stop();
    }
  });
});

function startChild(stateDir: string): ReturnType<typeof startChildServer> {
  return startChildServer({ SEG_STATE_DIR: stateDir, SEG_DATA_DIR: CONFORMANCE_DIR, SEG_NOW: TEST_NOW });
}

async function tokenFor(url: string, stateDir: string): Promise<{ headers: Record<string, string> }> {
  const creds = readCredentials(stateDir);
  const res = await fetch(`${url}/ims/token/v3`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId!, client_secret: creds.clientSecret! }),
  });
  expect(res.status).toBe(200);
  const { access_token } = (await res.json()) as { access_token: string };
  return {
    headers: {
      authorization: `Bearer ${access_token}`,
      'x-api-key': creds.clientId!,
      'x-gw-ims-org-id': creds.orgId!,
      'content-type': 'application/json',
    },
  };
}

describe('kill -9 persistence (child process)', () => {
  it('a sandbox created just before SIGKILL is there after a restart', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'seg-kill-'));
    temps.push(stateDir);
    const first = await startChild(stateDir);
    try {
      const { headers } = await tokenFor(first.url, stateDir);
      const created = await fetch(`${first.url}${SANDBOXES}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'survivor', title: 'Survivor', type: 'development' }),
      });
      expect(created.status).toBe(201);
    } finally {
      first.child.kill('SIGKILL');
    }
    await new Promise((r) => first.child.once('exit', r));

    const second = await startChild(stateDir);
    try {
      const { headers } = await tokenFor(second.url, stateDir);
      const res = await fetch(`${second.url}${SANDBOXES}/survivor`, { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ name: 'survivor', title: 'Survivor', type: 'development' });
      // and the data plane comes back
      for (let i = 0; i < 600; i++) {
        if ((await fetch(`${second.url}/healthz`)).status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });
});
