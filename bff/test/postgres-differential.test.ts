/**
 * Differential tests DuckDB vs PostgreSQL: the same checked definitions,
 * compiled by each dialect, give the same members — on the conformance
 * fixture, on every catalogue entry's example, and on a generated dataset of
 * 2,000 profiles.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText, CATALOGUE, PqlGenerator, type DataSchema } from '@seg/shared';
import { openDataset, type OpenDataset } from '../src/engine/dataset.js';
import { evaluateBatch, type Definition } from '../src/engine/evaluate.js';
import { generateDataset } from '../src/engine/generate.js';
import { CONFORMANCE_DIR, readCases } from './support/conformance.js';
import { usePostgres } from './support/postgres.js';

const now = Date.parse(readCases().now);
const pg = usePostgres();

/** Evaluates on both engines; returns the disagreements (or engine errors), for a message. */
async function compare(
  duck: OpenDataset,
  post: OpenDataset,
  definitions: (Definition & { pql: string })[],
): Promise<string[]> {
  const [a, b] = await Promise.all([
    evaluateBatch(duck.target, definitions, { now }),
    evaluateBatch(post.target, definitions, { now }),
  ]);
  const out: string[] = [];
  for (const d of definitions) {
    const ra = a.results.get(d.id)!;
    const rb = b.results.get(d.id)!;
    const ma =
      'members' in ra ? JSON.stringify(ra.members.map((m) => m.pk)) : `error: ${ra.error.message}`;
    const mb =
      'members' in rb ? JSON.stringify(rb.members.map((m) => m.pk)) : `error: ${rb.error.message}`;
    if (ma !== mb)
      out.push(`${d.pql}\n  duckdb:   ${ma.slice(0, 300)}\n  postgres: ${mb.slice(0, 300)}`);
  }
  return out;
}

function generated(
  schema: DataSchema,
  seed: number,
  count: number,
): (Definition & { pql: string })[] {
  const generator = new PqlGenerator(seed);
  const definitions = [];
  for (let i = 0; i < count; i++) {
    const pql = generator.condition();
    const analysis = analyzeText(pql, { schema });
    expect(analysis.errors, pql).toEqual([]);
    definitions.push({ id: `g${i}`, pql, query: analysis.checked });
  }
  return definitions;
}

/** The dataset in `dir` loaded into DuckDB and into the throwaway PostgreSQL. */
function openOnBothEngines(dir: string): Promise<[OpenDataset, OpenDataset]> {
  return Promise.all([openDataset(dir), openDataset(dir, { engine: 'postgres', pgUrl: pg.url() })]);
}

describe('DuckDB and PostgreSQL agree on the conformance fixture', () => {
  let duck: OpenDataset;
  let post: OpenDataset;
  beforeAll(async () => {
    [duck, post] = await openOnBothEngines(CONFORMANCE_DIR.pathname);
  });
  afterAll(() => {
    duck?.close();
    post?.close();
  });

  it('loads the same profiles, keys, schema and counts', async () => {
    expect(post.engine).toBe('postgres');
    expect(post.schema).toEqual(duck.schema);
    expect(post.report.counts).toEqual(duck.report.counts);
    const pgRows = await post.target.runner.all(
      'SELECT pk, primary_ns, primary_id FROM profiles ORDER BY pk',
      [],
    );
    const duckRows = await duck.target.runner.all(
      'SELECT pk, primary_ns, primary_id FROM profiles ORDER BY pk',
      [],
    );
    expect(pgRows.map((r) => [Number(r.pk), r.primary_ns, r.primary_id])).toEqual(
      duckRows.map((r) => [Number(r.pk), r.primary_ns, r.primary_id]),
    );
    const [pe] = await post.target.runner.all(
      'SELECT count(*) AS n, count(DISTINCT pk) AS k FROM events',
      [],
    );
    const [de] = await duck.target.runner.all(
      'SELECT count(*) AS n, count(DISTINCT pk) AS k FROM events',
      [],
    );
    expect([Number(pe!.n), Number(pe!.k)]).toEqual([Number(de!.n), Number(de!.k)]);
  });

  it('on 400 generated expressions', async () => {
    const mismatches = await compare(duck, post, generated(duck.schema, 20261130, 400));
    expect(mismatches.slice(0, 10).join('\n\n')).toBe('');
  });

  it('on every catalogue example that applies to the fixture', async () => {
    const definitions = [];
    for (const entry of CATALOGUE) {
      const analysis = analyzeText(entry.example, { schema: duck.schema });
      if (analysis.errors.length > 0) continue;
      definitions.push({ id: entry.id, pql: entry.example, query: analysis.checked });
    }
    expect(definitions.length).toBeGreaterThan(30);
    const mismatches = await compare(duck, post, definitions);
    expect(mismatches.join('\n\n')).toBe('');
  });
});

