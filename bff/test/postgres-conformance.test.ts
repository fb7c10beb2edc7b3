/**
 * The PostgreSQL engine on a real (throwaway) PostgreSQL server: every valid
 * conformance case gives exactly the expected members, and loading gives the
 * same profiles, keys and schema as DuckDB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText } from '@seg/shared';
import { engineOptionsFromEnv, openDataset, type OpenDataset } from '../src/engine/dataset.js';
import { countMembers, evaluateBatch, pageMembers } from '../src/engine/evaluate.js';
import { CONFORMANCE_DIR, readCases } from './support/conformance.js';
import { usePostgres } from './support/postgres.js';

const cases = readCases();
const now = Date.parse(cases.now);
const pg = usePostgres();
let dataset: OpenDataset;

beforeAll(async () => {
  dataset = await openDataset(CONFORMANCE_DIR.pathname, { engine: 'postgres', pgUrl: pg.url() });
});
afterAll(() => dataset?.close());

describe('every valid conformance case on PostgreSQL', () => {
  it('gives exactly the expected members, all definitions in one batch', async () => {
    expect(dataset.engine).toBe('postgres');
    const definitions = cases.valid.map((c) => {
      const analysis = analyzeText(c.pql, { schema: dataset.schema });
      expect(analysis.errors, `${c.id}: ${c.pql}`).toEqual([]);
      return { id: c.id, query: analysis.checked };
    });
    const batch = await evaluateBatch(dataset.target, definitions, { now });
    const wrong: string[] = [];
    for (const c of cases.valid) {
      const result = batch.results.get(c.id)!;
      const got =
        'members' in result ? result.members.map((m) => m.id).sort() : result.error.message;
      if (JSON.stringify(got) !== JSON.stringify(c.members))
        wrong.push(
          `${c.id}: ${c.pql}\n  got ${JSON.stringify(got)}\n  expected ${JSON.stringify(c.members)}`,
        );
    }
    expect(wrong.join('\n')).toBe('');
  });

  it.each(cases.valid.map((c) => [c.id, c] as const))('%s alone', async (_id, c) => {
    const { checked } = analyzeText(c.pql, { schema: dataset.schema });
    expect(await countMembers(dataset.target, checked, { now })).toBe(c.count);
    const first = await pageMembers(dataset.target, checked, { now, offset: 0, limit: 5 });
    const rest = await pageMembers(dataset.target, checked, { now, offset: 5, limit: 1000 });
    expect([...first, ...rest].map((m) => m.id).sort()).toEqual(c.members);
  });
});

describe('SEG_ENGINE=postgres', () => {
  it('is read from the environment; DuckDB stays the default', () => {
    expect(engineOptionsFromEnv({})).toEqual({ engine: 'duckdb' });
    expect(
      engineOptionsFromEnv({ SEG_ENGINE: 'postgres', SEG_PG_URL: 'postgresql://x@h/db' }),
    ).toEqual({
      engine: 'postgres',
      pgUrl: 'postgresql://x@h/db',
    });
    expect(() => engineOptionsFromEnv({ SEG_ENGINE: 'postgres' })).toThrow(/SEG_PG_URL/);
    expect(() => engineOptionsFromEnv({ SEG_ENGINE: 'oracle' })).toThrow(/duckdb or postgres/);
  });

  it('makes seg run evaluate on PostgreSQL with the expected members', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seg-pg-cli-'));
    try {
      const file = join(dir, 'segments.json');
      writeFileSync(
        file,
        JSON.stringify(
          cases.valid.map((c) => ({
            id: c.id,
            expression: { type: 'PQL', format: 'pql/text', value: c.pql },
          })),
        ),
      );
      const root = new URL('../../', import.meta.url).pathname;
      const r = spawnSync(
        join(root, 'bff/node_modules/.bin/tsx'),
        [
          join(root, 'bff/src/cli/seg.ts'),
          'run',
          '--data',
          CONFORMANCE_DIR.pathname,
          '--segments',
          file,
          '--now',
          cases.now,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, SEG_ENGINE: 'postgres', SEG_PG_URL: pg.url() },
          timeout: 120_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string });
      expect(lines).toEqual(
        cases.valid.map((c) => ({ id: c.id, count: c.count, members: c.members })),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
