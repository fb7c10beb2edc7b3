import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

import { check, checkText, type CheckOptions } from '../src/pql/checker.js';
import { CATALOGUE } from '../src/pql/catalogue.js';
import {
  childrenOf,
  timeSpecChildren,
  type Expr,
  type Period,
  type TimeSpec,
} from '../src/pql/ast.js';
import { SchemaBuilder } from '../src/schema/infer.js';
import type { DataSchema, ObjectType } from '../src/schema/model.js';
import { T, type PqlType } from '../src/pql/types.js';
import type { CheckedQuery } from '../src/pql/checked.js';

// ---------------------------------------------------------------- fixtures

const conformanceDir = new URL('../../../shared/conformance/', import.meta.url);

function loadSchema(): DataSchema {
  const profiles = new SchemaBuilder();
  for (const line of readFileSync(new URL('profiles.ndjson', conformanceDir), 'utf8').split('\n'))
    if (line.trim()) profiles.observeJson(line);
  const events = new SchemaBuilder({ datetimePaths: ['timestamp'] });
  for (const line of readFileSync(new URL('events.ndjson', conformanceDir), 'utf8').split('\n'))
    if (line.trim()) events.observeJson(line);
  return { profile: profiles.build(), event: events.build() };
}

interface ValidCase {
  id: string;
  pql: string;
}
interface InvalidCase {
  id: string;
  pql: string;
  line: number | null;
  column: number | null;
  why: string;
}
const cases = JSON.parse(readFileSync(new URL('cases.json', conformanceDir), 'utf8')) as {
  valid: ValidCase[];
  invalid: InvalidCase[];
};
const conformanceSchema = loadSchema();

const obj = (fields: Record<string, PqlType>) => T.object(fields) as ObjectType;

/** The example data model of pql.md §0.2 (plus interests and channel for catalogue examples). */
const modelSchema: DataSchema = {
  profile: obj({
    person: obj({
      name: obj({ firstName: T.string, lastName: T.string }),
      gender: T.string,
      birthDate: T.date,
      birthYear: T.int,
    }),
    homeAddress: obj({ stateProvince: T.string, city: T.string, countryCode: T.string }),
    personalEmail: obj({ address: T.string }),
    loyalty: obj({ points: T.int, tier: T.string }),
    interests: T.list(T.string),
    identityMap: T.map(T.list(obj({ id: T.string, primary: T.boolean }))),
    segmentMembership: T.map(T.map(obj({ status: T.string }))),
  }),
  event: obj({
    timestamp: T.datetime,
    eventType: T.string,
    commerce: obj({ order: obj({ priceTotal: T.double }), purchases: obj({ value: T.double }) }),
    productListItems: T.list(
      obj({ SKU: T.string, name: T.string, priceTotal: T.double, quantity: T.int }),
    ),
    web: obj({ webPageDetails: obj({ name: T.string }) }),
    channel: obj({ _type: T.string }),
  }),
};

function run(
  text: string,
  options: Omit<CheckOptions, 'parseDiagnostics'> = { schema: modelSchema },
) {
  const r = checkText(text, options);
  const positioned = r.diagnostics.map((d) => r.source.positioned(d));
  return {
    ...r,
    errors: positioned.filter((d) => d.severity === 'error'),
    warnings: positioned.filter((d) => d.severity === 'warning'),
  };
}

function expectClean(text: string, options?: Omit<CheckOptions, 'parseDiagnostics'>) {
  const r = run(text, options);
  expect(r.errors, `${text}\n${JSON.stringify(r.errors)}`).toEqual([]);
  return r;
}

function expectError(
  text: string,
  code: string,
  column?: number,
  line = 1,
  options?: Omit<CheckOptions, 'parseDiagnostics'>,
) {
  const r = run(text, options);
  const first = r.errors[0];
  expect(first, `${text}: expected ${code}`).toBeDefined();
  expect({
    code: first!.code,
    line: first!.line,
    ...(column !== undefined ? { column: first!.column } : {}),
  }).toEqual({
    code,
    line,
    ...(column !== undefined ? { column } : {}),
  });
  return { ...r, first: first! };
}

