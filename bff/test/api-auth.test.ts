/**
 * Tokens (POST /ims/token/v3) and every §1.6 gateway error path, with exact shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

const SANDBOXES = '/data/foundation/sandbox-management/sandboxes';
const UPS = '/data/core/ups/segment/definitions';

async function token(srv: TestServer, params: Record<string, string>, where: 'body' | 'query' = 'body'): Promise<Response> {
  const qs = where === 'query' ? `?${new URLSearchParams(params)}` : '';
  return fetch(`${srv.url}/ims/token/v3${qs}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: where === 'body' ? new URLSearchParams(params) : '',
  });
}

describe('IMS token endpoint', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_TOKEN_TTL_SECONDS: '2' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('issues a bearer JWT with expires_in in seconds', async () => {
    const res = await token(srv, { grant_type: 'client_credentials', client_id: srv.clientId, client_secret: srv.clientSecret });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 2 });
    const payload = JSON.parse(Buffer.from(String(body.access_token).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ client_id: srv.clientId, org: srv.orgId, iss: 'seg-ims' });
    expect(JSON.stringify(payload)).not.toContain(srv.clientSecret);
  });

  it('accepts the credentials as query parameters, as IMS does', async () => {
    const res = await token(srv, { grant_type: 'client_credentials', client_id: srv.clientId, client_secret: srv.clientSecret }, 'query');
    expect(res.status).toBe(200);
  });

  it('answers IMS-style errors', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ grant_type: 'client_credentials', client_secret: 'x' }, 'invalid_request'],
      [{ client_id: srv.clientId, client_secret: 'x' }, 'invalid_request'],
      [{ grant_type: 'password', client_id: srv.clientId, client_secret: 'x' }, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials', client_id: srv.clientId }, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_id: srv.clientId, client_secret: 'wrong' }, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: srv.clientSecret }, 'invalid_client'],
    ];
    for (const [params, error] of cases) {
      const res = await token(srv, params);
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(await res.json()).toEqual({ error, error_description: expect.any(String) });
    }
  });

  it('tokens expire (SEG_TOKEN_TTL_SECONDS)', async () => {
    const t = await srv.fetchToken();
    const ok = await fetch(`${srv.url}${SANDBOXES}`, { headers: { ...srv.headers(), authorization: `Bearer ${t}` } });
    expect(ok.status).toBe(200);
    await new Promise((r) => setTimeout(r, 3100));
    const expired = await fetch(`${srv.url}${SANDBOXES}`, { headers: { ...srv.headers(), authorization: `Bearer ${t}` } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error_code: '401013', message: 'Oauth token is not valid' });
  });
});

describe('gateway errors (§1.6 shape 1) on /data requests', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  const without = (h: Record<string, string>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(h).filter(([k]) => !keys.includes(k)));

  async function expectShape1(path: string, headers: Record<string, string>, status: number, code: string, message?: string) {
    const res = await fetch(`${srv.url}${path}`, { headers });
    expect(res.status, `${code} on ${path}`).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error_code', 'message']);
    expect(body.error_code).toBe(code);
    if (message !== undefined) expect(body.message).toBe(message);
    else expect(body.message).toEqual(expect.any(String));
  }

  it('403010 when the token is missing', async () => {
    for (const p of [UPS, SANDBOXES, '/data/anything'])
      await expectShape1(p, without(srv.headers(), 'authorization'), 403, '403010', 'Oauth token is missing.');
  });

  it('403000 when x-api-key is missing', async () => {
    await expectShape1(UPS, without(srv.headers(), 'x-api-key'), 403, '403000', 'Api Key is required');
  });

  it('401013 when the token is not valid', async () => {
    const h = srv.headers();
    await expectShape1(UPS, { ...h, authorization: 'Bearer not.a.token' }, 401, '401013', 'Oauth token is not valid');
    await expectShape1(UPS, { ...h, authorization: `Basic ${srv.token}` }, 401, '401013');
    // a token signed with another key
    const [head, payload] = srv.token.split('.');
    await expectShape1(UPS, { ...h, authorization: `Bearer ${head}.${payload}.AAAA` }, 401, '401013');
  });

  it('403003 when x-api-key is not the token\'s client', async () => {
    await expectShape1(UPS, { ...srv.headers(), 'x-api-key': 'someone-else' }, 403, '403003', 'Api Key is invalid');
  });

  it('400003 when x-gw-ims-org-id is missing', async () => {
    await expectShape1(UPS, without(srv.headers(), 'x-gw-ims-org-id'), 400, '400003', 'Missing header');
  });

  it('403025 when the org is not the token\'s', async () => {
    await expectShape1(UPS, { ...srv.headers(), 'x-gw-ims-org-id': 'OTHER@AdobeOrg' }, 403, '403025', 'Profile is not valid');
  });

  it('400004 when x-sandbox-name is missing (ups), prod assumed on sandbox-management', async () => {
    await expectShape1(UPS, without(srv.headers(), 'x-sandbox-name'), 400, '400004', 'Missing header x-sandbox-name');
    const res = await fetch(`${srv.url}${SANDBOXES}`, { headers: without(srv.headers(), 'x-sandbox-name') });
    expect(res.status).toBe(200);
  });

  it('403026 when the sandbox does not exist in the org (or is wrongly cased)', async () => {
    await expectShape1(UPS, srv.headers('nope'), 403, '403026');
    await expectShape1(UPS, srv.headers('PROD'), 403, '403026');
  });

  it('shape 2 BadRequestError when a body is not application/json', async () => {
    const res = await fetch(`${srv.url}${SANDBOXES}`, {
      method: 'POST',
      headers: { ...srv.headers(), 'content-type': 'text/plain' },
      body: '{"name":"x","title":"x","type":"development"}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: 'urn:seg:errors:bad-request',
      status: 400,
      title: 'BadRequestError',
      detail: 'Content-Type must be application/json (got text/plain).',
    });
  });

  it('a valid request reaches the router; unknown routes answer the no-route 404', async () => {
    const res = await fetch(`${srv.url}/data/core/ups/no/such/thing`, { headers: srv.headers() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      type: 'urn:seg:errors:no-route',
      status: 404,
      title: 'NotFound',
      detail: 'No route for GET /data/core/ups/no/such/thing',
    });
  });
});
