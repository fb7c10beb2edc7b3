/**
 * The PostgreSQL dialect (PostgreSQL 13+, and its relatives that speak the
 * same SQL: Citus, …).
 *
 * Storage (engine/postgres/load.ts): profile and event attributes are one
 * JSONB column each. Values: a scalar is a typed SQL value (bigint, double
 * precision, text, boolean, date, timestamp); an object or a map is JSONB; a
 * list is a `jsonb[]` of its elements (a native array: unnest and array_agg
 * copy datums, where jsonb_array_elements re-serialises every element — 5 to
 * 7 times slower on event lists). A scalar taken out of a container is
 * extracted with its PQL type (`CAST(attrs->'loyalty'->>'points' AS bigint)`);
 * a scalar put into one becomes JSON through `to_jsonb` / `jsonb_build_*`
 * (timestamps as ISO text, which the typed extraction reads back).
 *
 * PostgreSQL has no list lambdas: a list function is a correlated subquery
 * `ARRAY(SELECT … FROM unnest(list) WITH ORDINALITY …)`, with the element decoded
 * to its PQL type before the lambda body sees it. A missing (NULL) list gives
 * NULL, an empty one `[]`, as in DuckDB.
 *
 * Timestamps are `timestamp without time zone` holding UTC, as in DuckDB.
 * Strings order by code point (`COLLATE "C"`); `lower` follows the database's
 * LC_CTYPE, which must be a UTF-8 locale (C.UTF-8 or any xx_XX.UTF-8).
 */
import type { PqlType } from '@seg/shared';
import type { SqlDialect, SqlIntervalUnit, SqlScalarType } from './dialect.js';

let counter = 0;
/** Subquery aliases must be unique wherever list functions nest. */
function fresh(prefix: string): string {
  counter = (counter + 1) % 1_000_000;
  return `${prefix}${counter}`;
}

const PG_TYPES: Record<SqlScalarType, string> = {
  BOOLEAN: 'BOOLEAN',
  BIGINT: 'BIGINT',
  DOUBLE: 'DOUBLE PRECISION',
  VARCHAR: 'TEXT',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
};

function scalarType(type: PqlType): string | undefined {
  switch (type.kind) {
    case 'boolean':
      return 'boolean';
    case 'int':
      return 'bigint';
    case 'double':
      return 'double precision';
    case 'string':
      return 'text';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamp';
    default:
      return undefined;
  }
}

/** A SQL string literal for names that come from the schema or the definition's text. */
function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Decoded objects (`nullif(j, 'null'::jsonb)`) → their JSON `j`: a field of
 * an object is read from `j` directly (`->` on JSON null is NULL anyway), so a
 * path compiles to `p.attrs -> 'loyalty' ->> 'tier'`, the expression an
 * index would be built on.
 */
const decodedObjects = new Map<string, string>();

/** A JSONB value (possibly JSON null) as the PQL type's SQL representation. */
export function decodeJson(json: string, type: PqlType): string {
  const t = scalarType(type);
  if (t === 'text') return `(${json} #>> '{}')`;
  if (t) return `CAST(${json} #>> '{}' AS ${t})`;
  if (type.kind === 'list')
    return `(CASE WHEN jsonb_typeof(${json}) = 'array' THEN ARRAY(SELECT jsonb_array_elements(${json})) END)`;
  const decoded = `nullif(${json}, 'null'::jsonb)`;
  if (decodedObjects.size > 10_000) decodedObjects.clear();
  decodedObjects.set(decoded, json);
  return decoded;
}

/** `container -> key` (key is SQL: a literal or an expression) as the PQL type's representation. */
function extract(decodedContainer: string, key: string, type: PqlType): string {
  const container = decodedObjects.get(decodedContainer) ?? decodedContainer;
  const t = scalarType(type);
  if (t === 'text') return `(${container} ->> ${key})`;
  if (t) return `CAST(${container} ->> ${key} AS ${t})`;
  return decodeJson(`${container} -> ${key}`, type);
}

/** An ordering key for a decoded value (strings in code-point order). */
function orderKey(sql: string, type: PqlType): string {
  return type.kind === 'string' ? `${sql} COLLATE "C"` : sql;
}

/**
 * A list function over the elements of `list`: `inner(l)` is evaluated with
 * `l` bound to the list; NULL when the list is NULL. `OFFSET 0` keeps the
 * planner from pulling the one-row subquery up, which would copy the list's
 * SQL into each use of `l` (exponential in the nesting depth).
 */
