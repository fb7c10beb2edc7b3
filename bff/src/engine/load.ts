/**
 * Load a dataset directory (data-contract.md) into DuckDB.
 *
 * Tables produced (swapped in atomically, in one transaction, after the whole
 * load succeeded; a failed load leaves the previous tables untouched):
 *
 *   profiles(pk BIGINT PRIMARY KEY, primary_ns VARCHAR, primary_id VARCHAR,
 *            identity_map MAP(VARCHAR, STRUCT(id VARCHAR, "primary" BOOLEAN)[]),
 *            attrs STRUCT(...))          -- one row per merged profile, ordered by pk
 *   events(pk BIGINT, ts TIMESTAMP, attrs STRUCT(...))   -- no particular row order
 *   profile_identities(ns VARCHAR, id VARCHAR, pk BIGINT) -- every identity → its profile
 *   dataset_meta(key VARCHAR PRIMARY KEY, value VARCHAR)  -- 'schema' and 'report' as JSON
 *
 * Files are read by DuckDB (read_json / read_parquet) in two passes: a full
 * type-detection pass, then a typed read into a staging table whose rowid is
 * the record's position in the file. Everything after that is SQL.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { DuckDBConnection, Json } from '@duckdb/node-api';
import type { DataSchema, ObjectType, PqlType } from '@seg/shared';
import type { DuckStore } from './store.js';
import {
  IDENTITY_MAP_SQL,
  checkLeaves,
  hasStringDatetime,
  isDateSql,
  isDateTimeSql,
  pqlType,
  quantify,
  quoteIdent,
  quoteLiteral,
  rawFromDuck,
  replaceLeaf,
  sqlType,
  type Raw,
} from './types.js';

// ------------------------------------------------------------------ public API

/** Bad input: names the file and, when known, the 1-based line (NDJSON) or row (Parquet). */
export class DatasetError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, where: { file?: string; line?: number; cause?: unknown } = {}) {
    const prefix = where.file
      ? `${basename(where.file)}${where.line !== undefined ? `:${where.line}` : ''}: `
      : '';
    super(prefix + message, where.cause !== undefined ? { cause: where.cause } : undefined);
    this.name = 'DatasetError';
    this.file = where.file;
    this.line = where.line;
  }
}

export type FileKind = 'profiles' | 'events';

export interface DatasetFile {
  kind: FileKind;
  path: string;
  format: 'ndjson' | 'parquet';
  bytes: number;
}

export interface LoadReport {
  dir: string;
  files: DatasetFile[];
  /** Files in the directory that are not part of a dataset (ignored). */
  ignored: string[];
  schema: DataSchema;
  counts: {
    /** Records read from the profiles file (fragments). */
    profileRecords: number;
    /** Profiles formed from those records after merging. */
    profilesFromRecords: number;
    /** Records merged into another record's profile (profileRecords − profilesFromRecords). */
    fragmentsMerged: number;
    events: number;
    /** Events whose identities match no profile record. */
    orphanEvents: number;
    /** Attribute-less profiles formed by orphan events (one per connected identity group). */
    orphanProfiles: number;
    /** Rows of the profiles table. */
    profiles: number;
    /** Rows of profile_identities. */
    identities: number;
  };
  /** Milliseconds per stage, plus `total`. */
  timings: Record<string, number>;
  loadedAt: string;
}

export interface LoadOptions {
  /** Called after each stage with its duration (progress logging). */
  onStage?: (stage: string, ms: number) => void;
}

export const TABLES = {
  profiles: 'profiles',
  events: 'events',
  identities: 'profile_identities',
  meta: 'dataset_meta',
} as const;

// One load at a time per store: loads share temp-table names and swap the same tables.
const locks = new WeakMap<DuckStore, Promise<unknown>>();

export async function loadDataset(
  store: DuckStore,
  dir: string,
  options: LoadOptions = {},
): Promise<LoadReport> {
  const previous = locks.get(store) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => loadLocked(store, dir, options));
  locks.set(store, next);
  return next;
}

/** The schema and report of the dataset currently loaded (from `dataset_meta`), if any. */
export async function readDatasetMeta(
  store: DuckStore,
): Promise<{ schema: DataSchema; report: LoadReport } | undefined> {
  if (!(await store.tableExists(TABLES.meta))) return undefined;
  const rows = await store.query(`SELECT key, value FROM ${TABLES.meta}`);
  const byKey = new Map(rows.map((r) => [String(r.key), String(r.value)]));
  const schema = byKey.get('schema');
  const report = byKey.get('report');
  if (!schema || !report) return undefined;
  return { schema: JSON.parse(schema) as DataSchema, report: JSON.parse(report) as LoadReport };
}

// ------------------------------------------------------------------ implementation

const T = {
  pStage: '__seg_p_stg',
  eStage: '__seg_e_stg',
  pId: '__seg_p_id',
  pShared: '__seg_p_shared',
  pComp: '__seg_p_comp',
  pIdent: '__seg_p_ident',
  pMap: '__seg_p_map',
  pAttrs: '__seg_p_attrs',
  pMerged: '__seg_p_merged',
  eId: '__seg_e_id',
  eMatch: '__seg_e_match',
  oId: '__seg_o_id',
  oShared: '__seg_o_shared',
  oComp: '__seg_o_comp',
  oIdent: '__seg_o_ident',
  oMap: '__seg_o_map',
  eOwner: '__seg_e_owner',
  allComp: '__seg_all_comp',
  compPk: '__seg_comp_pk',
  ccEdge: '__seg_cc_e',
  ccLab: '__seg_cc_l',
  ccLab2: '__seg_cc_l2',
  ccIdLab: '__seg_cc_il',
  ccOut: '__seg_cc_out',
  newProfiles: '__seg_new_profiles',
  newEvents: '__seg_new_events',
  newIdentities: '__seg_new_profile_identities',
  newMeta: '__seg_new_dataset_meta',
} as const;

