/**
 * Progressive, sampled audience counting (segmentation-api.md §5.5–5.6).
 *
 * Every profile falls into one of `BUCKETS` stable pseudo-random buckets, a hash of its key
 * (the engine's own hash: independent of the profile's attributes, the same on every run). A sample is a
 * range of buckets `[0, k)`; reading it in rising steps (k/64, k/16, k/4, k) over disjoint bucket
 * ranges costs one pass over the sample in all, and every step refines the estimate:
 *
 *   p̂ = matched / read,  estimatedSize = round(p̂ × N)
 *   standardError = N × sqrt(p̂(1 − p̂) / n × (N − n)/(N − 1))        (finite-population correction)
 *   95% interval: Wilson score interval on p̂ with the effective sample size n / fpc, scaled to N
 *                 and clamped to what is certain: [matched, N − (read − matched)]
 *
 * When the whole population has been read the estimate is exact: interval = point, error 0.
 *
 * Sample size (§5.6), with T = the threshold (1,000,000 by default): fewer than T profiles → the
 * full data; T to 20 T → T profiles; above → 5%.
 */
import type { CheckedQuery } from '@seg/shared';
import type { CompileOptions } from './compiler/compile.js';
import { SqlProgram } from './compiler/compile.js';
import type { EngineTarget } from './evaluate.js';

export const BUCKETS = 1024;
export const DEFAULT_SAMPLE_THRESHOLD = 1_000_000;
/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/** SQL of a profile key's bucket. */
export function bucketSql(target: EngineTarget, pk: string): string {
  return target.dialect.hashBucket(pk, BUCKETS);
}

/** Profiles per bucket (index = bucket). */
export async function bucketCounts(target: EngineTarget): Promise<number[]> {
  const rows = await target.runner.all(`SELECT ${bucketSql(target, 'pk')} AS b, count(*) AS n FROM profiles GROUP BY 1`, []);
  const counts = new Array<number>(BUCKETS).fill(0);
  for (const r of rows) counts[Number(r.b)] = Number(r.n);
  return counts;
}

export interface SamplePlan {
  /** Profiles in the store (N). */
  readonly totalRows: number;
  /** Profiles in the sample. */
  readonly numRowsToRead: number;
  /** The sample is the bucket range [0, sampleBuckets). */
  readonly sampleBuckets: number;
  /** Upper bucket bound of each step (rising; the last is sampleBuckets). */
  readonly steps: readonly number[];
  /** Profiles read once each step is done. */
  readonly readAfterStep: readonly number[];
  /** True when the sample is the whole population. */
  readonly full: boolean;
}

/** The target sample fraction for N profiles (§5.6). */
export function sampleFraction(totalRows: number, threshold = DEFAULT_SAMPLE_THRESHOLD): number {
  if (totalRows < threshold) return 1;
  return Math.min(1, Math.max(threshold / totalRows, 0.05));
}

/** Divisors of the sample giving the steps' upper bounds: 1/64, 1/16, 1/4, all. */
export const SAMPLED_STEPS = [64, 16, 4, 1] as const;
/** On the full data, where the members are collected on the way: a first 1/16, then the rest. */
export const FULL_STEPS = [16, 1] as const;

export function planSample(
  counts: readonly number[],
  threshold = DEFAULT_SAMPLE_THRESHOLD,
  divisors: readonly number[] = SAMPLED_STEPS,
): SamplePlan {
  const totalRows = counts.reduce((a, b) => a + b, 0);
  const fraction = sampleFraction(totalRows, threshold);
  const sampleBuckets = fraction >= 1 ? BUCKETS : Math.min(BUCKETS, Math.max(1, Math.ceil(fraction * BUCKETS)));
  const steps = [...new Set(divisors.map((d) => Math.max(1, Math.ceil(sampleBuckets / d))))].sort((a, b) => a - b);
  const prefix: number[] = [0];
  for (let i = 0; i < BUCKETS; i++) prefix.push(prefix[i]! + (counts[i] ?? 0));
  const readAfterStep = steps.map((k) => prefix[k]!);
  const numRowsToRead = prefix[sampleBuckets]!;
  return { totalRows, numRowsToRead, sampleBuckets, steps, readAfterStep, full: numRowsToRead >= totalRows };
}

export interface EstimateFigures {
  readonly estimatedSize: number;
  readonly standardError: number;
  readonly low: number;
  readonly high: number;
  readonly exact: boolean;
}

