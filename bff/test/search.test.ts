/**
 * Segment search (segmentation-api.md §8) against the real server: namespaces, entities,
 * taxonomy, the `s` syntax (terms, AND/OR/NOT, wildcards, phrases, fields), folders, paging,
 * bad syntax (400), sandbox isolation; plus unit tests of the `s` parser and its FTS5 compilation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSearch } from '../src/control/search.js';
import { startTestServer, type TestServer } from './support/server.js';

let srv: TestServer;
const BASE = '/data/core/ups';
const SCHEMA = 'schema.name=_xdm.context.segmentdefinition';
const NS = 'namespace=SegmentationService';
type Json = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function get(path: string, sandbox = 'prod', headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${srv.url}${BASE}${path}`, { headers: { ...srv.headers(sandbox), 'x-ups-search-version': '1.0', ...headers } });
  return { status: res.status, body: (await res.json()) as Json };
}

const ids: Record<string, string> = {};
async function create(name: string, description: string | undefined, folder?: string, sandbox = 'srch') {
  const res = await fetch(`${srv.url}${BASE}/segment/definitions`, {
    method: 'POST',
    headers: srv.headers(sandbox),
    body: JSON.stringify({
      name,
      ...(description ? { description } : {}),
      ...(folder ? { folder } : {}),
      schema: { name: '_xdm.context.profile' },
      expression: { type: 'PQL', format: 'pql/text', value: 'true' },
    }),
  });
  const body = (await res.json()) as Json;
  expect(res.status, JSON.stringify(body)).toBe(200);
  ids[name] = body.id;
  return body;
}

async function names(s: string, sandbox = 'srch'): Promise<string[]> {
  const r = await get(`/search/entities?${SCHEMA}&${NS}&s=${encodeURIComponent(s)}`, sandbox);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.entities as Json[]).map((e) => e.name as string).sort();
}

beforeAll(async () => {
  srv = await startTestServer();
  expect((await srv.createSandbox('srch')).status).toBe(201);
  expect((await srv.createSandbox('other')).status).toBe(201);
  await create('Gold Loyalty Members', 'Rich customers buying often', 'Marketing/Email');
  await create('Silver members', 'Cart abandoners in Europe', 'Marketing');
  await create('Platform buyers', 'Bought on the platform', undefined);
  await create('Café lovers', 'Coffee-shop visitors', 'Marketing/Email');
  await create('AAM imports', undefined, 'Imports');
  await create('Gold Secret', 'only in other', undefined, 'other');
}, 120_000);
afterAll(async () => {
  await srv?.stop();
});

describe('s syntax over the index', () => {
  it('terms are case- and accent-insensitive; juxtaposition is OR', async () => {
    expect(await names('gold')).toEqual(['Gold Loyalty Members']);
    expect(await names('cafe')).toEqual(['Café lovers']);
    expect(await names('gold silver')).toEqual(['Gold Loyalty Members', 'Silver members']);
  });

  it('AND / OR / NOT and their symbols', async () => {
    expect(await names('members AND gold')).toEqual(['Gold Loyalty Members']);
    expect(await names('members && silver')).toEqual(['Silver members']);
    expect(await names('gold OR platform')).toEqual(['Gold Loyalty Members', 'Platform buyers']);
    expect(await names('members NOT gold')).toEqual(['Silver members']);
    expect(await names('members AND NOT gold')).toEqual(['Silver members']);
    expect(await names('members -silver')).toEqual(['Gold Loyalty Members']);
    expect(await names('NOT members')).toEqual(['AAM imports', 'Café lovers', 'Platform buyers']);
    expect(await names('(gold OR silver) AND NOT europe')).toEqual(['Gold Loyalty Members']);
    expect(await names('!(members OR buyers)')).toEqual(['AAM imports', 'Café lovers']);
  });

  it('wildcards * and ?', async () => {
    expect(await names('memb*')).toEqual(['Gold Loyalty Members', 'Silver members']);
    expect(await names('*yalty')).toEqual(['Gold Loyalty Members']);
    expect(await names('g?ld')).toEqual(['Gold Loyalty Members']);
    expect(await names('b*ers')).toEqual(['Platform buyers']);
    expect(await names('segmentName:pl*')).toEqual(['Platform buyers']);
    expect(await names('zz*q')).toEqual([]);
    expect((await names('*')).length).toBe(5);
  });

  it('phrases and proximity', async () => {
    expect(await names('"loyalty members"')).toEqual(['Gold Loyalty Members']);
    expect(await names('"gold members"')).toEqual([]);
    expect(await names('"gold members"~1')).toEqual(['Gold Loyalty Members']);
    expect(await names('"coffee shop"')).toEqual(['Café lovers']);
  });

  it('field:term and field:(group)', async () => {
    expect(await names('segmentDescription:platform')).toEqual(['Platform buyers']);
    expect(await names('segmentName:platform')).toEqual(['Platform buyers']);
    expect(await names('segmentName:bought')).toEqual([]);
    expect(await names('segmentName:(gold OR silver)')).toEqual(['Gold Loyalty Members', 'Silver members']);
    expect(await names('SEGMENTNAME:gold')).toEqual(['Gold Loyalty Members']);
    expect(await names(`segmentId:${ids['Platform buyers']}`)).toEqual(['Platform buyers']);
    expect(await names('folderLocation:email')).toEqual(['Café lovers', 'Gold Loyalty Members']);
    expect(await names('folderLocation:"Marketing/Email"')).toEqual(['Café lovers', 'Gold Loyalty Members']);
  });

  it('quotes and FTS5 syntax in user text are inert', async () => {
    expect(await names('"gold" OR "x\\" y" OR NEAR OR AND*')).toEqual(['Gold Loyalty Members']);
    expect(await names('segmentName:"gold" OR segmentDescription:"*"')).toEqual(['Gold Loyalty Members']);
    for (const s of ['gold*)', 'segmentName : "a" NEAR', '^gold', 'col:*']) {
      const r = await get(`/search/entities?${SCHEMA}&${NS}&s=${encodeURIComponent(s)}`, 'srch');
      expect([200, 400], s).toContain(r.status);
    }
  });

  it('bad syntax answers 400 with a clear message', async () => {
    const cases: [string, RegExp][] = [
      ['gold AND', /expected after AND/],
      ['(gold', /closing parenthesis/],
      ['gold)', /closing parenthesis without an opening/],
      ['"gold', /Unterminated phrase/],
      ['bogus:gold', /Unknown search field "bogus"/],
      ['gold~2', /Fuzzy search/],
      ['/go.d/', /Regular expressions/],
      ['NOT', /expected after NOT/],
      ['segmentName:', /expected after "segmentName:"/],
    ];
    for (const [s, re] of cases) {
      const r = await get(`/search/entities?${SCHEMA}&${NS}&s=${encodeURIComponent(s)}`, 'srch');
      expect(r.status, s).toBe(400);
      expect(r.body.title).toBe('BadRequestError');
      expect(r.body.detail, s).toMatch(re);
    }
  });
});

describe('/search/namespaces', () => {
  it('counts matches in our namespace', async () => {
    const all = await get(`/search/namespaces?${SCHEMA}`, 'srch');
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      namespaces: [{ namespace: 'SegmentationService', displayName: 'Segmentation Service', count: 5 }],
      totalCount: 1,
      status: { message: 'Success' },
    });
    const some = await get(`/search/namespaces?${SCHEMA}&s=members`, 'srch');
    expect(some.body.namespaces[0].count).toBe(2);
    expect((await get(`/search/namespaces?schemaClass=_xdm.context.segmentdefinition`, 'srch')).status).toBe(200);
  });

  it('400 without or with a wrong schema.name, or a wrong version', async () => {
    expect((await get('/search/namespaces', 'srch')).status).toBe(400);
    expect((await get('/search/namespaces?schema.name=_xdm.context.profile', 'srch')).status).toBe(400);
    expect((await get(`/search/namespaces?${SCHEMA}`, 'srch', { 'x-ups-search-version': '2.0' })).status).toBe(400);
    expect((await get(`/search/namespaces?${SCHEMA}&s=${encodeURIComponent('(')}`, 'srch')).status).toBe(400);
  });
});

describe('/search/entities', () => {
  it('lists folders first, then definitions, with parentFolderId root at the top', async () => {
    const r = await get(`/search/entities?${SCHEMA}&${NS}`, 'srch');
    expect(r.status).toBe(200);
    const ents = r.body.entities as Json[];
    expect(ents.map((e) => [e.isFolder, e.name])).toEqual([
      [true, 'Imports'],
      [true, 'Marketing'],
      [true, 'Email'],
      [false, 'AAM imports'],
      [false, 'Café lovers'],
      [false, 'Gold Loyalty Members'],
      [false, 'Platform buyers'],
      [false, 'Silver members'],
    ]);
    expect(r.body.page).toEqual({ totalCount: 8, totalPages: 1, pageOffset: 0, pageSize: 8 });
    const marketing = ents.find((e) => e.name === 'Marketing')!;
    const email = ents.find((e) => e.name === 'Email')!;
    expect(marketing.parentFolderId).toBe('root');
    expect(email.parentFolderId).toBe(marketing.id);
    const platform = ents.find((e) => e.name === 'Platform buyers')!;
    expect(platform).toMatchObject({ parentFolderId: 'root', sourceId: ids['Platform buyers'], description: 'Bought on the platform' });
    expect(Buffer.from(platform.base64EncodedSourceId, 'base64').toString()).toBe(ids['Platform buyers']);
    expect(r.body.status.message).toBe('Success');

    // entityId: direct children of a folder
    const inMarketing = await get(`/search/entities?${SCHEMA}&${NS}&entityId=${marketing.id}`, 'srch');
    expect((inMarketing.body.entities as Json[]).map((e) => e.name)).toEqual(['Email', 'Silver members']);
    const inEmail = await get(`/search/entities?${SCHEMA}&${NS}&entityId=${email.id}&s=gold`, 'srch');
    expect((inEmail.body.entities as Json[]).map((e) => e.name)).toEqual(['Gold Loyalty Members']);
    const root = await get(`/search/entities?${SCHEMA}&${NS}&entityId=root`, 'srch');
    expect((root.body.entities as Json[]).map((e) => e.name)).toEqual(['Imports', 'Marketing', 'Platform buyers']);
  });

  it('pages with limit (max 50) and 0-based page', async () => {
    const p1 = await get(`/search/entities?${SCHEMA}&${NS}&limit=3&page=1`, 'srch');
    expect((p1.body.entities as Json[]).map((e) => e.name)).toEqual(['AAM imports', 'Café lovers', 'Gold Loyalty Members']);
    expect(p1.body.page).toEqual({ totalCount: 8, totalPages: 3, pageOffset: 1, pageSize: 3 });
    expect((await get(`/search/entities?${SCHEMA}&${NS}&limit=51`, 'srch')).status).toBe(400);
    expect((await get(`/search/entities?${SCHEMA}&${NS}&page=-1`, 'srch')).status).toBe(400);
  });

  it('400 without namespace; 404 for another namespace or folder', async () => {
    expect((await get(`/search/entities?${SCHEMA}`, 'srch')).status).toBe(400);
    expect((await get(`/search/entities?${SCHEMA}&namespace=AAMTraits`, 'srch')).status).toBe(404);
    expect((await get(`/search/entities?${SCHEMA}&${NS}&entityId=nope`, 'srch')).status).toBe(404);
  });

  it('sees only its own sandbox', async () => {
    expect(await names('gold', 'srch')).toEqual(['Gold Loyalty Members']);
    expect(await names('gold', 'other')).toEqual(['Gold Secret']);
    expect(await names('secret', 'srch')).toEqual([]);
    expect(await names(`segmentId:${ids['Gold Secret']}`, 'srch')).toEqual([]);
    const ns = await get(`/search/namespaces?${SCHEMA}`, 'other');
    expect(ns.body.namespaces[0].count).toBe(1);
  });
});

describe('/search/taxonomy', () => {
  it('runs from the top folder down to the entity', async () => {
    const r = await get(`/search/taxonomy?${SCHEMA}&${NS}&entityId=${ids['Gold Loyalty Members']}`, 'srch');
    expect(r.status).toBe(200);
    const t = r.body.taxonomy as Json[];
    expect(t.map((x) => x.name)).toEqual(['Marketing', 'Email', 'Gold Loyalty Members']);
    expect(t[0]!.parentFolderId).toBe('root');
    expect(t[1]!.parentFolderId).toBe(t[0]!.id);
    expect(t[2]!.parentFolderId).toBe(t[1]!.id);
    const folder = await get(`/search/taxonomy?${SCHEMA}&${NS}&entityId=${t[1]!.id}`, 'srch');
    expect((folder.body.taxonomy as Json[]).map((x) => x.name)).toEqual(['Marketing', 'Email']);
    const top = await get(`/search/taxonomy?${SCHEMA}&${NS}&entityId=${ids['Platform buyers']}`, 'srch');
    expect((top.body.taxonomy as Json[]).map((x) => x.name)).toEqual(['Platform buyers']);
  });

  it('404 for an unknown or another sandbox entity; 400 without entityId', async () => {
    expect((await get(`/search/taxonomy?${SCHEMA}&${NS}&entityId=nope`, 'srch')).status).toBe(404);
    expect((await get(`/search/taxonomy?${SCHEMA}&${NS}&entityId=${ids['Gold Secret']}`, 'srch')).status).toBe(404);
    expect((await get(`/search/taxonomy?${SCHEMA}&${NS}`, 'srch')).status).toBe(400);
  });

  it('the index follows updates and deletes', async () => {
    const id = ids['AAM imports']!;
    const patch = await fetch(`${srv.url}${BASE}/segment/definitions/${id}`, {
      method: 'PATCH',
      headers: srv.headers('srch'),
      body: JSON.stringify({
        name: 'Renamed zebra',
        schema: { name: '_xdm.context.profile' },
        expression: { type: 'PQL', format: 'pql/text', value: 'true' },
      }),
    });
    expect(patch.status).toBe(200);
    expect(await names('zebra')).toEqual(['Renamed zebra']);
    expect(await names('aam')).toEqual([]);
    expect((await fetch(`${srv.url}${BASE}/segment/definitions/${id}`, { method: 'DELETE', headers: srv.headers('srch') })).status).toBe(200);
    expect(await names('zebra')).toEqual([]);
  });
});

describe('openapi', () => {
  it('documents the search paths', async () => {
    const doc = (await (await fetch(`${srv.url}/openapi.json`)).json()) as Json;
    for (const p of ['namespaces', 'entities', 'taxonomy']) expect(doc.paths[`${BASE}/search/${p}`]?.get, p).toBeDefined();
  });
});

describe('parseSearch (unit)', () => {
  it('builds the tree with Lucene precedence', () => {
    expect(parseSearch('a b AND c')).toEqual({
      kind: 'or',
      items: [
        { kind: 'term', text: 'a' },
        { kind: 'and', items: [{ kind: 'term', text: 'b' }, { kind: 'term', text: 'c' }] },
      ],
    });
    expect(parseSearch('segmentName:(x OR "y z")')).toEqual({
      kind: 'or',
      items: [
        { kind: 'term', text: 'x', field: 'segmentName' },
        { kind: 'phrase', text: 'y z', field: 'segmentName' },
      ],
    });
    expect(parseSearch('a NOT b')).toEqual({ kind: 'and', items: [{ kind: 'term', text: 'a' }, { kind: 'not', item: { kind: 'term', text: 'b' } }] });
    expect(parseSearch('foo-bar')).toEqual({ kind: 'term', text: 'foo-bar' });
    expect(parseSearch('a\\:b')).toEqual({ kind: 'term', text: 'a:b' });
  });
  it('rejects empty and too-large queries', () => {
    expect(() => parseSearch('   ')).toThrow(/empty/);
    expect(() => parseSearch(Array.from({ length: 70 }, (_, i) => `t${i}`).join(' '))).toThrow(/more than 64 terms/);
  });
});