/** Every node of a tree, TimeSpec periods included. */
function allNodes(root: Expr): (Expr | Period)[] {
  const out: (Expr | Period)[] = [];
  const specs = (e: Expr): TimeSpec[] =>
    e.kind === 'Occurs'
      ? [e.spec]
      : e.kind === 'Chain'
        ? e.steps.flatMap((s) => (s.when ? [s.when] : []))
        : [];
  const walk = (e: Expr) => {
    out.push(e);
    for (const spec of specs(e)) {
      const refs = spec.form === 'between' ? [spec.from, spec.to] : [spec.ref];
      for (const r of refs) if (r.kind === 'Period') out.push(r);
    }
    childrenOf(e).forEach(walk);
  };
  walk(root);
  void timeSpecChildren;
  return out;
}

function typeOf(r: CheckedQuery, pred: (e: Expr | Period) => boolean): PqlType | undefined {
  const node = allNodes(r.root).find(pred);
  return node ? r.types.get(node) : undefined;
}

// ---------------------------------------------------------------- conformance

describe('conformance cases (parse + check, schema inferred from the dataset)', () => {
  it.each(cases.invalid.map((c) => [c.id, c] as const))('%s is rejected', (_id, c) => {
    const r = checkText(c.pql, { schema: conformanceSchema });
    const errors = r.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => r.source.positioned(d));
    expect(errors.length, c.why).toBeGreaterThan(0);
    const first = errors[0]!;
    if (c.line !== null) expect(first.line, `${c.why}: ${first.message}`).toBe(c.line);
    if (c.column !== null) expect(first.column, `${c.why}: ${first.message}`).toBe(c.column);
  });

  it.each(cases.valid.map((c) => [c.id, c] as const))('%s checks without errors', (_id, c) => {
    const r = checkText(c.pql, { schema: conformanceSchema });
    const errors = r.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => r.source.positioned(d));
    expect(errors, c.pql).toEqual([]);
  });

  it('names the place it looked and suggests a spelling', () => {
    const schema = { schema: conformanceSchema };
    expect(run('xEvent[eventTyp = "x"].count() > 0', schema).errors[0]!.message).toBe(
      "Events have no field 'eventTyp'. Did you mean 'eventType'?",
    );
    expect(run('person.nmae.firstName = "Ada"', schema).errors[0]!.message).toContain(
      "Did you mean 'name'?",
    );
    expect(run('person.birthdate < date(1990, 1, 1)', schema).errors[0]!.message).toContain(
      'case-sensitive',
    );
    expect(run('person.name.firstName.startsWith()', schema).errors[0]!.message).toBe(
      'startsWith needs 1 or 2 arguments: text, caseSensitive',
    );
    expect(run('person.name.firstName.beginWith("J")', schema).errors[0]).toMatchObject({
      code: 'PQL202',
      column: 23,
    });
  });
});

// ---------------------------------------------------------------- pql.md examples and the catalogue

