import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { parse } from '../src/pql/parser.js';
import { format } from '../src/pql/formatter.js';
import { fromPqlJson, toPqlJson } from '../src/pql/pqlJson.js';
import { stripSpans } from '../src/pql/ast.js';

interface Case {
  readonly id: string;
  readonly pql: string;
  readonly covers: string;
  readonly line?: number | null;
  readonly column?: number | null;
}

// The shared reference folder sits beside the repository root (/work/shared next to /work/main).
const cases = JSON.parse(
  readFileSync(new URL('../../../shared/conformance/cases.json', import.meta.url), 'utf8'),
) as {
  valid: Case[];
  invalid: Case[];
};

/**
 * The invalid cases the parser itself must reject. `invalid-literal` (month 13
 * in date(…)) is rejected by the parser too: date(y, m, d) with integer
 * literals is validated as PQL106.
 */
const PARSER_COVERS = new Set(['syntax', 'lexical', 'incomplete', 'invalid-literal']);

describe('conformance: invalid cases the parser rejects', () => {
  const mine = cases.invalid.filter((c) => PARSER_COVERS.has(c.covers));
  it('has such cases', () => expect(mine.length).toBeGreaterThanOrEqual(11));
  for (const c of mine) {
    it(`${c.id} (${c.covers}): ${c.pql}`, () => {
      const r = parse(c.pql);
      expect(r.diagnostics.length, 'must be rejected').toBeGreaterThan(0);
      expect(r.diagnostics.every((d) => d.severity === 'error')).toBe(true);
      // the first problem (in source order) is at the expected position
      const first = r.source.positioned(r.diagnostics[0]!);
      if (c.line != null) expect(first.line).toBe(c.line);
      if (c.column != null) expect(first.column).toBe(c.column);
    });
  }
  it('leaves the other invalid cases (names, types, arity) to the checker', () => {
    for (const c of cases.invalid.filter((x) => !PARSER_COVERS.has(x.covers))) {
      expect(parse(c.pql).diagnostics, c.id).toEqual([]);
    }
  });
});

describe('conformance: valid cases', () => {
  for (const c of cases.valid) {
    it(`${c.id}: ${c.pql}`, () => {
      const r = parse(c.pql);
      expect(r.diagnostics).toEqual([]);
      const tree = stripSpans(r.root);
      // format → parse
      const printed = format(r.root);
      const again = parse(printed);
      expect(again.diagnostics, printed).toEqual([]);
      expect(stripSpans(again.root), printed).toEqual(tree);
      // pql/json, through its JSON text
      const json = JSON.parse(JSON.stringify(toPqlJson(r.root))) as unknown;
      const back = fromPqlJson(json);
      expect(back.diagnostics).toEqual([]);
      expect(stripSpans(back.root)).toEqual(tree);
    });
  }
});
