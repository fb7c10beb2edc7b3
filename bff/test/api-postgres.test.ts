/**
 * The real server on PostgreSQL (SEG_ENGINE=postgres): previews and estimates, segment jobs,
 * inSegment, export jobs and a restart give exactly the DuckDB server's answers on the
 * conformance fixture — the conformance cases' expected members, and for exports the rows a
 * default (DuckDB) server writes. Running statements are cancelled on PostgreSQL (cancel(), the
 * query time limit), sampled estimates hold the true counts, and a secondary sandbox starts empty
 * and sees its ingested profiles. A PostgreSQL that cannot be reached is reported by /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeText } from '@seg/shared';
import { inexactEstimate, readCases, type ValidCase } from './support/conformance.js';
import { createDataset, downloadBatch, readBack, waitJob as waitExportJob, type Json } from './support/exports.js';
import { call, createDefinition, createJob, waitJob as waitSegmentJob, type Loose, type Reply } from './support/jobs.js';
import pg from 'pg';
import { BUCKETS, bucketCounts, estimateFromSample, estimateProgressively, type EstimateProgress } from '../src/engine/estimate.js';
import { postgresSandboxDb, sandboxPool, sandboxSchema } from '../src/engine/postgres/sandboxDb.js';
import { ensureMembershipTables } from '../src/jobs/membership.js';
import { isInterruptError } from '../src/engine/sandboxDb.js';
import { ApiError, toHttpError } from '../src/http/errors.js';
import { runWithTimeout } from '../src/http/limits.js';
import { usePostgres } from './support/postgres.js';
import { startTestServer, TEST_NOW, type TestServer } from './support/server.js';

const cases = readCases();
const postgres = usePostgres();
/** The rate limiter would slow the whole-corpus previews down; it is tested elsewhere. */
const NO_RATE_LIMIT = { SEG_RATE_LIMIT: '0' };
const SCHEMA = { name: '_xdm.context.profile' };
const TIMEOUT = 120_000;

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ env: { SEG_ENGINE: 'postgres', SEG_PG_URL: postgres.url(), ...NO_RATE_LIMIT } });
}, TIMEOUT);
afterAll(async () => {
  await srv?.stop();
});

