/**
 * Differential tests DuckDB vs PostgreSQL: the same checked definitions,
 * compiled by each dialect, give the same members — on the conformance
 * fixture, on every catalogue entry's example, and on a generated dataset of
 * 2,000 profiles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

describe('DuckDB and PostgreSQL agree on the conformance fixture', () => {
  let duck: OpenDataset;
  let post: OpenDataset;
  beforeAll(async () => {
    [duck, post] = await Promise.all([
      openDataset(CONFORMANCE_DIR.pathname),
      openDataset(CONFORMANCE_DIR.pathname, { engine: 'postgres', pgUrl: pg.url() }),
    ]);
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
    [duck, post] = await Promise.all([
      openDataset(dir),
      openDataset(dir, { engine: 'postgres', pgUrl: pg.url() }),
    ]);
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
