/**
 * The interpreter covers the catalogue: every entry's own example evaluates on
 * every fixture profile (no "no rule for …", no crash), the way the compilers'
 * coverage test holds them to the same table.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../src/pql/catalogue.js';
import { analyzeText } from '../src/pql/analyze.js';
import { evaluateValue } from '../src/pql/interpreter.js';
import { loadFixture } from './support/fixture.js';

const fixture = loadFixture(new URL('../../../shared/conformance/', import.meta.url));
const now = Date.parse('2026-06-15T12:00:00Z');

describe('the reference interpreter covers the catalogue', () => {
  it.each(CATALOGUE.map((e) => [e.id, e.example] as const))('%s: %s', (_id, example) => {
    // without a schema fields are `any`, so examples over pql.md's own model check too
    const { checked, errors } = analyzeText(example);
    expect(errors).toEqual([]);
    for (const p of fixture.profiles) {
      expect(() => evaluateValue(checked, { profile: p.profile, events: p.events, now })).not.toThrow();
    }
  });
});
