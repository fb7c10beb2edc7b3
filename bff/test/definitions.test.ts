/**
 * Segment definitions API (segmentation-api.md §3) against the real server on the conformance
 * fixture: every endpoint and status code, PQL diagnostics with positions, pql/json, conversion,
 * 422 duplicates, 409 dependents, cycles, paging/sorting/filters, sandbox isolation, restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCases } from './support/conformance.js';
import { startTestServer, type TestServer } from './support/server.js';

let srv: TestServer;
const BASE = '/data/core/ups';

beforeAll(async () => {
  srv = await startTestServer({ keepState: true });
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  if (srv) (await import('node:fs')).rmSync(srv.stateDir, { recursive: true, force: true });
});

type Json = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, path: string, body?: unknown, sandbox = 'prod'): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${srv.url}${BASE}${path}`, {
    method,
    headers: srv.headers(sandbox),
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

const text = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
function def(name: string, pql: string, extra: Record<string, unknown> = {}) {
  return { name, schema: { name: '_xdm.context.profile' }, expression: text(pql), ...extra };
}
async function create(name: string, pql: string, extra: Record<string, unknown> = {}, sandbox = 'prod') {
  const r = await call('POST', '/segment/definitions', def(name, pql, extra), sandbox);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe('create / get', () => {
  it('creates with 200, X-Location, computed flags and the expression unchanged', async () => {
    const pql = 'person.gender  =  "female"'; // spacing kept as sent
    const r = await call('POST', '/segment/definitions', def('Women', pql, { description: 'All women', ttlInDays: 30 }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-location')).toBe(`${BASE}/segment/definitions/${r.body.id}`);
    expect(r.body).toMatchObject({
      name: 'Women',
      description: 'All women',
      expression: text(pql),
      schema: { name: '_xdm.context.profile' },
      evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
      profileInstanceId: 'ups',
      dataGovernancePolicy: { excludeOptOut: true },
      imsOrgId: srv.orgId,
      sandbox: { sandboxName: 'prod', type: 'production', default: true },
      ttlInDays: 30,
      eligibility: { method: 'edge', profileOnly: true },
      warnings: [],
    });
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.creationTime).toBe(Date.parse('2026-06-15T12:00:00Z'));
    expect(r.body.updateEpoch).toBe(Math.floor(r.body.updateTime / 1000));

    const g = await call('GET', `/segment/definitions/${r.body.id}`);
    expect(g.status).toBe(200);
    const { warnings: _w, ...stored } = r.body;
    expect(g.body).toEqual(stored);
  });

  it('computes streaming/edge when requested and eligible, downgrades when not', async () => {
    const all = { batch: { enabled: true }, continuous: { enabled: true }, synchronous: { enabled: true } };
    const streaming = await create(
      'Cart adds today',
      'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds") WHEN(< 24 hours before now)])',
      { evaluationInfo: all },
    );
    expect(streaming.evaluationInfo).toEqual(all);
    const batch = await create('Three purchases', 'xEvent[eventType = "commerce.purchases"].count() >= 3', { evaluationInfo: all });
    expect(batch.evaluationInfo).toEqual({ batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } });
    expect(batch.eligibility.method).toBe('batch');
    expect(batch.eligibility.reasons.join(' ')).toMatch(/requested but the query is not eligible/);
  });

  it('accepts pql/json and returns it unchanged; checks it', async () => {
    const conv = await call('POST', '/segment/conversion', { expression: text('loyalty.points >= 1000') });
    expect(conv.status).toBe(200);
    const json = conv.body.expression;
    expect(json.format).toBe('pql/json');
    const r = await call('POST', '/segment/definitions', { name: 'Points json', schema: { name: '_xdm.context.profile' }, expression: json });
    expect(r.status).toBe(200);
    expect(r.body.expression).toEqual(json);
    const bad = await call('POST', '/segment/definitions', {
      name: 'Bad json',
      schema: { name: '_xdm.context.profile' },
      expression: { type: 'PQL', format: 'pql/json', value: '{not json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].code).toBe('PQL101');
  });

  it('404 for an unknown id', async () => {
    const r = await call('GET', '/segment/definitions/00000000-0000-4000-8000-000000000000');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ status: 404, title: 'NotFound', type: 'urn:seg:errors:not-found' });
  });

  it('400 on an invalid body with the zod issue path', async () => {
    const r = await call('POST', '/segment/definitions', { name: 'x', schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/xml', value: 'a' } });
    expect(r.status).toBe(400);
    expect(r.body.title).toBe('BadRequestError');
    expect(r.body.issues.map((i: { path: string }) => i.path)).toContain('expression.format');
    const noName = await call('POST', '/segment/definitions', { schema: { name: '_xdm.context.profile' }, expression: text('true') });
    expect(noName.status).toBe(400);
    expect(noName.body.issues[0].path).toBe('name');
    const schema = await call('POST', '/segment/definitions', def('Other schema', 'true', { schema: { name: '_xdm.context.experienceevent' } }));
    expect(schema.status).toBe(400);
  });

  it('422 for a duplicate name in the sandbox (case-insensitive)', async () => {
    await create('Dup name', 'loyalty.points > 1');
    const r = await call('POST', '/segment/definitions', def('dup NAME', 'loyalty.points > 2'));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ status: 422, title: 'UnprocessableEntityError' });
    expect(r.body.detail).toMatch(/already exists/);
  });

  it('returns warnings without failing', async () => {
    const r = await call('POST', '/segment/definitions', def('With warning', 'person.name.firstName.STARTSWITH("A")'));
    expect(r.status).toBe(200);
    expect(r.body.warnings.length).toBeGreaterThan(0);
    expect(r.body.warnings[0]).toMatchObject({ severity: 'warning', line: 1 });
  });
});

describe('PQL diagnostics (conformance invalid cases)', () => {
  const cases = readCases().invalid;
  it.each(cases.map((c) => [c.id, c] as const))('%s answers 400 with every diagnostic', async (_id, c) => {
    const r = await call('POST', '/segment/definitions', def(`invalid ${c.id}`, c.pql));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 400, title: 'BadRequestError', type: 'urn:seg:errors:bad-request' });
    expect(r.body.errors.length).toBeGreaterThan(0);
    for (const e of r.body.errors) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['message', 'code', 'line', 'column', 'endLine', 'endColumn']));
    }
    if (c.line !== null) {
      const first = r.body.errors[0];
      expect(first.line).toBe(c.line);
      if (c.column !== null) expect(first.column).toBe(c.column);
    }
  });

  it('unknown inSegment ids are rejected with positions', async () => {
    const r = await call('POST', '/segment/definitions', def('Unknown ref', 'inSegment("nope")'));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ code: 'PQL207', line: 1, column: 11 });
  });
});

describe('list', () => {
  let sbx: string;
  const names = ['L-a', 'L-b', 'L-c', 'L-d', 'L-e'];
  beforeAll(async () => {
    sbx = 'list-sbx';
    expect((await srv.createSandbox(sbx)).status).toBe(201);
    for (const n of names) await create(n, n === 'L-c' ? 'chain(xEvent, timestamp, [A: WHAT(true) WHEN(today)])' : 'true', n === 'L-c' ? { evaluationInfo: { continuous: { enabled: true } } } : {}, sbx);
  });

  it('defaults: creationTime desc, limit 100, empty link', async () => {
    const r = await call('GET', '/segment/definitions', undefined, sbx);
    expect(r.status).toBe(200);
    expect(r.body.page).toEqual({ totalCount: 5, totalPages: 1, sortField: 'creationTime', sort: 'desc', pageSize: 5, limit: 100 });
    expect(r.body.link).toEqual({});
    expect(r.body.segments).toHaveLength(5);
  });

  it('sorts by name and pages with start, page and link.next', async () => {
    const p0 = await call('GET', '/segment/definitions?sort=name:asc&limit=2', undefined, sbx);
    expect(p0.body.segments.map((s: Json) => s.name)).toEqual(['L-a', 'L-b']);
    expect(p0.body.page).toMatchObject({ totalCount: 5, totalPages: 3, sortField: 'name', sort: 'asc', pageSize: 2, limit: 2 });
    expect(p0.body.link.next.href).toMatch(/^\/segment\/definitions\?.*start=2/);
    const next = await call('GET', p0.body.link.next.href, undefined, sbx);
    expect(next.body.segments.map((s: Json) => s.name)).toEqual(['L-c', 'L-d']);
    const p2 = await call('GET', '/segment/definitions?sort=name:desc&limit=2&page=2', undefined, sbx);
    expect(p2.body.segments.map((s: Json) => s.name)).toEqual(['L-a']);
    expect(p2.body.link).toEqual({});
    const st = await call('GET', '/segment/definitions?sort=name:asc&start=4', undefined, sbx);
    expect(st.body.segments.map((s: Json) => s.name)).toEqual(['L-e']);
    const multi = await call('GET', '/segment/definitions?sort=creationTime:asc,name:desc&limit=1', undefined, sbx);
    expect(multi.status).toBe(200);
    expect(multi.body.segments[0].name).toBe('L-e');
  });

  it('filters by evaluation flags', async () => {
    const c = await call('GET', '/segment/definitions?evaluationInfo.continuous.enabled=true', undefined, sbx);
    expect(c.body.segments.map((s: Json) => s.name)).toEqual(['L-c']);
    const nc = await call('GET', '/segment/definitions?evaluationInfo.continuous.enabled=false&evaluationInfo.batch.enabled=true', undefined, sbx);
    expect(nc.body.page.totalCount).toBe(4);
    const s = await call('GET', '/segment/definitions?evaluationInfo.synchronous.enabled=true', undefined, sbx);
    expect(s.body.segments).toEqual([]);
  });

  it('400 on bad paging or sort', async () => {
    for (const q of ['limit=0', 'limit=abc', 'start=-1', 'sort=bogus:asc', 'sort=name:sideways', 'evaluationInfo.batch.enabled=maybe']) {
      const r = await call('GET', `/segment/definitions?${q}`, undefined, sbx);
      expect(r.status, q).toBe(400);
    }
  });
});

describe('bulk-get, patch, delete', () => {
  it('bulk-get answers 207 with per-id 404 entries', async () => {
    const a = await create('Bulk a', 'true');
    const r = await call('POST', '/segment/definitions/bulk-get', { ids: [{ id: a.id }, { id: 'missing-id' }] });
    expect(r.status).toBe(207);
    expect(r.body.results[a.id]).toMatchObject({ id: a.id, name: 'Bulk a' });
    expect(r.body.results['missing-id']).toEqual({ id: 'missing-id', error: { status: 404, title: 'NotFound' } });
    const bad = await call('POST', '/segment/definitions/bulk-get', { ids: [] });
    expect(bad.status).toBe(400);
  });

  it('PATCH overwrites (omitted fields take their defaults), keeps creationTime, X-Location', async () => {
    const a = await create('Patch me', 'loyalty.points > 5', {
      description: 'old',
      evaluationInfo: { continuous: { enabled: true } },
      payloadSchema: 'string',
    });
    expect(a.evaluationInfo.continuous.enabled).toBe(true);
    const r = await call('PATCH', `/segment/definitions/${a.id}`, {
      id: a.id,
      name: 'Patched',
      schema: { name: '_xdm.context.profile' },
      expression: text('xEvent[eventType = "commerce.purchases"].count() > 0'),
      creationTime: 0,
      updateTime: 0,
      updateEpoch: 0,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-location')).toBe(`${BASE}/segment/definitions/${a.id}`);
    expect(r.body).toMatchObject({ id: a.id, name: 'Patched', creationTime: a.creationTime, expression: text('xEvent[eventType = "commerce.purchases"].count() > 0') });
    expect(r.body.description).toBeUndefined();
    expect(r.body.payloadSchema).toBeUndefined();
    expect(r.body.evaluationInfo.continuous.enabled).toBe(false);
    const g = await call('GET', `/segment/definitions/${a.id}`);
    expect(g.body.name).toBe('Patched');
  });

  it('PATCH errors: 404, 400 PQL, 400 mismatched id, 422 duplicate', async () => {
    const a = await create('Patch errs', 'true');
    await create('Patch taken', 'true');
    expect((await call('PATCH', '/segment/definitions/nope', def('x', 'true'))).status).toBe(404);
    const pql = await call('PATCH', `/segment/definitions/${a.id}`, def('Patch errs', 'loyalty.points >'));
    expect(pql.status).toBe(400);
    expect(pql.body.errors[0]).toMatchObject({ line: 1 });
    expect((await call('PATCH', `/segment/definitions/${a.id}`, { ...def('Patch errs', 'true'), id: 'other' })).status).toBe(400);
    expect((await call('PATCH', `/segment/definitions/${a.id}`, def('patch TAKEN', 'true'))).status).toBe(422);
    // unchanged after the failures
    expect((await call('GET', `/segment/definitions/${a.id}`)).body.name).toBe('Patch errs');
  });

  it('DELETE answers a MessageResponse; 404 after; 409 naming the dependents', async () => {
    const base = await create('Dep base', 'loyalty.points > 0');
    const user1 = await create('Dep user 1', `inSegment("${base.id}") and person.gender = "female"`);
    const user2 = await create('Dep user 2', `not inSegment("${base.id}")`);
    const blocked = await call('DELETE', `/segment/definitions/${base.id}`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.title).toBe('ConflictError');
    expect(blocked.body.dependents).toEqual(
      expect.arrayContaining([
        { id: user1.id, name: 'Dep user 1' },
        { id: user2.id, name: 'Dep user 2' },
      ]),
    );
    expect(blocked.body.detail).toContain('Dep user 1');
    expect((await call('DELETE', `/segment/definitions/${user1.id}`)).status).toBe(200);
    expect((await call('DELETE', `/segment/definitions/${user2.id}`)).body).toEqual({ status: true, message: expect.any(String) });
    expect((await call('DELETE', `/segment/definitions/${base.id}`)).status).toBe(200);
    expect((await call('DELETE', `/segment/definitions/${base.id}`)).status).toBe(404);
    expect((await call('GET', `/segment/definitions/${base.id}`)).status).toBe(404);
  });

  it('rejects an inSegment cycle with 400 naming it', async () => {
    const a = await create('Cycle A', 'loyalty.points > 10');
    const b = await create('Cycle B', `inSegment("${a.id}")`);
    const c = await create('Cycle C', `inSegment("${b.id}") or loyalty.points > 100`);
    const r = await call('PATCH', `/segment/definitions/${a.id}`, def('Cycle A', `loyalty.points > 10 and inSegment("${c.id}")`));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/cycle/);
    expect(r.body.detail).toContain('"Cycle B"');
    expect(r.body.detail).toContain('"Cycle C"');
    expect(r.body.errors[0]).toMatchObject({ code: 'PQL207', line: 1, column: 35 });
    const self = await call('PATCH', `/segment/definitions/${a.id}`, def('Cycle A', `inSegment("${a.id}")`));
    expect(self.status).toBe(400);
    expect(self.body.detail).toMatch(/cycle/);
  });

  it('streaming with inSegment only when the referenced segment is profile-only (§11.28)', async () => {
    const profile = await create('Ref profile-only', 'loyalty.points > 10');
    const events = await create('Ref events', 'xEvent[eventType = "commerce.purchases"].count() > 1');
    const chain = 'chain(xEvent, timestamp, [K: WHAT(eventType = "commerce.checkouts") WHEN(<= 24 hours before now)])';
    const ev = { evaluationInfo: { continuous: { enabled: true } } };
    const yes = await create('Ref 47 yes', `inSegment("${profile.id}") and ${chain}`, ev);
    expect(yes.evaluationInfo.continuous.enabled).toBe(true);
    const no = await create('Ref 47 no', `inSegment("${events.id}") and ${chain}`, ev);
    expect(no.evaluationInfo.continuous.enabled).toBe(false);
    expect(no.eligibility.reasons.join(' ')).toMatch(/"Ref events".*not profile-only/);
  });
});

describe('conversion', () => {
  it('pql/text → pql/json → pql/text', async () => {
    const r = await call('POST', '/segment/conversion', {
      name: 'conv',
      description: 'd',
      schema: { name: '_xdm.context.profile' },
      expression: text('workAddress.country = "US"'),
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ imsOrgId: srv.orgId, sandbox: { sandboxName: 'prod' }, description: 'd' });
    expect(r.body.name).toBeUndefined();
    const tree = JSON.parse(r.body.expression.value);
    expect(tree).toMatchObject({ nodeType: 'fnApply', fnName: '=' });
    const back = await call('POST', '/segment/conversion', { expression: r.body.expression });
    expect(back.status).toBe(200);
    expect(back.body.expression).toEqual(text('workAddress.country = "US"'));
  });

  it('400 when unparsable, with positions', async () => {
    const r = await call('POST', '/segment/conversion', { expression: text('person.gender = = "male"') });
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ line: 1, column: 17 });
    const j = await call('POST', '/segment/conversion', { expression: { type: 'PQL', format: 'pql/json', value: '{"nodeType":"bogus"}' } });
    expect(j.status).toBe(400);
    const z = await call('POST', '/segment/conversion', { expression: { type: 'PQL' } });
    expect(z.status).toBe(400);
  });
});

describe('sandbox isolation', () => {
  it('nothing crosses sandboxes', async () => {
    expect((await srv.createSandbox('iso-dev')).status).toBe(201);
    const prodDef = await create('Iso shared name', 'true');
    // same name is fine in another sandbox
    const devDef = await create('Iso shared name', 'true', {}, 'iso-dev');
    expect(devDef.sandbox).toMatchObject({ sandboxName: 'iso-dev', type: 'development', default: false });
    expect((await call('GET', `/segment/definitions/${prodDef.id}`, undefined, 'iso-dev')).status).toBe(404);
    expect((await call('PATCH', `/segment/definitions/${prodDef.id}`, def('x', 'true'), 'iso-dev')).status).toBe(404);
    expect((await call('DELETE', `/segment/definitions/${prodDef.id}`, undefined, 'iso-dev')).status).toBe(404);
    const bulk = await call('POST', '/segment/definitions/bulk-get', { ids: [{ id: prodDef.id }] }, 'iso-dev');
    expect(bulk.body.results[prodDef.id].error.status).toBe(404);
    const list = await call('GET', '/segment/definitions', undefined, 'iso-dev');
    expect(list.body.segments.map((s: Json) => s.id)).toEqual([devDef.id]);
    // inSegment cannot reference another sandbox's definition
    const cross = await call('POST', '/segment/definitions', def('Iso cross', `inSegment("${prodDef.id}")`), 'iso-dev');
    expect(cross.status).toBe(400);
    expect(cross.body.errors[0].code).toBe('PQL207');
    // prod still intact
    expect((await call('GET', `/segment/definitions/${prodDef.id}`)).status).toBe(200);
  });
});

describe('persistence', () => {
  it('survives a restart', async () => {
    const a = await create('Persisted', 'loyalty.points > 42', { folder: 'Keep/Me' });
    srv = await srv.restart();
    const g = await call('GET', `/segment/definitions/${a.id}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ name: 'Persisted', expression: text('loyalty.points > 42'), folder: 'Keep/Me' });
    const s = await fetch(
      `${srv.url}${BASE}/search/entities?schema.name=_xdm.context.segmentdefinition&namespace=SegmentationService&s=Persisted`,
      { headers: srv.headers() },
    );
    const body = (await s.json()) as Json;
    expect(body.entities.map((e: Json) => e.id)).toEqual([a.id]);
  });
});

describe('openapi', () => {
  it('documents the definition paths', async () => {
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as Json;
    for (const p of ['/segment/definitions', '/segment/definitions/{id}', '/segment/definitions/bulk-get', '/segment/conversion'])
      expect(doc.paths[`${BASE}${p}`], p).toBeDefined();
    expect(doc.paths[`${BASE}/segment/definitions`].post.responses['200']).toBeDefined();
    expect(doc.components.schemas.SegmentDefinition).toBeDefined();
  });
});
