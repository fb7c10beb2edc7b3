/**
 * Limits: body size (413), requests per client per second (429 + Retry-After), query timeout
 * (the DuckDB query is interrupted; 503 with a clear message, no SQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countMembers } from '../src/engine/evaluate.js';
import { toHttpError } from '../src/http/errors.js';
import { QueryCancelledError, runWithTimeout, withTimeout } from '../src/http/limits.js';
import { checkText } from '@seg/shared';
import { startTestServer, type TestServer } from './support/server.js';

const SANDBOXES = '/data/foundation/sandbox-management/sandboxes';
const SLOW_SQL = 'SELECT count(*) AS n FROM range(0, 2000000000) a, range(0, 10) b WHERE a.range * b.range % 7 = 3';

describe('limits', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { SEG_RATE_LIMIT: '5', SEG_BODY_LIMIT: '1kb', SEG_QUERY_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('413 PayloadTooLargeError for a body over SEG_BODY_LIMIT', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // fresh rate bucket
    const res = await fetch(`${srv.url}${SANDBOXES}`, {
      method: 'POST',
      headers: srv.headers(),
      body: JSON.stringify({ name: 'big', title: 'x'.repeat(5000), type: 'development' }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      type: 'urn:seg:errors:payload-too-large',
      status: 413,
      title: 'PayloadTooLargeError',
      detail: 'The request body is larger than the limit.',
    });
  });

  it('429 with Retry-After beyond SEG_RATE_LIMIT requests per second per client', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${srv.url}${SANDBOXES}`, { headers: srv.headers() });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
      else await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited!.json()).toMatchObject({ status: 429, title: 'TooManyRequestsError' });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(`${srv.url}${SANDBOXES}`, { headers: srv.headers() })).status).toBe(200);
  });

  it('withTimeout interrupts a running DuckDB query and answers 503 without SQL', async () => {
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    // the slow query would otherwise return rows: an error naming the limit means it was interrupted
    const err = await withTimeout(data.store.interruptible(SLOW_SQL), 300).catch((e: unknown) => e);
    const http = toHttpError(err);
    expect(http.status).toBe(503);
    const body = JSON.stringify((http as { body(): unknown }).body());
    expect(body).toContain('300 ms');
    expect(body).not.toMatch(/SELECT|range\(/);
    // the store still works afterwards
    expect(await data.store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('runWithTimeout runs engine functions interruptibly, and a signal cancels', async () => {
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    const checked = checkText('true', { schema: data.schema });
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const n = await runWithTimeout(data.db, 5000, (t) => countMembers(t, checked, { now: srv.running.services.now() }));
    expect(n).toBe(data.profileCount);

    const ac = new AbortController();
    const p = runWithTimeout(data.db, 60_000, (t) => t.runner.all(SLOW_SQL, []), { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' }); // signal.reason is rethrown

    const reason = new QueryCancelledError();
    const ac2 = new AbortController();
    const p2 = withTimeout(data.store.interruptible(SLOW_SQL), 60_000, { signal: ac2.signal });
    setTimeout(() => ac2.abort(reason), 100);
    await expect(p2).rejects.toBe(reason);
  });
});
