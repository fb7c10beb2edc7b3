import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from '../src/pql/parser.js';
import { format } from '../src/pql/formatter.js';
import { fromPqlJson, toPqlJson } from '../src/pql/pqlJson.js';
import {
  stripSpans,
  type CompareOp,
  type Expr,
  type Span,
  type TimeDirection,
  type TimeRef,
  type TimeSpec,
  type TimeUnit,
} from '../src/pql/ast.js';

const span: Span = { start: 0, end: 0 };

// Root names: identifiers that are not keywords, aggregate heads (rule R7) or time units.
const rootName = fc.constantFrom(
  'a',
  'b',
  'loyalty',
  'tier',
  'points',
  'eventType',
  '_acme',
  'x1',
  'SKU',
  'Ünïcode',
  'p',
);
// After '.', any word (rule R10), keywords and odd names included.
const memberName = fc.constantFrom(
  'a',
  'tier',
  'SKU',
  'from',
  'count',
  'in',
  'over',
  'sum',
  'not',
  'WHAT',
  'this',
  'where',
  'odd name',
  '9lives',
);
const methodName = fc.constantFrom(
  'count',
  'sum',
  'startsWith',
  'get',
  'from',
  'like',
  'not',
  'date',
  'if',
  'in',
  'keys',
  'isNull',
);
const callName = fc.constantFrom('inSegment', 'currentYear', 'mapEntry', 'foo', 'Frob');
const units: TimeUnit[] = [
  'millisecond',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
  'decade',
  'century',
  'millennium',
];
const unit = fc.constantFrom(...units);
const compareOp = fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>=');
const direction = fc.constantFrom<TimeDirection>('before', 'after', 'from');

