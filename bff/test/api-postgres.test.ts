/**
 * The real server on PostgreSQL (SEG_ENGINE=postgres): previews and estimates, segment jobs,
 * inSegment, export jobs and a restart give exactly the DuckDB server's answers on the
 * conformance fixture — the conformance cases' expected members, and for exports the rows a
 * default (DuckDB) server writes. A PostgreSQL that cannot be reached is reported by /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCases, type ValidCase } from './support/conformance.js';
import { createDataset, downloadBatch, readBack, waitJob as waitExportJob, type Json } from './support/exports.js';
import { call, createDefinition, createJob, waitJob as waitSegmentJob, type Loose, type Reply } from './support/jobs.js';
import pg from 'pg';
import { sandboxSchema } from '../src/engine/postgres/sandboxDb.js';
import { usePostgres } from './support/postgres.js';
import { startTestServer, type TestServer } from './support/server.js';

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
async function poll(server: TestServer, path: string, done: (body: Loose) => boolean, timeoutMs = 60_000): Promise<Loose> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(server, 'GET', path);
    expect(r.status, `${path}: ${r.text}`).toBe(200);
    if (done(r.body)) return r.body;
    if (Date.now() > deadline) throw new Error(`${path} still ${String(r.body.state)} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Creates a preview of `pql`; returns its id once its results are ready (or it failed). */
async function startPreview(server: TestServer, pql: string): Promise<{ id: string; state: string; error?: string }> {
  const created = await call(server, 'POST', '/preview', { predicateExpression: pql, predicateType: 'pql/text', predicateModel: '_xdm.context.profile' });
  expect(created.status, `${pql}: ${created.text}`).toBe(201);
  const id = String(created.body.previewId);
  const page = await poll(server, `/preview/${id}`, (b) => b.state === 'RESULT_READY' || b.state === 'FAILED');
  return { id, state: String(page.state), ...(page.error ? { error: String(page.error.description) } : {}) };
}

/** Every member's primary id, following `links.next` (small pages, so paging is exercised too). */
async function pagedMembers(server: TestServer, previewId: string, limit = 25): Promise<string[]> {
  const ids: string[] = [];
  let path: string | undefined = `/preview/${previewId}?offset=0&limit=${limit}`;
  while (path) {
    const r: Reply<Loose> = await call(server, 'GET', path);
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
async function previewMembers(server: TestServer, pql: string): Promise<string[]> {
  const p = await startPreview(server, pql);
  try {
    expect(p.state, `${pql}: ${p.error ?? ''}`).toBe('RESULT_READY');
    return sorted(await pagedMembers(server, p.id));
  } finally {
    await call(server, 'DELETE', `/preview/${p.id}`);
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
        // The fixture has 80 profiles, so the estimate reads them all and is exact (as in previews.test.ts).
        const est = await poll(srv, `/estimate/${p.id}`, (b) => b.state === 'RESULT_READY' || b.state === 'FAILED');
        const wantEst = {
          state: 'RESULT_READY',
          estimatedSize: c.count,
          profilesMatchedSoFar: c.count,
          confidenceIntervalLow: c.count,
          confidenceIntervalHigh: c.count,
          standardError: 0,
          exact: true,
          totalRows: 80,
          numRowsToRead: 80,
          profilesReadSoFar: 80,
          confidenceInterval: '95%',
        };
        const gotEst = Object.fromEntries(Object.keys(wantEst).map((k) => [k, est[k]]));
        if (JSON.stringify(gotEst) !== JSON.stringify(wantEst)) {
          failures.push(`${c.id} estimate: ${JSON.stringify(gotEst)} ≠ ${JSON.stringify(wantEst)}`);
        }
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
    const client = new pg.Client({ connectionString: postgres.url() });
    await client.connect();
    try {
      const schema = sandboxSchema(srv.orgId, 'prod');
      const written = await client.query(`SELECT segment_id, count(*)::int AS n FROM "${schema}".segment_membership WHERE job_id = $1 GROUP BY 1`, [
        String(first.id),
      ]);
      const bySegment = new Map(written.rows.map((r: { segment_id: string; n: number }) => [r.segment_id, r.n]));
      for (const c of chosen) expect(bySegment.get(ids.get(c.id)!) ?? 0, c.id).toBe(c.count);
    } finally {
      await client.end();
    }

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