/** The estimate of the audience in N profiles from `matched` of `read` sampled ones. */
export function estimateFromSample(totalRows: number, read: number, matched: number, z = Z95): EstimateFigures {
  const N = totalRows;
  if (read >= N) return { estimatedSize: matched, standardError: 0, low: matched, high: matched, exact: true };
  if (read <= 0) return { estimatedSize: 0, standardError: 0, low: 0, high: N, exact: false };
  const n = read;
  const p = matched / n;
  const fpc = N > 1 ? (N - n) / (N - 1) : 0;
  const standardError = N * Math.sqrt(((p * (1 - p)) / n) * fpc);
  // Wilson score interval with the effective sample size n / fpc (the correction narrows it).
  const ne = n / fpc;
  const z2 = z * z;
  const centre = (p + z2 / (2 * ne)) / (1 + z2 / ne);
  const half = (z / (1 + z2 / ne)) * Math.sqrt((p * (1 - p)) / ne + z2 / (4 * ne * ne));
  const certainLow = matched;
  const certainHigh = N - (n - matched);
  const low = Math.min(certainHigh, Math.max(certainLow, Math.floor(N * (centre - half))));
  const high = Math.max(certainLow, Math.min(certainHigh, Math.ceil(N * (centre + half))));
  return { estimatedSize: Math.round(p * N), standardError: Math.round(standardError), low, high, exact: false };
}

/** A program for one statement; `inSegment` ids among `definitions` are compiled in place. */
export function newProgram(
  target: EngineTarget,
  now: number,
  definitions?: ReadonlyMap<string, CheckedQuery>,
  membershipCondition?: CompileOptions['membershipCondition'],
): SqlProgram {
  return new SqlProgram({
    dialect: target.dialect,
    layout: target.layout,
    now,
    resolveSegment: (id) => {
      const query = definitions?.get(id);
      return query ? { kind: 'inline', query } : { kind: 'membership' };
    },
    ...(membershipCondition ? { membershipCondition } : {}),
  });
}

/** One step's statement: matched profiles and their namespaces in buckets [lo, hi). */
export function stepStatement(
  target: EngineTarget,
  query: CheckedQuery,
  now: number,
  lo: number,
  hi: number,
  definitions?: ReadonlyMap<string, CheckedQuery>,
  membershipCondition?: CompileOptions['membershipCondition'],
): { sql: string; values: unknown[] } {
  const p = newProgram(target, now, definitions, membershipCondition);
  const condition = p.condition(query);
  const restrict = (pk: string) => `${bucketSql(target, pk)} >= ${lo} AND ${bucketSql(target, pk)} < ${hi}`;
  const sql = `WITH m AS MATERIALIZED (SELECT p.identity_map AS im FROM ${p.fromClause(restrict)} WHERE ${condition})
SELECT NULL::VARCHAR AS ns, count(*) AS n FROM m
UNION ALL
SELECT ns, count(*) AS n FROM (SELECT ${target.dialect.identityNamespaces('im')} AS ns FROM m) AS keys GROUP BY ns`;
  return p.params.finish(sql);
}

/** The identity namespaces of the profiles, sorted (for the member steps' namespace masks). */
export async function namespaceDictionary(target: EngineTarget): Promise<string[]> {
  const rows = await target.runner.all(
    `SELECT DISTINCT ns FROM (SELECT ${target.dialect.identityNamespaces('identity_map')} AS ns FROM profiles) AS keys ORDER BY ns`,
    [],
  );
  return rows.map((r) => String(r.ns));
}

/** Namespaces a member step can encode as bits of one number. */
export const MAX_MASK_NAMESPACES = 40;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * A member step's statement: the matched profiles' keys (as DOUBLE) and a bit mask of their
 * namespaces (bit i = `namespaces[i]`), in buckets [lo, hi).
 */
export function memberStepStatement(
  target: EngineTarget,
  query: CheckedQuery,
  now: number,
  lo: number,
  hi: number,
  namespaces: readonly string[],
  definitions?: ReadonlyMap<string, CheckedQuery>,
  membershipCondition?: CompileOptions['membershipCondition'],
): { sql: string; values: unknown[] } {
  const p = newProgram(target, now, definitions, membershipCondition);
  const condition = p.condition(query);
  const restrict = (pk: string) => `${bucketSql(target, pk)} >= ${lo} AND ${bucketSql(target, pk)} < ${hi}`;
  const cases = namespaces.map((ns, i) => `WHEN ${sqlString(ns)} THEN ${2 ** i}`).join(' ');
  const mask = namespaces.length
    ? `CAST(${target.dialect.sumOverNamespaces('p.identity_map', (k) => `CASE ${k} ${cases} ELSE 0 END`)} AS DOUBLE PRECISION)`
    : 'CAST(0 AS DOUBLE PRECISION)';
  return p.params.finish(
    `SELECT CAST(p.pk AS DOUBLE PRECISION) AS pk, ${mask} AS nsmask FROM ${p.fromClause(restrict)} WHERE ${condition}`,
  );
}

/** Receives a member step's rows, chunk by chunk: keys and namespace masks. */
export type MemberSink = (pks: readonly unknown[], masks: readonly unknown[]) => void;