describe('DuckDB and PostgreSQL agree on a generated dataset of 2,000 profiles', () => {
  let dir: string;
  let duck: OpenDataset;
  let post: OpenDataset;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seg-pg-diff-'));
    await generateDataset({
      profiles: 2000,
      eventsPerProfile: 6,
      seed: 7,
      outDir: dir,
      now: new Date(now),
    });
    [duck, post] = await openOnBothEngines(dir);
  });
  afterAll(() => {
    duck?.close();
    post?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the same profiles, keys, schema and counts', async () => {
    expect(post.schema).toEqual(duck.schema);
    expect(post.report.counts).toEqual(duck.report.counts);
    const sql = 'SELECT pk, primary_ns, primary_id FROM profiles ORDER BY pk';
    const [a, b] = await Promise.all([
      duck.target.runner.all(sql, []),
      post.target.runner.all(sql, []),
    ]);
    expect(b.map((r) => `${String(r.pk)} ${String(r.primary_ns)} ${String(r.primary_id)}`)).toEqual(
      a.map((r) => `${String(r.pk)} ${String(r.primary_ns)} ${String(r.primary_id)}`),
    );
  });

  it('on 120 generated expressions', async () => {
    const mismatches = await compare(duck, post, generated(duck.schema, 4242, 120));
    expect(mismatches.slice(0, 10).join('\n\n')).toBe('');
  });
});

/**
 * Lists read straight from JSON (PostgreSQL reads their elements from the
 * JSONB array, and `includes` is JSON containment): elements of every type,
 * nulls among them, empty, JSON-null and missing lists, duplicates, numbers
 * whose JSON text and SQL value differ, strings that differ only in case,
 * space or escaping.
 */
