import { describe, expect, it } from 'vitest';
import type { CompareOp, TimeDirection, TimeUnit, TimeWordName } from '../src/pql/ast.js';
import {
  addUnits,
  clockFrom,
  dayExtent,
  instantExtent,
  isValidDate,
  occursBounds,
  occursHolds,
  parseDate,
  parseDateTime,
  parseTimeUnit,
  periodExtent,
  startOf,
  timeWordExtent,
  utcParts,
  type ResolvedTimeSpec,
  type TimeExtent,
} from '../src/pql/time.js';

const ms = (iso: string): number => {
  const v = parseDateTime(iso);
  if (v === null) throw new Error(`bad test instant ${iso}`);
  return v;
};
const iso = (t: number) => new Date(t).toISOString();

const NOW = ms('2025-03-10T12:00:00Z'); // a Monday

const word = (w: TimeWordName): TimeExtent => timeWordExtent(w, NOW);
const rel = (
  op: CompareOp,
  amount: number,
  unit: TimeUnit,
  direction: TimeDirection,
  ref: TimeExtent,
): ResolvedTimeSpec => ({
  form: 'relative',
  op,
  amount,
  unit,
  direction,
  ref,
});
const on = (ref: TimeExtent): ResolvedTimeSpec => ({ form: 'on', ref });
const dir = (direction: TimeDirection, ref: TimeExtent): ResolvedTimeSpec => ({
  form: 'direction',
  direction,
  ref,
});

describe('units', () => {
  it('parses singular, plural and irregular spellings in any case', () => {
    expect(parseTimeUnit('day')).toBe('day');
    expect(parseTimeUnit('days')).toBe('day');
    expect(parseTimeUnit('Hours')).toBe('hour');
    expect(parseTimeUnit('milliseconds')).toBe('millisecond');
    expect(parseTimeUnit('century')).toBe('century');
    expect(parseTimeUnit('centuries')).toBe('century');
    expect(parseTimeUnit('millennium')).toBe('millennium');
    expect(parseTimeUnit('millennia')).toBe('millennium');
    expect(parseTimeUnit('decades')).toBe('decade');
    expect(parseTimeUnit('fortnight')).toBeNull();
    expect(parseTimeUnit('constructor')).toBeNull();
  });
});

describe('calendar arithmetic', () => {
  it('clamps to the month end', () => {
    expect(iso(addUnits(ms('2025-01-31T00:00:00Z'), 1, 'month'))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(addUnits(ms('2024-01-31T08:30:00Z'), 1, 'month'))).toBe('2024-02-29T08:30:00.000Z');
    expect(iso(addUnits(ms('2025-03-31T00:00:00Z'), -1, 'month'))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(addUnits(ms('2024-02-29T00:00:00Z'), 1, 'year'))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(addUnits(ms('2024-02-29T00:00:00Z'), -4, 'year'))).toBe('2020-02-29T00:00:00.000Z');
  });
  it('1 month before 2026-06-15T12:00Z is 2026-05-15T12:00Z', () => {
    expect(iso(addUnits(ms('2026-06-15T12:00:00Z'), -1, 'month'))).toBe('2026-05-15T12:00:00.000Z');
  });
  it('uses calendar years for decades, centuries and millennia', () => {
    const t = ms('2025-03-10T12:00:00Z');
    expect(iso(addUnits(t, -1, 'decade'))).toBe('2015-03-10T12:00:00.000Z');
    expect(iso(addUnits(t, -1, 'century'))).toBe('1925-03-10T12:00:00.000Z');
    expect(iso(addUnits(t, 1, 'millennium'))).toBe('3025-03-10T12:00:00.000Z');
    expect(iso(addUnits(t, -20, 'century'))).toBe('0025-03-10T12:00:00.000Z');
  });
  it('uses fixed durations for the rest', () => {
    const t = ms('2025-03-10T12:00:00Z');
    expect(iso(addUnits(t, -1, 'week'))).toBe('2025-03-03T12:00:00.000Z');
    expect(iso(addUnits(t, -36, 'hour'))).toBe('2025-03-09T00:00:00.000Z');
    expect(iso(addUnits(t, 500, 'millisecond'))).toBe('2025-03-10T12:00:00.500Z');
    expect(iso(addUnits(t, -90, 'minute'))).toBe('2025-03-10T10:30:00.000Z');
    expect(iso(addUnits(t, 61, 'second'))).toBe('2025-03-10T12:01:01.000Z');
  });
  it('finds the start of every unit (ISO weeks start on Monday)', () => {
    const t = ms('2025-03-12T15:45:30.250Z'); // Wednesday
    expect(iso(startOf(t, 'second'))).toBe('2025-03-12T15:45:30.000Z');
    expect(iso(startOf(t, 'minute'))).toBe('2025-03-12T15:45:00.000Z');
    expect(iso(startOf(t, 'hour'))).toBe('2025-03-12T15:00:00.000Z');
    expect(iso(startOf(t, 'day'))).toBe('2025-03-12T00:00:00.000Z');
    expect(iso(startOf(t, 'week'))).toBe('2025-03-10T00:00:00.000Z');
    expect(iso(startOf(ms('2025-03-16T23:59:59Z'), 'week'))).toBe('2025-03-10T00:00:00.000Z'); // Sunday
    expect(iso(startOf(t, 'month'))).toBe('2025-03-01T00:00:00.000Z');
    expect(iso(startOf(t, 'year'))).toBe('2025-01-01T00:00:00.000Z');
    expect(iso(startOf(t, 'decade'))).toBe('2020-01-01T00:00:00.000Z');
    expect(iso(startOf(t, 'century'))).toBe('2000-01-01T00:00:00.000Z');
    expect(iso(startOf(t, 'millennium'))).toBe('2000-01-01T00:00:00.000Z');
  });
});