const decimalText = fc
  .tuple(
    fc.boolean(),
    fc.nat(99999),
    fc.option(fc.stringMatching(/^[0-9]{1,4}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.nat(20)), {
      nil: undefined,
    }),
  )
  .filter(([, , frac, exp]) => frac !== undefined || exp !== undefined)
  .map(([neg, int, frac, exp]) => {
    const text = `${neg ? '-' : ''}${int}${frac !== undefined ? `.${frac}` : ''}${exp ? `${exp[0]}${exp[1]}${exp[2]}` : ''}`;
    return { kind: 'Decimal' as const, value: Number(text), text, span };
  });

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.string({ maxLength: 8 }).map((value) => ({ kind: 'String' as const, value, span })),
  fc
    .string({ maxLength: 4, unit: 'binary' })
    .map((value) => ({ kind: 'String' as const, value, span })),
  fc
    .oneof(
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
      fc.integer({ min: -1000, max: 1000 }),
      fc.constant(-0),
    )
    .map((value) => ({
      kind: 'Integer' as const,
      value,
      span,
    })),
  decimalText,
  fc.boolean().map((value) => ({ kind: 'Boolean' as const, value, span })),
  fc.constant<Expr>({ kind: 'Null', span }),
  rootName.map((name) => ({ kind: 'Name' as const, name, span })),
  fc.integer({ min: 1, max: 9 }).map((position) => ({ kind: 'Param' as const, position, span })),
  fc.constant<Expr>({ kind: 'This', span }),
  fc.constant<Expr>({ kind: 'XEvent', span }),
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), memberName)
    .map(([levels, name]) => ({ kind: 'UpRef' as const, levels, name, span })),
  fc
    .constantFrom('now', 'today', 'yesterday', 'tomorrow')
    .map((word) => ({ kind: 'TimeWord' as const, word, span })),
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => {
  const e = tie('expr');
  const es = (max = 3) => fc.array(e, { maxLength: max });
  const period = fc
    .tuple(fc.constantFrom('this', 'last', 'next'), unit)
    .map(([which, u]) => ({ kind: 'Period' as const, which, unit: u, span }));
  const ref: fc.Arbitrary<TimeRef> = fc.oneof(period, e);
  const timeSpec: fc.Arbitrary<TimeSpec> = fc.oneof(
    fc.record({
      form: fc.constant('relative' as const),
      span: fc.constant(span),
      op: compareOp,
      amount: fc.nat(1000),
      unit,
      direction,
      ref,
    }),
    fc.record({ form: fc.constant('direction' as const), span: fc.constant(span), direction, ref }),
    fc.record({
      form: fc.constant('between' as const),
      span: fc.constant(span),
      from: ref,
      to: ref,
    }),
    fc.record({
      form: fc.constant('on' as const),
      span: fc.constant(span),
      ref,
      explicitOn: fc.boolean(),
    }),
  );
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const withOptional = <T extends object>(base: T, extra: Record<string, unknown>): T => {
    const out = { ...base } as Record<string, unknown>;
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
    return out as T;
  };
  return {
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      es().map((items) => ({ kind: 'List' as const, items, span })),
      fc.array(fc.tuple(fc.string({ maxLength: 5 }), e), { maxLength: 3 }).map((entries) => ({
        kind: 'Object' as const,
        entries: entries.map(([key, value]) => ({ key, keySpan: span, value })),
        span,
      })),
      fc
        .tuple(e, memberName)
        .map(([object, name]) => ({ kind: 'Member' as const, object, name, nameSpan: span, span })),
      fc
        .tuple(e, methodName, es())
        .map(([receiver, name, args]) => ({
          kind: 'Method' as const,
          receiver,
          name,
          nameSpan: span,
          args,
          span,
        })),
      fc
        .tuple(callName, es())
        .map(([name, args]) => ({ kind: 'Call' as const, name, nameSpan: span, args, span })),
      fc
        .tuple(e, e)
        .map(([object, condition]) => ({ kind: 'Filter' as const, object, condition, span })),
      fc
        .tuple(
          fc.constantFrom(
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
            'and',
            'or',
            'in',
            'notIn',
            'like' as const,
          ),
          e,
          e,
        )
        .map(([op, left, right]) => ({ kind: 'Binary' as const, op, left, right, span })),
      fc
        .tuple(e, fc.boolean())
        .map(([operand, bang]) => ({ kind: 'Not' as const, operand, bang, span })),
      e.map((operand) => ({ kind: 'Negate' as const, operand, span })),
      fc
        .tuple(e, e, e)
        .map(([condition, then, otherwise]) => ({
          kind: 'If' as const,
          condition,
          then,
          otherwise,
          span,
        })),
      fc
        .tuple(e, timeSpec)
        .map(([subject, spec]) => ({ kind: 'Occurs' as const, subject, spec, span })),
      fc
        .tuple(
          e,
          fc.array(memberName, { minLength: 1, maxLength: 3 }),
          fc.array(
            fc.tuple(
              fc.constantFrom('A', 'C0', 'step', 'from'),
              e,
              opt(timeSpec),
              opt(fc.nat(10)),
              opt(e),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        )
        .map(([events, timestampPath, steps]) => ({
          kind: 'Chain' as const,
          events,
          timestampPath,
          steps: steps.map(([label, what, when, count, where]) =>
            withOptional({ label, what, span }, { when, count, where }),
          ),
          span,
        })),
      fc
        .tuple(fc.array(fc.tuple(rootName, e), { minLength: 1, maxLength: 3 }), e)
        .map(([bindings, body]) => ({
          kind: 'Let' as const,
          bindings: bindings.map(([name, value]) => ({ name, nameSpan: span, value })),
          body,
          span,
        })),
      fc
        .tuple(
          fc.constantFrom('exists', 'forall' as const),
          fc.array(fc.tuple(rootName, e, opt(e), opt(e)), { minLength: 1, maxLength: 3 }),
        )
        .map(([quantifier, ranges]) => ({
          kind: 'Quantifier' as const,
          quantifier,
          ranges: ranges.map(([variable, source, where, assertion]) =>
            withOptional({ variable, variableSpan: span, source }, { where, assertion }),
          ),
          span,
        })),
      fc
        .tuple(rootName, e, opt(e))
        .map(([variable, source, where]) =>
          withOptional(
            { kind: 'Select' as const, variable, variableSpan: span, source, span },
            { where },
          ),
        ),
      fc
        .tuple(
          fc.constantFrom('sum', 'count', 'average', 'min', 'max' as const),
          e,
          rootName,
          e,
          opt(e),
        )
        .map(([aggregate, value, variable, source, where]) =>
          withOptional(
            {
              kind: 'Comprehension' as const,
              aggregate,
              value,
              variable,
              variableSpan: span,
              source,
              span,
            },
            { where },
          ),
        ),
      fc.tuple(fc.array(rootName, { maxLength: 3 }), e).map(([params, body]) => ({
        kind: 'Lambda' as const,
        params: params.map((name) => ({ name, span })),
        body,
        span,
      })),
    ),
  };
});

describe('round trips over generated trees', () => {
  it('parse(format(t)) = t', () => {
    fc.assert(
      fc.property(expr, (tree) => {
        const text = format(tree);
        const r = parse(text);
        expect(r.diagnostics, text).toEqual([]);
        expect(stripSpans(r.root), text).toEqual(stripSpans(tree));
      }),
      { numRuns: 1500 },
    );
  }, 120_000);
  it('fromPqlJson(toPqlJson(t)) = t, through JSON text', () => {
    fc.assert(
      fc.property(expr, (tree) => {
        const json = JSON.parse(JSON.stringify(toPqlJson(tree))) as unknown;
        const back = fromPqlJson(json);
        expect(back.diagnostics).toEqual([]);
        expect(stripSpans(back.root)).toEqual(stripSpans(tree));
      }),
      { numRuns: 1500 },
    );
  }, 120_000);
  it('format is idempotent on its own output', () => {
    fc.assert(
      fc.property(expr, (tree) => {
        const text = format(tree);
        expect(format(parse(text).root)).toBe(text);
      }),
      { numRuns: 500 },
    );
  }, 120_000);
});
