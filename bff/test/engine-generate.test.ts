import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDataset, resolveAnchor } from '../src/engine/generate.js';
import { main } from '../src/cli/generate.js';
import { DuckStore } from '../src/engine/store.js';
import { loadDataset } from '../src/engine/load.js';

const NOW = new Date('2026-06-15T12:00:00Z');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'seg-gen-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function sha(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity }))
    if (line) n++;
  return n;
}

describe('seg generate', () => {
  it('is deterministic for a seed and anchor', async () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    const c = join(tmp, 'c');
    await generateDataset({ profiles: 500, eventsPerProfile: 5, seed: 42, outDir: a, now: NOW });
    await generateDataset({ profiles: 500, eventsPerProfile: 5, seed: 42, outDir: b, now: NOW });
    await generateDataset({ profiles: 500, eventsPerProfile: 5, seed: 43, outDir: c, now: NOW });
    for (const f of ['profiles.ndjson', 'events.ndjson']) {
      expect(await sha(join(a, f))).toBe(await sha(join(b, f)));
      expect(await sha(join(a, f))).not.toBe(await sha(join(c, f)));
    }
  });

  it('streams 20,000 profiles, and the data loads with merges, orphans and fixture field names', async () => {
    const dir = join(tmp, 'big');
    const report = await generateDataset({
      profiles: 20000,
      eventsPerProfile: 10,
      seed: 7,
      outDir: dir,
      now: NOW,
    });
    expect(report.people).toBe(20000);
    expect(report.splitProfiles).toBeGreaterThan(100);
    expect(report.orphanVisitors).toBeGreaterThan(10);
    expect(await countLines(join(dir, 'profiles.ndjson'))).toBe(report.profileLines);
    expect(report.profileLines).toBe(20000 + report.splitProfiles);
    expect(await countLines(join(dir, 'events.ndjson'))).toBe(report.events);
    // skewed: mean near M, a long tail
    expect(report.events / 20000).toBeGreaterThan(7);
    expect(report.events / 20000).toBeLessThan(13);

    const store = await DuckStore.open(':memory:', { threads: 2 });
    try {
      const r = await loadDataset(store, dir);
      expect(r.counts).toMatchObject({
        profileRecords: report.profileLines,
        profilesFromRecords: 20000,
        fragmentsMerged: report.splitProfiles,
        events: report.events,
        orphanEvents: report.orphanEvents,
        orphanProfiles: report.orphanVisitors,
      });
      const p = r.schema.profile.fields;
      expect(Object.keys(p).sort()).toEqual(
        [
          'consents',
          'homeAddress',
          'identityMap',
          'interests',
          'loyalty',
          'mobilePhone',
          'person',
          'personalEmail',
          'preferences',
        ].sort(),
      );
      expect(p.loyalty).toEqual({
        kind: 'object',
        fields: {
          points: { kind: 'int' },
          tier: { kind: 'string' },
          lifetimeValue: { kind: 'double' },
        },
      });
      const person = p.person as { fields: Record<string, unknown> };
      expect(person.fields.birthDate).toEqual({ kind: 'date' });
      const e = r.schema.event.fields;
      for (const f of [
        '_id',
        'timestamp',
        'eventType',
        'web',
        'productListItems',
        'commerce',
        'channel',
        'application',
      ])
        expect(e[f], f).toBeDefined();
      // Same event field types as the conformance fixture
      const fixture = await DuckStore.open(':memory:');
      try {
        const fx = await loadDataset(
          fixture,
          new URL('../../../shared/conformance/', import.meta.url).pathname,
        );
        expect(e.productListItems).toEqual(fx.schema.event.fields.productListItems);
        expect(e.web).toEqual(fx.schema.event.fields.web);
        expect(e.channel).toEqual(fx.schema.event.fields.channel);
        expect(e.application).toEqual(fx.schema.event.fields.application);
        expect(p.person).toEqual(fx.schema.profile.fields.person);
      } finally {
        fixture.close();
      }
      const [span] = await store.query(
        `SELECT min(ts)::VARCHAR AS lo, max(ts)::VARCHAR AS hi FROM events`,
      );
      expect(String(span!.hi) < '2026-06-15 12:00:00').toBe(true);
      expect(String(span!.lo) >= '2024-06-15').toBe(true);
      const [types] = await store.query(`SELECT count(DISTINCT attrs.eventType) AS n FROM events`);
      expect(types!.n).toBe('6');
    } finally {
      store.close();
    }
  }, 120_000);

  it('CLI: usage errors exit 2, --help exits 0, a run prints the anchor', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main([])).toBe(2);
      expect(await main(['--profiles', 'ten', '--out', tmp])).toBe(2);
      expect(await main(['--profiles', '10'])).toBe(2);
      expect(await main(['--bogus'])).toBe(2);
      expect(await main(['--help'])).toBe(0);
      const prev = process.env.SEG_NOW;
      process.env.SEG_NOW = '2026-06-15T12:00:00Z';
      try {
        expect(
          await main([
            '--profiles',
            '20',
            '--events-per-profile',
            '3',
            '--seed',
            '9',
            '--out',
            join(tmp, 'cli'),
          ]),
        ).toBe(0);
      } finally {
        if (prev === undefined) delete process.env.SEG_NOW;
        else process.env.SEG_NOW = prev;
      }
      expect(log.mock.calls.flat().join('\n')).toMatch(
        /anchor \(SEG_NOW\): 2026-06-15T12:00:00.000Z/,
      );
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  });

  it('anchors at SEG_NOW, else today 00:00 UTC', () => {
    expect(resolveAnchor({ SEG_NOW: '2026-06-15T12:00:00Z' }).toISOString()).toBe(
      '2026-06-15T12:00:00.000Z',
    );
    expect(resolveAnchor({}).toISOString()).toMatch(/T00:00:00.000Z$/);
    expect(() => resolveAnchor({ SEG_NOW: 'nope' })).toThrow(/SEG_NOW/);
  });
});
