import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse, parseStats } from '../src/pql/parser.js';
import { tokenize } from '../src/pql/lexer.js';
import { format } from '../src/pql/formatter.js';
import { stripSpans } from '../src/pql/ast.js';
import { PQL_EXAMPLES } from './fixtures/pql-examples.js';

const cases = JSON.parse(
  readFileSync(new URL('../../../shared/conformance/cases.json', import.meta.url), 'utf8'),
) as {
  valid: { pql: string }[];
};
const seeds = [...cases.valid.map((c) => c.pql), ...PQL_EXAMPLES.map((e) => e.pql)];

const FRAGMENTS = [
  'a',
  'b.c',
  'xEvent',
  'this',
  '$1',
  '$',
  '^',
  '^^.',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
  '=>',
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '"s"',
  '"',
  "'",
  '`',
  '1',
  '2.5',
  '.5',
  '5.',
  '1e3',
  '99999999999999999999',
  ' ',
  '\n',
  'and',
  'or',
  'not',
  'in',
  'notIn',
  'like',
  'occurs',
  'between',
  'before',
  'after',
  'from',
  'on',
  'this',
  'last',
  'next',
  'week',
  'days',
  'let',
  'select',
  'exists',
  'forall',
  'where',
  'over',
  'sum',
  'count',
  'chain',
  'WHAT',
  'WHEN',
  'COUNT',
  'WHERE',
  'if',
  'date',
  '#',
  '“',
  '”',
  '\\',
  '//',
  '/*',
  '--',
  'today',
  'now',
  'true',
  'null',
  'ocurs',
  '\u{1F3AE}',
  '\u0000',
];

/** Checks the guarantees of parse on any text; returns whether it parsed cleanly. */
function check(text: string): boolean {
  const r = parse(text);
  expect(r.root).toBeDefined();
  for (const d of r.diagnostics) {
    expect(d.severity).toBe('error');
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
    const p = r.source.positioned(d);
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
  expect(r.root.span.start).toBeGreaterThanOrEqual(0);
  expect(r.root.span.end).toBeLessThanOrEqual(text.length);
  // tokens: in order, inside the text, never overlapping
  const { tokens } = tokenize(text);
  let last = 0;
  for (const t of tokens) {
    expect(t.span.start).toBeGreaterThanOrEqual(last);
    expect(t.span.end).toBeGreaterThanOrEqual(t.span.start);
    last = t.span.end;
  }
  expect(last).toBeLessThanOrEqual(text.length);
  // the formatter accepts any tree, partial ones included
  const printed = format(r.root);
  expect(typeof printed).toBe('string');
  if (r.diagnostics.length === 0) {
    // whatever parses cleanly round-trips
    const again = parse(printed);
    expect(again.diagnostics, `${text}\n -> ${printed}`).toEqual([]);
    expect(stripSpans(again.root)).toEqual(stripSpans(r.root));
    return true;
  }
  return false;
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(...FRAGMENTS),
  }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 12 }),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, ms: readonly Mutation[]): string {
  let s = text;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    switch (m.kind) {
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.length);
        break;
      case 'insert':
        s = s.slice(0, at) + m.text + s.slice(at);
        break;
      case 'swap': {
        if (s.length < 2) break;
        const i = at % s.length;
        const j = m.other % s.length;
        const chars = [...s];
        if (i < chars.length && j < chars.length) [chars[i], chars[j]] = [chars[j]!, chars[i]!];
        s = chars.join('');
        break;
      }
      case 'duplicate':
        s = s.slice(0, at) + s.slice(at, at + m.length) + s.slice(at);
        break;
    }
  }
  return s;
}

describe('fuzz: parse always returns, with positions inside the text', () => {
  it('mutated conformance cases and §6 examples', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (seed, ms) => {
          check(mutate(seed, ms));
        },
      ),
      { numRuns: 3000 },
    );
  }, 120_000);
  it('random token soup', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }),
        fc.boolean(),
        (parts, spaced) => {
          check(parts.join(spaced ? ' ' : ''));
        },
      ),
      { numRuns: 3000 },
    );
  }, 120_000);
  it('random unicode text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: 'binary' }), (text) => {
        check(text);
      }),
      { numRuns: 2000 },
    );
  }, 120_000);
  it('every unmutated seed parses cleanly', () => {
    for (const s of seeds) expect(check(s), s).toBe(true);
  });
});

describe('linearity (work counted, not timed)', () => {
  const families: Record<string, (n: number) => string> = {
    'long and-chain': (n) => 'a = 1 and '.repeat(n) + 'b',
    'deep parentheses': (n) => '('.repeat(n) + 'a' + ')'.repeat(n),
    'unclosed parentheses': (n) => '('.repeat(n),
    'aggregate heads (R7 scans)': (n) => 'sum + ('.repeat(n) + 'x',
    'comprehension heads without over': (n) => 'count '.repeat(n),
    'lambda look-ahead (R2)': (n) => '(a, '.repeat(n),
    'long parameter lists': (n) => '(' + 'a, '.repeat(n) + 'b) = 1',
    'missing commas': (n) => 'f(' + 'a '.repeat(n) + ')',
    'empty list items': (n) => '[1,,'.repeat(n),
    'long paths': (n) => 'x' + '.y'.repeat(n),
    'stray operators': (n) => '= '.repeat(n),
    'stray closers': (n) => ')'.repeat(n),
    quotes: (n) => '"'.repeat(n),
    'curly quotes': (n) => '“'.repeat(n),
    backticks: (n) => '`'.repeat(n),
    'unknown characters': (n) => '# '.repeat(n),
    'misspelt operators': (n) => 'a ocurs '.repeat(n),
    filters: (n) => 'xEvent' + '[a]'.repeat(n),
    'nested filters': (n) => 'a[b'.repeat(n),
    'chain steps': (n) =>
      'chain(xEvent, timestamp, [' + 'A: WHAT(x) WHEN(today), '.repeat(n) + '])',
    'quantifier ranges': (n) => 'exists ' + 'e from xs where e, '.repeat(n) + 'f from ys',
    'let bindings': (n) => 'let ' + 'a = 1, '.repeat(n) + 'b = 2 in a',
    'mutated seeds': (n) =>
      seeds
        .join(' and ')
        .slice(0, n * 8)
        .replace(/\)/g, ''),
  };
  for (const [name, make] of Object.entries(families)) {
    it(name, () => {
      const small = parseStats(make(500));
      const large = parseStats(make(4000));
      // bounded work per token …
      expect(large.steps).toBeLessThanOrEqual(20 * large.tokens + 50);
      // … and work that grows with the input, not faster
      expect(large.steps).toBeLessThanOrEqual(10 * Math.max(small.steps, 1) + 50);
    });
  }
});
