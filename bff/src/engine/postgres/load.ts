/**
 * Loading a dataset directory into PostgreSQL.
 *
 * The identity merge, the profile keys and the schema inference are DuckDB's
 * (engine/load.ts), run on an in-memory DuckDB: so PostgreSQL gets exactly
 * the same profiles, pk order, events and DataSchema. DuckDB then writes the
 * tables as CSV (attributes and identity maps as JSON text) to a temporary
 * directory, and each file is streamed into PostgreSQL with
 * `COPY … FROM STDIN (FORMAT csv)` — no row-by-row inserts.
 *
 *   profiles(pk BIGINT PRIMARY KEY, primary_ns TEXT, primary_id TEXT, identity_map JSONB, attrs JSONB)
 *   events(pk BIGINT, ts TIMESTAMP, attrs JSONB)           -- index (pk, ts)
 *   profile_identities(ns TEXT, id TEXT, pk BIGINT)        -- primary key (ns, id)
 *   dataset_meta(key TEXT PRIMARY KEY, value TEXT)         -- schema and load report (JSON)
 *
 * Tables are built under new names and swapped in one transaction, so a
 * failed load leaves the previous dataset queryable.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadDataset, TABLES, type LoadOptions, type LoadReport } from '../load.js';
import { DuckStore } from '../store.js';

export interface PostgresLoadReport extends LoadReport {
  /** Milliseconds: DuckDB load and merge, CSV export, COPY into PostgreSQL, indexes and ANALYZE. */
  readonly postgres: {
    readonly exportMs: number;
    readonly copyMs: number;
    readonly indexMs: number;
    readonly rowsPerSecond: number;
  };
}

const TABLE_DDL: Record<string, string> = {
  [TABLES.profiles]: `(pk BIGINT PRIMARY KEY, primary_ns TEXT NOT NULL, primary_id TEXT NOT NULL, identity_map JSONB NOT NULL, attrs JSONB)`,
  [TABLES.events]: `(pk BIGINT NOT NULL, ts TIMESTAMP, attrs JSONB)`,
  [TABLES.identities]: `(ns TEXT NOT NULL, id TEXT NOT NULL, pk BIGINT NOT NULL)`,
};

/** What DuckDB writes for each table, in COPY column order. */
const EXPORTS: Record<string, string> = {
  [TABLES.profiles]: `SELECT pk, primary_ns, primary_id, CAST(to_json(identity_map) AS VARCHAR), CAST(to_json(attrs) AS VARCHAR) FROM ${TABLES.profiles} ORDER BY pk`,
  [TABLES.events]: `SELECT pk, strftime(ts, '%Y-%m-%d %H:%M:%S.%f'), CAST(to_json(attrs) AS VARCHAR) FROM ${TABLES.events} ORDER BY pk, ts`,
  [TABLES.identities]: `SELECT ns, id, pk FROM ${TABLES.identities} ORDER BY ns, id`,
};

const INDEXES: ((table: (name: string) => string) => string)[] = [
  (t) => `CREATE INDEX ON ${t(TABLES.events)} (pk, ts)`,
  (t) => `ALTER TABLE ${t(TABLES.identities)} ADD PRIMARY KEY (ns, id)`,
];

/** Loads `dir` into the PostgreSQL database of `pool`, replacing the tables of a previous load. */
export async function loadDatasetIntoPostgres(
  pool: pg.Pool,
  dir: string,
  options: LoadOptions = {},
): Promise<PostgresLoadReport> {
  const store = await DuckStore.open(':memory:');
  try {
    const report = await loadDataset(store, dir, options);
    return await copyStoreIntoPostgres(store, report, pool, options);
  } finally {
    store.close();
  }
}

/**
 * Copies a dataset already loaded into DuckDB (tables of engine/load.ts,
 * `report` its load report) into PostgreSQL: what a server whose DuckDB file
 * is current, or a benchmark with a cached load, does instead of reading the
 * source files again.
 */
export async function copyStoreIntoPostgres(
  store: DuckStore,
  report: LoadReport,
  pool: pg.Pool,
  options: Pick<LoadOptions, 'onStage'> = {},
): Promise<PostgresLoadReport> {
  const scratch = await mkdtemp(join(tmpdir(), 'seg-pg-load-'));
  try {
    let t0 = performance.now();
    for (const [table, sql] of Object.entries(EXPORTS)) {
      await store.run(
        `COPY (${sql}) TO '${join(scratch, `${table}.csv`).replaceAll("'", "''")}' (FORMAT csv, HEADER false)`,
      );
    }
    const exportMs = performance.now() - t0;
    options.onStage?.('export csv', exportMs);

    const client = await pool.connect();
    try {
      const fresh = (name: string) => `${name}__new`;
      t0 = performance.now();
      for (const table of Object.keys(TABLE_DDL)) {
        await client.query(`DROP TABLE IF EXISTS ${fresh(table)}`);
        await client.query(`CREATE TABLE ${fresh(table)} ${TABLE_DDL[table]}`);
        const copy = client.query(copyFrom(`COPY ${fresh(table)} FROM STDIN (FORMAT csv)`));
        await pipeline(createReadStream(join(scratch, `${table}.csv`)), copy);
      }
      await client.query(`DROP TABLE IF EXISTS ${fresh(TABLES.meta)}`);
      await client.query(`CREATE TABLE ${fresh(TABLES.meta)} (key TEXT PRIMARY KEY, value TEXT)`);
      await client.query(
        `INSERT INTO ${fresh(TABLES.meta)} VALUES ('schema', $1), ('report', $2)`,
        [JSON.stringify(report.schema), JSON.stringify(report)],
      );
      const copyMs = performance.now() - t0;
      options.onStage?.('copy into postgres', copyMs);

      t0 = performance.now();
      for (const index of INDEXES) await client.query(index(fresh));
      for (const table of [TABLES.profiles, TABLES.events])
        await client.query(`ANALYZE ${fresh(table)}`);
      const indexMs = performance.now() - t0;
      options.onStage?.('index and analyze', indexMs);

      await client.query('BEGIN');
      try {
        for (const table of [...Object.keys(TABLE_DDL), TABLES.meta]) {
          await client.query(`DROP TABLE IF EXISTS ${table}`);
          await client.query(`ALTER TABLE ${fresh(table)} RENAME TO ${table}`);
        }
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
      const rows = report.counts.profiles + report.counts.events + report.counts.identities;
      return {
        ...report,
        postgres: {
          exportMs,
          copyMs,
          indexMs,
          rowsPerSecond: Math.round(rows / ((exportMs + copyMs) / 1000)),
        },
      };
    } finally {
      client.release();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
