import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText } from '@seg/shared';
import { openDataset, type OpenDataset } from '../src/engine/dataset.js';
import { countMembers, evaluateBatch, pageMembers } from '../src/engine/evaluate.js';
import { CONFORMANCE_DIR, readCases } from './support/conformance.js';

const cases = readCases();
const now = Date.parse(cases.now);
let dataset: OpenDataset;

beforeAll(async () => {
  dataset = await openDataset(CONFORMANCE_DIR.pathname);
});
afterAll(() => dataset?.close());

describe('every valid conformance case on DuckDB', () => {
  it('gives exactly the expected members, all definitions in one batch', async () => {
    const definitions = cases.valid.map((c) => {
      const analysis = analyzeText(c.pql, { schema: dataset.schema });
      expect(analysis.errors, `${c.id}: ${c.pql}`).toEqual([]);
      return { id: c.id, query: analysis.checked };
    });
    const batch = await evaluateBatch(dataset.target, definitions, { now });
    for (const c of cases.valid) {
      const result = batch.results.get(c.id)!;
      expect('members' in result ? result.members.map((m) => m.id).sort() : result.error.message, `${c.id}: ${c.pql}`).toEqual(
        c.members,
      );
    }
  });

  it.each(cases.valid.filter((_c, i) => i % 7 === 0).map((c) => [c.id, c] as const))(
    '%s alone: count and pages agree with the batch',
    async (_id, c) => {
      const { checked } = analyzeText(c.pql, { schema: dataset.schema });
      expect(await countMembers(dataset.target, checked, { now })).toBe(c.count);
      const first = await pageMembers(dataset.target, checked, { now, offset: 0, limit: 5 });
      const rest = await pageMembers(dataset.target, checked, { now, offset: 5, limit: 1000 });
      const ids = [...first, ...rest].map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(c.members);
    },
  );
});

describe('every invalid conformance case is rejected before evaluation', () => {
  it.each(cases.invalid.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const analysis = analyzeText(c.pql, { schema: dataset.schema });
    expect(analysis.errors.length, c.why).toBeGreaterThan(0);
    if (c.line !== null) expect(analysis.errors[0]!.line).toBe(c.line);
    if (c.column !== null) expect(analysis.errors[0]!.column).toBe(c.column);
  });
});
