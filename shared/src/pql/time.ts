/**
 * The one time model of PQL (pql.md §3.8, §4.9, §8.1; conformance README).
 *
 * Shared by the reference interpreter and the SQL compilers: a compiler fixes
 * `now`, computes the bounds of every `occurs` test here (`occursBounds`) and
 * binds them as parameters, so the database and the interpreter draw every
 * boundary at the same millisecond.
 *
 * Everything is in UTC and in epoch milliseconds. Calendar units (month, year,
 * decade, century, millennium) use calendar arithmetic, clamping the day to the
 * end of the target month (Jan 31 + 1 month = Feb 28/29); the others are fixed
 * durations (week = 7 days, day = 24 h). Weeks start on Monday (ISO).
 *
 * This module must run in browsers: it never touches `process` or any host API.
 */
import type { CompareOp, TimeDirection, TimeSpec, TimeUnit, TimeWordName } from './ast.js';

export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60 * MS_PER_SECOND;
export const MS_PER_HOUR = 60 * MS_PER_MINUTE;
export const MS_PER_DAY = 24 * MS_PER_HOUR;
export const MS_PER_WEEK = 7 * MS_PER_DAY;

export const TIME_UNITS: readonly TimeUnit[] = [
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

const UNIT_WORDS: Readonly<Record<string, TimeUnit>> = {
  millisecond: 'millisecond',
  milliseconds: 'millisecond',
  second: 'second',
  seconds: 'second',
  minute: 'minute',
  minutes: 'minute',
  hour: 'hour',
  hours: 'hour',
  day: 'day',
  days: 'day',
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
  year: 'year',
  years: 'year',
  decade: 'decade',
  decades: 'decade',
  century: 'century',
  centuries: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
};

/**
 * The unit a word names, in any letter case (`days`, `Century`, `millennia`),
 * or null when the word is not a time unit.
 */
export function parseTimeUnit(word: string): TimeUnit | null {
  return Object.prototype.hasOwnProperty.call(UNIT_WORDS, word.toLowerCase())
    ? UNIT_WORDS[word.toLowerCase()]!
    : null;
}

/** Fixed length of a unit in milliseconds, or null for calendar units (month and longer). */
export function fixedUnitMs(unit: TimeUnit): number | null {
  switch (unit) {
    case 'millisecond':
      return 1;
    case 'second':
      return MS_PER_SECOND;
    case 'minute':
      return MS_PER_MINUTE;
    case 'hour':
      return MS_PER_HOUR;
    case 'day':
      return MS_PER_DAY;
    case 'week':
      return MS_PER_WEEK;
    default:
      return null;
  }
}

/** Length of a calendar unit in months (month and longer), or null for fixed units. */
export function calendarUnitMonths(unit: TimeUnit): number | null {
  switch (unit) {
    case 'month':
      return 1;
    case 'year':
      return 12;
    case 'decade':
      return 120;
    case 'century':
      return 1200;
    case 'millennium':
      return 12000;
    default:
      return null;
  }
}

/** True for a Gregorian year that has 29 February. */
/** Month names for messages ("There is no day 30 in February 2025"). */
export const MONTH_NAMES: readonly string[] = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days of a month (1–12) of a year. */
export function daysInMonth(year: number, month: number): number {
  switch (month) {
    case 2:
      return isLeapYear(year) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    default:
      return 31;
  }
}

/** True when year/month/day (month 1–12) is a real calendar day. */
export function isValidDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

/** Epoch ms of a UTC calendar instant; works for every year (no 0–99 → 19xx mapping). */
export function utcMs(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/** The UTC calendar fields of an instant (month 1–12, weekday 1 = Monday … 7 = Sunday). */
export function utcParts(instantMs: number): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: number;
} {
  const d = new Date(instantMs);
  const dow = d.getUTCDay();
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    weekday: dow === 0 ? 7 : dow,
  };
}