describe('periods and time words', () => {
  it('today, yesterday, tomorrow are whole UTC days; now is an instant', () => {
    expect(word('now')).toEqual({ start: NOW, end: NOW, instant: true });
    expect(iso(word('today').start)).toBe('2025-03-10T00:00:00.000Z');
    expect(iso(word('today').end)).toBe('2025-03-11T00:00:00.000Z');
    expect(iso(word('yesterday').start)).toBe('2025-03-09T00:00:00.000Z');
    expect(iso(word('tomorrow').start)).toBe('2025-03-11T00:00:00.000Z');
  });
  it('this / last / next unit are calendar periods', () => {
    const lw = periodExtent('last', 'week', NOW);
    expect([iso(lw.start), iso(lw.end)]).toEqual([
      '2025-03-03T00:00:00.000Z',
      '2025-03-10T00:00:00.000Z',
    ]);
    const lm = periodExtent('last', 'month', NOW);
    expect([iso(lm.start), iso(lm.end)]).toEqual([
      '2025-02-01T00:00:00.000Z',
      '2025-03-01T00:00:00.000Z',
    ]);
    const ny = periodExtent('next', 'year', NOW);
    expect([iso(ny.start), iso(ny.end)]).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    const lh = periodExtent('last', 'hour', NOW);
    expect([iso(lh.start), iso(lh.end)]).toEqual([
      '2025-03-10T11:00:00.000Z',
      '2025-03-10T12:00:00.000Z',
    ]);
    expect(periodExtent('this', 'day', NOW)).toEqual(word('today'));
  });
});