function overList(list: string, inner: (l: string) => string): string {
  const s = fresh('l');
  return `(SELECT CASE WHEN ${s}.v IS NULL THEN NULL ELSE ${inner(`${s}.v`)} END FROM (SELECT ${list} AS v OFFSET 0) ${s})`;
}

/** The elements of a list (a `jsonb[]`) with their 1-based positions. */
function elements(list: string, alias: string): string {
  return `unnest(${list}) WITH ORDINALITY ${alias}(v, i)`;
}

/** A SQL value as a list element (JSONB). */
function toJson(sql: string): string {
  return sql === 'NULL' ? `'null'::jsonb` : `to_jsonb(${sql})`;
}

const ORDERING_OPS = new Set(['<', '<=', '>', '>=']);

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  placeholder: (index, type) => `CAST($${index} AS ${PG_TYPES[type]})`,
  sqlType(type: PqlType): SqlScalarType | undefined {
    switch (type.kind) {
      case 'boolean':
        return 'BOOLEAN';
      case 'int':
        return 'BIGINT';
      case 'double':
        return 'DOUBLE';
      case 'string':
        return 'VARCHAR';
      case 'date':
        return 'DATE';
      case 'datetime':
        return 'TIMESTAMP';
      default:
        return undefined;
    }
  },

  structField: (struct, name, type) => extract(struct, lit(name), type),
  listLiteral: (items) => `ARRAY[${items.map(toJson).join(', ')}]::jsonb[]`,

  listLength: (list) => `cardinality(${list})`,
  listElement: (list, i, element) => decodeJson(`(${list})[CAST(${i} AS integer)]`, element),
  listFilter(list, body, element) {
    const x = fresh('x');
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${x}.v FROM ${elements(l, x)} WHERE ${body(decodeJson(`${x}.v`, element))} ORDER BY ${x}.i)`,
    );
  },
  listTransform(list, body, element) {
    const x = fresh('x');
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${toJson(body(decodeJson(`${x}.v`, element)))} FROM ${elements(l, x)} ORDER BY ${x}.i)`,
    );
  },
  listTransformIndexed(list, body, element) {
    const x = fresh('x');
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${toJson(body(decodeJson(`${x}.v`, element), `${x}.i`))} FROM ${elements(l, x)} ORDER BY ${x}.i)`,
    );
  },
  listContains(list, value, element) {
    const x = fresh('x');
    return `EXISTS (SELECT 1 FROM unnest(${list}) ${x}(v) WHERE ${decodeJson(`${x}.v`, element)} = ${value})`;
  },
  listHasAll(list, sub, element) {
    const x = fresh('x');
    const y = fresh('y');
    const l = fresh('l');
    return `(SELECT CASE WHEN ${l}.a IS NULL OR ${l}.b IS NULL THEN NULL ELSE NOT EXISTS (SELECT 1 FROM unnest(${l}.b) ${y}(v) WHERE ${decodeJson(`${y}.v`, element)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unnest(${l}.a) ${x}(v) WHERE ${decodeJson(`${x}.v`, element)} = ${decodeJson(`${y}.v`, element)})) END FROM (SELECT ${list} AS a, ${sub} AS b OFFSET 0) ${l})`;
  },
  listHasAny(a, b, element) {
    const x = fresh('x');
    const y = fresh('y');
    return `EXISTS (SELECT 1 FROM unnest(${a}) ${x}(v) JOIN unnest(${b}) ${y}(v) ON ${decodeJson(`${x}.v`, element)} = ${decodeJson(`${y}.v`, element)})`;
  },
  listSort(list, descending, element) {
    const x = fresh('x');
    const dir = descending ? 'DESC' : 'ASC';
    let keys: string[];
    if (element.kind === 'object') {
      // structs sort field by field, in their declared order; NULL elements last
      keys = Object.entries(element.fields)
        .filter(([, t]) => scalarType(t) !== undefined)
        .map(([name, t]) => `${orderKey(extract(`${x}.v`, lit(name), t), t)} ${dir} NULLS LAST`);
      keys.unshift(`(${x}.v IS NULL OR jsonb_typeof(${x}.v) = 'null') ASC`);
    } else {
      keys = [`${orderKey(decodeJson(`${x}.v`, element), element)} ${dir} NULLS LAST`];
    }
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${x}.v FROM ${elements(l, x)} ORDER BY ${[...keys, `${x}.i`].join(', ')})`,
    );
  },
  listSlice: (list, from, to) => `(${list})[CAST(${from} AS integer):CAST(${to} AS integer)]`,
  listSum(list, element) {
    const x = fresh('x');
    return `(SELECT sum(${decodeJson(`${x}.v`, element)}) FROM unnest(${list}) ${x}(v))`;
  },
  listAvg(list, element) {
    const x = fresh('x');
    return `(SELECT CAST(avg(${decodeJson(`${x}.v`, element)}) AS DOUBLE PRECISION) FROM unnest(${list}) ${x}(v))`;
  },
  listMin(list, element) {
    const x = fresh('x');
    const v = decodeJson(`${x}.v`, element);
    const agg = element.kind === 'boolean' ? `bool_and(${v})` : `min(${orderKey(v, element)})`;
    return `(SELECT ${agg} FROM unnest(${list}) ${x}(v))`;
  },
  listMax(list, element) {
    const x = fresh('x');
    const v = decodeJson(`${x}.v`, element);
    const agg = element.kind === 'boolean' ? `bool_or(${v})` : `max(${orderKey(v, element)})`;
    return `(SELECT ${agg} FROM unnest(${list}) ${x}(v))`;
  },
  listFlatten(list) {
    const x = fresh('x');
    const y = fresh('y');
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${y}.v FROM ${elements(l, x)} CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(${x}.v) = 'array' THEN ${x}.v ELSE '[]'::jsonb END) WITH ORDINALITY ${y}(v, i) ORDER BY ${x}.i, ${y}.i)`,
    );
  },
  listDistinctUnordered(list) {
    const x = fresh('x');
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT DISTINCT ${x}.v FROM unnest(${l}) ${x}(v) WHERE jsonb_typeof(${x}.v) <> 'null')`,
    );
  },
  listPosition(list, value, element) {
    const x = fresh('x');
    return `coalesce((SELECT min(${x}.i) FROM ${elements(list, x)} WHERE ${decodeJson(`${x}.v`, element)} IS NOT DISTINCT FROM ${value}), 0)`;
  },
  structPack: (fields) =>
    `jsonb_build_object(${fields.map(([k, v]) => `${lit(k)}, ${v}`).join(', ')})`,

  mapGet: (map, key, type) => extract(`(${map})`, `(${key})`, type),
  // hashint8 is PostgreSQL's own stable hash; the low bits of its two's complement are in range
  hashBucket: (key, buckets) => `(hashint8(${key}) & ${buckets - 1})`,
  identityNamespaces: (identityMap) => `jsonb_object_keys(${identityMap})`,
  sumOverNamespaces(identityMap, valueOf) {
    const k = fresh('k');
    return `coalesce((SELECT sum(${valueOf(k)}) FROM jsonb_object_keys(${identityMap}) ${k}), 0)`;
  },
  jsonText: (value) => `CAST(${value} AS TEXT)`,
  mapKeys(map) {
    const k = fresh('k');
    return overList(
      map,
      (m) =>
        `ARRAY(SELECT to_jsonb(${k}) FROM jsonb_object_keys(${m}) ${k} ORDER BY ${k} COLLATE "C")`,
    );
  },
  mapCount(map) {
    const k = fresh('k');
    return overList(map, (m) => `(SELECT count(*) FROM jsonb_object_keys(${m}) ${k})`);
  },
  mapFromEntries(entries) {
    const x = fresh('x');
    return overList(
      entries,
      (l) =>
        `coalesce((SELECT jsonb_object_agg(${x}.v ->> 'key', ${x}.v -> 'value') FROM unnest(${l}) ${x}(v) WHERE ${x}.v ->> 'key' IS NOT NULL), '{}'::jsonb)`,
    );
  },

  compare: (left, op, right, type) =>
    type.kind === 'string' && ORDERING_OPS.has(op)
      ? `${left} ${op} ${right} COLLATE "C"`
      : `${left} ${op} ${right}`,
  divide: (left, right) => `(CAST(${left} AS DOUBLE PRECISION) / NULLIF(${right}, 0))`,
  modulo: (left, right, type) =>
    type.kind === 'int'
      ? `(${left} % NULLIF(${right}, 0))`
      : `CAST(mod(CAST(${left} AS numeric), CAST(NULLIF(${right}, 0) AS numeric)) AS DOUBLE PRECISION)`,
  makeDate: (y, m, d) =>
    `make_date(CAST(${y} AS integer), CAST(${m} AS integer), CAST(${d} AS integer))`,

  // LIKE without an escape character (PQL has none); `_` is one character
  like: (text, pattern) => `(${text} LIKE ${pattern} ESCAPE '')`,
  regexMatches: (text, regex) => `(${text} ~ ${pgRegex(regex)})`,
  regexExtract(text, regex, group) {
    // regexp_match gives the groups only: one more group around the whole pattern is group 0
    // (kept after a leading embedded-options item like (?i), which must stay first)
    const wrapped = `(regexp_replace(${pgRegex(regex)}, '^(\\(\\?[a-zA-Z]+\\))?', '\\1(') || ')')`;
    return `CASE WHEN ${text} ~ ${pgRegex(regex)} THEN coalesce((regexp_match(${text}, ${wrapped}))[CAST(${group} AS integer) + 1], '') END`;
  },
  startsWith: (text, prefix) => `starts_with(${text}, ${prefix})`,
  endsWith: (text, suffix) => `(right(${text}, length(${suffix})) = ${suffix})`,
  contains: (text, part) => `(strpos(${text}, ${part}) > 0)`,
  lower: (text) => `lower(${text})`,
  toText: (value) => `CAST(${value} AS TEXT)`,

  datePart: (part, t) => `CAST(extract(${part} FROM ${t}) AS BIGINT)`,
  toTimestamp: (date) => `CAST(${date} AS TIMESTAMP)`,
  addInterval: (ts, amount, unit: SqlIntervalUnit) => `(${ts} + ${amount} * INTERVAL '1 ${unit}')`,

  countIf: (c) => `count(*) FILTER (WHERE ${c})`,
  sumIf: (v, c) => `sum(${v}) FILTER (WHERE ${c})`,
  avgIf: (v, c) => `CAST(avg(${v}) FILTER (WHERE ${c}) AS DOUBLE PRECISION)`,
  minIf: (v, c) => `min(${v}) FILTER (WHERE ${c})`,
  maxIf: (v, c) => `max(${v}) FILTER (WHERE ${c})`,
  boolOrIf: (v, c) => `bool_or(${v}) FILTER (WHERE ${c})`,
  boolAndIf: (v, c) => `bool_and(${v}) FILTER (WHERE ${c})`,
  sortedListIf: (v, c) =>
    `array_agg(to_jsonb(${v}) ORDER BY ${v}) FILTER (WHERE ${c} AND ${v} IS NOT NULL)`,
  listAll: (row, orderBy) => `array_agg(${row} ORDER BY ${orderBy})`,
  firstOrderedIf: (value, orderBy, condition) =>
    `(array_agg(${value} ORDER BY ${orderBy.map(([k, dir]) => `${k} ${dir}`).join(', ')}) FILTER (WHERE ${condition}))[1]`,
  projectedList(value, orderBy, valuesAreLists) {
    if (!valuesAreLists)
      return `array_agg(to_jsonb(${value})${orderBy ? ` ORDER BY ${orderBy}` : ''}) FILTER (WHERE ${value} IS NOT NULL)`;
    // the aggregate belongs to the outer (grouped) query: its arguments are the event row's
    const rows = `jsonb_agg(to_jsonb(${value})${orderBy ? ` ORDER BY ${orderBy}` : ''}) FILTER (WHERE ${value} IS NOT NULL)`;
    return `ARRAY(SELECT jsonb_array_elements(jsonb_path_query_array(${rows}, '$[*][*] ? (@ != null)')))`;
  },
};

/**
 * PQL's regular expressions (Java syntax, as DuckDB's RE2 reads them) in
 * PostgreSQL's ARE: the constructs that differ are word boundaries (`\b`,
 * `\B` are `\y`, `\Y`) and the end of text (`\z` is `\Z`).
 */
function pgRegex(regex: string): string {
  return `regexp_replace(regexp_replace(regexp_replace(${regex}, '(^|[^\\\\])\\\\b', '\\1\\\\y', 'g'), '(^|[^\\\\])\\\\B', '\\1\\\\Y', 'g'), '(^|[^\\\\])\\\\z', '\\1\\\\Z', 'g')`;
}