const NONE_FIELD = '$none';
/** attrs type when the data has no attribute at all (DuckDB has no empty STRUCT). */
const EMPTY_ATTRS_SQL = `STRUCT(${quoteIdent(NONE_FIELD)} BOOLEAN)`;

interface Staged {
  file: DatasetFile | undefined;
  records: number;
  /** Attribute columns of the staging table (identityMap and, for events, timestamp excluded). */
  columns: { name: string; raw: Raw; staged: string | undefined }[];
  /** DuckDB type of the staged `timestamp` column (events). */
  timestampType?: string;
}

interface Ctx {
  conn: DuckDBConnection;
  timings: Record<string, number>;
  onStage: ((stage: string, ms: number) => void) | undefined;
}

const DEBUG = process.env.SEG_LOAD_DEBUG === '1';

async function exec(ctx: Ctx, sql: string): Promise<void> {
  const t0 = DEBUG ? performance.now() : 0;
  await ctx.conn.run(sql);
  if (DEBUG)
    console.error(
      `    ${Math.round(performance.now() - t0)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 110)}`,
    );
}

/** Drop scratch tables as soon as they are used up, to keep the peak memory down. */
async function drop(ctx: Ctx, ...tables: string[]): Promise<void> {
  for (const name of tables) await exec(ctx, `DROP TABLE IF EXISTS temp.${name}`);
}

async function rows(ctx: Ctx, sql: string): Promise<Record<string, Json>[]> {
  return (await ctx.conn.runAndReadAll(sql)).getRowObjectsJson();
}

async function scalar(ctx: Ctx, sql: string): Promise<Json> {
  const r = await ctx.conn.runAndReadAll(sql);
  return r.getRowsJson()[0]?.[0] ?? null;
}

async function timed<T>(ctx: Ctx, stage: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const ms = Math.round(performance.now() - t0);
    ctx.timings[stage] = (ctx.timings[stage] ?? 0) + ms;
    ctx.onStage?.(stage, ms);
  }
}

async function findFiles(dir: string): Promise<{ files: DatasetFile[]; ignored: string[] }> {
  let entries: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new DatasetError('not a directory', { file: dir });
    entries = await readdir(dir);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(
      `dataset directory not found or unreadable (${(err as Error).message})`,
      { file: dir, cause: err },
    );
  }
  const files: DatasetFile[] = [];
  const used = new Set<string>();
  for (const kind of ['profiles', 'events'] as const) {
    const found: DatasetFile[] = [];
    for (const [name, format] of [
      [`${kind}.ndjson`, 'ndjson'],
      [`${kind}.parquet`, 'parquet'],
    ] as const) {
      if (!entries.includes(name)) continue;
      const path = join(dir, name);
      const st = await stat(path);
      if (!st.isFile()) continue;
      used.add(name);
      found.push({ kind, path, format, bytes: st.size });
    }
    if (found.length > 1) {
      throw new DatasetError(`both ${kind}.ndjson and ${kind}.parquet are present; keep one`, {
        file: dir,
      });
    }
    if (found[0]) files.push(found[0]);
  }
  return { files, ignored: entries.filter((e) => !used.has(e)).sort() };
}

async function loadLocked(
  store: DuckStore,
  dirIn: string,
  options: LoadOptions,
): Promise<LoadReport> {
  const started = performance.now();
  const dir = dirIn;
  const { files, ignored } = await findFiles(dir);
  const timings: Record<string, number> = {};
  return store.withConnection(async (conn) => {
    const ctx: Ctx = { conn, timings, onStage: options.onStage };
    await exec(ctx, `SET TimeZone = 'UTC'`);
    // rowid of a staging table is the record's position in its file only while insertion order is kept.
    await exec(ctx, `SET preserve_insertion_order = true`);
    try {
      await dropScratch(ctx, true);
      const p = await timed(ctx, 'read profiles', () =>
        stage(
          ctx,
          'profiles',
          files.find((f) => f.kind === 'profiles'),
        ),
      );
      const e = await timed(ctx, 'read events', () =>
        stage(
          ctx,
          'events',
          files.find((f) => f.kind === 'events'),
        ),
      );
      await timed(ctx, 'validate', async () => {
        await validateIdentities(ctx, T.pStage, p);
        await validateIdentities(ctx, T.eStage, e);
        await validateTimestamps(ctx, e);
      });
      const pCols = await timed(ctx, 'infer types', () => resolveColumns(ctx, T.pStage, p));
      const eCols = await timed(ctx, 'infer types', () => resolveColumns(ctx, T.eStage, e));

      const counts = await buildTables(ctx, p, e, pCols, eCols);

      const schema: DataSchema = {
        profile: objectType([
          [
            'identityMap',
            {
              kind: 'map',
              value: {
                kind: 'list',
                element: {
                  kind: 'object',
                  fields: { id: { kind: 'string' }, primary: { kind: 'boolean' } },
                },
              },
            },
          ],
          ...pCols.map((c) => [c.name, pqlType(c.raw)] as [string, PqlType]),
        ]),
        event: objectType([
          ...eCols.map((c) => [c.name, pqlType(c.raw)] as [string, PqlType]),
          ['timestamp', { kind: 'datetime' }],
        ]),
      };
      const report: LoadReport = {
        dir,
        files,
        ignored,
        schema,
        counts,
        timings,
        loadedAt: new Date().toISOString(),
      };
      await timed(ctx, 'swap', () => swap(ctx, report));
      timings.total = Math.round(performance.now() - started);
      return report;
    } finally {
      await dropScratch(ctx, true).catch(() => undefined);
    }
  });
}

