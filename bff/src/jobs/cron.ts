/**
 * Quartz cron expressions (segmentation-api.md §7.7), UTC, on croner 11 with the options that make
 * it match Quartz (stack.md §9).
 *
 *   parseQuartz(expr)              → QuartzCron, or throws CronError {field, message} naming the field
 *   cron.next(afterMs)             → the first firing strictly after afterMs (epoch ms), or undefined
 *   cron.latestAtOrBefore(ms, sinceMs) → the last firing in (sinceMs, ms], or undefined
 *   minIntervalMs(cron, fromMs)    → the smallest gap between consecutive firings over the next year
 *                                    (at most 2000 firings looked at)
 *   frequencyOf(cron, fromMs)      → 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'custom' (§7.8)
 */
import { Cron } from 'croner';

export class CronError extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'CronError';
  }
}

const FIELDS = [
  { name: 'seconds', re: /^[0-9,\-*/]+$/, chars: ', - * /' },
  { name: 'minutes', re: /^[0-9,\-*/]+$/, chars: ', - * /' },
  { name: 'hours', re: /^[0-9,\-*/]+$/, chars: ', - * /' },
  { name: 'day-of-month', re: /^([0-9,\-*/?LW]+|LW)$/i, chars: ', - * ? / L W' },
  { name: 'month', re: /^[0-9A-Za-z,\-*/]+$/, chars: ', - * / and JAN–DEC' },
  { name: 'day-of-week', re: /^[0-9A-Za-z,\-*/?L#]+$/, chars: ', - * ? / L # and SUN–SAT' },
  { name: 'year', re: /^[0-9,\-*/]+$/, chars: ', - * /' },
] as const;

const RANGES: Record<string, [number, number]> = {
  seconds: [0, 59],
  minutes: [0, 59],
  hours: [0, 23],
  'day-of-month': [1, 31],
  month: [1, 12],
  'day-of-week': [1, 7],
  year: [1970, 2099],
};

const OPTIONS = { timezone: 'UTC', mode: '6-or-7-parts', alternativeWeekdays: true, sloppyRanges: true } as const;

export interface QuartzCron {
  readonly expression: string;
  next(afterMs: number): number | undefined;
  latestAtOrBefore(ms: number, sinceMs: number): number | undefined;
}

/** Parses a Quartz expression; throws CronError naming the offending field. */
export function parseQuartz(expression: string): QuartzCron {
  const expr = expression.trim().replace(/\s+/g, ' ');
  const parts = expr.split(' ');
  if (parts.length < 6 || parts.length > 7) {
    throw new CronError(
      undefined,
      `A Quartz cron expression has 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]); "${expression}" has ${parts.length}.`,
    );
  }
  parts.forEach((value, i) => {
    const f = FIELDS[i]!;
    if (!f.re.test(value)) throw new CronError(f.name, `Invalid ${f.name} field "${value}": allowed are numbers and ${f.chars}.`);
    const [lo, hi] = RANGES[f.name]!;
    for (const n of value.match(/\d+/g) ?? []) {
      const num = Number(n);
      // the step of x/y and the n of x#n are not values of the field
      const isStep = new RegExp(`[/#]${n}(?!\\d)`).test(value) && !new RegExp(`(^|[,\\-])${n}(?!\\d)`).test(value);
      if (!isStep && (num < lo || num > hi) && !(f.name === 'day-of-week' && /L$/.test(value) && num >= lo && num <= hi)) {
        throw new CronError(f.name, `Invalid ${f.name} field "${value}": ${num} is outside ${lo}–${hi}.`);
      }
    }
  });
  const dom = parts[3]!;
  const dow = parts[5]!;
  if (dom !== '?' && dow !== '?') {
    throw new CronError('day-of-week', `One of day-of-month ("${dom}") and day-of-week ("${dow}") must be "?" (Quartz).`);
  }
  if (dom === '?' && dow === '?') {
    throw new CronError('day-of-month', 'day-of-month and day-of-week cannot both be "?".');
  }
  let cron: Cron;
  try {
    cron = new Cron(expr, { ...OPTIONS, paused: true });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const field = FIELDS.find((f) => message.toLowerCase().includes(f.name.replace('-', ' ')) || message.toLowerCase().includes(f.name));
    throw new CronError(field?.name, `Invalid cron expression "${expression}": ${message}`);
  }
  return {
    expression: expr,
    next(afterMs) {
      const d = cron.nextRun(new Date(afterMs));
      return d ? d.getTime() : undefined;
    },
    latestAtOrBefore(ms, sinceMs) {
      const first = cron.nextRun(new Date(sinceMs))?.getTime();
      if (first === undefined || first > ms) return undefined;
      let t: number = first;
      // jump near the end with previousRuns when available, else walk
      const prev = cron.previousRuns(1, new Date(ms + 1));
      const p = prev[0]?.getTime();
      if (p !== undefined && p > sinceMs && p <= ms) return p;
      for (let i = 0; i < 100_000; i++) {
        const n: number | undefined = cron.nextRun(new Date(t))?.getTime();
        if (n === undefined || n > ms) break;
        t = n;
      }
      return t;
    },
  };
}

const YEAR_MS = 366 * 86_400_000;

/** The smallest gap between consecutive firings over the next year (≤ 2000 firings). */
export function minIntervalMs(cron: QuartzCron, fromMs: number): number | undefined {
  let prev = cron.next(fromMs);
  if (prev === undefined) return undefined;
  let min: number | undefined;
  for (let i = 0; i < 2000; i++) {
    const n = cron.next(prev);
    if (n === undefined || n - fromMs > YEAR_MS) break;
    const gap = n - prev;
    if (min === undefined || gap < min) min = gap;
    prev = n;
  }
  return min;
}

export function frequencyOf(cron: QuartzCron, fromMs: number): string {
  const runs: number[] = [];
  let t = fromMs;
  for (let i = 0; i < 6; i++) {
    const n = cron.next(t);
    if (n === undefined) break;
    runs.push(n);
    t = n;
  }
  if (runs.length < 2) return 'once';
  const gaps = runs.slice(1).map((r, i) => r - runs[i]!);
  const all = (ms: number) => gaps.every((g) => g === ms);
  if (all(3_600_000)) return 'hourly';
  if (all(86_400_000)) return 'daily';
  if (all(7 * 86_400_000)) return 'weekly';
  if (gaps.every((g) => g >= 28 * 86_400_000 && g <= 31 * 86_400_000)) return 'monthly';
  if (gaps.every((g) => g >= 365 * 86_400_000 && g <= 366 * 86_400_000)) return 'yearly';
  return 'custom';
}
