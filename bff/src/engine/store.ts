/**
 * One DuckDB database (a file or ':memory:') with a small connection pool.
 *
 * DuckDB runs one query per connection at a time and `interrupt()` cancels
 * whatever that connection is running, so every concurrent query borrows its
 * own connection: `withConnection(fn)` for work that needs a session (several
 * statements, temp tables, transactions), `interruptible(sql)` for a single
 * query that a caller may cancel (preview, estimate, job).
 *
 * Every connection runs with `TimeZone = 'UTC'`, so TIMESTAMPTZ ↔ TIMESTAMP
 * casts and calendar functions are UTC (data-contract.md: calendar units are UTC).
 */
import { totalmem } from 'node:os';
import {
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBMaterializedResult,
  type DuckDBValue,
  type Json,
} from '@duckdb/node-api';

export type SqlParams = DuckDBValue[] | Record<string, DuckDBValue>;
export type JsonRow = Record<string, Json>;

export interface DuckStoreOptions {
  /** DuckDB worker threads (default: DuckDB's own default, the core count). */
  threads?: number;
  /**
   * DuckDB memory limit, e.g. '4GB'. Default: 60% of physical memory (DuckDB's own default of
   * 80% leaves too little for Node and the page cache on big loads; past the limit DuckDB spills
   * to the temp directory instead of being killed).
   */
  memoryLimit?: string;
  /** Directory for spilling; DuckDB's default when unset. */
  tempDirectory?: string;
  /** Idle connections kept open for reuse (default 8). */
  maxIdle?: number;
}

export interface Interruptible<T> {
  promise: Promise<T>;
  /** Interrupts the running query; the promise then rejects (DuckDB "INTERRUPT Error"). Idempotent. */
  cancel(): void;
}

/** True when the error is DuckDB reporting an interrupted query. */
export function isInterruptError(err: unknown): boolean {
  return err instanceof Error && /INTERRUPT|Interrupted/i.test(err.message);
}

export class DuckStore {
  private readonly idle: DuckDBConnection[] = [];
  private readonly busy = new Set<DuckDBConnection>();
  private closed = false;

  private constructor(
    readonly instance: DuckDBInstance,
    readonly path: string,
    private readonly maxIdle: number,
  ) {}

  static async open(path = ':memory:', options: DuckStoreOptions = {}): Promise<DuckStore> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    config.memory_limit = options.memoryLimit ?? `${Math.floor((totalmem() * 0.6) / 2 ** 20)}MB`;
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    const instance = await DuckDBInstance.create(path, config);
    return new DuckStore(instance, path, options.maxIdle ?? 8);
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('DuckStore is closed');
    let conn = this.idle.pop();
    if (!conn) {
      conn = await this.instance.connect();
      await conn.run(`SET TimeZone = 'UTC'`);
    }
    this.busy.add(conn);
    return conn;
  }

  private release(conn: DuckDBConnection, healthy: boolean): void {
    this.busy.delete(conn);
    if (this.closed || !healthy || this.idle.length >= this.maxIdle) {
      conn.closeSync();
      return;
    }
    this.idle.push(conn);
  }

  /**
   * Borrow a connection for the duration of `fn`. The connection returns to
   * the pool afterwards, so `fn` must not keep it, and must leave no open
   * transaction behind (an open one is rolled back).
   */
  async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    let healthy = true;
    try {
      return await fn(conn);
    } catch (err) {
      // Leave no transaction open on a pooled connection. ROLLBACK fails harmlessly
      // when none is active; if the connection cannot even do that, drop it.
      try {
        await conn.run('ROLLBACK');
      } catch (rollbackErr) {
        if (!/no transaction is active/i.test(String(rollbackErr))) healthy = false;
      }
      throw err;
    } finally {
      this.release(conn, healthy);
    }
  }

  /** Run a statement and return all rows as JSON-friendly objects (BIGINT → string). */
  async query(sql: string, params?: SqlParams): Promise<JsonRow[]> {
    return this.withConnection(async (conn) =>
      (await conn.runAndReadAll(sql, params)).getRowObjectsJson(),
    );
  }

  /** Run a statement for its effect. */
  async run(sql: string, params?: SqlParams): Promise<void> {
    await this.withConnection(async (conn) => {
      await conn.run(sql, params);
    });
  }

  /**
   * Run one query on its own connection; `cancel()` interrupts it. Resolves to
   * the rows as JSON-friendly objects.
   */
  interruptible(sql: string, params?: SqlParams): Interruptible<JsonRow[]> {
    return this.interruptibleWith(async (conn) =>
      (await conn.runAndReadAll(sql, params)).getRowObjectsJson(),
    );
  }

  /** Like `interruptible`, for any work on one connection (streaming, several statements). */
  interruptibleWith<T>(fn: (conn: DuckDBConnection) => Promise<T>): Interruptible<T> {
    let conn: DuckDBConnection | undefined;
    let cancelled = false;
    const promise = this.withConnection(async (c) => {
      conn = c;
      if (cancelled) throw new Error('INTERRUPT Error: Interrupted! (cancelled before start)');
      try {
        return await fn(c);
      } finally {
        conn = undefined;
      }
    });
    return {
      promise,
      cancel: () => {
        cancelled = true;
        conn?.interrupt();
      },
    };
  }

  /** Materialized result for callers that want typed values. */
  async runMaterialized(sql: string, params?: SqlParams): Promise<DuckDBMaterializedResult> {
    return this.withConnection((conn) => conn.run(sql, params));
  }

  async tableExists(name: string): Promise<boolean> {
    const rows = await this.query(
      `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $1 AND NOT temporary`,
      [name],
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /** Close every connection and the database. Busy connections are interrupted first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.busy) {
      try {
        c.interrupt();
      } catch {
        /* ignore */
      }
    }
    for (const c of this.idle.splice(0)) c.closeSync();
    this.instance.closeSync();
  }
}