function objectType(fields: [string, PqlType][]): ObjectType {
  return { kind: 'object', fields: Object.fromEntries(fields) };
}

async function dropScratch(ctx: Ctx, includeNew: boolean): Promise<void> {
  for (const [key, name] of Object.entries(T)) {
    if (key.startsWith('new')) {
      if (includeNew) await exec(ctx, `DROP TABLE IF EXISTS main.${name}`);
    } else {
      await exec(ctx, `DROP TABLE IF EXISTS temp.${name}`);
    }
  }
}

// ------------------------------------------------------------------ reading

async function stage(ctx: Ctx, kind: FileKind, file: DatasetFile | undefined): Promise<Staged> {
  const table = kind === 'profiles' ? T.pStage : T.eStage;
  const emptyTable = async (): Promise<Staged> => {
    await exec(
      ctx,
      `CREATE TEMP TABLE ${table} ("identityMap" ${IDENTITY_MAP_SQL}${kind === 'events' ? ', "timestamp" VARCHAR' : ''})`,
    );
    return {
      file,
      records: 0,
      columns: [],
      ...(kind === 'events' ? { timestampType: 'VARCHAR' } : {}),
    };
  };
  if (!file || file.bytes === 0) return emptyTable();
  return file.format === 'ndjson'
    ? stageNdjson(ctx, kind, file, table, emptyTable)
    : stageParquet(ctx, kind, file, table);
}

async function stageNdjson(
  ctx: Ctx,
  kind: FileKind,
  file: DatasetFile,
  table: string,
  emptyTable: () => Promise<Staged>,
): Promise<Staged> {
  const path = quoteLiteral(file.path);
  // Pass 1: DuckDB's full-file type detection (binding the query scans the file).
  // field_appearance_threshold=0: never turn sparse objects into MAPs; objects
  // with more than 200 distinct keys (free-key objects) still become MAPs.
  let detected: { name: string; type: import('@duckdb/node-api').DuckDBType }[];
  try {
    const ps = await ctx.conn.prepare(
      `SELECT * FROM read_json(${path}, format='newline_delimited', records=true, sample_size=-1, field_appearance_threshold=0, map_inference_threshold=200)`,
    );
    detected = [];
    for (let i = 0; i < ps.columnCount; i++)
      detected.push({ name: ps.columnName(i), type: ps.columnType(i) });
    ps.destroySync();
  } catch (err) {
    const bad = await scanForBadLine(file.path, kind);
    if (bad) throw bad;
    if (bad === null) return emptyTable(); // no records at all (blank lines only)
    throw new DatasetError(`cannot read: ${(err as Error).message}`, {
      file: file.path,
      cause: err,
    });
  }
  const columns: Staged['columns'] = [];
  const spec: string[] = [`${quoteLiteral('identityMap')}: ${quoteLiteral(IDENTITY_MAP_SQL)}`];
  if (kind === 'events') spec.push(`${quoteLiteral('timestamp')}: 'VARCHAR'`);
  for (const d of detected) {
    if (d.name === 'identityMap' || (kind === 'events' && d.name === 'timestamp')) continue;
    const raw = rawFromDuck(d.type, 'json');
    const staged = sqlType(raw, 'stage');
    columns.push({ name: d.name, raw, staged });
    spec.push(`${quoteLiteral(d.name)}: ${quoteLiteral(staged)}`);
  }
  // Pass 2: typed read. With insertion order preserved, rowid = record index in the file.
  try {
    await exec(
      ctx,
      `CREATE TEMP TABLE ${table} AS SELECT * FROM read_json(${path}, format='newline_delimited', records=true, columns={${spec.join(', ')}})`,
    );
  } catch (err) {
    const bad = await scanForBadLine(file.path, kind);
    if (bad) throw bad;
    throw new DatasetError(`cannot read: ${(err as Error).message}`, {
      file: file.path,
      cause: err,
    });
  }
  const records = Number(await scalar(ctx, `SELECT count(*) FROM ${table}`));
  return { file, records, columns, ...(kind === 'events' ? { timestampType: 'VARCHAR' } : {}) };
}

async function stageParquet(
  ctx: Ctx,
  kind: FileKind,
  file: DatasetFile,
  table: string,
): Promise<Staged> {
  const src = `read_parquet(${quoteLiteral(file.path)})`;
  let detected: { name: string; type: import('@duckdb/node-api').DuckDBType; text: string }[];
  try {
    const ps = await ctx.conn.prepare(`SELECT * FROM ${src}`);
    detected = [];
    for (let i = 0; i < ps.columnCount; i++) {
      const type = ps.columnType(i);
      detected.push({ name: ps.columnName(i), type, text: String(type) });
    }
    ps.destroySync();
  } catch (err) {
    throw new DatasetError(`cannot read Parquet: ${(err as Error).message}`, {
      file: file.path,
      cause: err,
    });
  }
  const idm = detected.find((d) => d.name === 'identityMap');
  const select: string[] = [
    `${idm ? identityMapFromParquet(idm.type, idm.text) : `NULL::${IDENTITY_MAP_SQL}`} AS "identityMap"`,
  ];
  const columns: Staged['columns'] = [];
  let timestampType: string | undefined;
  if (kind === 'events') {
    const ts = detected.find((d) => d.name === 'timestamp');
    timestampType = ts ? ts.text : 'VARCHAR';
    select.push(ts ? `"timestamp"` : `NULL::VARCHAR AS "timestamp"`);
  }
  for (const d of detected) {
    if (d.name === 'identityMap' || (kind === 'events' && d.name === 'timestamp')) continue;
    columns.push({ name: d.name, raw: rawFromDuck(d.type, 'parquet'), staged: undefined });
    select.push(quoteIdent(d.name));
  }
  try {
    await exec(ctx, `CREATE TEMP TABLE ${table} AS SELECT ${select.join(', ')} FROM ${src}`);
  } catch (err) {
    throw new DatasetError(`cannot read Parquet: ${(err as Error).message}`, {
      file: file.path,
      cause: err,
    });
  }
  const records = Number(await scalar(ctx, `SELECT count(*) FROM ${table}`));
  return { file, records, columns, ...(timestampType !== undefined ? { timestampType } : {}) };
}

