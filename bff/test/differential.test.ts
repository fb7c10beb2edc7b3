/**
 * Differential test: random well-typed PQL over the conformance fixture,
 * compiled to SQL on DuckDB, against the reference interpreter in shared/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText, PqlGenerator, qualifies } from '@seg/shared';
import { openDataset, type OpenDataset } from '../src/engine/dataset.js';
import { evaluateBatch } from '../src/engine/evaluate.js';
import { loadFixture } from '../../shared/test/support/fixture.js';
import { CONFORMANCE_DIR, readCases } from './support/conformance.js';

const EXPRESSIONS = 600;
const now = Date.parse(readCases().now);
let dataset: OpenDataset;

beforeAll(async () => {
  dataset = await openDataset(CONFORMANCE_DIR.pathname);
});
afterAll(() => dataset?.close());

describe('compiled SQL agrees with the reference interpreter', () => {
  it(`on ${EXPRESSIONS} generated expressions × every fixture profile`, async () => {
    const fixture = loadFixture(CONFORMANCE_DIR);
    const generator = new PqlGenerator(20261130);
    const definitions = [];
    for (let i = 0; i < EXPRESSIONS; i++) {
      const pql = generator.condition();
      const analysis = analyzeText(pql, { schema: dataset.schema });
      expect(analysis.errors, pql).toEqual([]);
      definitions.push({ id: `g${i}`, pql, query: analysis.checked });
    }
    const batch = await evaluateBatch(dataset.target, definitions, { now });
    const mismatches: string[] = [];
    let nonTrivial = 0;
    for (const d of definitions) {
      const result = batch.results.get(d.id)!;
      if ('error' in result) {
        mismatches.push(`${d.pql}\n  engine error: ${result.error.message}`);
        continue;
      }
      const compiled = result.members.map((m) => m.id).sort();
      const interpreted = fixture.profiles
        .filter((p) => qualifies(d.query, { profile: p.profile, events: p.events, now }))
        .map((p) => p.primaryIdentity)
        .sort();
      if (interpreted.length > 0 && interpreted.length < fixture.profiles.length) nonTrivial++;
      if (JSON.stringify(compiled) !== JSON.stringify(interpreted)) {
        const onlySql = compiled.filter((id) => !interpreted.includes(id));
        const onlyInterpreter = interpreted.filter((id) => !compiled.includes(id));
        mismatches.push(`${d.pql}\n  only SQL: ${onlySql.join(', ')}\n  only interpreter: ${onlyInterpreter.join(', ')}`);
      }
    }
    expect(mismatches.slice(0, 10).join('\n\n')).toBe('');
    // the generator must produce audiences that tell engines apart, not only everyone or no one
    expect(nonTrivial).toBeGreaterThan(EXPRESSIONS / 3);
  });
});
