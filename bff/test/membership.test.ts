/**
 * Membership statuses across runs on changed data: a copy of the conformance dataset, a first job,
 * then the profiles file rewritten (some gold members lose the tier, some others gain it), the
 * server started again on the same state with a later SEG_NOW (the data plane reloads the changed
 * source), a second job: realized / existing / exited against the first run, qualification time
 * kept for existing members and set to the second run's instant for new ones.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureMembershipTables, membersSql } from '../src/jobs/membership.js';
import { createDefinition, createJob, waitJob } from './support/jobs.js';
import { CONFORMANCE_DIR, startTestServer, type TestServer } from './support/server.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

async function rows(srv: TestServer, segmentId: string) {
  const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
  await ensureMembershipTables(data.db);
  const { sql, params } = membersSql({ segmentIds: [segmentId] });
  const r = await data.db.all(`SELECT primary_id, status, strftime(qualification_time, '%Y-%m-%dT%H:%M:%SZ') AS qt, pk FROM (${sql}) ORDER BY primary_id`, params);
  return new Map(r.map((x) => [String(x.primary_id), { status: String(x.status), qt: String(x.qt), pk: x.pk }]));
}

describe('membership across two runs on changed data', () => {
  it('realized, existing and exited against the previous successful run', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'seg-memb-data-'));
    const stateDir = mkdtempSync(path.join(tmpdir(), 'seg-memb-state-'));
    temps.push(dataDir, stateDir);
    cpSync(CONFORMANCE_DIR, dataDir, { recursive: true });
    let srv = await startTestServer({ dataDir, stateDir, env: { SEG_NOW: '2026-06-15T12:00:00Z' } });
    const gold = await createDefinition(srv, 'Gold', 'loyalty.tier = "gold"');
    const run1 = await waitJob(srv, (await createJob(srv, [gold])).id);
    expect(run1.status).toBe('SUCCEEDED');
    const before = await rows(srv, gold);
    expect(before.size).toBeGreaterThan(2);
    await srv.stop();

    // rewrite: the first two gold members lose gold; two non-gold profiles with a tier gain it
    const file = path.join(dataDir, 'profiles.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n');
    const losers: string[] = [];
    const gainers: string[] = [];
    const primaryOf = (p: { identityMap: Record<string, { id: string; primary?: boolean }[]> }) =>
      Object.values(p.identityMap).flat().find((i) => i.primary)?.id;
    const out = lines.map((line) => {
      if (!line.trim()) return line;
      const p = JSON.parse(line) as { identityMap: Record<string, { id: string; primary?: boolean }[]>; loyalty?: { tier?: string } };
      const id = primaryOf(p);
      if (!id) return line;
      if (before.has(id) && losers.length < 2 && p.loyalty?.tier === 'gold') {
        losers.push(id);
        p.loyalty.tier = 'silver';
        return JSON.stringify(p);
      }
      if (!before.has(id) && gainers.length < 2 && p.loyalty && typeof p.loyalty.tier === 'string') {
        gainers.push(id);
        p.loyalty.tier = 'gold';
        return JSON.stringify(p);
      }
      return line;
    });
    expect(losers).toHaveLength(2);
    expect(gainers).toHaveLength(2);
    writeFileSync(file, out.join('\n'));

    srv = await startTestServer({ dataDir, stateDir, env: { SEG_NOW: '2026-06-16T12:00:00Z' }, keepState: true });
    try {
      const run2 = await waitJob(srv, (await createJob(srv, [gold])).id);
      expect(run2.status).toBe('SUCCEEDED');
      const after = await rows(srv, gold);
      const expectExisting = before.size - losers.length;
      expect(run2.metrics.segmentedProfileByStatusCounter[gold]).toEqual({ realized: gainers.length, existing: expectExisting, exited: losers.length });
      expect(run2.metrics.segmentedProfileCounter[gold]).toBe(gainers.length + expectExisting);
      for (const id of gainers) expect(after.get(id)).toMatchObject({ status: 'realized', qt: '2026-06-16T12:00:00Z' });
      for (const id of losers) expect(after.get(id)).toMatchObject({ status: 'exited', qt: '2026-06-15T12:00:00Z' });
      for (const id of before.keys()) if (!losers.includes(id)) expect(after.get(id)).toMatchObject({ status: 'existing', qt: '2026-06-15T12:00:00Z' });

      // a third run: the exited ones are gone (exited lasts one run), the realized ones are existing
      const run3 = await waitJob(srv, (await createJob(srv, [gold])).id);
      expect(run3.metrics.segmentedProfileByStatusCounter[gold]).toEqual({ realized: 0, existing: gainers.length + expectExisting, exited: 0 });
      const third = await rows(srv, gold);
      for (const id of losers) expect(third.has(id)).toBe(false);
      for (const id of gainers) expect(third.get(id)).toMatchObject({ status: 'existing', qt: '2026-06-16T12:00:00Z' });

      // status and qualification-time filters of membersSql
      const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
      const q = membersSql({ segmentIds: [gold], statuses: ['existing'], from: Date.parse('2026-06-16T00:00:00Z') });
      const newer = await data.store.query(`SELECT primary_id FROM (${q.sql}) ORDER BY 1`, q.params);
      expect(newer.map((r) => String(r.primary_id))).toEqual([...gainers].sort());
    } finally {
      await srv.stop();
    }
  });
});
