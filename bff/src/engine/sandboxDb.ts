/**
 * One sandbox's database as the server's services use it — previews and
 * estimates, segment jobs and their membership tables, export member
 * selection — whichever engine holds it: a DuckDB file (the default) or a
 * PostgreSQL schema (SEG_ENGINE=postgres, engine/postgres/sandboxDb.ts).
 *
 * The services write their own statements (membership, estimates) in SQL
 * both engines accept; what differs goes through the target's dialect.
 * Every unit of work is cancellable: cancel() interrupts the running
 * statement (DuckDB interrupt, PostgreSQL pg_cancel_backend) and makes the
 * session's next statement fail, so a cancelled job stops between
 * statements too.
 */
import type { EngineName } from './dataset.js';
import { engineTarget } from './dataset.js';
import type { EngineTarget } from './evaluate.js';
import { isInterruptError as isDuckInterrupt, type DuckStore, type Interruptible, type SqlParams } from './store.js';

export type Row = Record<string, unknown>;

/** Statements on one connection (temp tables and transactions live as long as it). */
export interface SqlSession {
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface SandboxDb extends SqlSession {
  readonly engine: EngineName;
  readonly target: EngineTarget;
  /** The schema of session-local temporary tables (`temp` in DuckDB, `pg_temp` in PostgreSQL). */
  readonly tempSchema: string;
  /** Work on one connection; `cancel()` interrupts it. */
  session<T>(fn: (session: SqlSession) => Promise<T>): Interruptible<T>;
  /** One query, cancellable. */
  interruptible(sql: string, params?: readonly unknown[]): Interruptible<Row[]>;
  /** A query's rows handed on column-wise in chunks, as they arrive where the engine streams. */
  stream(sql: string, params: readonly unknown[], onChunk: (columns: unknown[][]) => void): Interruptible<void>;
}

export class InterruptedError extends Error {
  constructor(detail = 'the query was cancelled') {
    super(`INTERRUPT Error: ${detail}`);
    this.name = 'InterruptedError';
  }
}

/** True when the error is an engine reporting a statement it was asked to stop. */
export function isInterruptError(err: unknown): boolean {
  return (
    err instanceof InterruptedError ||
    isDuckInterrupt(err) ||
    (err instanceof Error && /canceling statement due to user request/.test(err.message))
  );
}

/**
 * A session whose statements fail once it is cancelled: the engine interrupts
 * only a running statement, and the next one must not start.
 */
export function guardedSession(session: SqlSession, isCancelled: () => boolean): SqlSession {
  const check = () => {
    if (isCancelled()) throw new InterruptedError();
  };
  return {
    run: async (sql, params) => {
      check();
      await session.run(sql, params);
    },
    all: async (sql, params) => {
      check();
      return session.all(sql, params);
    },
  };
}

/** The sandbox's DuckDB file. */
export function duckSandboxDb(store: DuckStore): SandboxDb {
  const session = <T>(fn: (s: SqlSession) => Promise<T>): Interruptible<T> => {
    let cancelled = false;
    const job = store.interruptibleWith((conn) =>
      fn(
        guardedSession(
          {
            run: async (sql, params) => {
              await conn.run(sql, params as SqlParams | undefined);
            },
            all: async (sql, params) => (await conn.runAndReadAll(sql, params as SqlParams | undefined)).getRowObjectsJson(),
          },
          () => cancelled,
        ),
      ),
    );
    return {
      promise: job.promise,
      cancel: () => {
        cancelled = true;
        job.cancel();
      },
    };
  };
  return {
    engine: 'duckdb',
    target: engineTarget(store),
    tempSchema: 'temp',
    run: (sql, params) => store.run(sql, params as SqlParams | undefined),
    all: (sql, params) => store.query(sql, params as SqlParams | undefined),
    session,
    interruptible: (sql, params) => store.interruptible(sql, params as SqlParams | undefined),
    stream: (sql, params, onChunk) =>
      store.interruptibleWith(async (conn) => {
        const result = await conn.run(sql, params as SqlParams);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          onChunk(chunk.getColumns());
        }
      }),
  };
}
