/**
 * Column types of a loaded dataset: what DuckDB read (`Raw`), how the data
 * contract's rules resolve it (`resolve`), and the matching DuckDB SQL types
 * and PQL types.
 *
 * JSON strings are read as VARCHAR; whether a string field is a date, a
 * date-time or a plain string is decided afterwards over all its values
 * (data-contract.md §Types), so DuckDB's own date sniffing never decides.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import type { PqlType } from '@seg/shared';

export type Raw =
  /** A JSON string (or a Parquet VARCHAR): date / date-time / string decided by `resolve`. */
  | { readonly t: 'string' }
  /** `wide`: read as HUGEINT (DuckDB's JSON sniffer says HUGEINT for a mix of negative and large positive
   *  integers); `resolve` makes it BIGINT when every value fits, else DOUBLE. */
  | { readonly t: 'int'; readonly wide?: boolean }
  | { readonly t: 'double' }
  | { readonly t: 'boolean' }
  /** Native DATE (Parquet). */
  | { readonly t: 'date' }
  /** Native TIMESTAMP / TIMESTAMPTZ (Parquet), or a string field resolved to date-time (`fromString`). */
  | { readonly t: 'datetime'; readonly fromString?: boolean }
  /** Values of mixed kinds (or only nulls: `nullOnly`); kept as DuckDB JSON. */
  | { readonly t: 'json'; readonly nullOnly?: boolean }
  | { readonly t: 'list'; readonly el: Raw }
  | { readonly t: 'struct'; readonly fields: readonly (readonly [string, Raw])[] }
  | { readonly t: 'map'; readonly value: Raw };

export const R = {
  string: { t: 'string' },
  int: { t: 'int' },
  double: { t: 'double' },
  boolean: { t: 'boolean' },
  date: { t: 'date' },
  datetime: { t: 'datetime' },
  json: { t: 'json' },
} as const satisfies Record<string, Raw>;

/** The identity map type, as stored in `profiles.identity_map`. */
export const IDENTITY_MAP_SQL = 'MAP(VARCHAR, STRUCT(id VARCHAR, "primary" BOOLEAN)[])';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Map a DuckDB type to a Raw type. For JSON input, DuckDB's sniffed DATE /
 * TIMESTAMP types are strings in the file, so they become `string` again;
 * for Parquet they are native.
 */
export function rawFromDuck(type: DuckDBType, source: 'json' | 'parquet'): Raw {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? R.json : R.string;
    case DuckDBTypeId.BOOLEAN:
      return R.boolean;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return R.int;
    // Possibly beyond BIGINT: decided from the values (BIGINT when all fit, else DOUBLE).
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
      return { t: 'int', wide: true };
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
      return R.double;
    case DuckDBTypeId.DATE:
      return source === 'json' ? R.string : R.date;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return source === 'json' ? R.string : R.datetime;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { t: 'list', el: rawFromDuck(type.valueType, source) };
    case DuckDBTypeId.STRUCT:
      if (type.entryNames.length === 0) return R.json;
      return {
        t: 'struct',
        fields: type.entryNames.map(
          (n, i) => [n, rawFromDuck(type.entryTypes[i]!, source)] as const,
        ),
      };
    case DuckDBTypeId.MAP:
      return { t: 'map', value: rawFromDuck(type.valueType, source) };
    case DuckDBTypeId.SQLNULL:
      return { t: 'json', nullOnly: true };
    default:
      // TIME, UUID, INTERVAL, BLOB, ENUM, ...: compared as their text.
      return R.string;
  }
}

/**
 * The DuckDB type of a Raw. `stage` is the type to read with (strings as
 * VARCHAR); `final` what the loaded table holds; `inter` the hop used when
 * casting stage → final, where string date-times go through TIMESTAMPTZ so
 * their UTC offsets are honoured.
 */
export function sqlType(raw: Raw, mode: 'stage' | 'inter' | 'final'): string {
  switch (raw.t) {
    case 'string':
      return 'VARCHAR';
    case 'int':
      return raw.wide ? 'HUGEINT' : 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'datetime':
      if (raw.fromString)
        return mode === 'stage' ? 'VARCHAR' : mode === 'inter' ? 'TIMESTAMPTZ' : 'TIMESTAMP';
      return 'TIMESTAMP';
    case 'json':
      return 'JSON';
    case 'list':
      return `${sqlType(raw.el, mode)}[]`;
    case 'struct':
      return `STRUCT(${raw.fields.map(([n, f]) => `${quoteIdent(n)} ${sqlType(f, mode)}`).join(', ')})`;
    case 'map':
      return `MAP(VARCHAR, ${sqlType(raw.value, mode)})`;
  }
}

