/**
 * Quartz cron in the browser: the next firings with croner (the options of stack.md §9, which match
 * Quartz: seconds first, optional year, `?`, `L`, `W`, `#`, weekdays 1 = Sunday) and the
 * expression in words with cronstrue (Quartz weekday numbering).
 */
import { Cron } from 'croner';
import cronstrue from 'cronstrue';

export const QUARTZ_OPTIONS = {
  timezone: 'UTC',
  mode: '6-or-7-parts',
  alternativeWeekdays: true,
  sloppyRanges: true,
} as const;

export interface CronPreview {
  ok: boolean;
  error?: string;
  words?: string;
  next: Date[];
}

export function previewCron(expression: string, from: Date = new Date(), count = 5): CronPreview {
  const expr = expression.trim().replace(/\s+/g, ' ');
  if (!expr) return { ok: false, error: 'Enter a Quartz cron expression.', next: [] };
  const parts = expr.split(' ').length;
  if (parts < 6 || parts > 7)
    return {
      ok: false,
      error: `A Quartz expression has 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]); this one has ${parts}.`,
      next: [],
    };
  let next: Date[];
  try {
    const cron = new Cron(expr, { ...QUARTZ_OPTIONS, paused: true });
    next = cron.nextRuns(count, from);
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e), next: [] };
  }
  let words: string | undefined;
  try {
    words = cronstrue.toString(expr, {
      dayOfWeekStartIndexZero: false,
      use24HourTimeFormat: true,
      verbose: true,
    });
  } catch {
    words = undefined;
  }
  return { ok: true, ...(words ? { words: `${words} (UTC)` } : {}), next };
}

export function formatUtc(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}
