/** Catalog datasets: create, list, get, validation, sandbox isolation; batch/file 404s. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { ACCESS, CATALOG, call, createDataset } from './support/exports.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  expect((await srv.createSandbox('dev1')).status).toBe(201);
});
afterAll(async () => {
  await srv?.stop();
});

describe('datasets', () => {
  it('creates, lists and gets datasets in Catalog shapes', async () => {
    const r = await call(srv, 'POST', `${CATALOG}/dataSets`, { name: 'Audience export', description: 'd', fileDescription: { format: 'json' } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual([expect.stringMatching(/^@\/dataSets\/[0-9a-f]{24}$/)]);
    const id = (r.body as string[])[0]!.slice('@/dataSets/'.length);
    const g = await call(srv, 'GET', `${CATALOG}/dataSets/${id}`);
    expect(g.status).toBe(200);
    expect(Object.keys(g.body)).toEqual([id]);
    expect(g.body[id]).toMatchObject({
      id,
      name: 'Audience export',
      description: 'd',
      imsOrg: srv.orgId,
      schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile__union' },
      fileDescription: { format: 'ndjson' },
    });
    const id2 = await createDataset(srv, 'Second');
    const l = await call(srv, 'GET', `${CATALOG}/dataSets`);
    expect(l.status).toBe(200);
    expect(Object.keys(l.body)).toEqual(expect.arrayContaining([id, id2]));
    const named = await call(srv, 'GET', `${CATALOG}/dataSets?name=Second`);
    expect(Object.keys(named.body)).toEqual([id2]);
    const page = await call(srv, 'GET', `${CATALOG}/dataSets?limit=1&start=1`);
    expect(Object.keys(page.body)).toHaveLength(1);
  });

  it('validates the body', async () => {
    expect((await call(srv, 'POST', `${CATALOG}/dataSets`, { name: '' })).status).toBe(400);
    expect((await call(srv, 'POST', `${CATALOG}/dataSets`, { name: 'x', fileDescription: { format: 'xml' } })).status).toBe(400);
    expect((await call(srv, 'GET', `${CATALOG}/dataSets?limit=1000`)).status).toBe(400);
  });

  it("keeps sandboxes apart: another sandbox's ids are 404", async () => {
    const id = await createDataset(srv, 'Prod only');
    expect((await call(srv, 'GET', `${CATALOG}/dataSets/${id}`, undefined, 'dev1')).status).toBe(404);
    const l = await call(srv, 'GET', `${CATALOG}/dataSets`, undefined, 'dev1');
    expect(l.body).toEqual({});
    const dev = await createDataset(srv, 'Dev only', {}, 'dev1');
    expect((await call(srv, 'GET', `${CATALOG}/dataSets/${dev}`)).status).toBe(404);
    // an export job in dev1 cannot target the prod dataset
    const e = await call(srv, 'POST', '/data/core/ups/export/jobs', { destination: { datasetId: id }, schema: { name: '_xdm.context.profile' } }, 'dev1');
    expect(e.status).toBe(400);
  });

  it('answers 404 for unknown batches and files, and needs the sandbox header', async () => {
    expect((await call(srv, 'GET', `${CATALOG}/batches/nope`)).status).toBe(404);
    expect((await call(srv, 'GET', `${ACCESS}/batches/nope/files`)).status).toBe(404);
    expect((await call(srv, 'GET', `${ACCESS}/files/nope`)).status).toBe(404);
    const r = await call(srv, 'GET', `${CATALOG}/nothing-here`);
    expect(r.status).toBe(404);
    const { 'x-sandbox-name': _omit, ...noSandbox } = srv.headers();
    const res = await fetch(`${srv.url}${CATALOG}/dataSets`, { headers: noSandbox });
    expect(res.status).toBe(400);
    const anon = await fetch(`${srv.url}${CATALOG}/dataSets`);
    expect(anon.status).toBe(403);
  });
});
