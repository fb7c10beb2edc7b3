import { describe, it, expect } from 'vitest';
import { parse } from '../src/pql/parser.js';
import { fromPqlJson, toPqlJson } from '../src/pql/pqlJson.js';
import { stripSpans } from '../src/pql/ast.js';
import { PQL_EXAMPLES } from './fixtures/pql-examples.js';

function roundTrip(text: string): void {
  const r = parse(text);
  expect(r.diagnostics).toEqual([]);
  const json = JSON.parse(JSON.stringify(toPqlJson(r.root))) as unknown;
  const back = fromPqlJson(json);
  expect(back.diagnostics).toEqual([]);
  expect(stripSpans(back.root)).toEqual(stripSpans(r.root));
}

describe('pql/json (pql.md §5.1)', () => {
  it('reproduces the worked example exactly', () => {
    const json = toPqlJson(parse('loyalty.tier in ["gold", "platinum"]').root);
    expect(JSON.stringify(json)).toBe(
      '{"nodeType":"fnApply","fnName":"in","params":[{"nodeType":"fieldLookup","fieldName":"tier","object":{"nodeType":"fieldLookup","fieldName":"loyalty","object":{"nodeType":"parameterReference","position":1}}},{"nodeType":"literal","literalType":"List","value":["gold","platinum"]}]}',
    );
  });
  it('uses Adobe node kinds for operators, methods and functions', () => {
    expect(toPqlJson(parse('person.name.firstName.startsWith("Al", false)').root)).toEqual({
      nodeType: 'fnApply',
      fnName: 'startsWith',
      params: [
        {
          nodeType: 'fieldLookup',
          fieldName: 'firstName',
          object: {
            nodeType: 'fieldLookup',
            fieldName: 'name',
            object: {
              nodeType: 'fieldLookup',
              fieldName: 'person',
              object: { nodeType: 'parameterReference', position: 1 },
            },
          },
        },
        { nodeType: 'literal', literalType: 'String', value: 'Al' },
        { nodeType: 'literal', literalType: 'Boolean', value: false },
      ],
    });
    expect(toPqlJson(parse('date(2024, 1, 2)').root)).toEqual({
      nodeType: 'fnApply',
      fnName: 'date',
      params: [1, 2, 3].map((i) => ({
        nodeType: 'literal',
        literalType: 'Integer',
        value: [2024, 1, 2][i - 1],
      })),
    });
    expect(toPqlJson(parse('x > 2.5').root)).toMatchObject({
      params: [{}, { literalType: 'Double', value: 2.5 }],
    });
    expect(toPqlJson(parse('not (x = null)').root)).toMatchObject({
      fnName: 'not',
      params: [{ fnName: '=', params: [{}, { literalType: 'Null' }] }],
    });
  });
  it('marks $1 as explicit and bound variables as x:var', () => {
    expect(toPqlJson(parse('$1.a').root)).toEqual({
      nodeType: 'fieldLookup',
      fieldName: 'a',
      object: { nodeType: 'parameterReference', position: 1, 'x:explicit': true },
    });
    expect(toPqlJson(parse('(p) => p.a').root)).toMatchObject({
      nodeType: 'x:lambda',
      body: { nodeType: 'fieldLookup', object: { nodeType: 'x:var', name: 'p' } },
    });
  });
  it('round-trips ambiguous spellings with x:form', () => {
    for (const text of [
      'a.like(b)',
      'a.date(1, 2, 3)',
      'a.not()',
      'a.if(b, c)',
      'frobnicate(1)',
      'x.in(1)',
      'x.keys()',
      'inSegment("a")',
    ]) {
      roundTrip(text);
    }
    expect(toPqlJson(parse('a.like(b)').root)).toMatchObject({ 'x:form': 'method' });
    expect(toPqlJson(parse('frobnicate(1)').root)).toMatchObject({ 'x:form': 'call' });
    expect(toPqlJson(parse('x.keys()').root)).not.toHaveProperty('x:form');
  });
  it('round-trips literals exactly', () => {
    for (const text of [
      '[1.0, 2]',
      '[[1, "a"], [true, null]]',
      '-0',
      '-0.0',
      '1e3',
      '100.0',
      '0.5',
      '{"a": [1.5]}',
      '"\\u0000"',
    ]) {
      roundTrip(text);
    }
    expect(toPqlJson(parse('[1.0, 2]').root)).toMatchObject({ nodeType: 'x:list' });
  });
  it('round-trips every §6 example', () => {
    for (const { pql } of PQL_EXAMPLES) roundTrip(pql);
  });
  it('reads Adobe XDMObject roots and plain $1', () => {
    const r = fromPqlJson({
      nodeType: 'fieldLookup',
      fieldName: 'a',
      object: { nodeType: 'literal', literalType: 'XDMObject', value: 'profile' },
    });
    expect(stripSpans(r.root)).toEqual({ kind: 'Name', name: 'a' });
    expect(stripSpans(fromPqlJson({ nodeType: 'parameterReference', position: 1 }).root)).toEqual({
      kind: 'Param',
      position: 1,
    });
  });
  it('never throws on bad input', () => {
    const bad: unknown[] = [
      null,
      42,
      'x',
      [],
      {},
      { nodeType: 'nope' },
      { nodeType: 'fnApply' },
      { nodeType: 'fnApply', fnName: 'x', params: [] },
      { nodeType: 'fnApply', fnName: 1, params: 'a' },
      { nodeType: 'fieldLookup', fieldName: 'a' },
      { nodeType: 'literal', literalType: 'Integer', value: 'a' },
      { nodeType: 'literal', literalType: 'Weird', value: 1 },
      { nodeType: 'literal', literalType: 'List', value: [{}] },
      {
        nodeType: 'x:occurs',
        subject: { nodeType: 'x:this' },
        spec: { form: 'relative', op: '?', amount: -1 },
      },
      {
        nodeType: 'x:chain',
        events: null,
        timestampPath: [1],
        steps: [null, { what: 1, when: 2, count: 'x' }],
      },
      { nodeType: 'x:let', bindings: 'x', body: {} },
      { nodeType: 'x:quantifier', quantifier: 'some', ranges: [] },
      { nodeType: 'x:error' },
    ];
    let deep: unknown = { nodeType: 'x:this' };
    for (let i = 0; i < 100000; i++)
      deep = { nodeType: 'x:filter', object: deep, condition: { nodeType: 'x:this' } };
    bad.push(deep);
    const cyclic: Record<string, unknown> = {
      nodeType: 'x:filter',
      condition: { nodeType: 'x:this' },
    };
    cyclic['object'] = cyclic;
    bad.push(cyclic);
    for (const b of bad) {
      const r = fromPqlJson(b);
      expect(r.diagnostics.length, `bad input #${bad.indexOf(b)}`).toBeGreaterThan(0);
      expect(r.root).toBeDefined();
    }
  });
});
