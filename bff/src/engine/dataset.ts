/**
 * A loaded dataset, ready to evaluate on: the DuckDB store, the tables'
 * layout as the compiler sees it, and the inferred schema.
 */
import type { DataSchema } from '@seg/shared';
import type { TableLayout } from './compiler/compile.js';
import { duckdbDialect } from './compiler/duckdb.js';
import type { EngineTarget } from './evaluate.js';
import { loadDataset, type LoadReport } from './load.js';
import { loadDatasetIntoPostgres } from './postgres/load.js';
import { postgresPool, postgresTarget } from './postgres/target.js';
import { DuckStore } from './store.js';

const q = duckdbDialect.quoteIdent;
const field = (struct: string, name: string) =>
  duckdbDialect.structField(struct, name, { kind: 'any' });

/**
 * profiles(pk, primary_ns, primary_id, identity_map, attrs STRUCT) and
 * events(pk, ts, attrs STRUCT), as engine/load.ts writes them: the identity
 * map and the event timestamp are columns of their own, every other field
 * lives in `attrs`.
 */
export const duckdbLayout: TableLayout = {
  profileField: (alias, name) =>
    name === 'identityMap' ? `${alias}.identity_map` : field(`${alias}.attrs`, name),
  eventField: (alias, name) =>
    name === 'timestamp' ? `${alias}.ts` : field(`${alias}.attrs`, name),
  eventStruct: (alias) => `struct_insert(${alias}.attrs, ${q('timestamp')} := ${alias}.ts)`,
  profileStruct: (alias) =>
    `struct_insert(${alias}.attrs, ${q('identityMap')} := ${alias}.identity_map)`,
  eventTimestamp: (alias) => `${alias}.ts`,
};

export interface OpenDataset {
  /** The DuckDB store (undefined when the data live in PostgreSQL). */
  readonly store: DuckStore | undefined;
  readonly engine: EngineName;
  readonly target: EngineTarget;
  readonly schema: DataSchema;
  readonly report: LoadReport;
  close(): void;
}

export function engineTarget(store: DuckStore): EngineTarget {
  return {
    dialect: duckdbDialect,
    layout: duckdbLayout,
    runner: {
      all: (sql, params) => store.query(sql, params as never) as Promise<Record<string, unknown>[]>,
    },
  };
}

export type EngineName = 'duckdb' | 'postgres';

export interface EngineOptions {
  /** Where the data are evaluated; DuckDB (in memory) unless told otherwise. */
  readonly engine?: EngineName;
  /** The PostgreSQL database (postgresql://…) when engine is 'postgres'. */
  readonly pgUrl?: string;
}

/** SEG_ENGINE (duckdb | postgres) and SEG_PG_URL; throws a message for a person on a bad combination. */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const engine = (env.SEG_ENGINE ?? 'duckdb').trim().toLowerCase() || 'duckdb';
  if (engine !== 'duckdb' && engine !== 'postgres') {
    throw new Error(`SEG_ENGINE must be duckdb or postgres, not ${JSON.stringify(env.SEG_ENGINE)}`);
  }
  if (engine === 'postgres') {
    if (!env.SEG_PG_URL)
      throw new Error(
        'SEG_ENGINE=postgres needs SEG_PG_URL (postgresql://user@host:port/database)',
      );
    return { engine, pgUrl: env.SEG_PG_URL };
  }
  return { engine };
}

/** A database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'SEG_PG_URL';
  }
}

/**
 * Loads a dataset directory: into a fresh in-memory DuckDB (the default), or
 * into the PostgreSQL database of `pgUrl` (replacing its tables).
 */
export async function openDataset(dir: string, options: EngineOptions = {}): Promise<OpenDataset> {
  if (options.engine === 'postgres') return openPostgresDataset(dir, options.pgUrl);
  const store = await DuckStore.open(':memory:');
  try {
    const report = await loadDataset(store, dir);
    return {
      store,
      engine: 'duckdb',
      target: engineTarget(store),
      schema: report.schema,
      report,
      close: () => store.close(),
    };
  } catch (e) {
    store.close();
    throw e;
  }
}

async function openPostgresDataset(dir: string, pgUrl: string | undefined): Promise<OpenDataset> {
  if (!pgUrl) throw new Error('The postgres engine needs a database URL (SEG_PG_URL)');
  const pool = postgresPool(pgUrl);
  try {
    const report = await loadDatasetIntoPostgres(pool, dir);
    return {
      store: undefined,
      engine: 'postgres',
      target: postgresTarget(pool),
      schema: report.schema,
      report,
      close: () => void pool.end(),
    };
  } catch (e) {
    await pool.end();
    throw e;
  }
}
