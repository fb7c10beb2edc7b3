import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckStore } from '../src/engine/store.js';
import { DatasetError, loadDataset, readDatasetMeta, type LoadReport } from '../src/engine/load.js';

const FIXTURE = fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'seg-load-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let dirSeq = 0;
/** Write a dataset directory from arrays of records (or raw text). */
async function dataset(files: {
  profiles?: unknown[] | string;
  events?: unknown[] | string;
  [other: string]: unknown[] | string | undefined;
}) {
  const dir = join(tmp, `ds${++dirSeq}`);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (content === undefined) continue;
    const file = name.includes('.') ? name : `${name}.ndjson`;
    const text =
      typeof content === 'string'
        ? content
        : content.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await writeFile(join(dir, file), text);
  }
  return dir;
}

const id = (ns: string, ...ids: [string, boolean?][]) => ({
  [ns]: ids.map(([i, p]) => ({ id: i, primary: p ?? false })),
});

async function withStore<T>(fn: (store: DuckStore) => Promise<T>): Promise<T> {
  const store = await DuckStore.open(':memory:', { threads: 2 });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

async function loadError(store: DuckStore, dir: string): Promise<DatasetError> {
  try {
    await loadDataset(store, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('load succeeded but should have failed');
}

describe('loading the conformance fixture', () => {
  let store: DuckStore;
  let report: LoadReport;
  beforeAll(async () => {
    store = await DuckStore.open(':memory:', { threads: 2 });
    report = await loadDataset(store, FIXTURE);
  });
  afterAll(() => store.close());

  it('counts profiles and events', async () => {
    expect(report.counts.profiles).toBe(80);
    expect(report.counts.profileRecords).toBe(80);
    expect(report.counts.orphanProfiles).toBe(0);
    expect(report.counts.events).toBe(1547);
    const [r] = await store.query(
      `SELECT (SELECT count(*) FROM profiles) AS p, (SELECT count(*) FROM events) AS e`,
    );
    expect(r).toEqual({ p: '80', e: '1547' });
    expect(report.files.map((f) => f.kind)).toEqual(['profiles', 'events']);
    expect(report.ignored).toContain('cases.json');
  });

  it('has every primary id the cases name, as primary Email identities', async () => {
    const cases = JSON.parse(await readFile(join(FIXTURE, 'cases.json'), 'utf8')) as {
      valid: { members: string[] }[];
    };
    const members = new Set(cases.valid.flatMap((c) => c.members));
    const rows = await store.query(`SELECT primary_ns, primary_id FROM profiles`);
    const ids = new Set(rows.map((r) => r.primary_id));
    for (const m of members) expect(ids.has(m), m).toBe(true);
    expect(new Set(rows.map((r) => r.primary_ns))).toEqual(new Set(['Email']));
  });

  it('orders pk by primary id and keeps identity map key order', async () => {
    const rows = await store.query(`SELECT pk, primary_id FROM profiles ORDER BY pk`);
    const ids = rows.map((r) => String(r.primary_id));
    expect(ids).toEqual([...ids].sort());
    expect(rows[0]!.pk).toBe('1');
    const [zoe] = await store.query(
      `SELECT map_keys(identity_map) AS k FROM profiles WHERE primary_id = 'zoe.muller@example.de'`,
    );
    expect(zoe!.k).toEqual(['ECID', 'Email']);
  });

  it('infers the schema', () => {
    const p = report.schema.profile.fields;
    const person = p.person as { kind: 'object'; fields: Record<string, { kind: string }> };
    expect(person.fields.birthDate).toEqual({ kind: 'date' });
    expect(person.fields.birthYear).toEqual({ kind: 'int' });
    expect(p.loyalty).toEqual({
      kind: 'object',
      fields: {
        points: { kind: 'int' },
        tier: { kind: 'string' },
        lifetimeValue: { kind: 'double' },
      },
    });
    expect(p.interests).toEqual({ kind: 'list', element: { kind: 'string' } });
    expect(p.identityMap).toEqual({
      kind: 'map',
      value: {
        kind: 'list',
        element: {
          kind: 'object',
          fields: { id: { kind: 'string' }, primary: { kind: 'boolean' } },
        },
      },
    });
    const e = report.schema.event.fields;
    expect(e.timestamp).toEqual({ kind: 'datetime' });
    expect(e.productListItems).toEqual({
      kind: 'list',
      element: {
        kind: 'object',
        fields: {
          SKU: { kind: 'string' },
          name: { kind: 'string' },
          priceTotal: { kind: 'double' },
          quantity: { kind: 'int' },
        },
      },
    });
  });

  it('converts event timestamps with offsets to UTC instants (ms precision)', async () => {
    const lines = (await readFile(join(FIXTURE, 'events.ndjson'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim());
    const samples = lines
      .map((l) => JSON.parse(l) as { _id: string; timestamp: string })
      .filter((e) => /[+-]\d\d:\d\d$|\.\d+Z$/.test(e.timestamp))
      .slice(0, 25);
    expect(samples.length).toBeGreaterThan(5);
    const rows = await store.query(
      `SELECT attrs._id AS id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS t FROM events WHERE list_contains(string_split($1, ','), attrs._id)`,
      [samples.map((s) => s._id).join(',')],
    );
    const got = new Map(rows.map((r) => [r.id, r.t]));
    for (const s of samples)
      expect(got.get(s._id), s.timestamp).toBe(new Date(s.timestamp).toISOString());
  });

  it('attaches every event to the profile holding one of its identities', async () => {
    const [r] = await store.query(
      `SELECT count(*) AS n FROM events e JOIN profiles p USING (pk)
       WHERE NOT EXISTS (SELECT 1 FROM profile_identities i WHERE i.pk = p.pk)`,
    );
    expect(r!.n).toBe('0');
    const perProfile = await store.query(`SELECT count(DISTINCT pk) AS n FROM events`);
    expect(Number(perProfile[0]!.n)).toBeGreaterThan(40);
  });

  it('stores schema and report in dataset_meta', async () => {
    const meta = await readDatasetMeta(store);
    expect(meta?.schema).toEqual(report.schema);
    expect(meta?.report.counts).toEqual(report.counts);
  });
});

describe('merging and attaching', () => {
  it('merges an a–b–c fragment chain, later line wins, events via non-primary identity, orphans', async () => {
    const dir = await dataset({
      profiles: [
        {
          identityMap: { ...id('Email', ['a@x.com', true]), ...id('ECID', ['e1']) },
          person: { name: { firstName: 'Ann' } },
          homeAddress: { city: 'Old' },
          loyalty: { tier: 'gold', points: 5 },
        },
        { identityMap: id('Email', ['z@x.com', true]), person: { name: { firstName: 'Zed' } } },
        {
          identityMap: { ...id('ECID', ['e1']), ...id('Phone', ['p1']) },
          person: { gender: 'female' },
          loyalty: { tier: null },
        },
        {
          identityMap: { ...id('Phone', ['p1']), ...id('ECID', ['e3']) },
          homeAddress: { city: 'New' },
          loyalty: { points: 7 },
        },
        // a long chain written in reverse order: c6-c5, c5-c4, ... c1-c0
        ...[6, 5, 4, 3, 2, 1].map((k) => ({
          identityMap: id('CRM', [`c${k}`], [`c${k - 1}`]),
          person: { name: { firstName: `C${k}` } },
        })),
      ],
      events: [
        {
          _id: 'v1',
          timestamp: '2026-01-01T00:00:00Z',
          identityMap: id('ECID', ['e3', true]),
          eventType: 'x',
        },
        {
          _id: 'v2',
          timestamp: '2026-01-02T00:00:00Z',
          identityMap: id('Email', ['z@x.com', true]),
          eventType: 'x',
        },
        {
          _id: 'o1',
          timestamp: '2026-01-03T00:00:00Z',
          identityMap: id('ECID', ['anon1', true]),
          eventType: 'x',
        },
        {
          _id: 'o2',
          timestamp: '2026-01-04T00:00:00Z',
          identityMap: { ...id('ECID', ['anon2', true]), ...id('X', ['q']) },
          eventType: 'x',
        },
        {
          _id: 'o3',
          timestamp: '2026-01-05T00:00:00Z',
          identityMap: { ...id('X', ['q']), ...id('ECID', ['anon1', true]) },
          eventType: 'x',
        },
        {
          _id: 'o4',
          timestamp: '2026-01-06T00:00:00Z',
          identityMap: id('ECID', ['lonely', true]),
          eventType: 'x',
        },
      ],
    });
    await withStore(async (store) => {
      const r = await loadDataset(store, dir);
      expect(r.counts).toMatchObject({
        profileRecords: 10,
        profilesFromRecords: 3,
        fragmentsMerged: 7,
        events: 6,
        orphanEvents: 4,
        orphanProfiles: 2,
        profiles: 5,
      });
      const rows = await store.query(
        `SELECT pk, primary_ns, primary_id, to_json(identity_map)::VARCHAR AS idm, to_json(attrs)::VARCHAR AS a FROM profiles ORDER BY pk`,
      );
      const byId = new Map(rows.map((x) => [String(x.primary_id), x]));
      const a = byId.get('a@x.com')!;
      expect(JSON.parse(String(a.idm))).toEqual({
        Email: [{ id: 'a@x.com', primary: true }],
        ECID: [
          { id: 'e1', primary: false },
          { id: 'e3', primary: false },
        ],
        Phone: [{ id: 'p1', primary: false }],
      });
      const attrs = JSON.parse(String(a.a));
      expect(attrs.homeAddress.city).toBe('New'); // later line wins
      expect(attrs.person.name.firstName).toBe('Ann'); // kept from the first fragment
      expect(attrs.person.gender).toBe('female');
      expect(attrs.loyalty).toEqual({ tier: 'gold', points: 7 }); // a later null does not erase
      // the reversed chain merged into one profile; no Email: first identity of the first namespace (key order)
      const chain = rows.filter((x) => x.primary_ns === 'CRM');
      expect(chain).toHaveLength(1);
      expect(chain[0]!.primary_id).toBe('c6');
      expect(JSON.parse(String(chain[0]!.a)).person.name.firstName).toBe('C1');
      // events
      const ev = await store.query(
        `SELECT e.attrs._id AS id, p.primary_id AS owner FROM events e JOIN profiles p USING (pk) ORDER BY id`,
      );
      const owner = Object.fromEntries(ev.map((x) => [x.id, x.owner]));
      expect(owner.v1).toBe('a@x.com');
      expect(owner.v2).toBe('z@x.com');
      expect(owner.o1).toBe('anon1');
      expect(owner.o2).toBe('anon1'); // o2 –X:q– o3 –ECID:anon1– o1
      expect(owner.o3).toBe('anon1');
      expect(owner.o4).toBe('lonely');
      const orphan = byId.get('anon1')!;
      expect(orphan.a).toBeNull();
      expect(JSON.parse(String(orphan.idm))).toEqual({
        ECID: [
          { id: 'anon1', primary: true },
          { id: 'anon2', primary: true },
        ],
        X: [{ id: 'q', primary: false }],
      });
    });
  });
});

describe('type inference (data-contract.md §Types)', () => {
  it('decides date / date-time / string, integer / decimal, lists, objects, maps, null-only and mixed', async () => {
    const free: Record<string, number> = {};
    for (let i = 0; i < 250; i++) free[`k${i}`] = i;
    const dir = await dataset({
      profiles: [
        {
          identityMap: id('Email', ['1@x', true]),
          d: '2024-02-29',
          dt: '2024-02-29T18:30:00-05:00',
          mixedDate: '2024-01-01',
          dateAndDt: '2024-01-01',
          i: 1,
          num: 1,
          big: -5,
          s: 'x',
          empty: '',
          nul: null,
          mix: 1,
          tags: ['a'],
          nums: [1, 2],
          objs: [{ when: '2020-01-01', n: 1 }],
          free,
          nested: { deep: { at: '2020-01-01T00:00:00Z' } },
          flag: true,
        },
        {
          identityMap: id('Email', ['2@x', true]),
          d: null,
          dt: '2024-03-01T00:00:00.123Z',
          mixedDate: 'soon',
          dateAndDt: '2024-01-01T00:00:00Z',
          i: 2,
          num: 2.5,
          big: 18000000000000000000,
          s: '2024-01-01x',
          empty: '',
          nul: null,
          mix: 'one',
          tags: [],
          nums: [3],
          objs: [{ when: '2020-01-02', n: 1.5 }],
          free: { other: 1 },
          nested: null,
          flag: false,
        },
      ],
    });
    await withStore(async (store) => {
      const r = await loadDataset(store, dir);
      const f = r.schema.profile.fields as Record<string, unknown>;
      expect(f.d).toEqual({ kind: 'date' });
      expect(f.dt).toEqual({ kind: 'datetime' });
      expect(f.mixedDate).toEqual({ kind: 'string' });
      expect(f.dateAndDt).toEqual({ kind: 'string' });
      expect(f.i).toEqual({ kind: 'int' });
      expect(f.num).toEqual({ kind: 'double' });
      expect(f.big).toEqual({ kind: 'double' }); // beyond 64-bit
      expect(f.s).toEqual({ kind: 'string' });
      expect(f.empty).toEqual({ kind: 'string' });
      expect(f.nul).toEqual({ kind: 'null' });
      expect(f.mix).toEqual({ kind: 'any' });
      expect(f.tags).toEqual({ kind: 'list', element: { kind: 'string' } });
      expect(f.nums).toEqual({ kind: 'list', element: { kind: 'int' } });
      expect(f.objs).toEqual({
        kind: 'list',
        element: { kind: 'object', fields: { when: { kind: 'date' }, n: { kind: 'double' } } },
      });
      expect(f.free).toEqual({ kind: 'map', value: { kind: 'int' } });
      expect(f.nested).toEqual({
        kind: 'object',
        fields: { deep: { kind: 'object', fields: { at: { kind: 'datetime' } } } },
      });
      expect(f.flag).toEqual({ kind: 'boolean' });
      const rows = await store.query(
        `SELECT primary_id, typeof(attrs.d) AS td, attrs.d::VARCHAR AS d, typeof(attrs.dt) AS tdt, strftime(attrs.dt, '%Y-%m-%dT%H:%M:%S.%g') AS dt,
                typeof(attrs.i) AS ti, typeof(attrs.num) AS tn, attrs.free['k7'] AS k7, typeof(attrs.objs) AS tobjs,
                strftime(attrs.nested.deep.at, '%Y-%m-%dT%H:%M:%S') AS at
         FROM profiles ORDER BY primary_id`,
      );
      expect(rows[0]).toMatchObject({
        td: 'DATE',
        d: '2024-02-29',
        tdt: 'TIMESTAMP',
        dt: '2024-02-29T23:30:00.000',
        ti: 'BIGINT',
        tn: 'DOUBLE',
        k7: '7',
        at: '2020-01-01T00:00:00',
      });
      expect(rows[0]!.tobjs).toBe('STRUCT("when" DATE, n DOUBLE)[]');
      expect(rows[1]).toMatchObject({ d: null, dt: '2024-03-01T00:00:00.123' });
    });
  });

  it('decides on every value, not a sample', async () => {
    const lines: unknown[] = [];
    for (let i = 0; i < 30000; i++)
      lines.push({ identityMap: id('Email', [`${i}@x`, true]), when: '2020-01-01', n: 1 });
    lines.push({
      identityMap: id('Email', ['last@x', true]),
      when: 'not a date',
      n: 1.5,
      late: 'x',
    });
    const dir = await dataset({ profiles: lines });
    await withStore(async (store) => {
      const r = await loadDataset(store, dir);
      expect(r.schema.profile.fields.when).toEqual({ kind: 'string' });
      expect(r.schema.profile.fields.n).toEqual({ kind: 'double' });
      expect(r.schema.profile.fields.late).toEqual({ kind: 'string' });
    });
  });
});

describe('bad input', () => {
  it('names file and line of a malformed JSON line', async () => {
    const good = JSON.stringify({ identityMap: id('Email', ['a@x', true]) });
    const dir = await dataset({
      profiles: `${good}\n\n${good}\n{"identityMap": {"Email": [{"id": "b"}]}, "x": \n${good}\n`,
    });
    await withStore(async (store) => {
      const err = await loadError(store, dir);
      expect(err.file).toBe(join(dir, 'profiles.ndjson'));
      expect(err.line).toBe(4);
      expect(err.message).toMatch(/profiles\.ndjson:4: malformed JSON/);
    });
  });

  it('names the line of a record without identityMap, or with an empty one', async () => {
    const good = { identityMap: id('Email', ['a@x', true]) };
    await withStore(async (store) => {
      let err = await loadError(
        store,
        await dataset({ profiles: `${JSON.stringify(good)}\n\n${JSON.stringify({ x: 1 })}\n` }),
      );
      expect([err.line, err.message]).toEqual([3, 'profiles.ndjson:3: missing "identityMap"']);
      err = await loadError(store, await dataset({ profiles: [good, good, { identityMap: {} }] }));
      expect(err.line).toBe(3);
      expect(err.message).toMatch(/holds no identity/);
      err = await loadError(
        store,
        await dataset({
          events: [{ _id: '1', timestamp: '2024-01-01T00:00:00Z', identityMap: { ECID: [] } }],
        }),
      );
      expect([err.file, err.line]).toEqual([expect.stringMatching(/events\.ndjson$/), 1]);
      err = await loadError(store, await dataset({ profiles: [good, { identityMap: 'Email' }] }));
      expect(err.line).toBe(2);
    });
  });

  it('names the line of an event without timestamp or with an unparseable one', async () => {
    const ev = (ts: unknown) => ({
      _id: 'e',
      ...(ts === undefined ? {} : { timestamp: ts }),
      identityMap: id('ECID', ['x', true]),
    });
    await withStore(async (store) => {
      let err = await loadError(
        store,
        await dataset({ events: [ev('2024-01-01T00:00:00Z'), ev(undefined)] }),
      );
      expect([err.line, err.message]).toEqual([2, 'events.ndjson:2: event without "timestamp"']);
      err = await loadError(
        store,
        await dataset({
          events: [ev('2024-01-01T00:00:00Z'), ev('2024-01-01T00:00:00Z'), ev('yesterday')],
        }),
      );
      expect(err.line).toBe(3);
      expect(err.message).toMatch(/"yesterday" is not an ISO-8601 date-time/);
      err = await loadError(store, await dataset({ events: [ev('2024-02-30T00:00:00Z')] }));
      expect(err.line).toBe(1);
    });
  });

  it('rejects a missing directory and ignores unknown files', async () => {
    await withStore(async (store) => {
      const err = await loadError(store, join(tmp, 'no-such-dir'));
      expect(err.message).toMatch(/not found/);
      const dir = await dataset({
        profiles: [{ identityMap: id('Email', ['a@x', true]) }],
        'notes.txt': 'hello',
        'other.json': '{',
      });
      const r = await loadDataset(store, dir);
      expect(r.counts.profiles).toBe(1);
      expect(r.ignored).toEqual(['notes.txt', 'other.json']);
    });
  });

  it('loads an empty directory, and empty or blank files', async () => {
    await withStore(async (store) => {
      const r = await loadDataset(store, await dataset({ profiles: '', events: '\n\n  \n' }));
      expect(r.counts).toMatchObject({ profiles: 0, events: 0 });
      expect(r.schema.event.fields.timestamp).toEqual({ kind: 'datetime' });
      const [c] = await store.query(`SELECT count(*) AS n FROM profiles`);
      expect(c!.n).toBe('0');
      const events = await loadDataset(
        store,
        await dataset({
          events: [
            { _id: '1', timestamp: '2024-01-01T00:00:00Z', identityMap: id('ECID', ['x', true]) },
          ],
        }),
      );
      expect(events.counts).toMatchObject({ profiles: 1, orphanProfiles: 1, events: 1 });
    });
  });

  it('leaves the previous tables queryable when a load fails', async () => {
    await withStore(async (store) => {
      await loadDataset(store, FIXTURE);
      const bad = await dataset({
        profiles: [{ identityMap: id('Email', ['a@x', true]) }, { nope: true }],
      });
      await loadError(store, bad);
      const badEvents = await dataset({
        profiles: [{ identityMap: id('Email', ['a@x', true]) }],
        events: '{"timestamp": 1\n',
      });
      await loadError(store, badEvents);
      const [r] = await store.query(
        `SELECT (SELECT count(*) FROM profiles) AS p, (SELECT count(*) FROM events) AS e`,
      );
      expect(r).toEqual({ p: '80', e: '1547' });
      const leftovers = await store.query(
        `SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '__seg%'`,
      );
      expect(leftovers).toEqual([]);
      expect((await readDatasetMeta(store))?.report.counts.profiles).toBe(80);
    });
  });
});

describe('Parquet input', () => {
  it('loads profiles.parquet / events.parquet written from the fixture and matches the NDJSON load', async () => {
    const dir = join(tmp, 'parquet');
    await mkdir(dir, { recursive: true });
    await withStore(async (store) => {
      for (const kind of ['profiles', 'events']) {
        // DuckDB's sniffer reads loyalty.points (negative and positive integers) as HUGEINT, which
        // Parquet stores as DOUBLE; write it as BIGINT so the Parquet file says "integer" like the JSON.
        const replace =
          kind === 'profiles'
            ? `REPLACE (CASE WHEN loyalty IS NOT NULL THEN {'points': loyalty.points::BIGINT, 'tier': loyalty.tier, 'lifetimeValue': loyalty.lifetimeValue} END AS loyalty)`
            : '';
        await store.run(
          `COPY (SELECT * ${replace} FROM read_json('${join(FIXTURE, `${kind}.ndjson`)}', format='newline_delimited'))
           TO '${join(dir, `${kind}.parquet`)}' (FORMAT parquet)`,
        );
      }
      const snapshot = async () => ({
        profiles: await store.query(
          `SELECT primary_id, to_json(attrs)::VARCHAR AS a FROM profiles ORDER BY primary_id`,
        ),
        idents: await store.query(
          `SELECT ns, id, p.primary_id FROM profile_identities JOIN profiles p USING (pk) ORDER BY ALL`,
        ),
        events: await store.query(
          `SELECT p.primary_id, e.ts::VARCHAR AS ts, e.attrs._id AS id, e.attrs.eventType AS type,
                  to_json(e.attrs.productListItems)::VARCHAR AS items
           FROM events e JOIN profiles p USING (pk) ORDER BY id`,
        ),
      });
      const fromJson = await loadDataset(store, FIXTURE);
      const a = await snapshot();
      const fromParquet = await loadDataset(store, dir);
      const b = await snapshot();
      expect(fromParquet.files.map((f) => f.format)).toEqual(['parquet', 'parquet']);
      expect(fromParquet.counts).toEqual(fromJson.counts);
      expect(b.profiles).toEqual(a.profiles);
      expect(b.idents).toEqual(a.idents);
      expect(b.events).toEqual(a.events);
      expect(fromParquet.schema.profile.fields.person).toEqual(
        fromJson.schema.profile.fields.person,
      );
      expect(fromParquet.schema.event.fields.timestamp).toEqual({ kind: 'datetime' });
    });
  });
});
