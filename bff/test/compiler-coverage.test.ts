import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText, CATALOGUE, type DataSchema } from '@seg/shared';
import {
  CORE_RULES,
  FUNCTION_RULES,
  METHOD_RULES,
  SqlProgram,
} from '../src/engine/compiler/compile.js';
import type { SqlDialect } from '../src/engine/compiler/dialect.js';
import { duckdbDialect } from '../src/engine/compiler/duckdb.js';
import { postgresDialect } from '../src/engine/compiler/postgres.js';
import { duckdbLayout, openDataset, type OpenDataset } from '../src/engine/dataset.js';
import { postgresLayout } from '../src/engine/postgres/target.js';
import type { TableLayout } from '../src/engine/compiler/compile.js';
import { CONFORMANCE_DIR } from './support/conformance.js';

describe('the SQL compiler covers the catalogue', () => {
  const ruled = new Set([
    ...Object.keys(METHOD_RULES),
    ...Object.keys(FUNCTION_RULES),
    ...CORE_RULES,
  ]);

  it.each(CATALOGUE.map((e) => [e.id]))('%s has a compiler rule', (id) => {
    expect(ruled.has(id)).toBe(true);
  });

  it('has no rule for anything the catalogue does not list', () => {
    const ids = new Set(CATALOGUE.map((e) => e.id));
    expect([...ruled].filter((id) => !ids.has(id))).toEqual([]);
  });
});

const DIALECTS: [string, SqlDialect, TableLayout][] = [
  ['duckdb', duckdbDialect, duckdbLayout],
  ['postgres', postgresDialect, postgresLayout],
];

/**
 * Per dialect: every catalogue entry's example compiles to SQL (against the
 * fixture's schema where the example fits it, else without a schema). That
 * the SQL also runs and agrees with DuckDB is postgres-differential.test.ts.
 */
describe.each(DIALECTS)(
  'the %s dialect compiles every catalogue entry',
  (_name, dialect, layout) => {
    let fixture: OpenDataset;
    let schema: DataSchema;
    beforeAll(async () => {
      fixture = await openDataset(CONFORMANCE_DIR.pathname);
      schema = fixture.schema;
    });
    afterAll(() => fixture?.close());

    it.each(CATALOGUE.map((e) => [e.id, e.example] as const))('%s: %s', (_id, example) => {
      let analysis = analyzeText(example, { schema });
      if (analysis.errors.length > 0) analysis = analyzeText(example);
      expect(analysis.errors).toEqual([]);
      const program = new SqlProgram({
        dialect,
        layout,
        now: Date.parse('2026-06-15T12:00:00Z'),
        resolveSegment: () => ({ kind: 'membership' }),
        membershipCondition: (p, id) =>
          `${p}.pk IN (SELECT pk FROM memberships WHERE segment_id = ${id})`,
      });
      const condition = program.condition(analysis.checked);
      expect(
        program.params.finish(`SELECT p.pk FROM ${program.fromClause()} WHERE ${condition}`).sql,
      ).toMatch(/^SELECT p\.pk FROM profiles p/);
    });
  },
);
