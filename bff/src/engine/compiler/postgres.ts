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
 * NULL, an empty one `[]`, as in DuckDB. A list read from a JSON attribute is
 * not built as an array first: the list functions read its elements from the
 * JSON array (`jsonb_array_elements`), and `includes` / `intersects` of
 * strings are the JSONB operators `?` / `?|`, of booleans and integers `@>`
 * (`JsonList` below).
 *
 * Timestamps are `timestamp without time zone` holding UTC, as in DuckDB.
 * Strings order by code point (`COLLATE "C"`); `lower` follows the database's
 * LC_CTYPE, which must be a UTF-8 locale (C.UTF-8 or any xx_XX.UTF-8).
 */
import type { PqlType } from '@seg/shared';
import { sqlScalarType, type SqlDialect, type SqlIntervalUnit, type SqlScalarType } from './dialect.js';

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

/**
 * Lists read from JSON, by their SQL: a list decoded from a JSON array `j`
 * (`decodeJson`), and the lists that filter and transform derive from one.
 * Their `jsonb[]` is only built where a generic list operation needs it:
 * list functions read the elements straight from `j`
 * (`jsonb_array_elements(j) WITH ORDINALITY x(v, i)`, one decoding instead of
 * decoding into an array, then unnesting it), a filter only counted is a
 * count, `includes` of a scalar is a JSONB operator (`?`, `@>`), and the
 * projection of an event list gathers the events' arrays as they are. Like
 * the decoded list, each is NULL when `j` is not an array.
 *
 * `element` and `where` are SQL over the element alias they are given: every
 * reader takes a fresh one, so that a list read inside a function over the
 * same list does not see the outer reader's elements.
 */
interface JsonList {
  /** The JSON array. */
  readonly json: string;
  /** The list is `j`'s elements as they are (`x.v`): no filter, no transform. */
  readonly plain: boolean;
  /** The list's element (JSONB) from element `x` of the JSON array. */
  readonly element: (x: string) => string;
  /** Which elements the list keeps (undefined: all, so `x.i` is the position). */
  readonly where: ((x: string) => string) | undefined;
}
const jsonLists = new Map<string, JsonList>();
/** Lists whose length has a cheaper form than `cardinality` of the array (distinct elements). */
const listLengths = new Map<string, string>();

function remember<V>(map: Map<string, V>, sql: string, value: V): void {
  if (map.size > 10_000) map.clear();
  map.set(sql, value);
}

/** What is known of a list's SQL, also when the compiler put it in parentheses. */
function lookup<V>(map: Map<string, V>, sql: string): V | undefined {
  const known = map.get(sql);
  if (known !== undefined || !sql.startsWith('(') || !sql.endsWith(')')) return known;
  // "(" + key + ")" is the key in parentheses: every key is a complete expression
  return map.get(sql.slice(1, -1));
}

/** SQL built over alias `from` as a function of the alias (names outside string literals). */
function overAlias(sql: string, from: string): (x: string) => string {
  const name = new RegExp(`\\b${from}\\.`, 'g');
  return (x) =>
    x === from
      ? sql
      : sql
          .split(/('(?:[^']|'')*')/)
          .map((part, i) => (i % 2 === 1 ? part : part.replace(name, `${x}.`)))
          .join('');
}

const isArray = (l: JsonList) => `jsonb_typeof(${l.json}) = 'array'`;

/** `sql` when the list's JSON is an array, else `otherwise` (NULL: the list is missing). */
function ifArray(l: JsonList, sql: string, otherwise = ''): string {
  return `(CASE WHEN ${isArray(l)} THEN ${sql}${otherwise ? ` ELSE ${otherwise}` : ''} END)`;
}

/** The FROM item of the JSON array's elements (only under `ifArray`). */
function jsonElements(l: JsonList, x: string): string {
  return `jsonb_array_elements(${l.json}) WITH ORDINALITY ${x}(v, i)`;
}