describe('parsing', () => {
  it('parses dates and rejects impossible ones', () => {
    expect(iso(parseDate('2024-02-29')!)).toBe('2024-02-29T00:00:00.000Z');
    expect(parseDate('2025-02-29')).toBeNull();
    expect(parseDate('2025-13-01')).toBeNull();
    expect(parseDate('2025-1-01')).toBeNull();
    expect(parseDate('2025-01-01T00:00:00Z')).toBeNull();
    expect(isValidDate(2000, 2, 29)).toBe(true);
    expect(isValidDate(1900, 2, 29)).toBe(false);
    expect(isValidDate(2025, 4, 31)).toBe(false);
    expect(isValidDate(2025, 0, 1)).toBe(false);
  });
  it('parses date-times with Z or an offset, to the millisecond', () => {
    expect(iso(parseDateTime('2026-05-31T22:30:00-02:00')!)).toBe('2026-06-01T00:30:00.000Z');
    expect(iso(parseDateTime('2026-06-15T12:00:00.123456Z')!)).toBe('2026-06-15T12:00:00.123Z');
    expect(iso(parseDateTime('2026-06-15T12:00:00.5+05:30')!)).toBe('2026-06-15T06:30:00.500Z');
    expect(iso(parseDateTime('2025-03-10T12:00Z')!)).toBe('2025-03-10T12:00:00.000Z');
    expect(parseDateTime('2026-06-15T12:00:00')).toBeNull(); // no zone
    expect(parseDateTime('2026-06-15')).toBeNull();
    expect(parseDateTime('2026-02-30T12:00:00Z')).toBeNull();
    expect(parseDateTime('2026-06-15T24:00:00Z')).toBeNull();
    expect(parseDateTime('not a date')).toBeNull();
  });
  it('getMonth() of 2026-05-31T22:30:00-02:00 is 6 (UTC)', () => {
    expect(utcParts(ms('2026-05-31T22:30:00-02:00')).month).toBe(6);
    expect(utcParts(ms('2026-05-31T22:30:00-02:00')).day).toBe(1);
  });
  it('reads the clock from SEG_NOW', () => {
    expect(clockFrom('2026-06-15T12:00:00Z')).toBe(ms('2026-06-15T12:00:00Z'));
    expect(clockFrom('2026-06-15')).toBe(parseDate('2026-06-15'));
    const before = Date.now();
    const t = clockFrom(undefined);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(clockFrom('')).toBeGreaterThanOrEqual(before);
    expect(() => clockFrom('yesterday')).toThrow(/SEG_NOW/);
    expect(() => clockFrom('2026-06-15T12:00:00')).toThrow(/SEG_NOW/);
  });
});

