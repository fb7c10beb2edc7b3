/**
 * The estimator (engine/estimate.ts): its math, the §5.6 sample sizes, progressive refinement on
 * the real engine over the conformance fixture, and sampled estimates through the API (sampling
 * forced with SEG_ESTIMATE_SAMPLE_THRESHOLD=20 on the 80-profile fixture).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText, type Estimate, type PreviewCreated, type PreviewPage } from '@seg/shared';
import { openDataset, type OpenDataset } from '../src/engine/dataset.js';
import {
  BUCKETS,
  bucketCounts,
  estimateFromSample,
  estimateProgressively,
  planSample,
  sampleFraction,
  type EstimateProgress,
} from '../src/engine/estimate.js';
import { countMembers } from '../src/engine/evaluate.js';
import { CONFORMANCE_DIR, readCases } from './support/conformance.js';
import { startTestServer, TEST_NOW, type TestServer } from './support/server.js';

const cases = readCases();
const now = Date.parse(TEST_NOW);

describe('estimator math', () => {
  it('is exact when the whole population is read', () => {
    expect(estimateFromSample(1000, 1000, 417)).toEqual({ estimatedSize: 417, standardError: 0, low: 417, high: 417, exact: true });
    expect(estimateFromSample(0, 0, 0)).toMatchObject({ estimatedSize: 0, exact: true });
  });

  it('scales the sample proportion, with the binomial standard error and finite-population correction', () => {
    const f = estimateFromSample(1_000_000, 10_000, 2_500);
    expect(f.exact).toBe(false);
    expect(f.estimatedSize).toBe(250_000);
    const se = 1_000_000 * Math.sqrt(((0.25 * 0.75) / 10_000) * ((1_000_000 - 10_000) / (1_000_000 - 1)));
    expect(f.standardError).toBe(Math.round(se));
    // the Wilson interval is close to ±1.96 SE for a large sample
    expect(f.low).toBeGreaterThan(250_000 - 1.96 * se - 300);
    expect(f.low).toBeLessThan(250_000 - 1.96 * se + 300);
    expect(f.high).toBeGreaterThan(250_000 + 1.96 * se - 300);
    expect(f.high).toBeLessThan(250_000 + 1.96 * se + 300);
  });

  it('gives a real interval at the edges (no match, all match) and stays within what is certain', () => {
    const none = estimateFromSample(10_000, 100, 0);
    expect(none.estimatedSize).toBe(0);
    expect(none.low).toBe(0);
    expect(none.high).toBeGreaterThan(0);
    const all = estimateFromSample(10_000, 100, 100);
    expect(all.high).toBe(10_000);
    expect(all.low).toBeLessThan(10_000);
    expect(all.low).toBeGreaterThanOrEqual(100);
    // nearly everything read: the interval shrinks to the certain range
    const most = estimateFromSample(100, 99, 40);
    expect(most.low).toBeGreaterThanOrEqual(40);
    expect(most.high).toBeLessThanOrEqual(41);
  });

  it('narrows as the sample grows', () => {
    let width = Infinity;
    for (const n of [100, 1_000, 10_000, 100_000, 500_000]) {
      const f = estimateFromSample(1_000_000, n, Math.round(n * 0.3));
      expect(f.low).toBeLessThanOrEqual(f.estimatedSize);
      expect(f.high).toBeGreaterThanOrEqual(f.estimatedSize);
      expect(f.high - f.low).toBeLessThan(width);
      width = f.high - f.low;
    }
  });

  it('covers the true size about 95% of the time (simple random samples)', () => {
    // deterministic pseudo-random draws: hypergeometric samples of a population of 2,000 with 300 members
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const N = 2000;
    const K = 300;
    let covered = 0;
    const trials = 1000;
    for (let t = 0; t < trials; t++) {
      const n = 200;
      let matched = 0;
      let left = N;
      let members = K;
      for (let i = 0; i < n; i++, left--) {
        if (rand() < members / left) {
          matched++;
          members--;
        }
      }
      const f = estimateFromSample(N, n, matched);
      if (f.low <= K && K <= f.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.92);
    expect(covered / trials).toBeLessThan(0.99);
  });
});

describe('sample sizes (§5.6)', () => {
  const uniform = (n: number) => Array.from({ length: BUCKETS }, (_, i) => Math.floor(n / BUCKETS) + (i < n % BUCKETS ? 1 : 0));

  it('full data below the threshold, 1M from 1M to 20M, 5% above', () => {
    expect(sampleFraction(999_999)).toBe(1);
    expect(sampleFraction(5_000_000)).toBeCloseTo(0.2);
    expect(sampleFraction(40_000_000)).toBeCloseTo(0.05);
    expect(planSample(uniform(999_999))).toMatchObject({ full: true, numRowsToRead: 999_999, sampleBuckets: BUCKETS });
    const mid = planSample(uniform(5_000_000));
    expect(mid.full).toBe(false);
    expect(mid.numRowsToRead).toBeGreaterThanOrEqual(1_000_000);
    expect(mid.numRowsToRead).toBeLessThan(1_000_000 + 5_000_000 / BUCKETS + 1);
    const big = planSample(uniform(40_000_000));
    expect(big.numRowsToRead / 40_000_000).toBeCloseTo(0.05, 2);
  });

  it('reads in rising steps ending at the sample', () => {
    const plan = planSample(uniform(100_000));
    expect(plan.steps).toEqual([16, 64, 256, 1024]);
    expect(plan.readAfterStep.at(-1)).toBe(100_000);
    const sampled = planSample(uniform(5_000_000));
    expect(sampled.steps.at(-1)).toBe(sampled.sampleBuckets);
    for (let i = 1; i < sampled.steps.length; i++) expect(sampled.steps[i]!).toBeGreaterThan(sampled.steps[i - 1]!);
  });
});

describe('progressive estimates on the engine (conformance fixture)', () => {
  let ds: OpenDataset;
  let counts: number[];
  beforeAll(async () => {
    ds = await openDataset(CONFORMANCE_DIR.pathname);
    counts = await bucketCounts(ds.target);
  });
  afterAll(() => ds.close());

  const checked = (pql: string) => {
    const a = analyzeText(pql, { schema: ds.schema });
    expect(a.errors).toEqual([]);
    return a.checked;
  };

  it('buckets partition the profiles', () => {
    expect(counts.reduce((a, b) => a + b, 0)).toBe(80);
  });

  it('refines monotonically and ends exact on the full data', async () => {
    for (const c of cases.valid.slice(0, 40)) {
      const steps: EstimateProgress[] = [];
      const final = await estimateProgressively(ds.target, checked(c.pql), { now, counts, onProgress: (p) => steps.push(p) });
      expect(steps.length).toBe(4);
      for (let i = 1; i < steps.length; i++) {
        expect(steps[i]!.read).toBeGreaterThanOrEqual(steps[i - 1]!.read);
        expect(steps[i]!.matched).toBeGreaterThanOrEqual(steps[i - 1]!.matched);
      }
      expect(final.done).toBe(true);
      expect(final.figures).toEqual({ estimatedSize: c.count, standardError: 0, low: c.count, high: c.count, exact: true });
      expect(final.matched).toBe(await countMembers(ds.target, checked(c.pql), { now }));
    }
  });

  it('sampled (threshold 20): the 95% interval holds the true count for most cases', async () => {
    let covered = 0;
    let total = 0;
    for (const c of cases.valid) {
      const steps: EstimateProgress[] = [];
      const final = await estimateProgressively(ds.target, checked(c.pql), {
        now,
        counts,
        threshold: 20,
        onProgress: (p) => steps.push(p),
      });
      expect(final.plan.full).toBe(false);
      expect(final.read).toBe(final.plan.numRowsToRead);
      expect(final.read).toBeLessThan(80);
      expect(final.figures.exact).toBe(false);
      const { low, high, estimatedSize } = final.figures;
      expect(low).toBeLessThanOrEqual(estimatedSize);
      expect(high).toBeGreaterThanOrEqual(estimatedSize);
      // certain bounds: the matched ones are in, the unmatched read ones are out
      expect(low).toBeGreaterThanOrEqual(final.matched);
      expect(high).toBeLessThanOrEqual(80 - (final.read - final.matched));
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.read).toBeGreaterThan(steps[i - 1]!.read);
      total++;
      if (low <= c.count && c.count <= high) covered++;
    }
    // one fixed sample of ~20 of 80 profiles for all cases: coverage near 95%, never poor
    expect(covered / total).toBeGreaterThan(0.85);
  });
});

describe('sampled estimates through the API', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_RATE_LIMIT: '0', SEG_ESTIMATE_SAMPLE_THRESHOLD: '20' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('reports a sample with its 95% interval, while the preview still lists every member', async () => {
    const c = cases.valid.find((v) => v.id === 'v001')!;
    const res = await fetch(`${srv.url}/data/core/ups/preview`, {
      method: 'POST',
      headers: srv.headers(),
      body: JSON.stringify({ predicateExpression: c.pql }),
    });
    const { previewId } = (await res.json()) as PreviewCreated;
    let est: Estimate;
    let lastRead = 0;
    for (;;) {
      est = (await (await fetch(`${srv.url}/data/core/ups/estimate/${previewId}`, { headers: srv.headers() })).json()) as Estimate;
      expect(est.profilesReadSoFar).toBeGreaterThanOrEqual(lastRead);
      lastRead = est.profilesReadSoFar;
      if (est.state !== 'RUNNING') break;
    }
    expect(est.state).toBe('RESULT_READY');
    expect(est.exact).toBe(false);
    expect(est.totalRows).toBe(80);
    expect(est.numRowsToRead).toBeLessThan(80);
    expect(est.profilesReadSoFar).toBe(est.numRowsToRead);
    expect(est.sampleFraction).toBeCloseTo(est.numRowsToRead / 80);
    expect(est.estimatedSize).toBe(Math.round((est.profilesMatchedSoFar / est.profilesReadSoFar) * 80));
    expect(est.confidenceIntervalLow).toBeLessThanOrEqual(est.estimatedSize);
    expect(est.confidenceIntervalHigh).toBeGreaterThanOrEqual(est.estimatedSize);
    expect(est.confidenceInterval).toBe('95%');
    if (est.profilesMatchedSoFar > 0 && est.profilesMatchedSoFar < est.profilesReadSoFar) {
      expect(est.standardError).toBeGreaterThan(0);
    }
    for (;;) {
      const page = (await (await fetch(`${srv.url}/data/core/ups/preview/${previewId}`, { headers: srv.headers() })).json()) as PreviewPage;
      if (page.state === 'RESULT_READY') {
        expect(page.totalCount).toBe(c.count);
        expect(page.results.map((r) => r.primaryIdentity.id).sort()).toEqual(c.members);
        break;
      }
    }
  });
});
