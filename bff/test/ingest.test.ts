/**
 * Batch ingestion (/data/foundation/import): create a batch, upload NDJSON files, COMPLETE; the
 * sandbox's data (profile count, schema, estimates) changes; a bad file fails with the file and
 * line at fault and nothing is ingested; Parquet files; size limit; the prod base data is kept.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { recoverCurrent } from '../src/data/ingest.js';

let srv: TestServer;
const SB = 'ingest-dev';

const profile = (email: string, points: number) =>
  JSON.stringify({
    identityMap: { Email: [{ id: email, primary: true }] },
    person: { name: { firstName: email.split('@')[0] } },
    loyalty: { points },
  });

async function call(method: string, url: string, body?: unknown, sandbox = SB, raw?: Buffer | string) {
  const headers: Record<string, string> = { ...srv.headers(sandbox) };
  if (raw !== undefined) headers['content-type'] = 'application/octet-stream';
  const res = await fetch(`${srv.url}${url}`, {
    method,
    headers,
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json as Record<string, unknown> };
}

async function dataset(name: string, sandbox = SB, schemaId?: string): Promise<string> {
  const r = await call('POST', '/data/foundation/catalog/dataSets', { name, ...(schemaId ? { schemaRef: { id: schemaId } } : {}) }, sandbox);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return String((r.body as unknown as string[])[0]).replace('@/dataSets/', '');
}

async function ingest(datasetId: string, files: Record<string, string | Buffer>, format: 'json' | 'parquet' = 'json', sandbox = SB) {
  const b = await call('POST', '/data/foundation/import/batches', { datasetId, inputFormat: { format } }, sandbox);
  expect(b.status, JSON.stringify(b.body)).toBe(201);
  const id = String(b.body.id);
  for (const [name, content] of Object.entries(files)) {
    const u = await call('PUT', `/data/foundation/import/batches/${id}/datasets/${datasetId}/files/${name}`, undefined, sandbox, content);
    expect(u.status, JSON.stringify(u.body)).toBe(200);
  }
  const c = await call('POST', `/data/foundation/import/batches/${id}?action=COMPLETE`, undefined, sandbox);
  return { id, complete: c };
}

const count = async (sandbox = SB) => (await srv.running.services.dataPlane.forSandbox(srv.orgId, sandbox)).profileCount;

beforeAll(async () => {
  srv = await startTestServer({ env: { SEG_INGEST_MAX_BYTES: '200000' } });
  expect((await srv.createSandbox(SB)).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await srv?.stop();
});

describe('batch ingestion', () => {
  it('loads NDJSON profiles into an empty sandbox, then appends a second batch', async () => {
    expect(await count()).toBe(0);
    const ds = await dataset('people');
    const first = await ingest(ds, { 'a.ndjson': `${profile('a@x.com', 10)}\n${profile('b@x.com', 200)}\n` });
    expect(first.complete.status, JSON.stringify(first.complete.body)).toBe(200);
    expect(first.complete.body).toMatchObject({ status: 'success', kind: 'profiles', metrics: { profiles: 2, inputFileCount: 1 } });
    expect(await count()).toBe(2);
    const schema = await call('GET', '/api/schema');
    expect(JSON.stringify(schema.body)).toContain('points');

    const second = await ingest(ds, { 'b.ndjson': profile('c@x.com', 500), 'c.ndjson': profile('d@x.com', 5) });
    expect(second.complete.status, JSON.stringify(second.complete.body)).toBe(200);
    expect(await count()).toBe(4);
    const got = await call('GET', `/data/foundation/import/batches/${second.id}`);
    expect(got.body.status).toBe('success');
    const list = await call('GET', '/data/foundation/import/batches');
    expect((list.body.batches as { id: string }[]).map((b) => b.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    const summary = await call('GET', '/data/foundation/import/summary');
    expect(summary.body).toMatchObject({ sandboxName: SB, profiles: 4, events: 0 });
  });

  it('rejects a bad file with the file and line at fault, and ingests nothing', async () => {
    const ds = await dataset('bad people');
    const before = await count();
    const r = await ingest(ds, { 'good.ndjson': profile('e@x.com', 1), 'broken.ndjson': `${profile('f@x.com', 1)}\n{"identityMap": oops}\n` });
    expect(r.complete.status).toBe(400);
    expect(String(r.complete.body.detail)).toMatch(/broken\.ndjson:2/);
    expect(String(r.complete.body.detail)).toMatch(/nothing was ingested/);
    expect(await count()).toBe(before);
    const got = await call('GET', `/data/foundation/import/batches/${r.id}`);
    expect(got.body.status).toBe('failed');
    // a later good batch still works from the data before the failure
    const ok = await ingest(ds, { 'ok.ndjson': profile('g@x.com', 1) });
    expect(ok.complete.status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  it('ingests events into an ExperienceEvent dataset, and Parquet files', async () => {
    const ev = await dataset('events', SB, 'https://ns.adobe.com/xdm/context/experienceevent');
    const e = await ingest(ev, {
      'ev.ndjson': JSON.stringify({ _id: 'e1', timestamp: '2026-06-01T10:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'a@x.com', primary: true }] } }),
    });
    expect(e.complete.status, JSON.stringify(e.complete.body)).toBe(200);
    expect(e.complete.body).toMatchObject({ kind: 'events', metrics: { events: 1 } });

    // a Parquet file written by DuckDB
    const dir = mkdtempSync(path.join(tmpdir(), 'ingest-pq-'));
    try {
      const nd = path.join(dir, 'p.ndjson');
      const pq = path.join(dir, 'p.parquet');
      const { DuckStore } = await import('../src/engine/store.js');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(nd, `${profile('pq1@x.com', 7)}\n${profile('pq2@x.com', 8)}\n`);
      const st = await DuckStore.open(':memory:');
      await st.run(`COPY (SELECT * FROM read_json('${nd}')) TO '${pq}' (FORMAT parquet)`);
      st.close();
      const before = await count();
      const ds = await dataset('parquet people');
      const r = await ingest(ds, { 'p.parquet': readFileSync(pq) }, 'parquet');
      expect(r.complete.status, JSON.stringify(r.complete.body)).toBe(200);
      expect(await count()).toBe(before + 2);
      // a JSON file in a parquet batch is refused at upload
      const b = await call('POST', '/data/foundation/import/batches', { datasetId: ds, inputFormat: { format: 'parquet' } });
      const u = await call('PUT', `/data/foundation/import/batches/${b.body.id}/datasets/${ds}/files/x.parquet`, undefined, SB, profile('z@x.com', 1));
      expect(u.status).toBe(400);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('limits the file size, checks names and the dataset', async () => {
    const ds = await dataset('limits');
    const b = await call('POST', '/data/foundation/import/batches', { datasetId: ds, inputFormat: { format: 'json' } });
    const id = String(b.body.id);
    const big = await call('PUT', `/data/foundation/import/batches/${id}/datasets/${ds}/files/big.ndjson`, undefined, SB, Buffer.alloc(300_000, 32));
    expect(big.status).toBe(413);
    const badName = await call('PUT', `/data/foundation/import/batches/${id}/datasets/${ds}/files/..evil`, undefined, SB, 'x');
    expect(badName.status).toBe(400);
    const empty = await call('POST', `/data/foundation/import/batches/${id}?action=COMPLETE`);
    expect(empty.status).toBe(400);
    expect((await call('POST', `/data/foundation/import/batches/${id}?action=ABORT`)).body.status).toBe('aborted');
    expect((await call('POST', '/data/foundation/import/batches', { datasetId: 'nope', inputFormat: { format: 'json' } })).status).toBe(404);
    expect((await call('GET', '/data/foundation/import/batches/unknown-batch')).status).toBe(404);
  });

  it('into prod: the server dataset is the base, and estimates see the new profile', async () => {
    const before = await count('prod');
    const ds = await dataset('prod people', 'prod');
    const r = await ingest(ds, { 'new.ndjson': profile('zz.new@example.com', 987654) }, 'json', 'prod');
    expect(r.complete.status, JSON.stringify(r.complete.body)).toBe(200);
    expect(await count('prod')).toBe(before + 1);
  });
});

describe('a COMPLETE cut short (server killed mid-swap)', () => {
  it('puts the previous dataset back when current is missing, and clears leftovers', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'seg-ingest-recover-'));
    try {
      // killed between "current → .old-b1" and "staging → current"
      mkdirSync(path.join(root, '.old-b1'));
      writeFileSync(path.join(root, '.old-b1', 'profiles.ndjson'), '{"a":1}\n');
      mkdirSync(path.join(root, '.staging-b1'));
      await recoverCurrent(root);
      expect(readFileSync(path.join(root, 'current', 'profiles.ndjson'), 'utf8')).toBe('{"a":1}\n');
      expect(readdirSync(root)).toEqual(['current']);

      // killed after the swap, before the old copy was removed: current stays
      mkdirSync(path.join(root, '.old-b2'));
      writeFileSync(path.join(root, '.old-b2', 'profiles.ndjson'), 'older\n');
      await recoverCurrent(root);
      expect(readFileSync(path.join(root, 'current', 'profiles.ndjson'), 'utf8')).toBe('{"a":1}\n');
      expect(readdirSync(root)).toEqual(['current']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