function caseById(id: string): ValidCase {
  const c = cases.valid.find((v) => v.id === id);
  if (!c) throw new Error(`no conformance case ${id}`);
  return c;
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function healthz(server: TestServer): Promise<{ status: number; body: Loose; text: string }> {
  const res = await fetch(`${server.url}/healthz`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Loose, text };
}

/** Polls a GET under /data/core/ups until `done`; fails on a non-200 answer. */
async function poll(server: TestServer, path: string, done: (body: Loose) => boolean, sandbox = 'prod', timeoutMs = 60_000): Promise<Loose> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(server, 'GET', path, undefined, sandbox);
    expect(r.status, `${path}: ${r.text}`).toBe(200);
    if (done(r.body)) return r.body;
    if (Date.now() > deadline) throw new Error(`${path} still ${String(r.body.state)} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Creates a preview of `pql`; returns its id (the evaluation runs in the background). */
async function createPreview(server: TestServer, pql: string, sandbox = 'prod'): Promise<string> {
  const body = { predicateExpression: pql, predicateType: 'pql/text', predicateModel: '_xdm.context.profile' };
  const created = await call(server, 'POST', '/preview', body, sandbox);
  expect(created.status, `${pql}: ${created.text}`).toBe(201);
  return String(created.body.previewId);
}

/** Creates a preview of `pql`; returns its id once its results are ready (or it failed). */
async function startPreview(server: TestServer, pql: string, sandbox = 'prod'): Promise<{ id: string; state: string; error?: string }> {
  const id = await createPreview(server, pql, sandbox);
  const page = await poll(server, `/preview/${id}`, (b) => b.state === 'RESULT_READY' || b.state === 'FAILED', sandbox);
  return { id, state: String(page.state), ...(page.error ? { error: String(page.error.description) } : {}) };
}

/** Every member's primary id, following `links.next` (small pages, so paging is exercised too). */
async function pagedMembers(server: TestServer, previewId: string, sandbox = 'prod', limit = 25): Promise<string[]> {
  const ids: string[] = [];
  let path: string | undefined = `/preview/${previewId}?offset=0&limit=${limit}`;
  while (path) {
    const r: Reply<Loose> = await call(server, 'GET', path, undefined, sandbox);
    expect(r.status, r.text).toBe(200);
    for (const m of r.body.results as { primaryIdentity: { id: string } }[]) ids.push(m.primaryIdentity.id);
    // links.next is a full /data/core/ups/... path; `call` prefixes that itself
    const next: string = String(r.body.links?.next ?? '');
    path = next ? next.replace(/^\/data\/core\/ups/, '') : undefined;
    if (ids.length > 10_000) throw new Error('paging does not end');
  }
  return ids;
}

/** The members of a one-off preview of `pql` (sorted); the preview is deleted afterwards (per-sandbox cap). */
async function previewMembers(server: TestServer, pql: string, sandbox = 'prod'): Promise<string[]> {
  const p = await startPreview(server, pql, sandbox);
  try {
    expect(p.state, `${pql}: ${p.error ?? ''}`).toBe('RESULT_READY');
    return sorted(await pagedMembers(server, p.id, sandbox));
  } finally {
    await call(server, 'DELETE', `/preview/${p.id}`, undefined, sandbox);
  }
}

/** Runs `worker` over `items` with at most `concurrency` at a time (the machine is small). */
async function forEachLimited<T>(items: readonly T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const run = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await worker(item);
  };
  await Promise.all(Array.from({ length: concurrency }, run));
}

/** Creates one definition per case; returns case id → definition id. */
async function defineCases(server: TestServer, chosen: readonly ValidCase[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const c of chosen) ids.set(c.id, await createDefinition(server, `pg ${c.id}`, c.pql));
  return ids;
}

/** Runs `sql` on a connection of its own to the test's PostgreSQL (outside the server's pools). */
async function pgRows(sql: string, params: unknown[] = []): Promise<Loose[]> {
  const client = new pg.Client({ connectionString: postgres.url() });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Loose[];
  } finally {
    await client.end();
  }
}

/** Runs one segment job over `definitionIds` and expects it to succeed. */
async function runSegmentJob(server: TestServer, definitionIds: string[]): Promise<Loose> {
  const job = await waitSegmentJob(server, String((await createJob(server, definitionIds)).id));
  expect(job.status, JSON.stringify(job.errors)).toBe('SUCCEEDED');
  expect(job.errors).toEqual([]);
  return job;
}

describe('the server on PostgreSQL', () => {
  it('reports engine postgres in /healthz', async () => {
    const h = await healthz(srv);
    expect(h.status, h.text).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', engine: 'postgres' });
  });

  it('previews and estimates: every valid conformance case gives its expected members and exact count', async () => {
    const failures: string[] = [];
    await forEachLimited(cases.valid, 4, async (c) => {
      const p = await startPreview(srv, c.pql);
      try {
        if (p.state !== 'RESULT_READY') {
          failures.push(`${c.id} preview ${p.state}: ${p.error ?? ''} (${c.pql})`);
          return;
        }
        const members = await pagedMembers(srv, p.id);
        if (new Set(members).size !== members.length) failures.push(`${c.id}: a member appears twice`);
        const got = sorted(members);
        const want = sorted(c.members);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(`${c.id} members: expected ${want.length}, got ${got.length} (${c.pql})`);
        }
        // the fixture is small: the estimate reads every profile and is exact
        const est = await poll(srv, `/estimate/${p.id}`, (b) => b.state === 'RESULT_READY' || b.state === 'FAILED');
        const inexact = inexactEstimate(est, c.count);
        if (inexact) failures.push(`${c.id} estimate: ${inexact}`);
      } finally {
        await call(srv, 'DELETE', `/preview/${p.id}`); // previews are capped per sandbox
      }
    });
    expect(failures).toEqual([]);
  }, TIMEOUT);

  it('segment job: counts equal the conformance answers, inSegment reads them, a rerun finds them existing', async () => {
    // profile attributes, booleans, an and-chain, lists, an event aggregate, a date range,
    // a chain(), a chain with a profile condition, and nobody
    const chosen = ['v001', 'v025', 'v057', 'v076', 'v085', 'v131', 'v149', 'v155', 'v168'].map(caseById);
    const ids = await defineCases(srv, chosen);

    const first = await runSegmentJob(srv, [...ids.values()]);
    for (const c of chosen) {
      const id = ids.get(c.id)!;
      expect(first.metrics.segmentedProfileCounter[id], c.id).toBe(c.count);
      expect(first.metrics.segmentedProfileByStatusCounter[id], c.id).toEqual({ realized: c.count, existing: 0, exited: 0 });
    }

    // The membership rows are in the sandbox's PostgreSQL schema, not in a DuckDB file.
    const schema = sandboxSchema(srv.orgId, 'prod');
    const written = await pgRows(`SELECT segment_id, count(*)::int AS n FROM "${schema}".segment_membership WHERE job_id = $1 GROUP BY 1`, [
      String(first.id),
    ]);
    const bySegment = new Map(written.map((r) => [r.segment_id, r.n]));
    for (const c of chosen) expect(bySegment.get(ids.get(c.id)!) ?? 0, c.id).toBe(c.count);

    // The membership written to PostgreSQL is what inSegment reads in a preview.
    for (const c of chosen) {
      expect(await previewMembers(srv, `inSegment("${ids.get(c.id)!}")`), c.id).toEqual(sorted(c.members));
    }

    // Nothing changed: every member qualifies again and is 'existing', nobody realized or exited.
    const second = await runSegmentJob(srv, [...ids.values()]);
    for (const c of chosen) {
      const id = ids.get(c.id)!;
      expect(second.metrics.segmentedProfileCounter[id], c.id).toBe(c.count);
      expect(second.metrics.segmentedProfileByStatusCounter[id], c.id).toEqual({ realized: 0, existing: c.count, exited: 0 });
    }
  }, TIMEOUT);

  it('export job: a segment’s members, row for row the same as the DuckDB server’s export', async () => {
    // a profile condition and a chain over events: both engines' evaluation ends up in the rows
    const c = caseById('v155');
    expect(c.count).toBeGreaterThan(0);
    const onPostgres = await exportSegment(srv, c);
    expect(onPostgres.rows.map((r: Json) => r.primaryIdentity.id as string)).toEqual(sorted(c.members));

    const duck = await startTestServer({ env: NO_RATE_LIMIT });
    try {
      expect((await healthz(duck)).body).toMatchObject({ status: 'ok', engine: 'duckdb' });
      const onDuckDb = await exportSegment(duck, c);
      expect(onPostgres.columns).toEqual(onDuckDb.columns);
      expect(onPostgres.rows).toEqual(onDuckDb.rows);
    } finally {
      await duck.stop();
    }
  }, TIMEOUT);

  it('a restart (same state dir, same PostgreSQL) keeps the membership', async () => {
    const chosen = ['v056', 'v082'].map(caseById); // one profile condition, one event count
    const ids = await defineCases(srv, chosen);
    await runSegmentJob(srv, [...ids.values()]);
    srv = await srv.restart(); // a new object (url, token): keep it for afterAll's stop
    const h = await healthz(srv);
    expect(h.body, h.text).toMatchObject({ status: 'ok', engine: 'postgres' });
    for (const c of chosen) {
      expect(await previewMembers(srv, `inSegment("${ids.get(c.id)!}")`), c.id).toEqual(sorted(c.members));
    }
  }, TIMEOUT);
});

/**
 * Defines `c`, runs a segment job, then exports the definition's members from the stored
 * membership (every attribute, Parquet); returns the file's columns and its rows sorted by id.
 */
async function exportSegment(server: TestServer, c: ValidCase): Promise<{ columns: string[]; rows: Json[] }> {
  const segmentId = await createDefinition(server, `export ${c.id}`, c.pql);
  await runSegmentJob(server, [segmentId]);
  const datasetId = await createDataset(server, `export ${c.id}`);
  const created = await call(server, 'POST', '/export/jobs', { schema: SCHEMA, destination: { datasetId }, filter: { segments: [{ segmentId }] } });
  expect(created.status, created.text).toBe(200);
  const job = await waitExportJob(server, Number(created.body.id));
  expect(job.status, JSON.stringify(job.errors)).toBe('SUCCEEDED');
  expect(job.metrics.totalExportedProfileCounter).toBe(c.count);
  const files = await downloadBatch(server, String(job.destination.batchId));
  const { columns, rows } = await readBack(files['profiles.parquet']!);
  // The segment id differs between the two servers: name it the same in segmentMembership.
  const normalised = rows.map((r: Json) => JSON.parse(JSON.stringify(r).replaceAll(segmentId, '<segment>')) as Json);
  const id = (r: Json) => String(r.primaryIdentity.id);
  return { columns, rows: normalised.sort((a: Json, b: Json) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0)) };
}

/** Waits until `check` holds, polling; fails naming `what` after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('cancellation on PostgreSQL', () => {
  const SLEEP = 'SELECT pg_sleep(30)';
  /** Under the 30 s of the sleep: a test that passes was not waiting for it to end. */
  const UNDER_THE_SLEEP = 20_000;

  /** The sandbox pool's size (sandboxPool's default, as the data plane opens it). */
  const POOL_SIZE = 4;

  /** Backends running `sql` right now (asked outside the server's pool, which may be busy). */
  const running = async (sql: string): Promise<number> =>
    Number((await pgRows(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query = $1`, [sql]))[0]?.n);

  it('cancel() stops a running statement (pg_cancel_backend); the pool still answers afterwards', async () => {
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    expect(data.db.engine).toBe('postgres');
    const job = data.db.interruptible(SLEEP);
    const outcome = job.promise.then(
      () => 'pg_sleep(30) returned',
      (err: unknown) => err,
    );
    await sleep(200);
    await eventually('pg_sleep(30) running', async () => (await running(SLEEP)) === 1);
    job.cancel();

    const err = await outcome;
    expect(isInterruptError(err), String(err)).toBe(true);
    // PostgreSQL's own message: the statement was running and the server cancelled it
    expect(String(err)).toMatch(/canceling statement due to user request/);
    expect(await running(SLEEP)).toBe(0);
    // the connection went back to the pool in working order
    expect(await data.db.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await data.db.interruptible('SELECT count(*)::int AS n FROM profiles').promise).toEqual([{ n: 80 }]);
  }, UNDER_THE_SLEEP);

  it('cancels while every pooled connection is busy with the statements to cancel', async () => {
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    const jobs = Array.from({ length: POOL_SIZE }, () => data.db.interruptible(SLEEP));
    const outcomes = jobs.map((job) =>
      job.promise.then(
        () => 'pg_sleep(30) returned',
        (err: unknown) => err,
      ),
    );
    await eventually(`${POOL_SIZE} pg_sleep(30) running`, async () => (await running(SLEEP)) === POOL_SIZE);
    for (const job of jobs) job.cancel();
    for (const err of await Promise.all(outcomes)) expect(isInterruptError(err), String(err)).toBe(true);
    expect(await running(SLEEP)).toBe(0);
    expect(await data.db.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, UNDER_THE_SLEEP);

  it('runWithTimeout interrupts a statement past its limit: a 503 naming the limit, without the SQL', async () => {
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    const err = await runWithTimeout(data.db, 300, (t) => t.runner.all(SLEEP, [])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const http = toHttpError(err);
    expect(http.status).toBe(503);
    const body = JSON.stringify((http as ApiError).body());
    expect(body).toContain('300 ms');
    expect(body).toContain('SEG_QUERY_TIMEOUT_MS');
    expect(body).not.toMatch(/SELECT|pg_sleep/);
    expect(await running(SLEEP)).toBe(0);
    expect(await data.db.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, UNDER_THE_SLEEP);
});

/** Every estimate body of preview `id` seen while polling, until its state is no longer RUNNING. */
async function estimateUntilDone(server: TestServer, id: string, sandbox = 'prod'): Promise<Loose[]> {
  const seen: Loose[] = [];
  await poll(
    server,
    `/estimate/${id}`,
    (b) => {
      seen.push(b);
      return b.state !== 'RUNNING';
    },
    sandbox,
  );
  return seen;
}

describe('sampled estimates on PostgreSQL (SEG_ESTIMATE_SAMPLE_THRESHOLD=20 of 80 profiles)', () => {
  let sampled: TestServer;
  beforeAll(async () => {
    const env = { SEG_ENGINE: 'postgres', SEG_PG_URL: postgres.url(), SEG_ESTIMATE_SAMPLE_THRESHOLD: '20', ...NO_RATE_LIMIT };
    sampled = await startTestServer({ env }); // another organisation, so other schemas
  }, TIMEOUT);
  afterAll(async () => {
    await sampled?.stop();
  });

  it('every valid case: one sample, its 95% interval holding the true count for most cases; previews still list every member', async () => {
    const sampleSizes = new Set<number>();
    let covered = 0;
    await forEachLimited(cases.valid, 4, async (c) => {
      const id = await createPreview(sampled, c.pql);
      try {
        const seen = await estimateUntilDone(sampled, id);
        for (let i = 1; i < seen.length; i++) {
          expect(seen[i]!.profilesReadSoFar, c.id).toBeGreaterThanOrEqual(seen[i - 1]!.profilesReadSoFar);
          expect(seen[i]!.profilesMatchedSoFar, c.id).toBeGreaterThanOrEqual(seen[i - 1]!.profilesMatchedSoFar);
        }
        const est = seen.at(-1)!;
        expect(est, c.id).toMatchObject({ state: 'RESULT_READY', exact: false, totalRows: 80, confidenceInterval: '95%' });
        const read: number = est.numRowsToRead;
        const matched: number = est.profilesMatchedSoFar;
        expect(read, c.id).toBeGreaterThan(0);
        expect(read, c.id).toBeLessThan(80);
        expect(est.profilesReadSoFar, c.id).toBe(read);
        expect(est.sampleFraction, c.id).toBeCloseTo(read / 80);
        expect(est.estimatedSize, c.id).toBe(Math.round((matched / read) * 80));
        const { confidenceIntervalLow: low, confidenceIntervalHigh: high } = est;
        expect(low, c.id).toBeLessThanOrEqual(est.estimatedSize);
        expect(high, c.id).toBeGreaterThanOrEqual(est.estimatedSize);
        // certain bounds: the matched ones are in, the unmatched read ones are out
        expect(low, c.id).toBeGreaterThanOrEqual(matched);
        expect(high, c.id).toBeLessThanOrEqual(80 - (read - matched));
        sampleSizes.add(read);
        if (low <= c.count && c.count <= high) covered++;

        // the sample is the estimate's only: the members come from the full data
        await poll(sampled, `/preview/${id}`, (b) => b.state === 'RESULT_READY');
        expect(sorted(await pagedMembers(sampled, id, 'prod', 100)), c.id).toEqual(sorted(c.members));
      } finally {
        await call(sampled, 'DELETE', `/preview/${id}`);
      }
    });
    expect(sampleSizes.size).toBe(1); // the buckets are a fixed hash of the profile key
    // one fixed sample of ~20 of 80 profiles for all cases: coverage near 95%, never poor
    expect(covered / cases.valid.length).toBeGreaterThan(0.85);
  }, TIMEOUT);

  it('refines over rising steps of PostgreSQL’s bucket hash, ending on the whole sample', async () => {
    const data = await sampled.running.services.dataPlane.forSandbox(sampled.orgId, 'prod');
    expect(data.db.engine).toBe('postgres');
    const counts = await bucketCounts(data.target);
    expect(counts.length).toBe(BUCKETS);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(80); // the buckets partition the profiles
    const now = Date.parse(TEST_NOW);
    for (const c of cases.valid) {
      const analysed = analyzeText(c.pql, { schema: data.schema });
      expect(analysed.errors, c.id).toEqual([]);
      const steps: EstimateProgress[] = [];
      const final = await estimateProgressively(data.target, analysed.checked, { now, counts, threshold: 20, onProgress: (p) => steps.push(p) });
      expect(final.plan.full, c.id).toBe(false);
      expect(steps.length, c.id).toBe(final.plan.steps.length);
      for (let i = 1; i < steps.length; i++) {
        expect(steps[i]!.read, c.id).toBeGreaterThanOrEqual(steps[i - 1]!.read);
        expect(steps[i]!.matched, c.id).toBeGreaterThanOrEqual(steps[i - 1]!.matched);
      }
      expect(final.done, c.id).toBe(true);
      expect(final.read, c.id).toBe(final.plan.numRowsToRead);
      expect(final.figures, c.id).toEqual(estimateFromSample(80, final.read, final.matched));
    }
  }, TIMEOUT);
});

/** Ingests `files` (NDJSON) into `datasetId` as one batch (create, upload, COMPLETE); returns COMPLETE's answer. */
async function ingestBatch(server: TestServer, sandbox: string, datasetId: string, files: Record<string, string>): Promise<Loose> {
  const send = async (method: string, path: string, body: string, contentType = 'application/json'): Promise<Loose> => {
    const res = await fetch(`${server.url}/data/foundation/import${path}`, {
      method,
      headers: { ...server.headers(sandbox), 'content-type': contentType },
      body,
    });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return (text ? JSON.parse(text) : {}) as Loose;
  };
  const batch = await send('POST', '/batches', JSON.stringify({ datasetId, inputFormat: { format: 'json' } }));
  for (const [name, content] of Object.entries(files)) {
    await send('PUT', `/batches/${String(batch.id)}/datasets/${datasetId}/files/${name}`, content, 'application/octet-stream');
  }
  return send('POST', `/batches/${String(batch.id)}?action=COMPLETE`, '');
}

/** A preview's members (sorted) and final estimate; the preview is deleted afterwards. */
async function previewAndEstimate(server: TestServer, pql: string, sandbox: string): Promise<{ members: string[]; estimate: Loose }> {
  const p = await startPreview(server, pql, sandbox);
  try {
    expect(p.state, `${pql}: ${p.error ?? ''}`).toBe('RESULT_READY');
    const members = sorted(await pagedMembers(server, p.id, sandbox));
    const estimate = (await estimateUntilDone(server, p.id, sandbox)).at(-1)!;
    return { members, estimate };
  } finally {
    await call(server, 'DELETE', `/preview/${p.id}`, undefined, sandbox);
  }
}

describe('a secondary sandbox on PostgreSQL', () => {
  const DEV = 'dev1';
  const profile = (email: string, points: number) =>
    JSON.stringify({ identityMap: { Email: [{ id: email, primary: true }] }, person: { name: { firstName: email.split('@')[0] } }, loyalty: { points } });

  it('starts empty; profiles ingested by a batch are copied into its schema and previews and estimates see them', async () => {
    expect((await srv.createSandbox(DEV)).status).toBe(201);
    const schema = sandboxSchema(srv.orgId, DEV);

    const empty = await previewAndEstimate(srv, 'true', DEV);
    expect(empty.members).toEqual([]);
    expect(empty.estimate).toMatchObject({ state: 'RESULT_READY', totalRows: 0, estimatedSize: 0 });
    expect(await pgRows(`SELECT count(*)::int AS n FROM "${schema}".profiles`)).toEqual([{ n: 0 }]);

    const datasetId = await createDataset(srv, 'dev1 people', {}, DEV);
    const complete = await ingestBatch(srv, DEV, datasetId, {
      'people.ndjson': [profile('a@x.com', 10), profile('b@x.com', 200), profile('c@x.com', 500)].join('\n'),
    });
    expect(complete).toMatchObject({ status: 'success', kind: 'profiles', metrics: { profiles: 3 } });

    const everyone = await previewAndEstimate(srv, 'true', DEV);
    expect(everyone.members).toEqual(['a@x.com', 'b@x.com', 'c@x.com']);
    const big = await previewAndEstimate(srv, 'loyalty.points > 100', DEV);
    expect(big.members).toEqual(['b@x.com', 'c@x.com']);
    expect(big.estimate).toMatchObject({ state: 'RESULT_READY', exact: true, totalRows: 3, profilesReadSoFar: 3, estimatedSize: 2 });
    // the rows are in the sandbox's own PostgreSQL schema; prod is untouched
    expect(await pgRows(`SELECT count(*)::int AS n FROM "${schema}".profiles`)).toEqual([{ n: 3 }]);
    expect(await pgRows(`SELECT count(*)::int AS n FROM "${sandboxSchema(srv.orgId, 'prod')}".profiles`)).toEqual([{ n: 80 }]);
  }, TIMEOUT);
});

describe('membership tables on a fresh PostgreSQL schema', () => {
  it('are created once when many callers (and two databases on one schema) ask at the same time', async () => {
    const pools = [await sandboxPool(postgres.url(), 'seg_membership_race'), await sandboxPool(postgres.url(), 'seg_membership_race')];
    try {
      const dbs = pools.map((pool) => postgresSandboxDb(pool));
      const results = await Promise.allSettled([...dbs, ...dbs, ...dbs].map((db) => ensureMembershipTables(db)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const tables = await dbs[0]!.all(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'seg_membership_race'`);
      expect(Number(tables[0]!.n)).toBe(2);
    } finally {
      for (const pool of pools) await pool.end();
    }
  });
});

describe('a PostgreSQL that cannot be reached', () => {
  it('makes /healthz report failed, with a message naming PostgreSQL and no stack trace', async () => {
    const bad = await startTestServer({
      env: { SEG_ENGINE: 'postgres', SEG_PG_URL: 'postgresql://postgres@127.0.0.1:1/none' },
      waitReady: false,
    });
    try {
      const deadline = Date.now() + 60_000;
      let h = await healthz(bad);
      while (h.body.status !== 'failed' && Date.now() < deadline) {
        expect(h.body.status, h.text).not.toBe('ok');
        await sleep(100);
        h = await healthz(bad);
      }
      expect(h.status, h.text).toBe(503);
      expect(h.body.status, h.text).toBe('failed');
      const message = String(h.body.error ?? '');
      expect(message).toMatch(/PostgreSQL/);
      expect(message).not.toMatch(/\bat .+:\d+:\d+/); // no "at file:line:col" frames
    } finally {
      await bad.stop();
    }
  }, TIMEOUT);
});