/** SQL turning a Parquet identityMap column (MAP, STRUCT of namespaces, or JSON text) into IDENTITY_MAP_SQL. */
function identityMapFromParquet(type: import('@duckdb/node-api').DuckDBType, text: string): string {
  const col = '"identityMap"';
  const upper = text.toUpperCase();
  if (upper.startsWith('MAP(')) return `TRY_CAST(${col} AS ${IDENTITY_MAP_SQL})`;
  if (upper.startsWith('STRUCT(') && 'entryNames' in type) {
    const names = (type as { entryNames: readonly string[] }).entryNames;
    const entries = names.map(
      (n) =>
        `{'key': ${quoteLiteral(n)}, 'value': TRY_CAST(struct_extract(${col}, ${quoteLiteral(n)}) AS STRUCT(id VARCHAR, "primary" BOOLEAN)[])}`,
    );
    return `CASE WHEN ${col} IS NULL THEN NULL ELSE map_from_entries(list_filter([${entries.join(', ')}], kv -> kv.value IS NOT NULL)) END`;
  }
  // JSON text: walk the object's keys in document order.
  const j = `json(${col})`;
  return `CASE WHEN ${col} IS NULL OR json_type(${j}) <> 'OBJECT' THEN NULL ELSE map_from_entries(list_filter(list_transform(json_keys(${j}), k -> {'key': k, 'value': TRY_CAST(json_transform(json_extract(${j}, '$."' || replace(k, '"', '\\"') || '"'), '[{"id":"VARCHAR","primary":"BOOLEAN"}]') AS STRUCT(id VARCHAR, "primary" BOOLEAN)[])}), kv -> kv.value IS NOT NULL)) END`;
}

/**
 * Find the first line of an NDJSON file that is not a JSON object or has a
 * malformed identityMap / timestamp. Only called after DuckDB failed, so the
 * line-by-line cost is paid on the error path only. Returns undefined when
 * every line is fine, null when the file holds no record at all.
 */
async function scanForBadLine(
  path: string,
  kind: FileKind,
): Promise<DatasetError | null | undefined> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let line = 0;
  let records = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      records++;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return new DatasetError(`malformed JSON: ${(err as Error).message}`, { file: path, line });
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return new DatasetError('a line must hold one JSON object', { file: path, line });
      }
      const problem = identityMapProblem((value as Record<string, unknown>).identityMap);
      if (problem) return new DatasetError(problem, { file: path, line });
      if (kind === 'events') {
        const ts = (value as Record<string, unknown>).timestamp;
        if (typeof ts !== 'string')
          return new DatasetError('event "timestamp" must be an ISO-8601 date-time string', {
            file: path,
            line,
          });
      }
    }
  } finally {
    rl.close();
  }
  return records === 0 ? null : undefined;
}

function identityMapProblem(idm: unknown): string | undefined {
  if (idm === undefined || idm === null) return 'missing "identityMap"';
  if (typeof idm !== 'object' || Array.isArray(idm))
    return '"identityMap" must be an object of namespace → [{ "id": ... }]';
  for (const [ns, list] of Object.entries(idm)) {
    if (list === null) continue;
    if (!Array.isArray(list)) return `"identityMap.${ns}" must be an array of { "id": ... }`;
    for (const e of list) {
      if (typeof e !== 'object' || e === null || Array.isArray(e))
        return `"identityMap.${ns}" entries must be objects with an "id"`;
    }
  }
  return undefined;
}

/** 1-based line of the record with 0-based index `index` (blank lines do not count as records). */
async function lineOfRecord(path: string, index: number): Promise<number | undefined> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let line = 0;
  let seen = -1;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      if (++seen === index) return line;
    }
  } finally {
    rl.close();
  }
  return undefined;
}

async function recordError(
  file: DatasetFile | undefined,
  index: number,
  message: string,
): Promise<DatasetError> {
  if (!file) return new DatasetError(message);
  if (file.format === 'parquet')
    return new DatasetError(`row ${index + 1}: ${message}`, { file: file.path, line: index + 1 });
  const line = await lineOfRecord(file.path, index);
  return new DatasetError(message, { file: file.path, ...(line !== undefined ? { line } : {}) });
}

// ------------------------------------------------------------------ validation

/**
 * Identities of records, flattened: (node, namespace, id, primary, position in key order).
 * `from` is a FROM clause over a staging table aliased `s`.
 */
function identitiesSql(from: string, nodeAlias: string): string {
  return `SELECT ${nodeAlias}, u.ns AS ns, u.id AS id, u.prim AS prim, u.pos AS pos FROM (
    SELECT s.rowid AS ${nodeAlias}, unnest(flatten(list_transform(map_entries(s."identityMap"), (kv, i) ->
      list_transform(coalesce(kv.value, []), (e, j) ->
        {'ns': kv.key, 'id': e.id, 'prim': coalesce(e."primary", false), 'pos': i * 100000 + j})))) AS u
    FROM ${from})
  WHERE u.id IS NOT NULL AND u.id <> ''`;
}

