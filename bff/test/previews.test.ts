/**
 * Previews and estimates through the real server on the conformance fixture: every valid case's
 * members through /preview (all pages) and its count through /estimate (exact), invalid cases →
 * 400 with line/column, the documented shapes, state transitions, 404s and sandbox isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Estimate, PreviewCreated, PreviewPage } from '@seg/shared';
import { inexactEstimate, readCases } from './support/conformance.js';
import { startTestServer, type TestServer } from './support/server.js';

const BASE = '/data/core/ups';
const cases = readCases();

describe('previews and estimates', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_RATE_LIMIT: '0' } });
    expect((await srv.createSandbox('dev1')).status).toBe(201);
  });
  afterAll(async () => {
    await srv.stop();
  });

  const post = (body: unknown, sandbox = 'prod') =>
    fetch(`${srv.url}${BASE}/preview`, { method: 'POST', headers: srv.headers(sandbox), body: JSON.stringify(body) });
  const get = (path: string, sandbox = 'prod') => fetch(`${srv.url}${path}`, { headers: srv.headers(sandbox) });

  async function create(pql: string): Promise<PreviewCreated> {
    const res = await post({ predicateExpression: pql, predicateType: 'pql/text', predicateModel: '_xdm.context.profile' });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as PreviewCreated;
  }

  async function poll<T>(path: string, done: (body: T) => boolean): Promise<T> {
    for (;;) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const body = (await res.json()) as T;
      if (done(body)) return body;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Every member's primary id, following `links.next` with a small page size. */
  async function allMembers(previewId: string, limit: number): Promise<string[]> {
    await poll<PreviewPage>(`${BASE}/preview/${previewId}`, (b) => b.state === 'RESULT_READY' || b.state === 'FAILED');
    const ids: string[] = [];
    let path: string | undefined = `${BASE}/preview/${previewId}?offset=0&limit=${limit}`;
    let pages = 0;
    while (path) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const page = (await res.json()) as PreviewPage;
      expect(page.state).toBe('RESULT_READY');
      expect(page.results.length).toBeLessThanOrEqual(limit);
      expect(page.page.size).toBe(page.results.length);
      for (const r of page.results) ids.push(r.primaryIdentity.id);
      path = page.links.next || undefined;
      if (++pages > 1000) throw new Error('too many pages');
    }
    return ids;
  }

  it('POST /preview answers 201 at once with NEW, the ids and X-Location', async () => {
    const res = await post({ predicateExpression: 'person.gender = "female"' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as PreviewCreated;
    expect(body).toEqual({
      state: 'NEW',
      previewQueryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      previewQueryStatus: 'NEW',
      previewId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      previewExecutionId: 0,
    });
    expect(res.headers.get('x-location')).toBe(`${BASE}/preview/${body.previewId}`);
  });

  it('every valid conformance case: members through /preview (all pages), exact count through /estimate', async () => {
    const failures: string[] = [];
    const queue = [...cases.valid];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const { previewId } = await create(c.pql);
        const members = await allMembers(previewId, 7);
        const expected = [...c.members];
        const got = [...members].sort();
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          failures.push(`${c.id} members: expected ${expected.length}, got ${got.length} (${c.pql})`);
        }
        // no page overlaps or skips: every member once
        if (new Set(members).size !== members.length) failures.push(`${c.id}: a member appears twice`);
        const est = await poll<Estimate>(`${BASE}/estimate/${previewId}`, (b) => b.state !== 'RUNNING');
        const inexact = inexactEstimate(est as Record<string, unknown>, c.count);
        if (inexact) failures.push(`${c.id} estimate: ${inexact}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(failures).toEqual([]);
  });

  it('every invalid conformance case → 400 with each diagnostic and its line/column', async () => {
    for (const c of cases.invalid) {
      const res = await post({ predicateExpression: c.pql });
      const body = (await res.json()) as {
        status: number;
        title: string;
        detail: string;
        report: { errors: { line: number; column: number; message: string }[] };
      };
      expect(res.status, `${c.id} ${c.pql}`).toBe(400);
      expect(body.title).toBe('BadRequestError');
      expect(body.report.errors.length, c.id).toBeGreaterThan(0);
      const first = body.report.errors[0]!;
      if (c.line !== null) expect(first.line, `${c.id} line`).toBe(c.line);
      if (c.column !== null) expect(first.column, `${c.id} column`).toBe(c.column);
      expect(body.detail).toMatch(/line \d+, column \d+/);
    }
  });

  it('rejects a bad body: other predicateType, missing expression, non-JSON', async () => {
    const other = await post({ predicateExpression: 'person.gender = "female"', predicateType: 'pql/json' });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { detail: string }).detail).toMatch(/predicateType/);
    const missing = await post({ predicateType: 'pql/text' });
    expect(missing.status).toBe(400);
    const model = await post({ predicateExpression: 'person.gender = "female"', predicateModel: '_xdm.context.experienceevent' });
    expect(model.status).toBe(400);
  });

  it('page results carry primaryIdentity, identityMap, entity and the spec fields', async () => {
    const { previewId } = await create('person.name.lastName = "Lovelace"');
    const page = await poll<PreviewPage>(`${BASE}/preview/${previewId}`, (b) => b.state === 'RESULT_READY');
    expect(page.totalCount).toBe(page.results.length);
    expect(page.results.length).toBeGreaterThan(0);
    const r = page.results[0]!;
    expect(r.primaryIdentity).toEqual({ namespace: 'Email', id: 'ada.lovelace@example.com' });
    expect(r.objectId).toBe('ada.lovelace@example.com');
    expect(r._href).toContain('entityId=ada.lovelace%40example.com');
    expect(r.identityMap.Email).toContainEqual(expect.objectContaining({ id: 'ada.lovelace@example.com', primary: true }));
    expect((r.entity as { person: { name: { lastName: string } } }).person.name.lastName).toBe('Lovelace');
    expect(r.entity).not.toHaveProperty('identityMap');
    for (const rel of r.relatedObjects) expect(Object.keys(r.identityMap)).toContain(rel.namespace);
    expect(page.links).toEqual({ _self: `${BASE}/preview/${previewId}?offset=0&limit=1000`, next: '', prev: '' });
    expect(page.page).toEqual({ offset: 0, size: page.results.length });
  });

  it('paging: next/prev links, offset past the end, default limit 1000', async () => {
    const c = cases.valid.find((v) => v.count >= 10)!;
    const { previewId } = await create(c.pql);
    await poll<PreviewPage>(`${BASE}/preview/${previewId}`, (b) => b.state === 'RESULT_READY');
    const second = (await (await get(`${BASE}/preview/${previewId}?offset=3&limit=3`)).json()) as PreviewPage;
    expect(second.page).toEqual({ offset: 3, size: 3 });
    expect(second.links.prev).toBe(`${BASE}/preview/${previewId}?offset=0&limit=3`);
    expect(second.links.next).toBe(`${BASE}/preview/${previewId}?offset=6&limit=3`);
    const past = (await (await get(`${BASE}/preview/${previewId}?offset=${c.count + 5}`)).json()) as PreviewPage;
    expect(past.results).toEqual([]);
    expect(past.links.next).toBe('');
    const all = (await (await get(`${BASE}/preview/${previewId}`)).json()) as PreviewPage;
    expect(all.results.map((r) => r.primaryIdentity.id).sort()).toEqual(c.members);
    expect((await get(`${BASE}/preview/${previewId}?limit=0`)).status).toBe(400);
    expect((await get(`${BASE}/preview/${previewId}?offset=abc`)).status).toBe(400);
  });

  it('estimate: namespace distribution and the preview link once ready', async () => {
    const { previewId } = await create('person.gender = "female"');
    const est = await poll<Estimate>(`${BASE}/estimate/${previewId}`, (b) => b.state === 'RESULT_READY');
    const email = est.estimatedNamespaceDistribution.find((d) => d.namespaceCode === 'Email');
    expect(email).toEqual({ namespaceId: '6', namespaceCode: 'Email', profilesMatchedSoFar: 23 });
    expect(est.error).toEqual({ description: '', traceback: '' });
    expect(est._links.preview).toContain(`${BASE}/preview/${previewId}`);
    expect(est.sampleFraction).toBe(1);
  });

  it('state transitions are NEW → RUNNING → RESULT_READY, never backwards', async () => {
    const order = ['NEW', 'RUNNING', 'RESULT_READY'];
    const { previewId, state } = await create('xEvent.count() > 3 and person.gender = "female"');
    const seen = [state];
    for (;;) {
      const page = (await (await get(`${BASE}/preview/${previewId}`)).json()) as PreviewPage;
      expect(page.previewQueryStatus).toBe(page.state);
      if (page.state !== 'RESULT_READY') expect(page.results).toEqual([]);
      seen.push(page.state);
      if (page.state === 'RESULT_READY') break;
    }
    const indices = seen.map((s) => order.indexOf(s));
    expect(indices.every((i) => i >= 0)).toBe(true);
    expect([...indices].sort((a, b) => a - b)).toEqual(indices);
  });

  it('unknown ids, deleted previews and another sandbox’s previews are 404', async () => {
    for (const path of [`${BASE}/preview/nope`, `${BASE}/estimate/nope`]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { type: string }).type).toBe('urn:seg:errors:not-found');
    }
    expect((await fetch(`${srv.url}${BASE}/preview/nope`, { method: 'DELETE', headers: srv.headers() })).status).toBe(404);

    const { previewId } = await create('person.gender = "female"');
    await poll<PreviewPage>(`${BASE}/preview/${previewId}`, (b) => b.state === 'RESULT_READY');
    expect((await get(`${BASE}/preview/${previewId}`, 'dev1')).status).toBe(404);
    expect((await get(`${BASE}/estimate/${previewId}`, 'dev1')).status).toBe(404);
    expect((await fetch(`${srv.url}${BASE}/preview/${previewId}`, { method: 'DELETE', headers: srv.headers('dev1') })).status).toBe(404);
    // still there for its own sandbox
    expect((await get(`${BASE}/preview/${previewId}`)).status).toBe(200);

    const del = await fetch(`${srv.url}${BASE}/preview/${previewId}`, { method: 'DELETE', headers: srv.headers() });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ status: true, message: 'KILLED' });
    expect((await get(`${BASE}/preview/${previewId}`)).status).toBe(404);
    expect((await get(`${BASE}/estimate/${previewId}`)).status).toBe(404);
  });

  it('a development sandbox (empty data) previews its own, empty, audience', async () => {
    const res = await post({ predicateExpression: 'xEvent.count() > 0' }, 'dev1');
    expect(res.status).toBe(201);
    const { previewId } = (await res.json()) as PreviewCreated;
    for (;;) {
      const est = (await (await get(`${BASE}/estimate/${previewId}`, 'dev1')).json()) as Estimate;
      if (est.state === 'RESULT_READY') {
        expect(est).toMatchObject({ estimatedSize: 0, totalRows: 0, exact: true });
        break;
      }
    }
    for (;;) {
      const page = (await (await get(`${BASE}/preview/${previewId}`, 'dev1')).json()) as PreviewPage;
      if (page.state === 'RESULT_READY') {
        expect(page.results).toEqual([]);
        expect(page.totalCount).toBe(0);
        break;
      }
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths[`${BASE}/preview`] ?? {})).toContain('post');
    expect(Object.keys(doc.paths[`${BASE}/preview/{id}`] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths[`${BASE}/estimate/{id}`] ?? {})).toContain('get');
  });
});
