import { describe, expect, it } from 'vitest';
import { DuckStore, isInterruptError } from '../src/engine/store.js';

describe('DuckStore', () => {
  it('runs concurrent queries on separate connections and reuses them', async () => {
    const store = await DuckStore.open(':memory:', { threads: 2 });
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) => store.query(`SELECT $1::INTEGER * 2 AS v`, [n])),
      );
      expect(results.map((r) => r[0]!.v)).toEqual([2, 4, 6, 8]);
      const [tz] = await store.query(`SELECT current_setting('TimeZone') AS tz`);
      expect(tz!.tz).toBe('UTC');
    } finally {
      store.close();
    }
  });

  it('cancels an interruptible query and keeps working', async () => {
    const store = await DuckStore.open(':memory:', { threads: 2 });
    try {
      const q = store.interruptible(
        `SELECT count(*) FROM range(100000000000) t(a) WHERE a % 7 = 3`,
      );
      setTimeout(() => q.cancel(), 200);
      const err = await q.promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isInterruptError(err)).toBe(true);
      expect((await store.query(`SELECT 42 AS x`))[0]!.x).toBe(42);
    } finally {
      store.close();
    }
  });

  it('rolls back a transaction left open by a failing unit of work', async () => {
    const store = await DuckStore.open(':memory:', { maxIdle: 1 });
    try {
      await store.run(`CREATE TABLE t (x INTEGER)`);
      await expect(
        store.withConnection(async (conn) => {
          await conn.run('BEGIN');
          await conn.run('INSERT INTO t VALUES (1)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await store.query(`SELECT count(*)::INTEGER AS n FROM t`))[0]!.n).toBe(0);
      expect(await store.tableExists('t')).toBe(true);
    } finally {
      store.close();
    }
  });
});
