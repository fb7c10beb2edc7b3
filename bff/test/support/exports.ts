/** Helpers of the export/dataset tests: API calls, polling, reading files back with DuckDB. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckStore } from '../../src/engine/store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Api {
  url: string;
  headers(sandbox?: string): Record<string, string>;
}

export async function call(api: Api, method: string, p: string, body?: unknown, sandbox = 'prod'): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${api.url}${p}`, {
    method,
    headers: api.headers(sandbox),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Json = text;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const UPS = '/data/core/ups';
export const CATALOG = '/data/foundation/catalog';
export const ACCESS = '/data/foundation/export';

export async function createDataset(api: Api, name: string, extra: Record<string, unknown> = {}, sandbox = 'prod'): Promise<string> {
  const r = await call(api, 'POST', `${CATALOG}/dataSets`, { name, schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile__union', contentType: 'application/vnd.adobe.xed-full+json;version=1' }, ...extra }, sandbox);
  if (r.status !== 201) throw new Error(`dataset create: ${r.status} ${JSON.stringify(r.body)}`);
  return String((r.body as string[])[0]).replace('@/dataSets/', '');
}

export async function waitJob(api: Api, id: number, sandbox = 'prod', timeoutMs = 60_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(api, 'GET', `${UPS}/export/jobs/${id}`, undefined, sandbox);
    if (r.status !== 200) throw new Error(`job get: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.body.status === 'SUCCEEDED' || r.body.status === 'FAILED') return r.body;
    if (Date.now() > deadline) throw new Error(`export job ${id} still ${r.body.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Downloads every file of a batch into a temp dir; returns {name → local path}. */
export async function downloadBatch(api: Api, batchId: string, sandbox = 'prod'): Promise<Record<string, string>> {
  const files = await call(api, 'GET', `${ACCESS}/batches/${batchId}/files`, undefined, sandbox);
  if (files.status !== 200) throw new Error(`batch files: ${files.status}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'seg-dl-'));
  const out: Record<string, string> = {};
  for (const f of files.body.data as Json[]) {
    const res = await fetch(`${api.url}${f._links.self.href}`, { headers: api.headers(sandbox) });
    if (res.status !== 200) throw new Error(`download ${f.dataSetFileId}: ${res.status}`);
    const p = path.join(dir, f.name as string);
    writeFileSync(p, Buffer.from(await res.arrayBuffer()));
    out[f.name as string] = p;
  }
  return out;
}

/** Reads a file with DuckDB (read_parquet / read_json / read_csv) → rows as JSON objects. */
export async function readBack(file: string): Promise<{ rows: Json[]; columns: string[] }> {
  const store = await DuckStore.open(':memory:');
  try {
    const fn = file.endsWith('.parquet') ? 'read_parquet' : file.endsWith('.csv') ? 'read_csv' : 'read_json';
    const opts = fn === 'read_csv' ? ', header = true, all_varchar = true' : fn === 'read_json' ? ", format = 'newline_delimited'" : '';
    const res = await store.withConnection((c) => c.runAndReadAll(`SELECT * FROM ${fn}('${file.replace(/'/g, "''")}'${opts})`));
    return { rows: res.getRowObjectsJson(), columns: res.columnNames() };
  } finally {
    store.close();
  }
}