/** Adds a whole number of months, clamping the day to the end of the target month. */
function addMonths(instantMs: number, months: number): number {
  const p = utcParts(instantMs);
  const total = p.year * 12 + (p.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  const day = Math.min(p.day, daysInMonth(year, month));
  return utcMs(year, month, day, p.hour, p.minute, p.second, p.millisecond);
}

/**
 * `instant + n units` (n may be negative): calendar arithmetic in UTC for month
 * and longer, clamping to the month end; fixed durations for the rest.
 */
export function addUnits(instantMs: number, n: number, unit: TimeUnit): number {
  const fixed = fixedUnitMs(unit);
  if (fixed !== null) return instantMs + n * fixed;
  return addMonths(instantMs, n * calendarUnitMonths(unit)!);
}

/** The start of the calendar unit holding the instant (UTC; ISO weeks start on Monday). */
export function startOf(instantMs: number, unit: TimeUnit): number {
  const p = utcParts(instantMs);
  switch (unit) {
    case 'millisecond':
      return instantMs;
    case 'second':
      return utcMs(p.year, p.month, p.day, p.hour, p.minute, p.second);
    case 'minute':
      return utcMs(p.year, p.month, p.day, p.hour, p.minute);
    case 'hour':
      return utcMs(p.year, p.month, p.day, p.hour);
    case 'day':
      return utcMs(p.year, p.month, p.day);
    case 'week':
      return utcMs(p.year, p.month, p.day) - (p.weekday - 1) * MS_PER_DAY;
    case 'month':
      return utcMs(p.year, p.month, 1);
    case 'year':
      return utcMs(p.year, 1, 1);
    case 'decade':
      return utcMs(Math.floor(p.year / 10) * 10, 1, 1);
    case 'century':
      return utcMs(Math.floor(p.year / 100) * 100, 1, 1);
    case 'millennium':
      return utcMs(Math.floor(p.year / 1000) * 1000, 1, 1);
  }
}

/**
 * A time reference (pql.md §3.8): its anchor is `start`; its extent is the
 * half-open interval [start, end). An instant (`now`, a date-time value) has
 * `instant: true` and start = end.
 */
export interface TimeExtent {
  readonly start: number;
  readonly end: number;
  readonly instant: boolean;
}

/** The extent of an instant (`now`, a date-time attribute). */
export function instantExtent(instantMs: number): TimeExtent {
  return { start: instantMs, end: instantMs, instant: true };
}

/** The extent of the UTC day starting at `dayStartMs` (a date value, `today`). */
export function dayExtent(dayStartMs: number): TimeExtent {
  return { start: dayStartMs, end: addUnits(dayStartMs, 1, 'day'), instant: false };
}

/** `this U` / `last U` / `next U`: the current, previous or next calendar unit. */
export function periodExtent(
  which: 'this' | 'last' | 'next',
  unit: TimeUnit,
  nowMs: number,
): TimeExtent {
  const current = startOf(nowMs, unit);
  const start = which === 'this' ? current : addUnits(current, which === 'last' ? -1 : 1, unit);
  return { start, end: addUnits(start, 1, unit), instant: false };
}

/** `now` (an instant), `today` / `yesterday` / `tomorrow` (whole UTC days). */
export function timeWordExtent(word: TimeWordName, nowMs: number): TimeExtent {
  if (word === 'now') return instantExtent(nowMs);
  const today = startOf(nowMs, 'day');
  const offset = word === 'today' ? 0 : word === 'yesterday' ? -1 : 1;
  return dayExtent(addUnits(today, offset, 'day'));
}

/** The value of a time word used as a value (rule R6): `now`, or the start of that day. */
export function timeWordInstant(word: TimeWordName, nowMs: number): number {
  return timeWordExtent(word, nowMs).start;
}

// ---------------------------------------------------------------- parsing

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** `YYYY-MM-DD` → epoch ms of 00:00 UTC of that day; null when not a real day. */
export function parseDate(text: string): number | null {
  const m = DATE_RE.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return isValidDate(y, mo, d) ? utcMs(y, mo, d) : null;
}

/**
 * An ISO-8601 date-time with `Z` or an offset (`2026-05-31T22:30:00-02:00`,
 * `2025-03-10T12:00Z`, fractions of any length, truncated to the millisecond)
 * → epoch ms; null when malformed, out of range, or without a zone.
 */
export function parseDateTime(text: string): number | null {
  const m = DATE_TIME_RE.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7] === undefined ? 0 : Number((m[7] + '00').slice(0, 3));
  // A leap second (:60) is accepted, as the schema inference does, and rolls over to the next minute.
  if (!isValidDate(y, mo, d) || h > 23 || mi > 59 || s > 60) return null;
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return utcMs(y, mo, d, h, mi, s, frac) - offsetMin * MS_PER_MINUTE;
}

