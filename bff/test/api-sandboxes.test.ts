/**
 * Sandboxes: create/list/get, validation, and isolation between organisations and sandboxes
 * (control plane and data plane).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/control/clients.js';
import { sandboxRef } from '../src/control/sandboxes.js';
import { startTestServer, type TestServer } from './support/server.js';

const BASE = '/data/foundation/sandbox-management/sandboxes';

describe('sandboxes', () => {
  let srv: TestServer;
  let org2: { orgId: string; clientId: string; token: string };

  beforeAll(async () => {
    srv = await startTestServer();
    const o = createOrganization(srv.running.services.db, { name: 'Second', now: Date.now() });
    const res = await fetch(`${srv.url}/ims/token/v3`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: o.client.clientId, client_secret: o.clientSecret }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    org2 = { orgId: o.org.id, clientId: o.client.clientId, token: access_token };
  });
  afterAll(async () => {
    await srv.stop();
  });

  const org2Headers = (sandbox = 'prod') => ({
    ...srv.headers(sandbox),
    authorization: `Bearer ${org2.token}`,
    'x-api-key': org2.clientId,
    'x-gw-ims-org-id': org2.orgId,
  });

  it('prod exists from the start', async () => {
    const res = await fetch(`${srv.url}${BASE}/prod`, { headers: srv.headers() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'prod', type: 'production', isDefault: true, state: 'active' });
  });

  it('creates a development sandbox, lists it, gets it; 409 on a duplicate', async () => {
    const res = await srv.createSandbox('dev-a', 'Development A');
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ name: 'dev-a', title: 'Development A', type: 'development', isDefault: false, state: 'active' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

    const list = (await (await fetch(`${srv.url}${BASE}`, { headers: srv.headers() })).json()) as {
      sandboxes: { name: string }[];
      _page: Record<string, number>;
      _links: Record<string, unknown>;
    };
    expect(list.sandboxes.map((s) => s.name)).toEqual(['prod', 'dev-a']);
    expect(list._page).toMatchObject({ count: 2, totalCount: 2 });
    expect(list._links).toEqual({ next: {}, prev: {} });

    const paged = (await (await fetch(`${srv.url}${BASE}?limit=1`, { headers: srv.headers() })).json()) as typeof list;
    expect(paged.sandboxes).toHaveLength(1);
    expect(paged._links.next).toEqual({ href: `${BASE}?limit=1&offset=1` });

    const get = await fetch(`${srv.url}${BASE}/dev-a`, { headers: srv.headers() });
    expect(await get.json()).toEqual(created);

    const dup = await srv.createSandbox('dev-a');
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ status: 409, title: 'ConflictError' });
  });

  it('validates name, title and type with zod issue paths', async () => {
    for (const body of [
      { name: 'Bad Name', title: 't', type: 'development' },
      { name: 'ok', title: '', type: 'development' },
      { name: 'ok2', title: 't', type: 'production' },
      { title: 't', type: 'development' },
    ]) {
      const res = await fetch(`${srv.url}${BASE}`, { method: 'POST', headers: srv.headers(), body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json()) as { title: string; detail: string; issues: { path: string }[] };
      expect(err.title).toBe('BadRequestError');
      expect(err.issues.length).toBeGreaterThan(0);
      expect(err.detail).toMatch(/^Invalid request: /);
    }
  });

  it('the new sandbox is usable as x-sandbox-name and has its own, empty data', async () => {
    const res = await fetch(`${srv.url}/data/core/ups/whatever`, { headers: srv.headers('dev-a') });
    expect(res.status).toBe(404); // passed auth + sandbox resolution, then no route
    const plane = srv.running.services.dataPlane;
    const dev = await plane.forSandbox(srv.orgId, 'dev-a');
    const prod = await plane.forSandbox(srv.orgId, 'prod');
    expect(dev.profileCount).toBe(0);
    expect(prod.profileCount).toBeGreaterThan(0);
    expect(dev.store).not.toBe(prod.store);
    expect(existsSync(path.join(plane.sandboxDir(srv.orgId, 'dev-a'), 'data.duckdb'))).toBe(true);
    // the empty dataset evaluates
    const rows = await dev.store.query('SELECT count(*) AS n FROM events');
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('another organisation sees none of it: its sandboxes, its data, 404/403 like missing ones', async () => {
    const list = (await (await fetch(`${srv.url}${BASE}`, { headers: org2Headers() })).json()) as { sandboxes: { name: string }[] };
    expect(list.sandboxes.map((s) => s.name)).toEqual(['prod']);

    const get = await fetch(`${srv.url}${BASE}/dev-a`, { headers: org2Headers() });
    expect(get.status).toBe(404);
    const missing = await fetch(`${srv.url}${BASE}/never-existed`, { headers: org2Headers() });
    expect(missing.status).toBe(404);
    const a = (await get.json()) as { detail: string };
    const b = (await missing.json()) as { detail: string };
    expect(a.detail.replace('dev-a', 'X')).toBe(b.detail.replace('never-existed', 'X'));

    // an existing sandbox of org 1 is exactly as unknown to org 2 as a missing one
    const r1 = await fetch(`${srv.url}/data/core/ups/segment/definitions`, { headers: org2Headers('dev-a') });
    const r2 = await fetch(`${srv.url}/data/core/ups/segment/definitions`, { headers: org2Headers('nope') });
    expect(r1.status).toBe(403);
    expect(r2.status).toBe(403);
    expect(((await r1.json()) as { error_code: string }).error_code).toBe('403026');
    expect(((await r2.json()) as { error_code: string }).error_code).toBe('403026');

    // org 2 may create its own dev-a; it is a different sandbox with different data
    const created = await fetch(`${srv.url}${BASE}`, {
      method: 'POST',
      headers: org2Headers(),
      body: JSON.stringify({ name: 'dev-a', title: 'Org 2 dev', type: 'development' }),
    });
    expect(created.status).toBe(201);
    const mine = (await (await fetch(`${srv.url}${BASE}/dev-a`, { headers: srv.headers() })).json()) as { id: string; title: string };
    const theirs = (await created.json()) as { id: string; title: string };
    expect(theirs.id).not.toBe(mine.id);
    expect(mine.title).toBe('Development A');

    const plane = srv.running.services.dataPlane;
    expect(plane.sandboxDir(org2.orgId, 'dev-a')).not.toBe(plane.sandboxDir(srv.orgId, 'dev-a'));
    const org2Prod = await plane.forSandbox(org2.orgId, 'prod');
    expect(org2Prod.profileCount).toBe(0);

    // org 1's token cannot act for org 2
    const cross = await fetch(`${srv.url}${BASE}`, { headers: { ...srv.headers(), 'x-gw-ims-org-id': org2.orgId } });
    expect(cross.status).toBe(403);
    expect(await cross.json()).toEqual({ error_code: '403025', message: 'Profile is not valid' });
  });

  it('sandboxRef gives the §1.3 echo shape', () => {
    const ref = sandboxRef({
      id: 'u',
      orgId: 'o',
      name: 'prod',
      title: 'P',
      type: 'production',
      isDefault: true,
      createdAt: 0,
      updatedAt: 0,
      createdBy: 'system',
    });
    expect(ref).toEqual({ sandboxId: 'u', sandboxName: 'prod', type: 'production', default: true });
  });
});

describe('GET /api/schema', () => {
  it("answers the sandbox's inferred schema, and an empty one for a new sandbox", async () => {
    const server = await startTestServer();
    try {
      const prod = await fetch(`${server.url}/api/schema`, { headers: server.headers() });
      expect(prod.status).toBe(200);
      const schema = (await prod.json()) as { profile: { fields: Record<string, unknown> }; event: { fields: Record<string, unknown> } };
      expect(schema.profile.fields.loyalty).toMatchObject({ kind: 'object' });
      expect(schema.event.fields.timestamp).toEqual({ kind: 'datetime' });
      await server.createSandbox('schema-dev');
      const dev = await fetch(`${server.url}/api/schema`, { headers: server.headers('schema-dev') });
      expect(dev.status).toBe(200);
      expect(((await dev.json()) as { profile: { fields: object } }).profile.fields).not.toHaveProperty('loyalty');
      expect((await fetch(`${server.url}/api/schema`)).status).toBe(403);
    } finally {
      await server.stop();
    }
  });
});