async function validateIdentities(ctx: Ctx, table: string, staged: Staged): Promise<void> {
  if (staged.records === 0) return;
  const bad = await scalar(
    ctx,
    `SELECT min(rowid) FROM ${table} WHERE NOT coalesce(list_bool_or(list_transform(map_values("identityMap"),
       v -> coalesce(list_bool_or(list_transform(v, e -> e.id IS NOT NULL AND e.id <> '')), false))), false)`,
  );
  if (bad === null) return;
  const index = Number(bad);
  const isNull = await scalar(
    ctx,
    `SELECT "identityMap" IS NULL FROM ${table} WHERE rowid = ${index}`,
  );
  throw await recordError(
    staged.file,
    index,
    isNull
      ? 'missing "identityMap"'
      : '"identityMap" holds no identity (every record needs at least one { "id": ... })',
  );
}

/** SQL: the staged `timestamp` as a UTC TIMESTAMP at millisecond precision. */
function timestampSql(type: string): string {
  const up = type.toUpperCase();
  if (up === 'TIMESTAMP WITH TIME ZONE' || up === 'TIMESTAMPTZ')
    return `date_trunc('millisecond', timezone('UTC', "timestamp"))`;
  if (up.startsWith('TIMESTAMP') || up === 'DATE')
    return `date_trunc('millisecond', CAST("timestamp" AS TIMESTAMP))`;
  return `date_trunc('millisecond', timezone('UTC', CAST("timestamp" AS TIMESTAMPTZ)))`;
}

async function validateTimestamps(ctx: Ctx, staged: Staged): Promise<void> {
  if (staged.records === 0) return;
  const type = (staged.timestampType ?? 'VARCHAR').toUpperCase();
  const isText = type === 'VARCHAR' || type === 'JSON';
  const isTime = type.startsWith('TIMESTAMP') || type === 'DATE';
  if (!isText && !isTime) {
    throw new DatasetError(
      `event "timestamp" has type ${type}; expected an ISO-8601 string or a timestamp`,
      {
        file: staged.file?.path,
      },
    );
  }
  const cond = isText
    ? `"timestamp" IS NULL OR NOT ${isDateTimeSql('"timestamp"')}`
    : `"timestamp" IS NULL`;
  const bad = await scalar(ctx, `SELECT min(rowid) FROM ${T.eStage} WHERE ${cond}`);
  if (bad === null) return;
  const index = Number(bad);
  const value = await scalar(
    ctx,
    `SELECT "timestamp"::VARCHAR FROM ${T.eStage} WHERE rowid = ${index}`,
  );
  throw await recordError(
    staged.file,
    index,
    value === null
      ? 'event without "timestamp"'
      : `event "timestamp" ${JSON.stringify(value)} is not an ISO-8601 date-time with Z or a UTC offset`,
  );
}

// ------------------------------------------------------------------ type inference

interface Column {
  name: string;
  /** Resolved type (strings decided, JSON marked null-only or mixed). */
  raw: Raw;
  /** SQL producing the final value from the staging column. */
  expr: string;
  final: string;
}

/**
 * Decide every string leaf (date / date-time / string) and JSON leaf
 * (null-only / mixed) from all values, in one aggregate query over the
 * staging table, and build the cast from staged to final type.
 */
async function resolveColumns(ctx: Ctx, table: string, staged: Staged): Promise<Column[]> {
  interface Check {
    col: number;
    leaf: ReturnType<typeof checkLeaves>[number];
    /** Aggregates, by role: n = some value present (string/JSON) or every value fits BIGINT (wide int). */
    aggs: { n: string; d?: string; t?: string };
  }
  const checks: Check[] = [];
  staged.columns.forEach((c, col) => {
    for (const leaf of checkLeaves(c.raw)) {
      const expr = quoteIdent(c.name);
      const nonNull = `coalesce(bool_or(${quantify(expr, leaf.steps, (x) => `${x} IS NOT NULL`, 'any')}), false)`;
      if (leaf.raw.t === 'string') {
        // Cheap length tests first: DuckDB evaluates AND with selection vectors, so the regex runs on few rows.
        const d = (x: string) => `(${x} IS NULL OR (length(${x}) = 10 AND ${isDateSql(x)}))`;
        const t = (x: string) => `(${x} IS NULL OR (length(${x}) >= 20 AND ${isDateTimeSql(x)}))`;
        checks.push({
          col,
          leaf,
          aggs: {
            n: nonNull,
            d: `coalesce(bool_and(${quantify(expr, leaf.steps, d, 'all')}), true)`,
            t: `coalesce(bool_and(${quantify(expr, leaf.steps, t, 'all')}), true)`,
          },
        });
      } else if (leaf.raw.t === 'int') {
        const fits = (x: string) =>
          `(${x} IS NULL OR ${x} BETWEEN -9223372036854775808 AND 9223372036854775807)`;
        checks.push({
          col,
          leaf,
          aggs: { n: `coalesce(bool_and(${quantify(expr, leaf.steps, fits, 'all')}), true)` },
        });
      } else {
        checks.push({ col, leaf, aggs: { n: nonNull } });
      }
    }
  });
  type Result = { n: boolean; d: boolean; t: boolean };
  const run = async (source: string, which: number[]): Promise<Map<number, Result>> => {
    const out = new Map<number, Result>();
    if (which.length === 0) return out;
    const sel: string[] = [];
    for (const i of which) {
      const a = checks[i]!.aggs;
      sel.push(`${a.n} AS c${i}_n`);
      if (a.d) sel.push(`${a.d} AS c${i}_d`);
      if (a.t) sel.push(`${a.t} AS c${i}_t`);
    }
    const r = (await rows(ctx, `SELECT ${sel.join(', ')} FROM ${source}`))[0] ?? {};
    for (const i of which)
      out.set(i, { n: r[`c${i}_n`] === true, d: r[`c${i}_d`] === true, t: r[`c${i}_t`] === true });
    return out;
  };
  // A sample decides most leaves (one non-date value makes a string; one value present makes JSON mixed;
  // one value out of range makes a double); only leaves the sample cannot decide get a full scan.
  const all = checks.map((_, i) => i);
  const sample = await run(`(SELECT * FROM ${table} LIMIT 20000)`, all);
  const undecided = all.filter((i) => {
    const s = sample.get(i)!;
    const kind = checks[i]!.leaf.raw.t;
    if (kind === 'string') return !s.n || s.d || s.t;
    if (kind === 'int') return s.n;
    return !s.n;
  });
  const full = staged.records > 20000 ? await run(table, undecided) : sample;
  const resolved = staged.columns.map((c) => c.raw);
  checks.forEach((ch, i) => {
    const r = full.get(i) ?? sample.get(i)!;
    let leaf: Raw;
    if (ch.leaf.raw.t === 'string') {
      leaf = !r.n
        ? { t: 'string' }
        : r.d
          ? { t: 'date' }
          : r.t
            ? { t: 'datetime', fromString: true }
            : { t: 'string' };
    } else if (ch.leaf.raw.t === 'int') {
      leaf = r.n ? { t: 'int' } : { t: 'double' };
    } else {
      leaf = r.n ? { t: 'json' } : { t: 'json', nullOnly: true };
    }
    resolved[ch.col] = replaceLeaf(resolved[ch.col]!, ch.leaf.steps, leaf);
  });
  return staged.columns.map((c, i) => {
    const raw = resolved[i]!;
    const final = sqlType(raw, 'final');
    const col = quoteIdent(c.name);
    let expr: string;
    if (hasStringDatetime(raw)) expr = `CAST(CAST(${col} AS ${sqlType(raw, 'inter')}) AS ${final})`;
    else if (c.staged !== undefined && c.staged === final) expr = col;
    else expr = `CAST(${col} AS ${final})`;
    return { name: c.name, raw, expr, final };
  });
}