/** ISO text of an instant, `2026-06-15T12:00:00.000Z` (years outside 0–9999 as ±YYYYYY). */
export function formatDateTime(instantMs: number): string {
  return new Date(instantMs).toISOString();
}

/** `YYYY-MM-DD` of the UTC day holding the instant. */
export function formatDate(instantMs: number): string {
  return formatDateTime(instantMs).replace(/T.*$/, '');
}

/**
 * The evaluation clock from an ISO `SEG_NOW` value: the caller passes
 * `process.env.SEG_NOW` (this module never reads the environment). Unset or
 * empty → the system clock. A date alone means 00:00 UTC of that day.
 */
export function clockFrom(env?: string): number {
  if (env === undefined || env.trim() === '') return Date.now();
  const text = env.trim();
  const ms = parseDateTime(text) ?? parseDate(text);
  if (ms === null) {
    throw new Error(
      `SEG_NOW must be an ISO-8601 date-time with Z or an offset (e.g. 2026-06-15T12:00:00Z), got ${JSON.stringify(env)}`,
    );
  }
  return ms;
}

// ---------------------------------------------------------------- occurs

/** One end of an interval. */
export interface Bound {
  readonly at: number;
  readonly inclusive: boolean;
}

/**
 * The instants an `occurs` test accepts: T with `lower` < T (or ≤ when
 * inclusive) and T < `upper` (or ≤); a missing bound is unbounded. With
 * `negate`, T is accepted when it is NOT in that interval (the `!=` form; a
 * missing T is still rejected). `empty` intervals accept nothing.
 *
 * A compiler turns this into `col >= $1 AND col < $2` (or `NOT (…)`) with the
 * bounds bound as parameters; `occursHolds` is the same test in JS.
 */
export interface OccursBounds {
  readonly lower?: Bound;
  readonly upper?: Bound;
  readonly negate: boolean;
}

/** A TimeSpec whose references are already resolved to extents. */
export type ResolvedTimeSpec =
  | {
      readonly form: 'relative';
      readonly op: CompareOp;
      readonly amount: number;
      readonly unit: TimeUnit;
      readonly direction: TimeDirection;
      readonly ref: TimeExtent;
    }
  | { readonly form: 'direction'; readonly direction: TimeDirection; readonly ref: TimeExtent }
  | { readonly form: 'between'; readonly from: TimeExtent; readonly to: TimeExtent }
  | { readonly form: 'on'; readonly ref: TimeExtent };

const incl = (at: number): Bound => ({ at, inclusive: true });
const excl = (at: number): Bound => ({ at, inclusive: false });

/**
 * The accepted interval of a resolved spec — the table of pql.md §4.9 / §8.1:
 *
 * - `on R`: s ≤ T < e; for an instant R, T = R.
 * - `before R`: T < s.
 * - `after R` / `from R`: T ≥ e; for an instant R, T > R.
 * - `between R1 and R2`: s1 ≤ T < e2 (both end days included); when R2 is an
 *   instant, T ≤ R2 (its degenerate extent [R2, R2] is taken as closed).
 * - `op N U before R`, with a = anchor(R), B = a − N·U:
 *   `<` B < T ≤ a; `<=` B ≤ T ≤ a; `>` T < B; `>=` T ≤ B;
 *   `=` B ≤ T < B + 1 U; `!=` not that.
 * - `op N U after|from R`, B = a + N·U:
 *   `<` a ≤ T < B; `<=` a ≤ T ≤ B; `>` T > B; `>=` T ≥ B;
 *   `=` B ≤ T < B + 1 U; `!=` not that.
 */
