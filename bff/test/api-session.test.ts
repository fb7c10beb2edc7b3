/**
 * Studio session: login, who-am-I, CSRF on mutations, logout; the cookie is the only credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

const SANDBOXES = '/data/foundation/sandbox-management/sandboxes';

describe('studio session', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_ADMIN_PASSWORD: 'correct horse' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  async function login(password = 'correct horse'): Promise<Response> {
    return fetch(`${srv.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
  }

  it('rejects a wrong password with 401 and sets no cookie', async () => {
    const res = await login('wrong');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 401, title: 'UnauthorizedError' });
  });

  it('logs in, serves /data with the cookie, requires CSRF on mutations, logs out', async () => {
    const res = await login();
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^seg_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const info = (await res.json()) as Record<string, unknown>;
    expect(info).toMatchObject({ user: 'admin', orgId: srv.orgId, csrfToken: expect.any(String) });
    expect(info.sandboxes).toEqual([{ sandboxId: expect.any(String), sandboxName: 'prod', type: 'production', default: true, title: 'Production' }]);
    // no secret goes to the browser
    const text = JSON.stringify(info);
    expect(text).not.toContain(srv.clientSecret);
    expect(text).not.toContain('correct horse');
    const cookie = setCookie.split(';')[0]!;
    const csrf = String(info.csrfToken);

    const me = await fetch(`${srv.url}/api/session`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { csrfToken: string }).csrfToken).toBe(csrf);

    // reads need no CSRF token; the org comes from the session
    const list = await fetch(`${srv.url}${SANDBOXES}`, { headers: { cookie, 'x-sandbox-name': 'prod' } });
    expect(list.status).toBe(200);
    const ups = await fetch(`${srv.url}/data/core/ups/x`, { headers: { cookie } });
    expect(ups.status).toBe(400); // x-sandbox-name still required on /data/core/ups
    expect(await ups.json()).toEqual({ error_code: '400004', message: 'Missing header x-sandbox-name' });

    const body = JSON.stringify({ name: 'studio-dev', title: 'Studio', type: 'development' });
    const noCsrf = await fetch(`${srv.url}${SANDBOXES}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ status: 403, title: 'ForbiddenError' });
    const badCsrf = await fetch(`${srv.url}${SANDBOXES}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': 'nope' },
      body,
    });
    expect(badCsrf.status).toBe(403);
    const ok = await fetch(`${srv.url}${SANDBOXES}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body,
    });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ name: 'studio-dev', createdBy: 'admin' });

    // a wrong org header with a session is refused
    const wrongOrg = await fetch(`${srv.url}${SANDBOXES}`, { headers: { cookie, 'x-gw-ims-org-id': 'X@AdobeOrg' } });
    expect(wrongOrg.status).toBe(403);

    const logoutNoCsrf = await fetch(`${srv.url}/api/session`, { method: 'DELETE', headers: { cookie } });
    expect(logoutNoCsrf.status).toBe(403);
    const logout = await fetch(`${srv.url}/api/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^seg_session=; .*Max-Age=0/);

    const after = await fetch(`${srv.url}/api/session`, { headers: { cookie } });
    expect(after.status).toBe(401);
    const dataAfter = await fetch(`${srv.url}${SANDBOXES}`, { headers: { cookie } });
    expect(dataAfter.status).toBe(401);
    expect(await dataAfter.json()).toMatchObject({ status: 401, title: 'UnauthorizedError' });
  });

  it('sessions survive a restart', async () => {
    const res = await login();
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    srv = await srv.restart();
    const me = await fetch(`${srv.url}/api/session`, { headers: { cookie } });
    expect(me.status).toBe(200);
  });
});
