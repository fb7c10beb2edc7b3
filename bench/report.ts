/** Shared by every benchmark: timing, a printed table, and the JSON figures file. */
import { mkdirSync, writeFileSync } from 'node:fs';

export interface Timing {
  /** Median of the runs, milliseconds. */
  readonly medianMs: number;
  readonly runs: readonly number[];
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, and returns the median. */
export async function time(fn: () => unknown, runs = 5, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return { medianMs: median(samples), runs: samples };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function printTable(title: string, rows: readonly Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0]!);
  const cell = (v: string | number) => (typeof v === 'number' ? formatNumber(v) : v);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h] ?? '').length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(headers.map((h) => cell(r[h] ?? ''))));
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function writeFigures(name: string, figures: unknown): string {
  const dir = new URL('./out/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.json`, dir);
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  return file.pathname;
}