export function occursBounds(spec: ResolvedTimeSpec): OccursBounds {
  switch (spec.form) {
    case 'on':
      return spec.ref.instant
        ? { lower: incl(spec.ref.start), upper: incl(spec.ref.start), negate: false }
        : { lower: incl(spec.ref.start), upper: excl(spec.ref.end), negate: false };
    case 'direction':
      if (spec.direction === 'before') return { upper: excl(spec.ref.start), negate: false };
      return spec.ref.instant
        ? { lower: excl(spec.ref.start), negate: false }
        : { lower: incl(spec.ref.end), negate: false };
    case 'between':
      return {
        lower: incl(spec.from.start),
        upper: spec.to.instant ? incl(spec.to.start) : excl(spec.to.end),
        negate: false,
      };
    case 'relative': {
      const a = spec.ref.start;
      const before = spec.direction === 'before';
      const b = addUnits(a, before ? -spec.amount : spec.amount, spec.unit);
      const bucket = (negate: boolean): OccursBounds => ({
        lower: incl(b),
        upper: excl(addUnits(b, 1, spec.unit)),
        negate,
      });
      switch (spec.op) {
        case '=':
          return bucket(false);
        case '!=':
          return bucket(true);
        case '<':
          return before
            ? { lower: excl(b), upper: incl(a), negate: false }
            : { lower: incl(a), upper: excl(b), negate: false };
        case '<=':
          return before
            ? { lower: incl(b), upper: incl(a), negate: false }
            : { lower: incl(a), upper: incl(b), negate: false };
        case '>':
          return before ? { upper: excl(b), negate: false } : { lower: excl(b), negate: false };
        case '>=':
          return before ? { upper: incl(b), negate: false } : { lower: incl(b), negate: false };
      }
    }
  }
}

/** True when the instant lies in the bounds (honouring `negate`). */
export function withinBounds(tMs: number, bounds: OccursBounds): boolean {
  const { lower, upper } = bounds;
  const inside =
    (lower === undefined || (lower.inclusive ? tMs >= lower.at : tMs > lower.at)) &&
    (upper === undefined || (upper.inclusive ? tMs <= upper.at : tMs < upper.at));
  return bounds.negate ? !inside : inside;
}

/**
 * Resolves every reference of an AST TimeSpec with `resolveRef`; null when a
 * reference is missing (a null attribute), in which case `occurs` is false.
 */
export function resolveTimeSpec<R>(
  spec: TimeSpec,
  resolveRef: (ref: R) => TimeExtent | null,
): ResolvedTimeSpec | null {
  const r = resolveRef as unknown as (ref: unknown) => TimeExtent | null;
  switch (spec.form) {
    case 'between': {
      const from = r(spec.from);
      const to = r(spec.to);
      return from && to ? { form: 'between', from, to } : null;
    }
    case 'on': {
      const ref = r(spec.ref);
      return ref ? { form: 'on', ref } : null;
    }
    case 'direction': {
      const ref = r(spec.ref);
      return ref ? { form: 'direction', direction: spec.direction, ref } : null;
    }
    case 'relative': {
      const ref = r(spec.ref);
      return ref
        ? {
            form: 'relative',
            op: spec.op,
            amount: spec.amount,
            unit: spec.unit,
            direction: spec.direction,
            ref,
          }
        : null;
    }
  }
}

/**
 * `T occurs <spec>`: `tMs` is T as an instant (a date stands for 00:00 UTC) or
 * null when T is missing (→ false). `spec` is an AST TimeSpec whose references
 * `resolveRef` turns into extents (null for a missing reference → false), or a
 * spec already resolved.
 */
export function occursHolds(
  tMs: number | null,
  spec: TimeSpec | ResolvedTimeSpec,
  resolveRef?: (ref: Extract<TimeSpec, { form: 'on' }>['ref']) => TimeExtent | null,
): boolean {
  if (tMs === null || !Number.isFinite(tMs)) return false;
  const resolved = isResolved(spec) ? spec : resolveRef ? resolveTimeSpec(spec, resolveRef) : null;
  if (!resolved) return false;
  return withinBounds(tMs, occursBounds(resolved));
}

function isResolved(spec: TimeSpec | ResolvedTimeSpec): spec is ResolvedTimeSpec {
  if (!('span' in spec)) return true;
  return false;
}

/**
 * The extent of a reference that is a plain AST time word or period, without
 * evaluating anything (compilers use it; attribute references need a value).
 */
export function staticRefExtent(
  ref: {
    readonly kind: string;
    readonly word?: TimeWordName;
    readonly which?: 'this' | 'last' | 'next';
    readonly unit?: TimeUnit;
  },
  nowMs: number,
): TimeExtent | null {
  if (ref.kind === 'TimeWord' && ref.word) return timeWordExtent(ref.word, nowMs);
  if (ref.kind === 'Period' && ref.which && ref.unit)
    return periodExtent(ref.which, ref.unit, nowMs);
  return null;
}