export interface EstimateProgress {
  readonly plan: SamplePlan;
  /** Steps done (0 before the first). */
  readonly step: number;
  readonly read: number;
  readonly matched: number;
  /** Matched profiles per identity namespace (a profile counts once in each of its namespaces). */
  readonly namespaces: ReadonlyMap<string, number>;
  readonly figures: EstimateFigures;
  readonly done: boolean;
}

export interface ProgressiveOptions {
  readonly now: number;
  readonly threshold?: number;
  /** Definitions `inSegment` may reference, by id. */
  readonly definitions?: ReadonlyMap<string, CheckedQuery>;
  /** How inSegment of a definition outside `definitions` reads membership. */
  readonly membershipCondition?: CompileOptions['membershipCondition'];
  /** Per-bucket profile counts (computed when absent). */
  readonly counts?: readonly number[];
  /** Runs one statement (e.g. interruptibly, with a time limit); target.runner.all by default. */
  readonly run?: (sql: string, values: unknown) => Promise<Record<string, unknown>[]>;
  readonly onProgress?: (progress: EstimateProgress) => void;
  /**
   * On the full data: runs a member step's statement, passing its rows to the sink; the steps
   * then also collect the members (`membersCollected` in the result), in one pass over the data.
   */
  readonly collect?: (sql: string, values: unknown[], sink: MemberSink) => Promise<void>;
  /** Receives the members' keys as the steps find them (with `collect`). */
  readonly onMembers?: (pks: readonly unknown[]) => void;
  /** The namespace dictionary (computed when absent and needed). */
  readonly namespaces?: readonly string[];
}

export interface EstimateResult extends EstimateProgress {
  /** True when the members were collected on the way (every profile read, so every member found). */
  readonly membersCollected: boolean;
}

/** Counts `query` over rising sample fractions; returns the final estimate. */
export async function estimateProgressively(
  target: EngineTarget,
  query: CheckedQuery,
  options: ProgressiveOptions,
): Promise<EstimateResult> {
  const counts = options.counts ?? (await bucketCounts(target));
  const sampledPlan = planSample(counts, options.threshold);
  let dictionary: readonly string[] | undefined;
  if (sampledPlan.full && options.collect && sampledPlan.totalRows > 0) {
    dictionary = options.namespaces ?? (await namespaceDictionary(target));
    if (dictionary.length > MAX_MASK_NAMESPACES) dictionary = undefined;
  }
  const collecting = dictionary !== undefined;
  const plan = collecting ? planSample(counts, options.threshold, FULL_STEPS) : sampledPlan;
  const run = options.run ?? ((sql: string, values: unknown) => target.runner.all(sql, values as unknown[]));
  let matched = 0;
  let read: number;
  const namespaces = new Map<string, number>();
  let progress: EstimateProgress = {
    plan,
    step: 0,
    read: 0,
    matched: 0,
    namespaces,
    figures: estimateFromSample(plan.totalRows, 0, 0),
    done: plan.totalRows === 0,
  };
  if (plan.totalRows === 0) {
    options.onProgress?.(progress);
    return { ...progress, membersCollected: true };
  }
  let lo = 0;
  for (let i = 0; i < plan.steps.length; i++) {
    const hi = plan.steps[i]!;
    if (collecting) {
      const dict = dictionary!;
      const bits = new Array<number>(dict.length).fill(0);
      const statement = memberStepStatement(target, query, options.now, lo, hi, dict, options.definitions, options.membershipCondition);
      await options.collect!(statement.sql, statement.values, (pks, masks) => {
        matched += pks.length;
        options.onMembers?.(pks);
        for (const m of masks) {
          let mask = Number(m);
          for (let b = 0; mask > 0; b++, mask = Math.floor(mask / 2)) if (mask % 2 === 1) bits[b]!++;
        }
      });
      dict.forEach((ns, b) => {
        if (bits[b]! > 0) namespaces.set(ns, (namespaces.get(ns) ?? 0) + bits[b]!);
      });
    } else {
      const statement = stepStatement(target, query, options.now, lo, hi, options.definitions, options.membershipCondition);
      const rows = await run(statement.sql, statement.values);
      for (const r of rows) {
        const n = Number(r.n);
        if (r.ns === null || r.ns === undefined) matched += n;
        else namespaces.set(String(r.ns), (namespaces.get(String(r.ns)) ?? 0) + n);
      }
    }
    read = plan.readAfterStep[i]!;
    lo = hi;
    progress = {
      plan,
      step: i + 1,
      read,
      matched,
      namespaces: new Map(namespaces),
      figures: estimateFromSample(plan.totalRows, read, matched),
      done: i === plan.steps.length - 1,
    };
    options.onProgress?.(progress);
  }
  return { ...progress, membersCollected: collecting };
}
