/**
 * A loaded dataset, ready to evaluate on: the DuckDB store, the tables'
 * layout as the compiler sees it, and the inferred schema.
 */
import type { DataSchema } from '@seg/shared';
import type { TableLayout } from './compiler/compile.js';
import { duckdbDialect } from './compiler/duckdb.js';
import type { EngineTarget } from './evaluate.js';
import { loadDataset, type LoadReport } from './load.js';
import { DuckStore } from './store.js';

const q = duckdbDialect.quoteIdent;
const field = (struct: string, name: string) => duckdbDialect.structField(struct, name);

/**
 * profiles(pk, primary_ns, primary_id, identity_map, attrs STRUCT) and
 * events(pk, ts, attrs STRUCT), as engine/load.ts writes them: the identity
 * map and the event timestamp are columns of their own, every other field
 * lives in `attrs`.
 */
export const duckdbLayout: TableLayout = {
  profileField: (alias, name) => (name === 'identityMap' ? `${alias}.identity_map` : field(`${alias}.attrs`, name)),
  eventField: (alias, name) => (name === 'timestamp' ? `${alias}.ts` : field(`${alias}.attrs`, name)),
  eventStruct: (alias) => `struct_insert(${alias}.attrs, ${q('timestamp')} := ${alias}.ts)`,
  profileStruct: (alias) => `struct_insert(${alias}.attrs, ${q('identityMap')} := ${alias}.identity_map)`,
  eventTimestamp: (alias) => `${alias}.ts`,
};

export interface OpenDataset {
  readonly store: DuckStore;
  readonly target: EngineTarget;
  readonly schema: DataSchema;
  readonly report: LoadReport;
  close(): void;
}

export function engineTarget(store: DuckStore): EngineTarget {
  return {
    dialect: duckdbDialect,
    layout: duckdbLayout,
    runner: { all: (sql, params) => store.query(sql, params as never) as Promise<Record<string, unknown>[]> },
  };
}

/** Loads a dataset directory into a fresh in-memory DuckDB. */
export async function openDataset(dir: string): Promise<OpenDataset> {
  const store = await DuckStore.open(':memory:');
  try {
    const report = await loadDataset(store, dir);
    return { store, target: engineTarget(store), schema: report.schema, report, close: () => store.close() };
  } catch (e) {
    store.close();
    throw e;
  }
}