export function hasStringDatetime(raw: Raw): boolean {
  switch (raw.t) {
    case 'datetime':
      return raw.fromString === true;
    case 'list':
      return hasStringDatetime(raw.el);
    case 'map':
      return hasStringDatetime(raw.value);
    case 'struct':
      return raw.fields.some(([, f]) => hasStringDatetime(f));
    default:
      return false;
  }
}

export function pqlType(raw: Raw): PqlType {
  switch (raw.t) {
    case 'string':
      return { kind: 'string' };
    case 'int':
      return { kind: 'int' };
    case 'double':
      return { kind: 'double' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'date':
      return { kind: 'date' };
    case 'datetime':
      return { kind: 'datetime' };
    case 'json':
      return raw.nullOnly ? { kind: 'null' } : { kind: 'any' };
    case 'list':
      return { kind: 'list', element: pqlType(raw.el) };
    case 'map':
      return { kind: 'map', value: pqlType(raw.value) };
    case 'struct':
      return {
        kind: 'object',
        fields: Object.fromEntries(raw.fields.map(([n, f]) => [n, pqlType(f)])),
      };
  }
}

// ------------------------------------------------------------------ value checks

/** One step from a column down to a leaf. */
export type Step = { readonly field: string } | 'list' | 'map';

export interface Leaf {
  readonly steps: readonly Step[];
  readonly raw: Raw;
}

/** Leaves whose final type depends on the values: strings (date rule), JSON (null-only or mixed), wide integers. */
export function checkLeaves(raw: Raw, steps: Step[] = []): Leaf[] {
  switch (raw.t) {
    case 'string':
    case 'json':
      return [{ steps, raw }];
    case 'int':
      return raw.wide ? [{ steps, raw }] : [];
    case 'list':
      return checkLeaves(raw.el, [...steps, 'list']);
    case 'map':
      return checkLeaves(raw.value, [...steps, 'map']);
    case 'struct':
      return raw.fields.flatMap(([n, f]) => checkLeaves(f, [...steps, { field: n }]));
    default:
      return [];
  }
}

let lambdaSeq = 0;

/**
 * A boolean SQL expression over one row: `pred` holds for every (mode 'all')
 * or some (mode 'any') value reached from `expr` along `steps` (through
 * struct fields, list elements and map values).
 */
export function quantify(
  expr: string,
  steps: readonly Step[],
  pred: (x: string) => string,
  mode: 'all' | 'any',
): string {
  if (steps.length === 0) return pred(expr);
  const [step, ...rest] = steps;
  if (typeof step === 'object')
    return quantify(`struct_extract(${expr}, ${quoteLiteral(step.field)})`, rest, pred, mode);
  const v = `x${++lambdaSeq}`;
  const src = step === 'list' ? expr : `map_values(${expr})`;
  const agg = mode === 'all' ? 'list_bool_and' : 'list_bool_or';
  return `coalesce(${agg}(list_transform(${src}, ${v} -> ${quantify(v, rest, pred, mode)})), ${mode === 'all' ? 'true' : 'false'})`;
}

const DATE_RE = '[0-9]{4}-[0-9]{2}-[0-9]{2}';
const DATETIME_RE =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)';

/** SQL: the VARCHAR `x` is a calendar date written YYYY-MM-DD. */
export function isDateSql(x: string): string {
  return `(regexp_full_match(${x}, '${DATE_RE}') AND try_cast(${x} AS DATE) IS NOT NULL)`;
}

/** SQL: the VARCHAR `x` is an ISO-8601 date-time with `Z` or a UTC offset. */
export function isDateTimeSql(x: string): string {
  return `(regexp_full_match(${x}, '${DATETIME_RE}') AND try_cast(${x} AS TIMESTAMPTZ) IS NOT NULL)`;
}

/** Replace the leaf at `steps` inside `raw`. */
export function replaceLeaf(raw: Raw, steps: readonly Step[], leaf: Raw): Raw {
  if (steps.length === 0) return leaf;
  const [step, ...rest] = steps;
  if (step === 'list' && raw.t === 'list')
    return { t: 'list', el: replaceLeaf(raw.el, rest, leaf) };
  if (step === 'map' && raw.t === 'map')
    return { t: 'map', value: replaceLeaf(raw.value, rest, leaf) };
  if (typeof step === 'object' && raw.t === 'struct') {
    return {
      t: 'struct',
      fields: raw.fields.map(([n, f]) =>
        n === step.field ? [n, replaceLeaf(f, rest, leaf)] : [n, f],
      ),
    };
  }
  throw new Error('replaceLeaf: path does not match type');
}
