/**
 * Evaluating on PostgreSQL: the tables' layout as the compiler sees it and
 * an EngineTarget over a connection pool.
 */
import pg from 'pg';
import type { TableLayout } from '../compiler/compile.js';
import { postgresDialect } from '../compiler/postgres.js';
import type { EngineTarget } from '../evaluate.js';

const field = postgresDialect.structField;

/**
 * profiles(pk, primary_ns, primary_id, identity_map JSONB, attrs JSONB) and
 * events(pk, ts, attrs JSONB), as engine/postgres/load.ts writes them.
 */
export const postgresLayout: TableLayout = {
  profileField: (alias, name, type) =>
    name === 'identityMap' ? `${alias}.identity_map` : field(`${alias}.attrs`, name, type),
  eventField: (alias, name, type) =>
    name === 'timestamp' ? `${alias}.ts` : field(`${alias}.attrs`, name, type),
  eventStruct: (alias) => `(${alias}.attrs || jsonb_build_object('timestamp', ${alias}.ts))`,
  profileStruct: (alias) =>
    `(${alias}.attrs || jsonb_build_object('identityMap', ${alias}.identity_map))`,
  eventTimestamp: (alias) => `${alias}.ts`,
};

/**
 * A pool whose sessions read and write timestamps as UTC (and work in
 * `searchPath` when given: a sandbox's schema).
 */
export function postgresPool(connectionString: string, max = 4, options: { searchPath?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    options: `-c TimeZone=UTC -c DateStyle=ISO -c jit=off${options.searchPath ? ` -c search_path=${options.searchPath}` : ''}`,
  });
  // an idle connection the server drops (restart, admin kill) must not take the process down:
  // the next query reconnects or fails with its own error
  pool.on('error', () => undefined);
  return pool;
}

export function postgresTarget(pool: pg.Pool): EngineTarget {
  return {
    dialect: postgresDialect,
    layout: postgresLayout,
    runner: {
      all: async (sql, params) =>
        (await pool.query(sql, params as unknown[])).rows as Record<string, unknown>[],
    },
  };
}