function attrsSql(cols: Column[]): { expr: string; type: string } {
  if (cols.length === 0) return { expr: `NULL::${EMPTY_ATTRS_SQL}`, type: EMPTY_ATTRS_SQL };
  return {
    expr: `struct_pack(${cols.map((c) => `${quoteIdent(c.name)} := ${c.expr}`).join(', ')})`,
    type: `STRUCT(${cols.map((c) => `${quoteIdent(c.name)} ${c.final}`).join(', ')})`,
  };
}

// ------------------------------------------------------------------ identities and merging

/**
 * Connected components over (node, identity) edges, by label propagation:
 * every node starts labelled with itself; an identity takes the smallest label
 * of its nodes, a node the smallest label of its identities, plus one
 * pointer-jumping step per round; repeat until nothing changes. Only edges of
 * identities shared by two or more nodes take part (everything else is a
 * component of one). Leaves `T.ccOut(node, lab)` for nodes that take part.
 */
async function connectedComponents(ctx: Ctx, edgesSql: string): Promise<number> {
  await exec(ctx, `CREATE OR REPLACE TEMP TABLE ${T.ccEdge} AS ${edgesSql}`);
  await exec(
    ctx,
    `CREATE OR REPLACE TEMP TABLE ${T.ccLab} AS SELECT DISTINCT node, node AS lab FROM ${T.ccEdge}`,
  );
  let rounds = 0;
  for (;;) {
    rounds++;
    await exec(
      ctx,
      `CREATE OR REPLACE TEMP TABLE ${T.ccIdLab} AS
       SELECT e.iid, min(l.lab) AS lab FROM ${T.ccEdge} e JOIN ${T.ccLab} l USING (node) GROUP BY e.iid`,
    );
    await exec(
      ctx,
      `CREATE OR REPLACE TEMP TABLE ${T.ccLab2} AS
       WITH n AS (SELECT e.node, min(i.lab) AS lab FROM ${T.ccEdge} e JOIN ${T.ccIdLab} i USING (iid) GROUP BY e.node)
       SELECT n.node, least(n.lab, coalesce(j.lab, n.lab)) AS lab FROM n LEFT JOIN n AS j ON j.node = n.lab`,
    );
    const changed = Number(
      await scalar(
        ctx,
        `SELECT count(*) FROM ${T.ccLab2} a JOIN ${T.ccLab} b USING (node) WHERE a.lab <> b.lab`,
      ),
    );
    await exec(ctx, `DROP TABLE ${T.ccLab}`);
    await exec(ctx, `ALTER TABLE ${T.ccLab2} RENAME TO ${T.ccLab}`);
    if (changed === 0) break;
    if (rounds > 100_000) throw new Error('identity graph did not converge');
  }
  await exec(ctx, `CREATE OR REPLACE TEMP TABLE ${T.ccOut} AS SELECT node, lab FROM ${T.ccLab}`);
  return rounds;
}

/**
 * Per component: its united identity map (namespaces in order of first
 * appearance, ids in order of first appearance within a namespace) and
 * primary identity (the first identity marked primary in that order, else
 * the first identity of the first namespace). Input rows: (comp, ns, id, prim, ord).
 */