function pqlMdExamples(): string[] {
  const text = readFileSync(new URL('../../../shared/reference/pql.md', import.meta.url), 'utf8');
  const section = text.slice(
    text.indexOf('## 6. Example expressions'),
    text.indexOf('## 7. Open questions'),
  );
  const out: string[] = [];
  for (const line of section.split('\n')) {
    const m = /^(?:\d+\.|-) `(.+)` — /.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

describe('pql.md §6 examples and catalogue examples', () => {
  const examples = pqlMdExamples();
  it('finds the examples', () => expect(examples.length).toBeGreaterThanOrEqual(55));

  it.each(examples.map((e) => [e]))('%s', (text) => {
    const condition = !/mapEntry|in \{/.test(text);
    expectClean(text, { schema: modelSchema, expectCondition: condition });
  });

  it.each(CATALOGUE.map((e) => [e.id, e.example]))(
    'catalogue example of %s checks',
    (_id, example) => {
      expectClean(example, { schema: modelSchema, expectCondition: true });
    },
  );

  it('every catalogue entry is reachable from some example', () => {
    const reached = new Set<string>();
    for (const text of [...examples, ...CATALOGUE.map((e) => e.example), '-loyalty.points < 0']) {
      const r = checkText(text, { schema: modelSchema, expectCondition: false });
      for (const e of r.entries.values()) reached.add(e.id);
    }
    const missing = CATALOGUE.map((e) => e.id).filter((id) => !reached.has(id));
    expect(missing).toEqual([]);
  });

  it('types every node, with and without a schema', () => {
    for (const text of [...examples, ...cases.valid.map((c) => c.pql)]) {
      for (const options of [{ schema: modelSchema, expectCondition: false }, {}]) {
        const r = checkText(text, options);
        const untyped = allNodes(r.root).filter((n) => !r.types.has(n));
        expect(
          untyped.map((n) => n.kind),
          text,
        ).toEqual([]);
        const unresolved = allNodes(r.root).filter(
          (n) =>
            (n.kind === 'Name' || n.kind === 'UpRef' || n.kind === 'This' || n.kind === 'Param') &&
            !r.resolutions.has(n),
        );
        expect(
          unresolved.map((n) => n.kind),
          text,
        ).toEqual([]);
      }
    }
  });
});

// ---------------------------------------------------------------- §9 typing checklist

describe('§9 typing checklist', () => {
  it('list functions type as documented', () => {
    expectClean('[1, 2, 2].distinct() = [1, 2]');
    expectClean('[].subsetOf([1])');
    expectClean('[1].intersects([])');
    expectClean('[].head() = null');
    expectClean('xEvent.topN(commerce.order.priceTotal, 2).count() = 2');
    expectClean('[].sum() = 0');
    expectClean('[].average() = null');
    const r = expectClean('[1, 2].sum() = 3');
    expect(typeOf(r, (n) => n.kind === 'Method' && n.name === 'sum')).toEqual(T.int);
    const avg = expectClean('xEvent.average(commerce.order.priceTotal) > 1');
    expect(typeOf(avg, (n) => n.kind === 'Method')).toEqual(T.double);
  });

  it('/ is a decimal, int op int is int', () => {
    const r = expectClean('7 / 2 = 3.5');
    expect(typeOf(r, (n) => n.kind === 'Binary' && n.op === '/')).toEqual(T.double);
    const s = expectClean('loyalty.points + 1 > 2');
    expect(typeOf(s, (n) => n.kind === 'Binary' && n.op === '+')).toEqual(T.int);
    const d = expectClean('loyalty.points * 1.5 > 2');
    expect(typeOf(d, (n) => n.kind === 'Binary' && n.op === '*')).toEqual(T.double);
    expectClean('1 / 0 = null');
  });

  it('null comparisons are fine with any type', () => {
    expectClean('homeAddress.city = null');
    expectClean('loyalty.points != null');
    expectClean('xEvent != null');
  });

  it('filters and ^ (items 31, 32), ^^^ at depth 2 is an error', () => {
    expectClean('xEvent[productListItems[quantity >= 5 and ^.eventType = "commerce.purchases"]]');
    expectClean('xEvent[productListItems[SKU = "GIFT-CARD" or ^^.loyalty.tier = "gold"]]');
    expectError(
      'xEvent[productListItems[SKU = "GIFT-CARD" or ^^^.loyalty.tier = "gold"]]',
      'PQL203',
      46,
    );
    expectError('^loyalty.points > 1', 'PQL203', 1);
  });

  it('quantifiers and comprehensions', () => {
    expectClean(
      'forall e from xEvent where e.eventType = "commerce.purchases" : e.commerce.order.priceTotal < 20',
    );
    expectClean(
      'exists e from xEvent where e.eventType = "commerce.purchases", p from e.productListItems where p.priceTotal > 300',
    );
    const r = expectClean('(sum e.commerce.order.priceTotal over e from xEvent) > 1');
    expect(typeOf(r, (n) => n.kind === 'Comprehension')).toEqual(T.double);
    expectError('(sum e.eventType over e from xEvent) > 1', 'PQL205');
    expectError('exists e from loyalty.points : e > 1', 'PQL205');
  });
});

// ---------------------------------------------------------------- types and operators

describe('operators and functions', () => {
  it('comparisons need comparable / ordered types', () => {
    expectError('person.name.firstName > 5', 'PQL205');
    expectError('person.birthDate = "1990-01-01"', 'PQL205');
    expectError('identityMap < 3', 'PQL205');
    expectClean('person.birthDate < now');
    expectClean('loyalty.points > 999.5');
  });

  it('arithmetic, like, in', () => {
    expectError('loyalty.tier + 1 > 0', 'PQL205');
    expectError('loyalty.points like "1%"', 'PQL205');
    expectError('loyalty.tier in "gold"', 'PQL205');
    expectError('loyalty.points in ["a", "b"]', 'PQL205');
    expectClean('"yoga" in interests');
  });

  it('and/or/not accept conditions and lists only', () => {
    expectError('loyalty.tier and loyalty.points > 1', 'PQL205');
    expectError('not loyalty.points', 'PQL205');
    expectClean('xEvent[eventType = "x"] and interests');
    expectClean('not xEvent[eventType = "x"]');
  });

  it('projection through lists: a list compared with a scalar warns', () => {
    const r = expectClean('xEvent.eventType = "commerce.purchases"');
    expect(r.warnings.map((w) => w.code)).toEqual(['PQL302']);
    expect(typeOf(r, (n) => n.kind === 'Member' && n.name === 'eventType')).toEqual(
      T.list(T.string),
    );
    const flat = expectClean('xEvent.productListItems.SKU.includes("A")');
    expect(typeOf(flat, (n) => n.kind === 'Member' && n.name === 'productListItems')).toEqual(
      modelSchema.event.fields['productListItems'] as PqlType,
    );
    expect(
      flat.entries.get(allNodes(flat.root).find((n) => n.kind === 'Member' && n.name === 'SKU')!)
        ?.id,
    ).toBe('form:projection');
  });

  it('a member of a map suggests get', () => {
    const r = expectError('identityMap.Email.count() > 0', 'PQL205', 13);
    expect(r.first.message).toContain('.get("Email")');
  });

  it('methods: receiver, arity, argument types, overloads, case', () => {
    expectError('loyalty.points.startsWith("1")', 'PQL205', 1);
    expectError('interests.intersects("hiking")', 'PQL205', 22);
    expectError('xEvent.sum(eventType) > 0', 'PQL205');
    expectError('interests.sum() > 0', 'PQL205');
    expectError('xEvent.topN(timestamp, 1.5).count() > 0', 'PQL205');
    expectError('person.name.firstName.startsWith("a", true, 1)', 'PQL204', 23);
    expectClean('loyalty.tier.equals("gold", "platinum")');
    expectClean('loyalty.tier.equals("gold", "platinum", false)');
    expectClean('identityMap.count() > 1');
    const w = expectClean('person.name.firstName.StartsWith("a")');
    expect(w.warnings[0]).toMatchObject({ code: 'PQL301', column: 23 });
    const m = expectClean(
      'xEvent.groupBy(eventType).map((t, g) => mapEntry(t, g.count())).count() > 1',
    );
    expect(typeOf(m, (n) => n.kind === 'Method' && n.name === 'map')).toEqual(T.map(T.int));
    const head = expectClean('xEvent.topN(timestamp, 1).head().eventType = "x"');
    expect(typeOf(head, (n) => n.kind === 'Method' && n.name === 'head')).toBe(modelSchema.event);
  });

  it('functions: unknown, arity, date validity', () => {
    expectError('dat(2020, 1, 1) < person.birthDate', 'PQL202', 1);
    expectError('date(2020, 3) < person.birthDate', 'PQL204', 1);
    expectError('person.birthDate < date(2020, 13, 1)', 'PQL106', 31);
    expectError('person.birthDate < date(2023, 2, 29)', 'PQL106', 34);
    expectClean('person.birthDate < date(2024, 2, 29)');
    expectClean('person.birthDate < date("2024-02-29")');
    expectError('person.birthDate < date("2024-02-30")', 'PQL106', 25);
    expectError('person.birthDate < date(loyalty.tier)', 'PQL205');
  });

  it('occurs', () => {
    expectError('loyalty.tier occurs today', 'PQL205', 1);
    expectError('person.birthDate occurs before loyalty.tier', 'PQL205', 32);
    expectClean('person.birthDate occurs between date(1980, 1, 1) and date(1989, 12, 31)');
    const r = expectClean('xEvent[timestamp occurs last month]');
    const period = allNodes(r.root).find((n) => n.kind === 'Period')!;
    expect(r.entries.get(period)?.id).toBe('form:period');
    expect(r.types.get(period)).toEqual(T.datetime);
  });

  it('inSegment collects ids and checks known ones', () => {
    const r = expectClean('inSegment("a") and not inSegment("b")');
    expect(r.segmentRefs).toEqual(['a', 'b']);
    expectError('inSegment("a") and inSegment("zz")', 'PQL207', 30, 1, {
      schema: modelSchema,
      knownSegmentIds: new Set(['a']),
    });
    expectError('inSegment(loyalty.tier)', 'PQL205', 11);
  });

  it('the root must be a condition', () => {
    const r = expectError('loyalty.points + 1', 'PQL206', 1);
    expect(r.first.message).toBe('A segment must be a condition: this expression is a number');
    expectClean('interests');
    expectClean('select e from xEvent where e.eventType = "x"');
  });

  it('chain: steps, labels, timestamp, scope fallback', () => {
    const step = (l: string) => `${l}: WHAT(eventType = "x")`;
    const seven = ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map(step).join(', ');
    expectError(`chain(xEvent, timestamp, [${seven}])`, 'PQL208');
    expectClean(
      `chain(xEvent, timestamp, [${['A', 'B', 'C', 'D', 'E', 'F'].map(step).join(', ')}])`,
    );
    expectError(
      'chain(xEvent, timestamp, [A: WHAT(eventType = "x"), A: WHAT(eventType = "y")])',
      'PQL105',
    );
    expectError('chain(xEvent, eventType, [A: WHAT(eventType = "x")])', 'PQL205');
    expectError('chain(xEvent, when, [A: WHAT(eventType = "x")])', 'PQL201');
    expectError('chain(loyalty.points, timestamp, [A: WHAT(eventType = "x")])', 'PQL205');
    // WHERE falls back to the profile for names events lack
    const r = expectClean(
      'chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHERE(loyalty.tier = "gold")])',
    );
    const loyalty = allNodes(r.root).find((n) => n.kind === 'Name' && n.name === 'loyalty')!;
    expect(r.resolutions.get(loyalty as Expr)).toEqual({
      kind: 'field',
      level: 1,
      name: 'loyalty',
    });
    const ev = allNodes(r.root).find((n) => n.kind === 'Name' && n.name === 'eventType')!;
    expect(r.resolutions.get(ev as Expr)).toEqual({ kind: 'field', level: 0, name: 'eventType' });
  });
});

// ---------------------------------------------------------------- scopes and names

describe('scopes and name resolution', () => {
  const resolutionOf = (r: CheckedQuery, pred: (e: Expr) => boolean) => {
    const node = allNodes(r.root).find((n) => n.kind !== 'Period' && pred(n as Expr)) as Expr;
    return r.resolutions.get(node);
  };

  it('bare names: innermost scope only (no fallback in filters)', () => {
    expectError('xEvent[loyalty.points > 5].count() > 0', 'PQL201', 8);
    const r = expectClean('xEvent[eventType = "x"].count() > 0');
    expect(resolutionOf(r, (n) => n.kind === 'Name')).toEqual({
      kind: 'field',
      level: 0,
      name: 'eventType',
    });
  });

  it('^ and ^^ resolve to outer levels', () => {
    const r = expectClean(
      'xEvent[productListItems[SKU = "A" and ^.eventType = "x" and ^^.loyalty.tier = "g"]]',
    );
    expect(resolutionOf(r, (n) => n.kind === 'UpRef' && n.levels === 1)).toEqual({
      kind: 'field',
      level: 1,
      name: 'eventType',
    });
    expect(resolutionOf(r, (n) => n.kind === 'UpRef' && n.levels === 2)).toEqual({
      kind: 'field',
      level: 2,
      name: 'loyalty',
    });
    expectError('xEvent[productListItems[^.loyalty.tier = "g"]]', 'PQL201', 25);
  });

  it('variables: let, select, quantifier, comprehension, lambda', () => {
    const r = expectClean('let s = xEvent.count(), t = s + 1 in t > 1');
    const t = resolutionOf(r, (n) => n.kind === 'Name' && n.name === 't');
    expect(t).toMatchObject({ kind: 'variable', index: 1 });
    expect((t as { binder: Expr }).binder.kind).toBe('Let');
    const sel = expectClean('select X from xEvent where X.eventType = "x"');
    expect(resolutionOf(sel, (n) => n.kind === 'Name' && n.name === 'X')).toMatchObject({
      kind: 'variable',
      index: 0,
    });
    const q = expectClean(
      'exists e from xEvent where e.eventType = "x", p from e.productListItems : p.SKU = "A"',
    );
    expect(resolutionOf(q, (n) => n.kind === 'Name' && n.name === 'p')).toMatchObject({
      kind: 'variable',
      index: 1,
    });
    const c = expectClean('(sum e.commerce.order.priceTotal over e from xEvent) > 1');
    expect(resolutionOf(c, (n) => n.kind === 'Name' && n.name === 'e')).toMatchObject({
      kind: 'variable',
      index: 0,
    });
    const l = expectClean('xEvent.productListItems.map((x) => x.quantity * 2).sum() > 1');
    expect(resolutionOf(l, (n) => n.kind === 'Name' && n.name === 'x')).toMatchObject({
      kind: 'variable',
      index: 0,
    });
    expectError('select X from xEvent where Y.eventType = "x"', 'PQL203', 28);
    expectError('select X from xEvent where X.eventTyp = "x"', 'PQL201', 30);
  });

  it('shadowing warns', () => {
    const r = expectClean('let a = 1 in (let a = 2 in a > 1)');
    expect(r.warnings.map((w) => w.code)).toContain('PQL303');
  });

  it('top-level lambda binds the profile; $1 is the profile; $2 does not exist', () => {
    const r = expectClean('(p) => p.loyalty.points > 100');
    expect(resolutionOf(r, (n) => n.kind === 'Name' && n.name === 'p')).toMatchObject({
      kind: 'variable',
      index: 0,
    });
    expect(r.entries.get(r.root)?.id).toBe('form:lambda');
    expectError('(P) => Q.person.gender = "male"', 'PQL203', 8);
    expectError('(p) => p.loyalty.pts > 1', 'PQL201', 18);
    const d = expectClean('$1.person.name.firstName.startsWith("Al")');
    expect(resolutionOf(d, (n) => n.kind === 'Param')).toEqual({ kind: 'element', level: 0 });
    expectError('$2.person.gender = "male"', 'PQL203', 1);
  });

  it('this is the innermost element', () => {
    const r = expectClean('interests.filter(this = "yoga").count() > 0');
    expect(typeOf(r, (n) => n.kind === 'This')).toEqual(T.string);
    expect(resolutionOf(r, (n) => n.kind === 'This')).toEqual({ kind: 'element', level: 0 });
    const m = expectClean(
      'xEvent.groupBy(eventType).map({"n": this.count(), "s": this.sum(commerce.order.priceTotal)}).count() > 0',
    );
    expect(typeOf(m, (n) => n.kind === 'This')).toEqual(T.list(modelSchema.event));
  });
});

// ---------------------------------------------------------------- no schema

describe('without a schema', () => {
  const none = {};
  it('fields are any: only syntax, arity, names and literal types are checked', () => {
    expectClean('person.nmae.firstName = "Ada"', none);
    expectClean('xEvent[loyalty.points > 5].count() > 0', none);
    expectClean('loyalty.points.startsWith("1")', none);
    expectError('person.name.beginsWith("J")', 'PQL202', 13, 1, none);
    expectError('date(2020, 3) < x', 'PQL204', 1, 1, none);
    expectError('x < date(2020, 13, 1)', 'PQL106', 16, 1, none);
    expectError('"a" + 1 > 0', 'PQL205', 1, 1, none);
    expectError('x.count() + 1', 'PQL206', 1, 1, none);
    expectError('$2.a = 1', 'PQL203', 1, 1, none);
    expectError('xEvent[^^.a = 1]', 'PQL203', 8, 1, none);
    const r = expectClean('xEvent.count() > 0', none);
    expect(typeOf(r, (n) => n.kind === 'XEvent')).toEqual(T.list(T.any));
  });
});

// ---------------------------------------------------------------- robustness

describe('check never throws', () => {
  it('on hand-built and error trees', () => {
    const span = { start: 0, end: 1 };
    const r = check({ kind: 'Error', span });
    expect(r.diagnostics).toEqual([]);
    const weird = check({
      kind: 'Method',
      span,
      receiver: { kind: 'Error', span },
      name: 'map',
      nameSpan: span,
      args: [{ kind: 'Lambda', span, params: [], body: { kind: 'Error', span } }],
    });
    expect(weird.types.size).toBeGreaterThan(0);
  });

  it('puts parse diagnostics first', () => {
    const r = checkText('person.gender = = "male"', { schema: conformanceSchema });
    expect(r.diagnostics[0]?.code.startsWith('PQL1')).toBe(true);
  });
});