/** The list's own condition, then `condition` on the elements it keeps (in that order). */
function keeping(l: JsonList, x: string, condition?: string): string | undefined {
  const own = l.where?.(x);
  if (own && condition) return `CASE WHEN ${own} THEN ${condition} END`;
  return own ?? condition;
}

function whereClause(condition: string | undefined): string {
  return condition ? ` WHERE ${condition}` : '';
}

/**
 * Element kinds whose JSON equality (containment) is SQL equality of the
 * decoded values: strings, booleans and integers (`to_jsonb` of a bigint is the
 * number DuckDB wrote). Not doubles (their JSON text is DuckDB's, `to_jsonb`'s
 * follows extra_float_digits), not dates and date-times (text in JSON).
 */
function exactInJson(element: PqlType): boolean {
  return element.kind === 'string' || element.kind === 'boolean' || element.kind === 'int';
}

/** `value` (SQL) compares with the list's elements as JSON: of the elements' type, never NULL. */
function containable(element: PqlType, value: string): boolean {
  if (value === 'NULL') return false;
  if (element.kind === 'string' || element.kind === 'boolean') return true;
  // a bigint parameter (a double value compares with an integer element as a double)
  return element.kind === 'int' && /^CAST\(\$\d+ AS BIGINT\)$/.test(value);
}

/**
 * Whether the list (read from JSON, a JSON array) holds the scalar value:
 * a string is one of the array's strings (`?`), another value is contained.
 */
function jsonContains(l: JsonList, value: string, element: PqlType): string {
  return element.kind === 'string'
    ? `coalesce((${l.json}) ? ${value}, FALSE)`
    : `coalesce((${l.json}) @> to_jsonb(${value}), FALSE)`;
}

const TEXT_PARAMETER = /^CAST\(\$\d+ AS TEXT\)$/;

/** The items (SQL) of list literals, by their SQL. */
const listLiterals = new Map<string, readonly string[]>();

/**
 * A list derived from a JSON list: its elements `element` (over alias `x`)
 * of the JSON elements meeting `where`, in order.
 */
function deriveList(l: JsonList, x: string, element: string, where: string | undefined): string {
  const sql = ifArray(l, `ARRAY(SELECT ${element} FROM ${jsonElements(l, x)}${whereClause(where)} ORDER BY ${x}.i)`);
  // its readers compute the element again (in their conditions, too): only when that is cheap,
  // else they read the array, where each element was computed once
  if (/\bSELECT\b/.test(element)) return sql;
  remember(jsonLists, sql, {
    json: l.json,
    plain: false,
    element: overAlias(element, x),
    where: where === undefined ? undefined : overAlias(where, x),
  });
  return sql;
}