describe('occurs (pql.md §4.9, §9)', () => {
  const holds = (t: string, spec: ResolvedTimeSpec) => occursHolds(ms(t), spec);

  it('2025-03-09T23:59Z occurs yesterday', () => {
    expect(holds('2025-03-09T23:59:00Z', on(word('yesterday')))).toBe(true);
    expect(holds('2025-03-10T00:00:00Z', on(word('yesterday')))).toBe(false);
    expect(holds('2025-03-09T00:00:00Z', on(word('yesterday')))).toBe(true);
  });
  it('2025-03-03T00:00Z occurs last week', () => {
    expect(holds('2025-03-03T00:00:00Z', on(periodExtent('last', 'week', NOW)))).toBe(true);
    expect(holds('2025-03-02T23:59:59.999Z', on(periodExtent('last', 'week', NOW)))).toBe(false);
    expect(holds('2025-03-10T00:00:00Z', on(periodExtent('last', 'week', NOW)))).toBe(false);
  });
  it('< excludes the boundary, <= includes it', () => {
    expect(holds('2025-03-09T12:00:00Z', rel('<', 1, 'day', 'before', word('now')))).toBe(false);
    expect(holds('2025-03-09T12:00:00Z', rel('<=', 1, 'day', 'before', word('now')))).toBe(true);
    expect(holds('2025-03-09T12:00:00.001Z', rel('<', 1, 'day', 'before', word('now')))).toBe(true);
    expect(holds('2025-03-10T12:00:00Z', rel('<', 1, 'day', 'before', word('now')))).toBe(true); // now itself
  });
  it('a future instant is not within the last N days', () => {
    expect(holds('2025-03-10T13:00:00Z', rel('<', 7, 'day', 'before', word('now')))).toBe(false);
    expect(holds('2025-03-10T12:00:00.001Z', rel('<=', 7, 'day', 'before', word('now')))).toBe(
      false,
    );
  });
  it('= 2 days before today is the day before yesterday', () => {
    expect(holds('2025-03-08T10:00:00Z', rel('=', 2, 'day', 'before', word('today')))).toBe(true);
    expect(holds('2025-03-08T00:00:00Z', rel('=', 2, 'day', 'before', word('today')))).toBe(true);
    expect(holds('2025-03-09T00:00:00Z', rel('=', 2, 'day', 'before', word('today')))).toBe(false);
    expect(holds('2025-03-07T23:59:59.999Z', rel('=', 2, 'day', 'before', word('today')))).toBe(
      false,
    );
    expect(holds('2025-03-09T10:00:00Z', rel('!=', 2, 'day', 'before', word('today')))).toBe(true);
    expect(holds('2025-03-08T10:00:00Z', rel('!=', 2, 'day', 'before', word('today')))).toBe(false);
  });
  it('> and >= mean older than / at least that old', () => {
    const b = '2025-03-03T12:00:00Z';
    expect(holds(b, rel('>', 7, 'day', 'before', word('now')))).toBe(false);
    expect(holds(b, rel('>=', 7, 'day', 'before', word('now')))).toBe(true);
    expect(holds('2025-03-03T11:59:59.999Z', rel('>', 7, 'day', 'before', word('now')))).toBe(true);
  });
  it('after / from measure forward from the anchor', () => {
    expect(holds('2025-03-10T13:00:00Z', rel('<', 24, 'hour', 'after', word('now')))).toBe(true);
    expect(holds('2025-03-11T12:00:00Z', rel('<', 24, 'hour', 'after', word('now')))).toBe(false);
    expect(holds('2025-03-11T12:00:00Z', rel('<=', 24, 'hour', 'from', word('now')))).toBe(true);
    expect(holds('2025-03-10T11:00:00Z', rel('<=', 24, 'hour', 'after', word('now')))).toBe(false); // past
    expect(holds('2025-03-10T13:00:00Z', rel('>=', 1, 'hour', 'after', word('now')))).toBe(true);
    expect(holds('2025-03-10T13:00:00Z', rel('>', 1, 'hour', 'after', word('now')))).toBe(false);
  });
  it('before / after a reference', () => {
    expect(holds('2025-03-09T23:59:59.999Z', dir('before', word('today')))).toBe(true);
    expect(holds('2025-03-10T00:00:00Z', dir('before', word('today')))).toBe(false);
    expect(holds('2025-03-10T12:00:00.001Z', dir('after', word('now')))).toBe(true);
    expect(holds('2025-03-10T12:00:00Z', dir('after', word('now')))).toBe(false);
    expect(holds('2025-03-10T23:59:59Z', dir('after', word('today')))).toBe(false);
    expect(holds('2025-03-11T00:00:00Z', dir('from', word('today')))).toBe(true);
    expect(holds('2025-02-28T23:00:00Z', dir('before', periodExtent('this', 'month', NOW)))).toBe(
      true,
    );
  });
  it('between includes both end days', () => {
    const spec: ResolvedTimeSpec = {
      form: 'between',
      from: dayExtent(parseDate('2023-03-01')!),
      to: dayExtent(parseDate('2023-03-31')!),
    };
    expect(holds('2023-03-01T00:00:00Z', spec)).toBe(true);
    expect(holds('2023-03-31T23:59:59.999Z', spec)).toBe(true);
    expect(holds('2023-04-01T00:00:00Z', spec)).toBe(false);
    expect(holds('2023-02-28T23:59:59.999Z', spec)).toBe(false);
  });
  it('on an instant means equal to it', () => {
    expect(holds('2025-03-10T12:00:00Z', on(instantExtent(NOW)))).toBe(true);
    expect(holds('2025-03-10T12:00:00.001Z', on(instantExtent(NOW)))).toBe(false);
  });
  it('a missing subject never occurs', () => {
    expect(occursHolds(null, on(word('today')))).toBe(false);
    expect(occursHolds(null, rel('!=', 1, 'day', 'before', word('now')))).toBe(false);
  });
  it('calendar months in relative specs', () => {
    const now = ms('2026-06-15T12:00:00Z');
    const spec = rel('<', 1, 'month', 'before', instantExtent(now));
    expect(occursHolds(ms('2026-05-15T12:00:00Z'), spec)).toBe(false);
    expect(occursHolds(ms('2026-05-15T12:00:00.001Z'), spec)).toBe(true);
    expect(occursBounds(spec).lower).toEqual({ at: ms('2026-05-15T12:00:00Z'), inclusive: false });
  });
  it('exposes bounds for the compilers', () => {
    expect(occursBounds(on(word('today')))).toEqual({
      lower: { at: ms('2025-03-10T00:00:00Z'), inclusive: true },
      upper: { at: ms('2025-03-11T00:00:00Z'), inclusive: false },
      negate: false,
    });
  });
});
