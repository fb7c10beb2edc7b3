/**
 * Cancellation and the query time limit, on the conformance fixture with expressions that are
 * deterministically heavy: nested `exists` over each profile's events (a 4-way cross product, about
 * a minute of DuckDB work; a 5-way one, twenty times that) — never allowed to finish here.
 *
 * DuckDB checks for an interrupt between vectors (2,048 rows), so a cancelled query stops once the
 * vector in hand is evaluated: on the fixture, at most the current sample step of the 4-way query.
 * The assertions are on states, not on wall-clock thresholds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Estimate, PreviewCreated, PreviewPage } from '@seg/shared';
import { getSandbox } from '../src/control/sandboxes.js';
import { previewManager, type Scope } from '../src/data/previews.js';
import { startTestServer, type TestServer } from './support/server.js';

const BASE = '/data/core/ups';
const HEAVY =
  'exists A from xEvent where (exists B from xEvent where (exists C from xEvent where (exists D from xEvent where ' +
  '(A.timestamp < B.timestamp and B.timestamp < C.timestamp and C.timestamp < D.timestamp and D.timestamp < A.timestamp))))';
const HEAVIER =
  'exists A from xEvent where (exists B from xEvent where (exists C from xEvent where (exists D from xEvent where ' +
  '(exists F from xEvent where (A.timestamp < B.timestamp and B.timestamp < C.timestamp and C.timestamp < D.timestamp ' +
  'and D.timestamp < F.timestamp and F.timestamp < A.timestamp)))))';

async function create(srv: TestServer, pql: string): Promise<PreviewCreated> {
  const res = await fetch(`${srv.url}${BASE}/preview`, {
    method: 'POST',
    headers: srv.headers(),
    body: JSON.stringify({ predicateExpression: pql }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as PreviewCreated;
}

async function getJson<T>(srv: TestServer, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${srv.url}${path}`, { headers: srv.headers() });
  return { status: res.status, body: (await res.json()) as T };
}

function scopeOf(srv: TestServer): Scope {
  const sb = getSandbox(srv.running.services.db, srv.orgId, 'prod')!;
  return { orgId: srv.orgId, sandbox: { id: sb.id, name: sb.name } };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('cancelling a preview', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_RATE_LIMIT: '0' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('DELETE interrupts the running query, while a preview of more of the same work keeps running', async () => {
    const manager = previewManager(srv.running.services);
    const scope = scopeOf(srv);
    const a = await create(srv, HEAVY);
    const b = await create(srv, HEAVIER);
    const recA = manager.get(scope, a.previewId)!;
    const recB = manager.get(scope, b.previewId)!;
    // both running, each with its DuckDB query under way
    while (!(recA.state === 'RUNNING' && recB.state === 'RUNNING' && manager.runningQueries >= 2)) await tick();
    const page = await getJson<PreviewPage>(srv, `${BASE}/preview/${a.previewId}`);
    expect(page.body).toMatchObject({ state: 'RUNNING', results: [] });
    const est = await getJson<Estimate>(srv, `${BASE}/estimate/${a.previewId}`);
    expect(est.body.state).toBe('RUNNING');

    const del = await fetch(`${srv.url}${BASE}/preview/${a.previewId}`, { method: 'DELETE', headers: srv.headers() });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ status: true, message: 'KILLED' });
    expect((await getJson(srv, `${BASE}/preview/${a.previewId}`)).status).toBe(404);
    expect((await getJson(srv, `${BASE}/estimate/${a.previewId}`)).status).toBe(404);

    // A's evaluation ends (its query interrupted) while B, which has A's work and more to do, still runs
    await recA.done;
    expect(recB.state).toBe('RUNNING');
    expect(manager.runningQueries).toBe(1);
    expect((await getJson<Estimate>(srv, `${BASE}/estimate/${b.previewId}`)).body.state).toBe('RUNNING');

    // deleting B too leaves nothing running, and the server still evaluates new previews
    expect((await fetch(`${srv.url}${BASE}/preview/${b.previewId}`, { method: 'DELETE', headers: srv.headers() })).status).toBe(200);
    await recB.done;
    expect(manager.runningQueries).toBe(0);
    const c = await create(srv, 'person.gender = "female"');
    for (;;) {
      const { body } = await getJson<PreviewPage>(srv, `${BASE}/preview/${c.previewId}`);
      if (body.state === 'RESULT_READY') {
        expect(body.totalCount).toBe(23);
        break;
      }
      await tick();
    }
  });

  it('DELETE of a finished preview forgets it and its estimate', async () => {
    const { previewId } = await create(srv, 'person.gender = "female"');
    const rec = previewManager(srv.running.services).get(scopeOf(srv), previewId)!;
    await rec.done;
    expect(rec.state).toBe('RESULT_READY');
    expect((await fetch(`${srv.url}${BASE}/preview/${previewId}`, { method: 'DELETE', headers: srv.headers() })).status).toBe(200);
    expect((await getJson(srv, `${BASE}/estimate/${previewId}`)).status).toBe(404);
    expect((await fetch(`${srv.url}${BASE}/preview/${previewId}`, { method: 'DELETE', headers: srv.headers() })).status).toBe(404);
  });
});

describe('the query time limit', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_RATE_LIMIT: '0', SEG_QUERY_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('interrupts a runaway evaluation: FAILED with a message naming the limit, no stack, no SQL', async () => {
    const { previewId } = await create(srv, HEAVY);
    const manager = previewManager(srv.running.services);
    const rec = manager.get(scopeOf(srv), previewId)!;
    await rec.done;
    expect(manager.runningQueries).toBe(0);
    const { body: page } = await getJson<PreviewPage>(srv, `${BASE}/preview/${previewId}`);
    expect(page.state).toBe('FAILED');
    expect(page.results).toEqual([]);
    expect(page.error?.description).toBe(
      'The query took longer than the limit of 1000 ms (SEG_QUERY_TIMEOUT_MS) and was interrupted.',
    );
    const { body: est } = await getJson<Estimate>(srv, `${BASE}/estimate/${previewId}`);
    expect(est.state).toBe('FAILED');
    expect(est.error.description).toMatch(/SEG_QUERY_TIMEOUT_MS/);
    expect(est.error.description).not.toMatch(/SELECT|at .*\.ts/);
    expect(est._links.preview).toBe('');
  });
});