function identityMapsSql(identTable: string): string {
  // Ordered aggregates (list(... ORDER BY ...)) are slow in DuckDB; sorting a list of
  // structs whose first field is the position does the same much faster.
  return `
    WITH per_ns AS (
      SELECT comp, ns, min(ord) AS nsord,
             list_transform(list_sort(list({'o': ord, 'id': id, 'p': prim})), x -> {'id': x.id, 'primary': x.p}) AS ids,
             min(ord) FILTER (WHERE prim) AS prim_ord
      FROM ${identTable} GROUP BY comp, ns),
    per_comp AS (
      SELECT comp, list_sort(list({'o': nsord, 'key': ns, 'value': ids})) AS entries,
             min({'no': nsord, 'po': prim_ord, 'ns': ns}) FILTER (WHERE prim_ord IS NOT NULL) AS prim
      FROM per_ns GROUP BY comp)
    SELECT comp,
           map_from_entries(list_transform(entries, e -> {'key': e.key, 'value': e.value})) AS identity_map,
           coalesce(prim.ns, entries[1].key) AS primary_ns,
           coalesce(list_filter(list_filter(entries, e -> e.key = prim.ns)[1].value, v -> v."primary")[1].id,
                    entries[1].value[1].id) AS primary_id
    FROM per_comp`;
}

/**
 * Deep merge of the attributes of a multi-record profile: for every leaf
 * (a scalar, list, map or JSON value reached through objects only), the value
 * of the latest record (highest file position) where it is not missing; an
 * object is present when any record has it.
 */
function mergedAttrsSql(cols: Column[]): string {
  const leafAgg = (expr: string) => `arg_max(${expr}, frag) FILTER (WHERE ${expr} IS NOT NULL)`;
  const build = (expr: string, raw: Raw): string => {
    if (raw.t !== 'struct') return leafAgg(expr);
    const inner = raw.fields
      .map(
        ([n, f]) =>
          `${quoteIdent(n)} := ${build(`struct_extract(${expr}, ${quoteLiteral(n)})`, f)}`,
      )
      .join(', ');
    return `CASE WHEN bool_or(${expr} IS NOT NULL) THEN struct_pack(${inner}) END`;
  };
  return `CASE WHEN bool_or(attrs IS NOT NULL) THEN struct_pack(${cols
    .map(
      (c) =>
        `${quoteIdent(c.name)} := ${build(`struct_extract(attrs, ${quoteLiteral(c.name)})`, c.raw)}`,
    )
    .join(', ')}) END`;
}