/** A JSONB value (possibly JSON null) as the PQL type's SQL representation. */
export function decodeJson(json: string, type: PqlType): string {
  const t = scalarType(type);
  if (t === 'text') return `(${json} #>> '{}')`;
  if (t) return `CAST(${json} #>> '{}' AS ${t})`;
  if (type.kind === 'list') {
    const decoded = `(CASE WHEN jsonb_typeof(${json}) = 'array' THEN ARRAY(SELECT jsonb_array_elements(${json})) END)`;
    remember(jsonLists, decoded, { json, plain: true, element: (x) => `${x}.v`, where: undefined });
    return decoded;
  }
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

/** An aggregate of the decoded elements of a list (NULL for a missing list). */
function aggregate(list: string, element: PqlType, agg: (value: string) => string): string {
  const x = fresh('x');
  const l = lookup(jsonLists, list);
  if (l) {
    const from = `${jsonElements(l, x)}${whereClause(l.where?.(x))}`;
    return ifArray(l, `(SELECT ${agg(decodeJson(l.element(x), element))} FROM ${from})`);
  }
  return `(SELECT ${agg(decodeJson(`${x}.v`, element))} FROM unnest(${list}) ${x}(v))`;
}

/**
 * Whether SQL over element `x` reads nothing but the element's value `x.v`:
 * no position (`x.i`), no column of a table (`e.ts`, `p.attrs`); the names
 * of its own subqueries are the dialect's (x1, y2, l3, k4).
 */
function readsOnlyElement(sqls: readonly string[], x: string): boolean {
  return sqls.every((sql) => {
    const code = sql.split(/'(?:[^']|'')*'/).join("''");
    for (const [, name, column] of code.matchAll(/\b([A-Za-z_]\w*)\.("?[A-Za-z_]\w*)/g)) {
      if (name === x ? column !== 'v' : !/^[xylk]\d+$/.test(name!)) return false;
    }
    return true;
  });
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
  sqlType: sqlScalarType,

  structField: (struct, name, type) => extract(struct, lit(name), type),
  listLiteral(items) {
    const sql = `ARRAY[${items.map(toJson).join(', ')}]::jsonb[]`;
    remember(listLiterals, sql, items);
    return sql;
  },

  listLength(list) {
    const known = lookup(listLengths, list);
    if (known) return known;
    const l = lookup(jsonLists, list);
    if (!l) return `cardinality(${list})`;
    if (!l.where) return ifArray(l, `jsonb_array_length(${l.json})`);
    const x = fresh('x');
    return ifArray(l, `(SELECT count(*) FROM ${jsonElements(l, x)} WHERE ${l.where(x)})`);
  },
  listElement(list, i, element) {
    const l = lookup(jsonLists, list);
    // a constant position of a JSON array: `j -> i - 1` (a non-array gives NULL)
    if (l?.plain && /^[1-9][0-9]{0,8}$/.test(i)) return decodeJson(`(${l.json} -> ${Number(i) - 1})`, element);
    return decodeJson(`(${list})[CAST(${i} AS integer)]`, element);
  },
  listFilter(list, body, element) {
    const x = fresh('x');
    const l = lookup(jsonLists, list);
    if (l) {
      const e = l.element(x);
      return deriveList(l, x, e, keeping(l, x, body(decodeJson(e, element))));
    }
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${x}.v FROM ${elements(l, x)} WHERE ${body(decodeJson(`${x}.v`, element))} ORDER BY ${x}.i)`,
    );
  },
  listTransform(list, body, element) {
    const x = fresh('x');
    const l = lookup(jsonLists, list);
    if (l) return deriveList(l, x, toJson(body(decodeJson(l.element(x), element))), l.where?.(x));
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${toJson(body(decodeJson(`${x}.v`, element)))} FROM ${elements(l, x)} ORDER BY ${x}.i)`,
    );
  },
  listTransformIndexed(list, body, element) {
    const x = fresh('x');
    const l = lookup(jsonLists, list);
    // positions are the JSON array's when the list keeps every element
    if (l && !l.where) return deriveList(l, x, toJson(body(decodeJson(l.element(x), element), `${x}.i`)), undefined);
    return overList(
      list,
      (l) =>
        `ARRAY(SELECT ${toJson(body(decodeJson(`${x}.v`, element), `${x}.i`))} FROM ${elements(l, x)} ORDER BY ${x}.i)`,
    );
  },
  listContains(list, value, element) {
    const x = fresh('x');
    const l = lookup(jsonLists, list);
    if (l?.plain && containable(element, value)) return ifArray(l, jsonContains(l, value, element), 'FALSE');
    if (l) {
      const found = keeping(l, x, `${decodeJson(l.element(x), element)} = ${value}`);
      return ifArray(l, `EXISTS (SELECT 1 FROM ${jsonElements(l, x)} WHERE ${found})`, 'FALSE');
    }
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
    const l = lookup(jsonLists, a);
    const items = lookup(listLiterals, b);
    if (l?.plain && element.kind === 'string' && items?.every((i) => i === 'NULL' || TEXT_PARAMETER.test(i))) {
      // any of the literal's strings among the array's strings (a NULL item matches nothing)
      const texts = `ARRAY[${items.join(', ')}]::text[]`;
      return ifArray(l, `coalesce((${l.json}) ?| ${texts}, FALSE)`, 'FALSE');
    }
    if (l?.plain && exactInJson(element)) {
      // each of b's elements, decoded then encoded again (to_jsonb of its SQL value), by containment
      const found = jsonContains(l, decodeJson(`${y}.v`, element), element);
      return ifArray(l, `EXISTS (SELECT 1 FROM unnest(${b}) ${y}(v) WHERE ${found})`, 'FALSE');
    }
    if (l) {
      const on = `${decodeJson(l.element(x), element)} = ${decodeJson(`${y}.v`, element)}`;
      return ifArray(
        l,
        `EXISTS (SELECT 1 FROM ${jsonElements(l, x)} JOIN unnest(${b}) ${y}(v) ON ${on}${whereClause(l.where?.(x))})`,
        'FALSE',
      );
    }
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
  listSum: (list, element) => aggregate(list, element, (v) => `sum(${v})`),
  listAvg: (list, element) =>
    aggregate(list, element, (v) => `CAST(avg(${v}) AS DOUBLE PRECISION)`),
  listMin: (list, element) =>
    aggregate(list, element, (v) =>
      element.kind === 'boolean' ? `bool_and(${v})` : `min(${orderKey(v, element)})`,
    ),
  listMax: (list, element) =>
    aggregate(list, element, (v) =>
      element.kind === 'boolean' ? `bool_or(${v})` : `max(${orderKey(v, element)})`,
    ),
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
    const l = lookup(jsonLists, list);
    let distinct: string;
    let count: string;
    if (l) {
      const e = l.element(x);
      const where = whereClause(keeping(l, x, `jsonb_typeof(${e}) <> 'null'`));
      distinct = ifArray(l, `ARRAY(SELECT DISTINCT ${e} FROM ${jsonElements(l, x)}${where})`);
      count = ifArray(l, `(SELECT count(DISTINCT ${e}) FROM ${jsonElements(l, x)}${where})`);
    } else {
      const from = (a: string) => `FROM unnest(${a}) ${x}(v) WHERE jsonb_typeof(${x}.v) <> 'null'`;
      distinct = overList(list, (a) => `ARRAY(SELECT DISTINCT ${x}.v ${from(a)})`);
      count = overList(list, (a) => `(SELECT count(DISTINCT ${x}.v) ${from(a)})`);
    }
    // distinct().count(): counted without building the array
    remember(listLengths, distinct, count);
    return distinct;
  },
  listPosition(list, value, element) {
    const x = fresh('x');
    const l = lookup(jsonLists, list);
    if (l && !l.where) {
      const found = `${decodeJson(l.element(x), element)} IS NOT DISTINCT FROM ${value}`;
      return `coalesce(${ifArray(l, `(SELECT min(${x}.i) FROM ${jsonElements(l, x)} WHERE ${found})`)}, 0)`;
    }
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
    const l = lookup(jsonLists, value);
    if (l) {
      // a list read from the event's JSON: the events' JSON arrays are gathered as they are
      // (array_agg copies the datums), then the list's filter and transform run on their
      // elements, per profile, instead of a subquery per event
      const x = fresh('x');
      const y = fresh('y');
      const element = l.element(x);
      const where = l.where?.(x);
      if (readsOnlyElement([element, where ?? ''], x)) {
        const arrays = `array_agg(${l.json}${orderBy ? ` ORDER BY ${orderBy}` : ''}) FILTER (WHERE ${isArray(l)})`;
        const present = keeping(l, x, `jsonb_typeof(${element}) <> 'null'`)!;
        return `ARRAY(SELECT ${element} FROM unnest(${arrays}) WITH ORDINALITY ${y}(v, i) CROSS JOIN LATERAL jsonb_array_elements(${y}.v) WITH ORDINALITY ${x}(v, i) WHERE ${present} ORDER BY ${y}.i, ${x}.i)`;
      }
    }
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