describe('DuckDB and PostgreSQL agree on lists read from JSON', () => {
  /** 2^53 + 1 (written into the file as is: a JavaScript number cannot hold it) */
  const BIG = '2^53+1';
  const profiles: Record<string, unknown>[] = [
    {
      tags: ['a', 'b'],
      nums: [1, 2, 3],
      dbls: [1.5, 2.0],
      flags: [true],
      days: ['2024-01-05', '2024-02-01'],
      nested: [[1, 2], [3]],
      items: [
        { sku: 'x', q: 2, price: 1.5, labels: ['t1'] },
        { sku: 'y', q: 1, price: 2.25, labels: [] },
      ],
    },
    { tags: [], nums: [], dbls: [], flags: [], days: [], nested: [], items: [] },
    { tags: null, nums: null, dbls: null, flags: null, days: null, nested: null, items: null },
    {},
    {
      tags: ['a', null],
      nums: [2, null],
      dbls: [null, 0.1],
      flags: [false, null],
      days: [null],
      nested: [null, [null]],
      items: [null, { sku: null, q: 3, labels: null }],
    },
    {
      tags: ['b', 'b', 'a'],
      nums: [3, 3, -7],
      dbls: [0.30000000000000004, 0.1],
      flags: [false, false],
      days: ['2023-12-31'],
      nested: [[], [4, 4]],
      items: [
        { sku: 'x', q: 5, price: 0.1, labels: ['t1', 't2'] },
        { sku: 'x', q: 1, labels: ['t2', null] },
      ],
    },
    {
      tags: ['A', 'a"q', 'ü', ' a', 'a '],
      nums: [BIG, 0],
      dbls: [2, -0.0, 1e300],
      flags: [true, false],
      days: ['2024-01-05'],
      nested: [[BIG]],
      items: [{ q: 2 }],
    },
    { tags: ['yoga'], nums: [1], dbls: [1.0], flags: [true], items: [{ sku: 'SKU-YOGA-MAT', q: 2, price: 70 }] },
  ];
  const events: Record<string, unknown>[] = [
    { p: 0, items: [{ sku: 'x', q: 2, labels: ['t1'] }, { sku: 'y', q: 1 }], grid: [[1, 2], [3]] },
    { p: 0, items: [{ sku: 'z', q: 3, labels: ['t2', null] }], grid: [[]] },
    { p: 1, items: [], grid: [] },
    { p: 2, items: null, grid: null },
    { p: 3 },
    { p: 4, items: [null, { sku: null, q: 2, labels: [] }], grid: [null, [null, 4]] },
    { p: 5, items: [{ sku: 'x', q: 1 }, { q: 9 }], grid: [[5]] },
    { p: 5, items: [{ sku: 'x', q: 4, labels: ['t1', 't1'] }] },
    { p: 6, items: [{ sku: 'X', q: 2 }, { sku: 'x ', q: 2 }], grid: [[6, 7], [8]] },
  ];
  const definitions = [
    'tags.includes("a")',
    'tags.includes("A")',
    'tags.includes(" a")',
    'tags.includes("a\\"q")',
    'tags.includes("ü")',
    'not tags.includes("a")',
    '"a" in tags',
    '"a" notIn tags',
    'tags.intersects(["a", "zz"])',
    'not tags.intersects(["b"])',
    'tags.intersects(["zz", null])',
    'tags.intersects(["A", "ü", "a\\"q"])',
    'tags.intersects(items.sku)',
    'tags.includes(items.head().sku)',
    'items.sku.intersects(tags)',
    'tags.intersection(["a", "b"]).count() = 1',
    '["a"].subsetOf(tags)',
    'tags.supersetOf(["a", "b"])',
    'tags.count() = 0',
    'tags.count() > 1',
    'tags.distinct().count() = 1',
    'tags.distinct().count() < tags.count()',
    'tags.distinct().head() = "b"',
    'tags.head() = "a"',
    'tags.head().isNull()',
    'tags.filter(t => t = "a").count() > 0',
    'tags.filter(t => t != "a").count() = 0',
    'tags.exists(t => t.startsWith("a"))',
    'tags.all(t => t.startsWith("a"))',
    'tags.map(t => t.startsWith("a")).includes(true)',
    'tags.map(t => t.startsWith("a")).distinct().count() = 2',
    'tags.min() = "A"',
    'tags.max() = "b"',
    'nums.includes(3)',
    'nums.includes(-7)',
    'nums.filter(n => n > 9007199254740990).count() = 1',
    'nums.includes(9007199254740992)',
    'not nums.includes(3)',
    '3 in nums',
    '3 notIn nums',
    'nums.intersects([3, 4])',
    'nums.distinct().count() >= 2',
    'nums.sum() > 3',
    'nums.average() > 1',
    'nums.min() < 0',
    'nums.max() >= 3',
    'nums.head() = 1',
    'nums.filter(n => n > 1).count() = 2',
    'nums.topN(n => n, 1).head() = 3',
    'dbls.includes(0.1)',
    'dbls.includes(2)',
    'dbls.includes(2.0)',
    'dbls.includes(0.30000000000000004)',
    'dbls.includes(0.3)',
    'dbls.includes(0.0)',
    'dbls.intersects([0.1, 7.5])',
    'dbls.sum() > 2',
    'dbls.max() > 100',
    'flags.includes(true)',
    'flags.includes(false)',
    'not flags.includes(false)',
    'flags.intersects([false])',
    'flags.distinct().count() = 2',
    'days.includes(date(2024, 1, 5))',
    'days.count() > 0',
    'days.min() < date(2024, 1, 1)',
    'nested.count() = 2',
    'nested.filter(n => n.count() > 1).count() > 0',
    'nested.exists(n => n.includes(4))',
    'nested.exists(n => n.includes(3))',
    'items.count() > 1',
    'items[q >= 2].count() > 0',
    'items[sku = "x" and q >= 2]',
    'items.exists(q > 4)',
    'items.all(q >= 1)',
    'items.sku.includes("x")',
    'items.sku.distinct().count() = 1',
    'items.labels.includes("t2")',
    'items.labels.count() > 1',
    'items.map(q * 2).sum() > 4',
    'items.map(price).max() > 1',
    'items.head().sku = "x"',
    'items.head().isNull()',
    'items.topN(q, 1).head().sku = "x"',
    'items[q > 1].sku.includes("x")',
    'items[q > 1].count() < items.count()',
    'items.filter(i => i.labels.includes("t1")).count() = 1',
    'xEvent[items[sku = "x" and q >= 2]]',
    'xEvent[items.count() = 0]',
    'xEvent[items.sku.includes("x")].count() >= 2',
    'xEvent.items.sku.distinct().count() >= 2',
    'xEvent.items.sku.includes("x")',
    'xEvent.items.count() > 2',
    'xEvent.items.q.sum() > 5',
    'xEvent.items.labels.includes("t1")',
    'xEvent.items.labels.count() >= 2',
    'xEvent.items.labels.distinct().count() = 1',
    'xEvent.items.count() = 2',
    'xEvent.items[q >= 2].count() >= 1',
    'xEvent.grid.count() >= 2',
    'xEvent.grid.count() = 2',
    'xEvent.grid.exists(g => g.includes(4))',
    'xEvent[grid.count() > 1].count() >= 1',
  ];

  let dir: string;
  let duck: OpenDataset;
  let post: OpenDataset;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seg-pg-lists-'));
    const identity = (i: number) => ({ Email: [{ id: `p${i}@example.com`, primary: true }] });
    writeFileSync(
      join(dir, 'profiles.ndjson'),
      profiles
        .map((p, i) => JSON.stringify({ identityMap: identity(i), ...p }).replaceAll(`"${BIG}"`, '9007199254740993'))
        .join('\n') + '\n',
    );
    writeFileSync(
      join(dir, 'events.ndjson'),
      events
        .map(({ p, ...e }, i) =>
          JSON.stringify({
            _id: `e${i}`,
            timestamp: new Date(now - (i + 1) * 3_600_000).toISOString(),
            identityMap: identity(p as number),
            eventType: 'commerce.purchases',
            ...e,
          }),
        )
        .join('\n') + '\n',
    );
    [duck, post] = await openOnBothEngines(dir);
  });
  afterAll(() => {
    duck?.close();
    post?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('on every list function', async () => {
    const checked = definitions.map((pql, i) => {
      const analysis = analyzeText(pql, { schema: duck.schema });
      expect(analysis.errors, pql).toEqual([]);
      return { id: `l${i}`, pql, query: analysis.checked };
    });
    const mismatches = await compare(duck, post, checked);
    expect(mismatches.join('\n\n')).toBe('');
    // the cases are not vacuous: most select some profiles and not others
    const result = await evaluateBatch(duck.target, checked, { now });
    const selective = checked.filter((d) => {
      const r = result.results.get(d.id)!;
      return 'members' in r && r.members.length > 0 && r.members.length < profiles.length;
    });
    expect(selective.length).toBeGreaterThan(definitions.length * 0.7);
  });
});
