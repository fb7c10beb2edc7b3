/**
 * Golden SQL per dialect: a few definitions compile to exactly the SQL in
 * test/golden/<name>.<dialect>.sql. `UPDATE_GOLDEN=1 npx vitest run test/golden-sql.test.ts`
 * rewrites the files after an intended change (review the diff).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText, type DataSchema } from '@seg/shared';
import { canonicalLambdaNames, SqlProgram, type TableLayout } from '../src/engine/compiler/compile.js';
import type { SqlDialect } from '../src/engine/compiler/dialect.js';
import { duckdbDialect } from '../src/engine/compiler/duckdb.js';
import { postgresDialect } from '../src/engine/compiler/postgres.js';
import { duckdbLayout, openDataset, type OpenDataset } from '../src/engine/dataset.js';
import { postgresLayout } from '../src/engine/postgres/target.js';
import { CONFORMANCE_DIR } from './support/conformance.js';

const GOLDEN = new URL('./golden/', import.meta.url);
const NOW = Date.parse('2026-06-15T12:00:00Z');

const DEFINITIONS: Record<string, string> = {
  'attribute-compare':
    'loyalty.tier = "gold" and person.name.lastName < "M" and loyalty.points / 4 >= 250',
  'list-and-like':
    'interests.includes("yoga") and homeAddress.city like "S%" and personalEmail.address.matches("^[a-z.]+@example\\\\.com$")',
  'event-aggregates':
    'xEvent[eventType = "commerce.purchases" and timestamp occurs < 1 month before now].sum(commerce.order.priceTotal) > 100.0',
  chain:
    'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews"), P: WHAT(eventType = "commerce.purchases") WHEN(today)])',
  'list-functions':
    'xEvent.topN(timestamp, 2).head().eventType = "commerce.checkouts" or interests.distinct().count() < interests.count()',
};

const DIALECTS: [string, SqlDialect, TableLayout][] = [
  ['duckdb', duckdbDialect, duckdbLayout],
  ['postgres', postgresDialect, postgresLayout],
];

let fixture: OpenDataset;
let schema: DataSchema;
beforeAll(async () => {
  fixture = await openDataset(CONFORMANCE_DIR.pathname);
  schema = fixture.schema;
});
afterAll(() => fixture?.close());

describe.each(DIALECTS)('golden SQL for %s', (dialectName, dialect, layout) => {
  it.each(Object.entries(DEFINITIONS))('%s', (name, pql) => {
    const analysis = analyzeText(pql, { schema });
    expect(analysis.errors).toEqual([]);
    const program = new SqlProgram({
      dialect,
      layout,
      now: NOW,
      resolveSegment: () => ({ kind: 'membership' }),
    });
    const condition = program.condition(analysis.checked);
    const { sql, values } = program.params.finish(
      `SELECT p.pk FROM ${program.fromClause()} WHERE ${condition} ORDER BY p.pk`,
    );
    const text = `-- ${pql}\n-- parameters: ${JSON.stringify(values)}\n${canonicalLambdaNames(sql)}\n`;
    const file = new URL(`${name}.${dialectName}.sql`, GOLDEN);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});

describe.each(DIALECTS)('a batch on %s', (_name, dialect, layout) => {
  it('computes a sub-expression several definitions share once, whatever its lambda variables', () => {
    const program = new SqlProgram({ dialect, layout, now: NOW, resolveSegment: () => ({ kind: 'membership' }) });
    // the same projection through xEvent, compiled twice (fresh lambda variables each time)
    const conditions = ['xEvent.productListItems.SKU.distinct().count() >= 2', 'xEvent.productListItems.SKU.distinct().count() >= 3'].map(
      (pql) => program.condition(analyzeText(pql, { schema }).checked),
    );
    const from = program.fromClause();
    expect(conditions[0]).not.toBe(conditions[1]);
    expect(from.match(/ AS a\d+\b/g)).toEqual([' AS a1']);
  });
});
