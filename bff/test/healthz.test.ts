import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

describe('HTTP app basics', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('GET /healthz answers {"status":"ok"} once the data is loaded', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ status: 'ok', engine: 'duckdb' });
  });

  it('answers unknown API paths with a distinct JSON 404', async () => {
    const res = await fetch(`${srv.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      type: 'urn:seg:errors:no-route',
      status: 404,
      title: 'NotFound',
      detail: 'No route for GET /api/nope',
    });
  });

  it('answers malformed JSON with a shape-2 400 and no stack trace', async () => {
    const res = await fetch(`${srv.url}/data/foundation/sandbox-management/sandboxes`, {
      method: 'POST',
      headers: srv.headers(),
      body: '{bad',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 400, title: 'BadRequestError', type: expect.any(String) });
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  });
});
