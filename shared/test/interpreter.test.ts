import { describe, expect, it } from 'vitest';
import { parse } from '../src/pql/parser.js';
import { check } from '../src/pql/checker.js';
import type { CheckedQuery } from '../src/pql/checked.js';
import {
  evaluate,
  explain,
  qualifies,
  qualifiesValue,
  type EvaluationInput,
} from '../src/pql/interpreter.js';
import { javaRegex, PatternError } from '../src/pql/regex.js';
import { parseDateTime } from '../src/pql/time.js';
import { inferSchema } from '../src/schema/infer.js';
import type { DataSchema } from '../src/schema/model.js';
import { loadFixture, readNdjson } from './support/fixture.js';
import { readFileSync } from 'node:fs';

// ---------------------------------------------------------------- helpers

function compile(pql: string, schema?: DataSchema): CheckedQuery {
  const parsed = parse(pql);
  const checked = check(parsed.root, {
    schema,
    parseDiagnostics: parsed.diagnostics,
    expectCondition: false,
  });
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    throw new Error(`${pql}: ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
  return checked;
}

const at = (iso: string): number => {
  const t = parseDateTime(iso);
  if (t === null) throw new Error(iso);
  return t;
};

interface Sample {
  profile: Record<string, unknown>;
  events?: Record<string, unknown>[];
}

/**
 * A tiny world: the schema is inferred from every sample (plus `extra`
 * profiles/events that only widen it), then `pql` is evaluated on `sample`.
 */
function world(
  samples: Sample[],
  extra: { profiles?: unknown[]; events?: unknown[] } = {},
  now = at('2025-03-10T12:00:00Z'),
) {
  const schema = inferSchema(
    [...samples.map((s) => s.profile), ...(extra.profiles ?? [])],
    [...samples.flatMap((s) => s.events ?? []), ...(extra.events ?? [])],
  );
  const input = (s: Sample): EvaluationInput => ({
    profile: s.profile,
    events: s.events ?? [],
    now,
  });
  return {
    value: (pql: string, s: Sample = samples[0]!) => evaluate(compile(pql, schema), input(s)),
    holds: (pql: string, s: Sample = samples[0]!) => qualifies(compile(pql, schema), input(s)),
    explain: (pql: string, s: Sample = samples[0]!) => explain(compile(pql, schema), input(s)),
  };
}

// ---------------------------------------------------------------- §9 checklist

describe('missing values (pql.md §3.5, §9)', () => {
  const none: Sample = { profile: { homeAddress: { city: 'Paris' }, name: 'x' } };
  const ca: Sample = {
    profile: { homeAddress: { city: 'LA', state: 'CA' }, name: 'y', loyalty: { points: 3 } },
  };
  const w = world([none, ca]);

  it('comparisons with a missing operand are false, != included', () => {
    expect(w.holds('homeAddress.state = "CA"', none)).toBe(false);
    expect(w.holds('homeAddress.state != "CA"', none)).toBe(false);
    expect(w.holds('homeAddress.state < "ZZ"', none)).toBe(false);
    expect(w.holds('homeAddress.state like "%"', none)).toBe(false);
    expect(w.holds('homeAddress.state in ["CA"]', none)).toBe(false);
    expect(w.holds('homeAddress.state notIn ["CA"]', none)).toBe(false);
    expect(w.holds('homeAddress.state.doesNotStartWith("X")', none)).toBe(false);
    expect(w.holds('homeAddress.state.notEqualTo("X")', none)).toBe(false);
    expect(w.holds('homeAddress.state.doesNotContain("X")', none)).toBe(false);
  });
  it('not is two-valued', () => {
    expect(w.holds('not (homeAddress.state = "CA")', none)).toBe(true);
    expect(w.holds('not (homeAddress.state in ["CA"])', none)).toBe(true);
    expect(w.holds('!(homeAddress.state = "CA")', ca)).toBe(false);
    expect(w.holds('homeAddress.state = "CA" or not (homeAddress.state = "CA")', none)).toBe(true);
  });
  it('isNull / = null', () => {
    expect(w.holds('homeAddress.state.isNull()', none)).toBe(true);
    expect(w.holds('homeAddress.state = null', none)).toBe(true);
    expect(w.holds('homeAddress.state != null', none)).toBe(false);
    expect(w.holds('homeAddress.state.isNotNull()', ca)).toBe(true);
    expect(w.holds('homeAddress.state = null', ca)).toBe(false);
  });
  it('arithmetic with a missing operand is missing', () => {
    expect(w.value('loyalty.points + 1', none)).toBe(null);
    expect(w.value('loyalty.points + 1', ca)).toBe(4);
    expect(w.holds('loyalty.points + 1 = loyalty.points + 1', none)).toBe(false);
  });
});

describe('empty values are values', () => {
  const empty: Sample = { profile: { interests: [], nick: '' } };
  const full: Sample = { profile: { interests: ['a', 'b'], nick: 'n' } };
  const w = world([empty, full]);
  it('an empty list and an empty string are not null', () => {
    expect(w.holds('interests.isNull()', empty)).toBe(false);
    expect(w.holds('nick.isNotNull()', empty)).toBe(true);
    expect(w.holds('nick = ""', empty)).toBe(true);
    expect(w.holds('interests.subsetOf(["x"])', empty)).toBe(true);
    expect(w.holds('interests.count() = 0', empty)).toBe(true);
  });
});

describe('strings (§4.4)', () => {
  const p: Sample = {
    profile: {
      first: 'Alice',
      city: 'San Jose',
      code: 'a1c',
      tag: 'abc',
      long: 'abbc',
      pct: '100%',
      emoji: 'Sam 🎮',
      mu: 'Müller',
      mu2: 'Mu\u0308ller',
      email: 'Bob@Example.ORG',
      z: 'z',
    },
  };
  const w = world([p]);
  it('equals / startsWith are case-sensitive unless the flag is false', () => {
    expect(w.holds('first.equals("alice")')).toBe(false);
    expect(w.holds('first.equals("alice", false)')).toBe(true);
    expect(w.holds('first.startsWith("al")')).toBe(false);
    expect(w.holds('first.startsWith("al", false)')).toBe(true);
    expect(w.holds('email.endsWith("example.org", false)')).toBe(true);
    expect(w.holds('first.equals("Bob", "Alice")')).toBe(true);
    expect(w.holds('first.notEqualTo("ALICE", false)')).toBe(false);
  });
  it('like: _ is one character, % any run, whole string', () => {
    expect(w.holds('tag like "a_c"')).toBe(true);
    expect(w.holds('long like "a_c"')).toBe(false);
    expect(w.holds('long like "a%c"')).toBe(true);
    expect(w.holds('city like "San%"')).toBe(true);
    expect(w.holds('city like "san%"')).toBe(false);
    expect(w.holds('city like "Jose"')).toBe(false);
    expect(w.holds('pct like "100%"')).toBe(true);
    expect(w.holds('emoji like "Sam _"')).toBe(true); // one code point
    expect(w.holds('mu like "M_ller"')).toBe(true);
    expect(w.holds('mu2 like "M_ller"')).toBe(false); // no normalisation
    expect(w.holds('tag like "a.c"')).toBe(false);
  });
  it('contains takes its argument literally', () => {
    expect(w.holds('pct.contains("0%")')).toBe(true);
    expect(w.holds('tag.contains("%")')).toBe(false);
  });
  it('matches: Java syntax, find semantics', () => {
    expect(w.holds('code.matches("\\\\d")')).toBe(true);
    expect(w.holds('tag.matches("\\\\d")')).toBe(false);
    expect(w.holds('tag.matches("b")')).toBe(true);
    expect(w.holds('tag.matches("^b")')).toBe(false);
    expect(w.holds('email.matches("(?i)@example\\\\.org$")')).toBe(true);
    expect(w.holds('email.matches("@example\\\\.org$")')).toBe(false);
    expect(w.value('email.regexGroup("@(\\\\w+)", 1)')).toBe('Example');
    expect(w.value('email.regexGroup("@(\\\\w+)")')).toBe('@Example');
    expect(w.value('email.regexGroup("#(\\\\w+)", 1)')).toBe(null);
  });
  it('compares by code point, without normalisation', () => {
    expect(w.holds('mu = "Müller"')).toBe(true);
    expect(w.holds('mu2 = "Müller"')).toBe(false);
    // U+1F3AE (a surrogate pair in UTF-16) sorts after U+FF5E by code point
    expect(w.holds('emoji > "Sam ～"')).toBe(true);
    expect(w.holds('z > "Z"')).toBe(true);
  });
});

describe('java regex translation', () => {
  it('translates the Java-only constructs', () => {
    expect(javaRegex('\\p{Lower}+').test('abc')).toBe(true);
    expect(javaRegex('^\\p{Alpha}+$').test('ab1')).toBe(false);
    expect(javaRegex('\\Qa.b\\E').test('axb')).toBe(false);
    expect(javaRegex('\\Qa.b\\E').test('a.b')).toBe(true);
    expect(javaRegex('\\Aab\\z').test('ab')).toBe(true);
    expect(javaRegex('a\\-b').test('a-b')).toBe(true);
    expect(javaRegex('[]a]').test(']')).toBe(true);
    expect(javaRegex('x$').test('x\n')).toBe(true); // Java $ before a final line terminator
    expect(javaRegex('\\s').test('\u00a0')).toBe(false); // Java \s is ASCII
    expect(javaRegex('\\p{IsLatin}').test('é')).toBe(true);
    expect(javaRegex('a]b}').test('a]b}')).toBe(true); // literal outside a class in Java
    expect(javaRegex('^.$').test('🎮')).toBe(true); // one code point
    expect(javaRegex('(?i)straße').test('STRASSE')).toBe(false);
  });
  it('rejects what JavaScript cannot express', () => {
    expect(() => javaRegex('a++')).toThrow(PatternError);
    expect(() => javaRegex('a*+')).toThrow(/possessive/);
    expect(() => javaRegex('(?>a)')).toThrow(/atomic/);
    expect(() => javaRegex('[a-z&&[^e]]')).toThrow(PatternError);
    expect(() => javaRegex('a(?i)b')).toThrow(/inline flags/);
    expect(javaRegex('\\++').test('++')).toBe(true); // an escaped + then a quantifier is fine
  });
});

describe('numbers (§4.3)', () => {
  const p: Sample = { profile: { points: 7, price: 2.5, zero: 0, dz: 0.5 } };
  const w = world([p], { profiles: [{ zero: 1, dz: 1.5, nothing: 3 }] });
  it('/ is decimal, /0 and %0 are missing', () => {
    expect(w.value('7 / 2')).toBe(3.5);
    expect(w.holds('7 / 2 = 3.5')).toBe(true);
    expect(w.value('1 / 0')).toBe(null);
    expect(w.value('points / zero')).toBe(null);
    expect(w.value('points % zero')).toBe(null);
    expect(w.holds('1 / 0 = 1 / 0')).toBe(false);
    expect(w.value('points % 4')).toBe(3);
    expect(w.value('-points')).toBe(-7);
  });
  it('integers and decimals compare by value', () => {
    expect(w.holds('0.0 = 0')).toBe(true);
    expect(w.holds('points > 6.5')).toBe(true);
    expect(w.holds('price * 2 = 5')).toBe(true);
  });
  it('if picks a branch; a missing condition picks the second', () => {
    expect(w.value('if(points > 5, 1, 2)')).toBe(1);
    expect(w.value('if(nothing.isNotNull() and nothing > 1, 1, 2)', p)).toBe(2);
  });
});

describe('lists (§4.5, §9)', () => {
  const p: Sample = {
    profile: { xs: [1, 2, 2], tags: ['b', 'a', 'b'], empty: [], scores: [3, null, 5] },
    events: [
      {
        timestamp: '2025-03-01T00:00:00Z',
        eventType: 'view',
        value: 10,
        items: [
          { sku: 'A', q: 1 },
          { sku: 'B', q: 5 },
        ],
      },
      {
        timestamp: '2025-03-02T00:00:00Z',
        eventType: 'buy',
        value: 30,
        items: [{ sku: 'A', q: 2 }],
      },
      { timestamp: '2025-03-03T00:00:00Z', eventType: 'buy', value: 20, items: [] },
      { timestamp: '2025-03-04T00:00:00Z', eventType: 'buy', value: 30 },
    ],
  };
  const w = world([p], { profiles: [{ xs: [1.5], scores: [1] }] });
  it('distinct, subsetOf, intersects, head', () => {
    expect(w.holds('xs.distinct() = [1, 2]')).toBe(true);
    expect(w.holds('xs = [1, 2, 2]')).toBe(true);
    expect(w.holds('xs = [2, 1, 2]')).toBe(false); // ordered
    expect(w.holds('[].subsetOf([1])')).toBe(true);
    expect(w.holds('[1].intersects([])')).toBe(false);
    expect(w.value('empty.head()')).toBe(null);
    expect(w.value('tags.head()')).toBe('b');
    expect(w.value('tags.intersection(["b", "c", "a"])')).toEqual(['b', 'a']);
    expect(w.holds('tags.supersetOf(["a", "b"])')).toBe(true);
    expect(w.holds('"a" in tags')).toBe(true);
    expect(w.holds('"c" notIn tags')).toBe(true);
  });
  it('aggregates skip missing values; sum of nothing is 0, average of nothing missing', () => {
    expect(w.value('[].sum()')).toBe(0);
    expect(w.value('[].average()')).toBe(null);
    expect(w.value('scores.sum()')).toBe(8);
    expect(w.value('scores.count()')).toBe(3);
    expect(w.value('scores.average()')).toBe(4);
    expect(w.value('scores.min()')).toBe(3);
    expect(w.value('scores.max()')).toBe(5);
    expect(w.holds('empty.max() > 0 or empty.max() <= 0')).toBe(false);
  });
  it('topN / bottomN: highest first, stable ties, n <= 0 is empty', () => {
    expect(w.value('xEvent.topN(value, 2).map(timestamp)')).toEqual([
      '2025-03-02T00:00:00.000Z',
      '2025-03-04T00:00:00.000Z',
    ]);
    expect(w.value('xEvent.bottomN(value, 1).head().eventType')).toBe('view');
    expect(w.value('xEvent.topN(value, 0)')).toEqual([]);
    expect(w.value('xEvent.topN(timestamp, 1).head().value')).toBe(30);
  });
  it('projection flattens one level and drops missing values; comparison with a scalar is existential', () => {
    expect(w.value('xEvent.items.sku')).toEqual(['A', 'B', 'A']);
    expect(w.value('xEvent.items.sku.distinct().count()')).toBe(2);
    expect(w.holds('xEvent.eventType = "buy"')).toBe(true);
    expect(w.holds('xEvent.eventType = "nope"')).toBe(false);
    expect(w.holds('xEvent.items.q > 4')).toBe(true);
  });
  it('groupBy and keys', () => {
    expect(w.value('xEvent.groupBy(eventType).keys()')).toEqual(['buy', 'view']);
    expect(w.value('xEvent.groupBy(eventType).count()')).toBe(2);
    expect(w.value('xEvent.groupBy(eventType).map((t, g) => mapEntry(t, g.count()))')).toEqual({
      view: 1,
      buy: 3,
    });
    expect(w.value('xEvent.groupBy(eventType).map({"n": this.count()})')).toEqual({
      view: { n: 1 },
      buy: { n: 3 },
    });
  });
  it('filters, nested filters and ^', () => {
    expect(w.value('xEvent[eventType = "buy"].count()')).toBe(3);
    expect(w.value('xEvent[items[q >= 5]].count()')).toBe(1);
    expect(w.value('xEvent[items[sku = "A" and ^.eventType = "buy"]].count()')).toBe(1);
    expect(w.holds('xEvent[items[sku = "Z" or ^^.tags.count() = 3]]')).toBe(true);
    expect(w.value('xEvent.filter(value > 15).count()')).toBe(3);
    expect(w.holds('xEvent.exists(value > 25)')).toBe(true);
    expect(w.value('xEvent.map(value).sum()')).toBe(90);
    expect(w.value('xEvent.sum(value) / xEvent.count()')).toBe(22.5);
  });
  it('select, comprehensions, let', () => {
    expect(w.value('(select e from xEvent where e.value > 20).count()')).toBe(2);
    expect(w.value('let s = select e from xEvent where e.value > 20 in s.count()')).toBe(2);
    expect(w.value('select e from xEvent where e.value > 20')).toHaveLength(2);
    expect(w.holds('select e from xEvent where e.value > 100')).toBe(false);
    expect(w.value('sum e.value over e from xEvent where e.eventType = "buy"')).toBe(80);
    expect(w.value('count e.value over e from xEvent')).toBe(4);
    expect(w.value('max e.value over e from xEvent where e.eventType = "view"')).toBe(10);
    expect(w.value('average e.value over e from xEvent where e.value > 100')).toBe(null);
    expect(w.holds('let s = xEvent.sum(value), n = xEvent.count() in (s > 50 and n = 4)')).toBe(
      true,
    );
  });
});

describe('quantifiers (§4.11)', () => {
  const p: Sample = {
    profile: { name: 'q' },
    events: [
      {
        timestamp: '2025-03-01T00:00:00Z',
        eventType: 'buy',
        value: 10,
        items: [{ price: 400 }, { price: 5 }],
      },
      { timestamp: '2025-03-02T00:00:00Z', eventType: 'view', value: 50, items: [{ price: 1 }] },
    ],
  };
  const none: Sample = { profile: { name: 'n' }, events: [] };
  const w = world([p, none]);
  it('forall over an empty list is true; exists is false', () => {
    expect(w.holds('forall e from xEvent : e.value > 1000', none)).toBe(true);
    expect(w.holds('exists e from xEvent : e.value > 0', none)).toBe(false);
  });
  it('where alone is the assertion; with ":" it restricts', () => {
    expect(w.holds('forall e from xEvent where e.value < 20')).toBe(false);
    expect(w.holds('forall e from xEvent where e.eventType = "buy" : e.value < 20')).toBe(true);
    expect(w.holds('exists e from xEvent where e.eventType = "view" : e.value < 20')).toBe(false);
  });
  it('comma ranges nest', () => {
    expect(
      w.holds('exists e from xEvent where e.eventType = "buy", i from e.items where i.price > 300'),
    ).toBe(true);
    expect(
      w.holds(
        'exists e from xEvent where e.eventType = "view", i from e.items where i.price > 300',
      ),
    ).toBe(false);
    expect(
      w.holds('forall e from xEvent where e.eventType = "buy", i from e.items : i.price > 1'),
    ).toBe(true);
    expect(w.holds('forall e from xEvent, i from e.items : i.price > 1')).toBe(false);
  });
});

describe('time (§4.9, §9)', () => {
  const p: Sample = {
    profile: { birthDate: '1990-03-10', lastSeen: '2025-03-09T23:59:00Z' },
    events: [
      { timestamp: '2025-03-09T23:59:00Z', eventType: 'a' },
      { timestamp: '2025-03-03T00:00:00Z', eventType: 'b' },
      { timestamp: '2025-03-09T12:00:00Z', eventType: 'c' },
      { timestamp: '2025-03-10T13:00:00Z', eventType: 'd' },
      { timestamp: '2025-03-08T10:00:00Z', eventType: 'e' },
    ],
  };
  const w = world([p]);
  const has = (type: string, spec: string) =>
    w.holds(`xEvent[eventType = "${type}" and timestamp occurs ${spec}]`);
  it('the checklist', () => {
    expect(has('a', 'yesterday')).toBe(true);
    expect(has('b', 'last week')).toBe(true);
    expect(has('c', '< 1 days before now')).toBe(false);
    expect(has('c', '<= 1 days before now')).toBe(true);
    expect(has('d', '< 7 days before now')).toBe(false);
    expect(has('e', '= 2 days before today')).toBe(true);
    expect(has('d', 'after now')).toBe(true);
    expect(has('d', 'today')).toBe(true);
    expect(has('a', 'before today')).toBe(true);
    expect(has('b', 'between date(2025, 3, 1) and date(2025, 3, 3)')).toBe(true);
    expect(has('b', 'on date(2025, 3, 3)')).toBe(true);
    expect(has('b', 'this month')).toBe(true);
    expect(has('b', 'last month')).toBe(false);
  });
  it('a date stands for 00:00 UTC of its day', () => {
    expect(w.holds('birthDate occurs on date(1990, 3, 10)')).toBe(true);
    expect(w.holds('birthDate = date(1990, 3, 10)')).toBe(true);
    expect(w.holds('birthDate < lastSeen')).toBe(true);
    expect(w.holds('birthDate occurs >= 35 years before today')).toBe(true);
    expect(w.holds('birthDate occurs > 35 years before today')).toBe(false);
    expect(
      w.value(
        'birthDate.getMonth() = currentMonth() and birthDate.getDayOfMonth() = currentDayOfMonth()',
      ),
    ).toBe(true);
    expect(w.value('currentYear() - birthDate.getYear()')).toBe(35);
    expect(w.value('lastSeen')).toBe('2025-03-09T23:59:00.000Z');
    expect(w.value('birthDate')).toBe('1990-03-10');
  });
});

describe('chain (§4.15, §8.2, §9)', () => {
  const ev = (eventType: string, day: number) => ({
    timestamp: `2025-03-0${day}T10:00:00Z`,
    eventType,
  });
  const ok: Sample = {
    profile: { id: 1 },
    events: [ev('view', 1), ev('add', 2), ev('view', 3), ev('buy', 4)],
  };
  const wrongOrder: Sample = {
    profile: { id: 2 },
    events: [ev('add', 1), ev('view', 2), ev('buy', 3)],
  };
  const nothing: Sample = { profile: { id: 3 }, events: [] };
  const sameTime: Sample = { profile: { id: 4 }, events: [ev('view', 1), ev('add', 1)] };
  const w = world([ok, wrongOrder, nothing, sameTime]);
  const seq =
    'chain(xEvent, timestamp, [V: WHAT(eventType = "view"), A: WHAT(eventType = "add"), B: WHAT(eventType = "buy")])';
  it('needs the steps in strictly increasing time order', () => {
    expect(w.holds(seq, ok)).toBe(true);
    expect(w.holds(seq, wrongOrder)).toBe(false);
    expect(
      w.holds(
        'chain(xEvent, timestamp, [V: WHAT(eventType = "view"), A: WHAT(eventType = "add")])',
        sameTime,
      ),
    ).toBe(false);
  });
  it('COUNT(n) is at least n; not(chain) with no events is true', () => {
    expect(w.holds('chain(xEvent, timestamp, [V: WHAT(eventType = "view") COUNT(2)])', ok)).toBe(
      true,
    );
    expect(w.holds('chain(xEvent, timestamp, [V: WHAT(eventType = "view") COUNT(3)])', ok)).toBe(
      false,
    );
    expect(
      w.holds(
        'chain(xEvent, timestamp, [V: WHAT(eventType = "view") COUNT(2), B: WHAT(eventType = "buy")])',
        ok,
      ),
    ).toBe(true);
    expect(
      w.holds(
        'chain(xEvent, timestamp, [V: WHAT(eventType = "view") COUNT(2), A: WHAT(eventType = "add")])',
        ok,
      ),
    ).toBe(false);
    expect(w.holds('not(chain(xEvent, timestamp, [A: WHAT(eventType = "buy")]))', nothing)).toBe(
      true,
    );
  });
  it('WHEN is relative to now', () => {
    expect(
      w.holds(
        'chain(xEvent, timestamp, [B: WHAT(eventType = "buy") WHEN(< 7 days before now)])',
        ok,
      ),
    ).toBe(true);
    expect(
      w.holds(
        'chain(xEvent, timestamp, [B: WHAT(eventType = "buy") WHEN(< 5 days before now)])',
        ok,
      ),
    ).toBe(false);
  });
});

describe('segments, parameters, explain', () => {
  const p: Sample = {
    profile: {
      loyalty: { points: 500 },
      state: 'CA',
      segmentMembership: { ups: { s1: { status: 'realized' }, s2: { status: 'exited' } } },
    },
  };
  const w = world([p]);
  it('inSegment reads the membership callback, else the profile map', () => {
    expect(w.holds('inSegment("s1") and not inSegment("s2")')).toBe(true);
    const q = compile('inSegment("s2")', inferSchema([p.profile], []));
    expect(
      qualifies(q, {
        profile: p.profile,
        events: [],
        now: 0,
        segmentMembership: (id) => id === 's2',
      }),
    ).toBe(true);
  });
  it('$1 and a lambda head are the profile', () => {
    expect(w.holds('$1.state = "CA"')).toBe(true);
    expect(w.holds('(p) => p.loyalty.points > 100')).toBe(true);
  });
  it('explains every top-level condition with its operands', () => {
    const e = w.explain('state = "CA" and (loyalty.points > 1000 or not (state = "NY"))');
    expect(e.kind).toBe('and');
    expect(e.value).toBe(true);
    expect(e.children.map((c) => c.kind)).toEqual(['condition', 'or']);
    expect(e.children[0]!.children.map((c) => c.value)).toEqual(['CA', 'CA']);
    const or = e.children[1]!;
    expect(or.children[0]!.value).toBe(false);
    expect(or.children[0]!.children.map((c) => c.value)).toEqual([500, 1000]);
    expect(or.children[1]!.kind).toBe('not');
    expect(or.children[1]!.value).toBe(true);
  });
});

// ---------------------------------------------------------------- conformance

interface ValidCase {
  readonly id: string;
  readonly pql: string;
  readonly members: readonly string[];
  readonly covers: string;
}

const conformanceDir = new URL('../../../shared/conformance/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('cases.json', conformanceDir), 'utf8')) as {
  now: string;
  valid: ValidCase[];
};

describe('conformance: every valid case yields exactly its members', () => {
  const fixture = loadFixture(conformanceDir);
  const schema = inferSchema(
    readNdjson(new URL('profiles.ndjson', conformanceDir)),
    readNdjson(new URL('events.ndjson', conformanceDir)),
  );
  const now = at(cases.now);

  it('merges the fixture into 80 profiles', () => {
    expect(fixture.profiles.length).toBe(80);
  });

  for (const c of cases.valid) {
    it(`${c.id} ${c.covers}: ${c.pql.replace(/\s+/g, ' ')}`, () => {
      const parsed = parse(c.pql);
      const checked = check(parsed.root, { schema, parseDiagnostics: parsed.diagnostics });
      const errors = checked.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
      const members = fixture.profiles
        .filter((p) => qualifies(checked, { profile: p.profile, events: p.events, now }))
        .map((p) => p.primaryIdentity)
        .sort();
      expect(members).toEqual([...c.members]);
      // The explanation agrees with the verdict on every profile.
      for (const p of fixture.profiles) {
        const input = { profile: p.profile, events: p.events, now };
        expect(qualifiesValue(explain(checked, input).value), p.primaryIdentity).toBe(
          qualifies(checked, input),
        );
      }
    });
  }
});
