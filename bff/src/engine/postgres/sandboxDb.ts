/**
 * A sandbox's database in PostgreSQL: its own schema (profiles, events,
 * profile_identities, dataset_meta as engine/postgres/load.ts writes them,
 * and the membership tables of jobs/membership.ts), reached through a pool
 * whose sessions have that schema as their search_path — so the services'
 * and the compiler's unqualified table names resolve to the sandbox.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { guardedSession, InterruptedError, type Row, type SandboxDb, type SqlSession } from '../sandboxDb.js';
import type { Interruptible } from '../store.js';
import { postgresPool, postgresTarget } from './target.js';

/** Rows handed to a stream's consumer at a time. */
const STREAM_CHUNK = 2048;

/**
 * The schema of a sandbox: readable where the names allow, and a hash so
 * that any organisation and sandbox name maps to a distinct identifier
 * within PostgreSQL's 63 bytes.
 */
export function sandboxSchema(orgId: string, sandboxName: string): string {
  const readable = `${orgId}_${sandboxName}`.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 32);
  const hash = createHash('sha256').update(`${orgId}\u0000${sandboxName}`).digest('hex').slice(0, 12);
  return `seg_${readable}_${hash}`;
}

/** A pool whose sessions work in `schema` (created when missing). */
export async function sandboxPool(url: string, schema: string, max = 4): Promise<pg.Pool> {
  const admin = postgresPool(url, 1);
  try {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await admin.end();
  }
  return postgresPool(url, max, { searchPath: schema });
}

/**
 * Cancels the statement a backend is running, over a connection of its own:
 * the pool's may all be busy with the very queries to cancel.
 */
async function cancelBackend(pool: pg.Pool, pid: number): Promise<void> {
  const client = new pg.Client(pool.options);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // the statement ends on its own, or the server is gone: nothing left to cancel
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function postgresSandboxDb(pool: pg.Pool): SandboxDb {
  const target = postgresTarget(pool);
  const session = <T>(fn: (s: SqlSession) => Promise<T>): Interruptible<T> => {
    let client: pg.PoolClient | undefined;
    let cancelled = false;
    const promise = (async () => {
      const c = await pool.connect();
      client = c;
      let healthy = true;
      try {
        if (cancelled) throw new InterruptedError('cancelled before start');
        return await fn(
          guardedSession(
            {
              run: async (sql, params) => {
                await c.query(sql, params as unknown[] | undefined);
              },
              all: async (sql, params) => (await c.query(sql, params as unknown[] | undefined)).rows as Row[],
            },
            () => cancelled,
          ),
        );
      } catch (err) {
        // no transaction left open on a pooled connection
        await c.query('ROLLBACK').catch(() => {
          healthy = false;
        });
        throw err;
      } finally {
        client = undefined;
        c.release(!healthy);
      }
    })();
    return {
      promise,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        const pid = (client as unknown as { processID?: number } | undefined)?.processID;
        if (pid !== undefined) void cancelBackend(pool, pid);
      },
    };
  };
  return {
    engine: 'postgres',
    target,
    tempSchema: 'pg_temp',
    run: async (sql, params) => {
      await pool.query(sql, params as unknown[] | undefined);
    },
    all: async (sql, params) => (await pool.query(sql, params as unknown[] | undefined)).rows as Row[],
    session,
    interruptible: (sql, params) => session((s) => s.all(sql, params)),
    stream: (sql, params, onChunk) =>
      session(async (s) => {
        // node-postgres reads a result whole; hand it on in chunks all the same
        const rows = await s.all(sql, params);
        const names = rows.length ? Object.keys(rows[0]!) : [];
        for (let i = 0; i < rows.length; i += STREAM_CHUNK) {
          const slice = rows.slice(i, i + STREAM_CHUNK);
          onChunk(names.map((n) => slice.map((r) => r[n])));
        }
      }),
  };
}