async function buildTables(
  ctx: Ctx,
  p: Staged,
  e: Staged,
  pCols: Column[],
  eCols: Column[],
): Promise<LoadReport['counts']> {
  const pAttrs = attrsSql(pCols);
  const eAttrs = attrsSql(eCols);

  let profilesFromRecords = 0;
  // ---- profiles: fragments → components
  await timed(ctx, 'merge profiles', async () => {
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.pId} AS SELECT frag, ns, id, prim, frag * 1000000000 + pos AS ord FROM (${identitiesSql(`${T.pStage} s`, 'frag')})`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.pShared} AS SELECT ns, id, row_number() OVER () AS iid FROM ${T.pId} GROUP BY ns, id HAVING count(DISTINCT frag) > 1`,
    );
    await connectedComponents(
      ctx,
      `SELECT DISTINCT p.frag AS node, s.iid FROM ${T.pId} p JOIN ${T.pShared} s USING (ns, id)`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.pComp} AS
       SELECT frag, comp, count(*) OVER (PARTITION BY comp) AS n FROM (
         SELECT s.rowid AS frag, coalesce(c.lab, s.rowid) AS comp FROM ${T.pStage} s LEFT JOIN ${T.ccOut} c ON c.node = s.rowid)`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.pIdent} AS
       SELECT c.comp, p.ns, p.id, bool_or(p.prim) AS prim, min(p.ord) AS ord
       FROM ${T.pId} p JOIN ${T.pComp} c USING (frag) GROUP BY c.comp, p.ns, p.id`,
    );
    await drop(ctx, T.pId, T.pShared, T.ccEdge, T.ccLab, T.ccIdLab, T.ccOut);
    await exec(ctx, `CREATE TEMP TABLE ${T.pMap} AS ${identityMapsSql(T.pIdent)}`);
    profilesFromRecords = Number(await scalar(ctx, `SELECT count(*) FROM ${T.pMap}`));
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.pAttrs} AS SELECT rowid AS frag, ${pAttrs.expr} AS attrs FROM ${T.pStage}`,
    );
    await drop(ctx, T.pStage);
    const merged = pCols.length
      ? `CAST(${mergedAttrsSql(pCols)} AS ${pAttrs.type})`
      : `NULL::${pAttrs.type}`;
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.pMerged} AS
       SELECT c.comp, a.attrs FROM ${T.pComp} c JOIN ${T.pAttrs} a USING (frag) WHERE c.n = 1
       UNION ALL
       SELECT c.comp, ${merged} AS attrs FROM ${T.pComp} c JOIN ${T.pAttrs} a USING (frag) WHERE c.n > 1 GROUP BY c.comp`,
    );
    await drop(ctx, T.pAttrs, T.pComp);
  });

  // ---- events: attach to profiles by identity; orphans form their own profiles
  const compOffset = p.records; // profile components are labelled by record index < p.records
  await timed(ctx, 'attach events', async () => {
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.eMatch} AS
       SELECT e.evt, arg_min(pi.comp, (CASE WHEN e.prim THEN 0 ELSE 1 END) * 1000000000 + e.pos) AS comp
       FROM (${identitiesSql(`${T.eStage} s`, 'evt')}) e JOIN ${T.pIdent} pi USING (ns, id) GROUP BY e.evt`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.oId} AS ${identitiesSql(`${T.eStage} s ANTI JOIN ${T.eMatch} m ON m.evt = s.rowid`, 'evt')}`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.oShared} AS SELECT ns, id, row_number() OVER () AS iid FROM ${T.oId} GROUP BY ns, id HAVING count(DISTINCT evt) > 1`,
    );
    await connectedComponents(
      ctx,
      `SELECT DISTINCT o.evt AS node, s.iid FROM ${T.oId} o JOIN ${T.oShared} s USING (ns, id)`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.oComp} AS
       SELECT DISTINCT o.evt, ${compOffset} + coalesce(c.lab, o.evt) AS comp FROM ${T.oId} o LEFT JOIN ${T.ccOut} c ON c.node = o.evt`,
    );
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.oIdent} AS
       SELECT c.comp, o.ns, o.id, bool_or(o.prim) AS prim, min(o.evt * 1000000000 + o.pos) AS ord
       FROM ${T.oId} o JOIN ${T.oComp} c USING (evt) GROUP BY c.comp, o.ns, o.id`,
    );
    await exec(ctx, `CREATE TEMP TABLE ${T.oMap} AS ${identityMapsSql(T.oIdent)}`);
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.eOwner} AS SELECT evt, comp FROM ${T.eMatch} UNION ALL SELECT evt, comp FROM ${T.oComp}`,
    );
    await drop(ctx, T.eMatch, T.oId, T.oShared, T.ccEdge, T.ccLab, T.ccIdLab, T.ccOut);
  });
  const orphanEvents = Number(await scalar(ctx, `SELECT count(*) FROM ${T.oComp}`));
  const orphanProfiles = Number(await scalar(ctx, `SELECT count(*) FROM ${T.oMap}`));
  await drop(ctx, T.oComp);

  // ---- final tables (under temporary names in main; swapped in later)
  await timed(ctx, 'write profiles', async () => {
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.allComp} AS
       SELECT m.comp, m.primary_ns, m.primary_id, m.identity_map, a.attrs FROM ${T.pMap} m JOIN ${T.pMerged} a USING (comp)
       UNION ALL
       SELECT comp, primary_ns, primary_id, identity_map, NULL::${pAttrs.type} FROM ${T.oMap}`,
    );
    await drop(ctx, T.pMap, T.pMerged, T.oMap);
    await exec(
      ctx,
      `CREATE TEMP TABLE ${T.compPk} AS SELECT comp, row_number() OVER (ORDER BY primary_id, primary_ns, comp) AS pk FROM ${T.allComp}`,
    );
    await exec(
      ctx,
      `CREATE TABLE main.${T.newProfiles} (pk BIGINT PRIMARY KEY, primary_ns VARCHAR NOT NULL, primary_id VARCHAR NOT NULL,
         identity_map ${IDENTITY_MAP_SQL} NOT NULL, attrs ${pAttrs.type})`,
    );
    await exec(
      ctx,
      `INSERT INTO main.${T.newProfiles}
       SELECT k.pk, c.primary_ns, c.primary_id, c.identity_map, c.attrs FROM ${T.allComp} c JOIN ${T.compPk} k USING (comp) ORDER BY k.pk`,
    );
    await drop(ctx, T.allComp);
    await exec(
      ctx,
      `CREATE TABLE main.${T.newIdentities} AS
       SELECT ns, id, pk FROM (
         SELECT comp, ns, id FROM ${T.pIdent} UNION ALL SELECT comp, ns, id FROM ${T.oIdent}) JOIN ${T.compPk} USING (comp)
       ORDER BY ns, id`,
    );
    await drop(ctx, T.pIdent, T.oIdent);
  });
  await timed(ctx, 'write events', async () => {
    await exec(
      ctx,
      `CREATE TABLE main.${T.newEvents} AS
       SELECT k.pk, ${timestampSql(e.timestampType ?? 'VARCHAR')} AS ts, ${eAttrs.expr} AS attrs
       FROM ${T.eStage} s JOIN ${T.eOwner} o ON o.evt = s.rowid JOIN ${T.compPk} k USING (comp)`,
    );
    await drop(ctx, T.eStage, T.eOwner, T.compPk);
  });

  const c = (
    await rows(
      ctx,
      `SELECT (SELECT count(*) FROM main.${T.newEvents}) AS ev,
              (SELECT count(*) FROM main.${T.newIdentities}) AS ids`,
    )
  )[0]!;
  const events = Number(c.ev);
  if (events !== e.records)
    throw new Error(`internal: ${e.records} events read but ${events} attached`);
  return {
    profileRecords: p.records,
    profilesFromRecords,
    fragmentsMerged: p.records - profilesFromRecords,
    events,
    orphanEvents,
    orphanProfiles,
    profiles: profilesFromRecords + orphanProfiles,
    identities: Number(c.ids),
  };
}

// ------------------------------------------------------------------ swap

async function swap(ctx: Ctx, report: LoadReport): Promise<void> {
  await exec(ctx, `CREATE TABLE main.${T.newMeta} (key VARCHAR PRIMARY KEY, value VARCHAR)`);
  await ctx.conn.run(`INSERT INTO main.${T.newMeta} VALUES ('schema', $1), ('report', $2)`, [
    JSON.stringify(report.schema),
    JSON.stringify(report),
  ]);
  await exec(ctx, 'BEGIN TRANSACTION');
  try {
    for (const [from, to] of [
      [T.newProfiles, TABLES.profiles],
      [T.newEvents, TABLES.events],
      [T.newIdentities, TABLES.identities],
      [T.newMeta, TABLES.meta],
    ] as const) {
      await exec(ctx, `DROP TABLE IF EXISTS main.${to}`);
      await exec(ctx, `ALTER TABLE main.${from} RENAME TO ${to}`);
    }
    await exec(ctx, 'COMMIT');
  } catch (err) {
    await exec(ctx, 'ROLLBACK').catch(() => undefined);
    throw err;
  }
}
