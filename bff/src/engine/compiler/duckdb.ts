/** The DuckDB dialect: nested STRUCT/LIST/MAP columns and list lambdas. */
import { sqlScalarType, type SqlDialect, type SqlIntervalUnit } from './dialect.js';

let lambdaCounter = 0;
/** Lambda variables must be unique wherever lambdas nest. */
function freshVar(): string {
  lambdaCounter = (lambdaCounter + 1) % 1_000_000;
  return `x${lambdaCounter}`;
}

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  placeholder: (index, type) => `CAST($${index} AS ${type})`,
  sqlType: sqlScalarType,

  structField(struct, name) {
    return `struct_extract(${struct}, ${sqlString(name)})`;
  },
  listLiteral: (items) => `[${items.join(', ')}]`,

  listLength: (list) => `len(${list})`,
  listElement: (list, i) => `list_extract(${list}, ${i})`,
  listFilter(list, body) {
    const v = freshVar();
    return `list_filter(${list}, lambda ${v}: ${body(v)})`;
  },
  listTransform(list, body) {
    const v = freshVar();
    return `list_transform(${list}, lambda ${v}: ${body(v)})`;
  },
  listTransformIndexed(list, body) {
    const v = freshVar();
    const i = freshVar();
    return `list_transform(${list}, lambda ${v}, ${i}: ${body(v, i)})`;
  },
  listContains: (list, value) => `list_contains(${list}, ${value})`,
  listHasAll: (list, sub) => `list_has_all(${list}, ${sub})`,
  listHasAny: (a, b) => `list_has_any(${a}, ${b})`,
  listSort: (list, descending) =>
    `list_sort(${list}, '${descending ? 'DESC' : 'ASC'}', 'NULLS LAST')`,
  listSlice: (list, from, to) => `list_slice(${list}, ${from}, ${to})`,
  listSum: (list) => `list_sum(${list})`,
  listAvg: (list) => `list_avg(${list})`,
  listMin: (list) => `list_min(${list})`,
  listMax: (list) => `list_max(${list})`,
  listFlatten: (list) => `flatten(${list})`,
  listDistinctUnordered: (list) => `list_distinct(${list})`,
  listPosition: (list, value) => `coalesce(list_position(${list}, ${value}), 0)`,
  structPack: (fields) =>
    `struct_pack(${fields.map(([k, v]) => `${duckdbDialect.quoteIdent(k)} := ${v}`).join(', ')})`,

  mapGet: (map, key) => `element_at(${map}, ${key})[1]`,
  hashBucket: (key, buckets) => `(hash(${key}) % ${buckets})`,
  identityNamespaces: (identityMap) => `unnest(map_keys(${identityMap}))`,
  sumOverNamespaces: (identityMap, valueOf) => {
    const k = freshVar();
    return `coalesce(list_sum(list_transform(map_keys(${identityMap}), ${k} -> ${valueOf(k)})), 0)`;
  },
  jsonText: (value) => `CAST(to_json(${value}) AS VARCHAR)`,
  mapKeys: (map) => `list_sort(map_keys(${map}))`,
  mapCount: (map) => `cardinality(${map})`,
  mapFromEntries: (entries) => `map_from_entries(${entries})`,

  compare: (left, op, right) => `${left} ${op} ${right}`,
  divide: (left, right) => `(CAST(${left} AS DOUBLE) / NULLIF(${right}, 0))`,
  modulo: (left, right) => `(${left} % NULLIF(${right}, 0))`,
  makeDate: (y, m, d) => `make_date(${y}, ${m}, ${d})`,

  like: (text, pattern) => `(${text} LIKE ${pattern})`,
  regexMatches: (text, regex) => `regexp_matches(${text}, ${regex})`,
  regexExtract: (text, regex, group) =>
    `CASE WHEN regexp_matches(${text}, ${regex}) THEN regexp_extract(${text}, ${regex}, CAST(${group} AS INTEGER)) END`,
  startsWith: (text, prefix) => `starts_with(${text}, ${prefix})`,
  endsWith: (text, suffix) => `suffix(${text}, ${suffix})`,
  contains: (text, part) => `contains(${text}, ${part})`,
  lower: (text) => `lower(${text})`,
  toText: (value) => `CAST(${value} AS VARCHAR)`,

  datePart: (part, t) => `${part}(${t})`,
  toTimestamp: (date) => `CAST(${date} AS TIMESTAMP)`,
  addInterval: (ts, amount, unit: SqlIntervalUnit) => `(${ts} + ${amount} * INTERVAL 1 ${unit})`,

  countIf: (c) => `count(*) FILTER (WHERE ${c})`,
  sumIf: (v, c) => `sum(${v}) FILTER (WHERE ${c})`,
  avgIf: (v, c) => `avg(${v}) FILTER (WHERE ${c})`,
  minIf: (v, c) => `min(${v}) FILTER (WHERE ${c})`,
  maxIf: (v, c) => `max(${v}) FILTER (WHERE ${c})`,
  boolOrIf: (v, c) => `bool_or(${v}) FILTER (WHERE ${c})`,
  boolAndIf: (v, c) => `bool_and(${v}) FILTER (WHERE ${c})`,
  // An ordered aggregate (`list(x ORDER BY k)`) buffers and sorts each group apart, 5× slower
  // than collecting (key, value) pairs and sorting each profile's small list afterwards.
  sortedListIf: (v, c) => `list_sort(list(${v}) FILTER (WHERE ${c} AND ${v} IS NOT NULL))`,
  listAll: (row, orderBy) => sortedByKey(row, orderBy, undefined),
  firstOrderedIf: (value, orderBy, condition) =>
    `first(${value} ORDER BY ${orderBy.map(([k, dir]) => `${k} ${dir}`).join(', ')}) FILTER (WHERE ${condition})`,
  projectedList(value, orderBy, valuesAreLists) {
    const rows = orderBy
      ? sortedByKey(value, orderBy, `${value} IS NOT NULL`)
      : `list(${value}) FILTER (WHERE ${value} IS NOT NULL)`;
    if (!valuesAreLists) return rows;
    const v = freshVar();
    return `list_filter(flatten(${rows}), lambda ${v}: ${v} IS NOT NULL)`;
  },
};

/**
 * `list(value ORDER BY key)` (optionally FILTERed) as an unordered aggregate of (key, value)
 * pairs, put in key order afterwards by grading the keys (NULL keys last, like ORDER BY; the
 * values themselves are never compared, so any type can be listed).
 */
function sortedByKey(value: string, key: string, filter: string | undefined): string {
  const pairs = `list({'k': ${key}, 'v': ${value}})${filter ? ` FILTER (WHERE ${filter})` : ''}`;
  const a = freshVar();
  const b = freshVar();
  return `list_select(list_transform(${pairs}, lambda ${a}: ${a}.v), list_grade_up(list_transform(${pairs}, lambda ${b}: ${b}.k), 'ASC', 'NULLS LAST'))`;
}

/** A SQL string literal for identifiers-as-strings that come from the schema, never from users. */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
