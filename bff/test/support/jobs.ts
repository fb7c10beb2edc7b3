/** Helpers for the segment-job and schedule tests: API calls, definitions, waiting for a job. */
import { expect } from 'vitest';
import type { TestServer } from './server.js';

export const UPS = '/data/core/ups';

/** Response bodies are read loosely in these tests (the schemas are checked by openapi tests). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
}

export async function call<T = Loose>(srv: TestServer, method: string, path: string, body?: unknown, sandbox = 'prod'): Promise<Reply<T>> {
  const res = await fetch(`${srv.url}${UPS}${path}`, {
    method,
    headers: srv.headers(sandbox),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed as T, text };
}

export async function createDefinition(srv: TestServer, name: string, pql: string, sandbox = 'prod'): Promise<string> {
  const r = await call(srv, 'POST', '/segment/definitions', { name, schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/text', value: pql } }, sandbox);
  expect(r.status, r.text).toBe(200);
  return String(r.body.id);
}

export async function createJob(srv: TestServer, ids: string[] | '*', sandbox = 'prod'): Promise<Loose> {
  const body = ids === '*' ? { schema: { name: '_xdm.context.profile' }, segments: [{ segmentId: '*' }] } : ids.map((segmentId) => ({ segmentId }));
  const r = await call(srv, 'POST', '/segment/jobs', body, sandbox);
  expect(r.status, r.text).toBe(200);
  return r.body;
}

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export async function waitJob(srv: TestServer, id: string, sandbox = 'prod', until: (j: Loose) => boolean = (j) => TERMINAL.includes(j.status), timeoutMs = 60_000): Promise<Loose> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(srv, 'GET', `/segment/jobs/${id}`, undefined, sandbox);
    expect(r.status, r.text).toBe(200);
    if (until(r.body)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${r.body.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
