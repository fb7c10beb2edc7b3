/**
 * CONTRACT — integration-test harness: the REAL server (createServices + createApp + listen) on an
 * ephemeral port, with a fresh state directory.
 *
 *   const srv = await startTestServer();            // SEG_DATA_DIR = shared/conformance, SEG_NOW = 2026-06-15T12:00:00Z
 *   const res = await fetch(`${srv.url}/data/core/ups/segment/definitions`, { headers: srv.headers() });
 *   srv.headers('dev1')   // Authorization, x-api-key, x-gw-ims-org-id, x-sandbox-name: dev1, content-type json
 *   await srv.createSandbox('dev1')                 // POST sandbox-management (development)
 *   await srv.restart()                             // same state dir, same credentials, new port + token
 *   await srv.stop()                                // also removes the temp state dir unless keepState
 *
 * Options: `dataDir` (a dataset directory; `null` for none = demo data, avoid in tests), `env`
 * (extra environment, e.g. {SEG_TOKEN_TTL_SECONDS: '2'}), `stateDir` (reuse one).
 * The first start waits for /healthz 200 (the data is loaded) and fetches a token through
 * POST /ims/token/v3 with the client credentials generated into credentials.txt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { readCredentials } from '../../src/control/clients.js';
import { startServer, type RunningServer } from '../../src/http/start.js';

export const CONFORMANCE_DIR = fileURLToPath(new URL('../../../../shared/conformance/', import.meta.url));
export const TEST_NOW = '2026-06-15T12:00:00Z';

export interface TestServerOptions {
  dataDir?: string | null;
  env?: Record<string, string>;
  stateDir?: string;
  /** Keep the state dir on stop (default: removed unless given by the caller). */
  keepState?: boolean;
  /** Wait for /healthz 200 (default true). */
  waitReady?: boolean;
}

export interface TestServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  token: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
  adminPassword: string | undefined;
  stateDir: string;
  running: RunningServer;
  /** Headers for a /data request (sandbox default 'prod'); includes content-type: application/json. */
  headers(sandbox?: string): Record<string, string>;
  /** POST /ims/token/v3 with the client credentials; returns the access token. */
  fetchToken(): Promise<string>;
  createSandbox(name: string, title?: string): Promise<Response>;
  stop(): Promise<void>;
  /** Stops and starts again on the same state dir (and env); refreshes url and token. */
  restart(): Promise<TestServer>;
}

async function waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/healthz`).catch((e: unknown) => ({ status: 0, text: async () => String(e) }));
    if (res.status === 200) return;
    last = await res.text();
    if (/"status":"failed"/.test(last)) throw new Error(`server failed to load its data: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not healthy after ${timeoutMs} ms: ${last}`);
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownState = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'seg-test-'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    SEG_STATE_DIR: stateDir,
    SEG_NOW: TEST_NOW,
    LOG_LEVEL: process.env.SEG_TEST_LOG_LEVEL ?? 'silent',
    ...(options.dataDir === null ? {} : { SEG_DATA_DIR: options.dataDir ?? CONFORMANCE_DIR }),
    ...options.env,
  };

  const boot = async (): Promise<TestServer> => {
    const running = await startServer({ env, banner: false, logger: pino({ level: env.LOG_LEVEL ?? 'silent' }) });
    const url = running.url.replace('localhost', '127.0.0.1').replace(/\/$/, '');
    try {
      if (options.waitReady !== false) await waitHealthy(url);
      const creds = readCredentials(stateDir);
      const clientSecret = env.SEG_CLIENT_SECRET ?? creds.clientSecret;
      if (!clientSecret) throw new Error('no client secret: neither SEG_CLIENT_SECRET nor credentials.txt');
      const srv: TestServer = {
        url,
        token: '',
        orgId: running.services.bootstrap.org.id,
        clientId: running.services.bootstrap.client.clientId,
        clientSecret,
        adminPassword: env.SEG_ADMIN_PASSWORD ?? creds.adminPassword,
        stateDir,
        running,
        headers(sandbox = 'prod') {
          return {
            authorization: `Bearer ${srv.token}`,
            'x-api-key': srv.clientId,
            'x-gw-ims-org-id': srv.orgId,
            'x-sandbox-name': sandbox,
            'content-type': 'application/json',
            accept: 'application/json',
          };
        },
        async fetchToken() {
          const res = await fetch(`${url}/ims/token/v3`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'client_credentials', client_id: srv.clientId, client_secret: srv.clientSecret }),
          });
          if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
          return ((await res.json()) as { access_token: string }).access_token;
        },
        createSandbox(name, title = name) {
          return fetch(`${url}/data/foundation/sandbox-management/sandboxes`, {
            method: 'POST',
            headers: srv.headers(),
            body: JSON.stringify({ name, title, type: 'development' }),
          });
        },
        async stop() {
          await running.close();
          if (ownState && !options.keepState) rmSync(stateDir, { recursive: true, force: true });
        },
        async restart() {
          await running.close();
          return boot();
        },
      };
      srv.token = await srv.fetchToken();
      return srv;
    } catch (err) {
      await running.close();
      throw err;
    }
  };
  return boot();
}
