/**
 * What differs between SQL engines. The compiler core (compile.ts) writes
 * PQL semantics in terms of these operations only, so that a server dialect
 * (PostgreSQL first) can follow DuckDB without touching the core.
 *
 * Every method returns SQL text built from SQL text: user values never reach
 * here except as placeholders produced by `ParamList.add`.
 */
import type { PqlType } from '@seg/shared';

export type SqlScalarType = 'BOOLEAN' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'DATE' | 'TIMESTAMP';

export type DatePart = 'year' | 'month' | 'day';

/**
 * A one-argument lambda body builder: receives the SQL of the element variable.
 *
 * Types: every SQL value the core handles is in the dialect's representation
 * of its PQL type. Where a dialect stores containers in a generic form (JSONB
 * in PostgreSQL), it needs the PQL type of what it takes out of one: list
 * operations get the element type, field and map access the value's type.
 * DuckDB's typed nested values ignore these arguments.
 */
export type LambdaBody = (element: string) => string;

export interface SqlDialect {
  readonly name: string;
  quoteIdent(name: string): string;
  /** The placeholder of the n-th (1-based) bound parameter, cast to its type. */
  placeholder(index: number, type: SqlScalarType): string;
  sqlType(type: PqlType): SqlScalarType | undefined;

  /** A field of a struct-typed value; `type` is the field's PQL type. */
  structField(struct: string, name: string, type: PqlType): string;
  listLiteral(items: readonly string[]): string;

  // lists (PQL lists are engine lists/arrays; a missing list is NULL)
  listLength(list: string): string;
  listElement(list: string, oneBasedIndex: string, element: PqlType): string;
  listFilter(list: string, body: LambdaBody, element: PqlType): string;
  listTransform(list: string, body: LambdaBody, element: PqlType): string;
  /** Transform with the 1-based position as a second lambda argument. */
  listTransformIndexed(list: string, body: (element: string, index: string) => string, element: PqlType): string;
  listContains(list: string, value: string, element: PqlType): string;
  listHasAll(list: string, sub: string, element: PqlType): string;
  listHasAny(a: string, b: string, element: PqlType): string;
  /** Sorts ascending or descending; NULL elements last. Structs sort field by field. */
  listSort(list: string, descending: boolean, element: PqlType): string;
  listSlice(list: string, from1: string, to1: string): string;
  listSum(list: string, element: PqlType): string;
  listAvg(list: string, element: PqlType): string;
  listMin(list: string, element: PqlType): string;
  listMax(list: string, element: PqlType): string;
  listFlatten(list: string): string;
  /** Distinct non-null elements, in no particular order. */
  listDistinctUnordered(list: string, element: PqlType): string;
  /** 1-based position of the first element equal to value, 0 when absent. */
  listPosition(list: string, value: string, element: PqlType): string;
  structPack(fields: readonly (readonly [string, string])[]): string;

  // maps
  /** The value under `key`; `type` is the map's value type. */
  mapGet(map: string, key: string, type: PqlType): string;
  mapKeys(map: string): string;
  mapCount(map: string): string;
  mapFromEntries(entries: string): string;

  // scalars
  /** `l op r` for op one of = <> != < <= > >=; `type` is the operands' PQL type (strings order by code point). */
  compare(left: string, op: string, right: string, type: PqlType): string;
  /** PQL `/`: always a double; NULL when dividing by zero. */
  divide(left: string, right: string): string;
  /** PQL `%` (sign of the dividend); NULL when the divisor is zero. `type` is the result's type. */
  modulo(left: string, right: string, type: PqlType): string;
  makeDate(year: string, month: string, day: string): string;

  // strings
  like(text: string, pattern: string): string;
  regexMatches(text: string, regex: string): string;
  regexExtract(text: string, regex: string, group: string): string;
  startsWith(text: string, prefix: string): string;
  endsWith(text: string, suffix: string): string;
  contains(text: string, part: string): string;
  lower(text: string): string;
  toText(value: string): string;

  // time
  datePart(part: DatePart, temporal: string): string;
  toTimestamp(date: string): string;
  /** `timestamp ± amount × unit` with calendar units clamping to the month's end. */
  addInterval(timestamp: string, amount: string, unit: SqlIntervalUnit): string;

  // aggregates over the rows of a grouped scan
  countIf(condition: string): string;
  sumIf(value: string, condition: string): string;
  avgIf(value: string, condition: string): string;
  minIf(value: string, condition: string): string;
  maxIf(value: string, condition: string): string;
  boolOrIf(value: string, condition: string): string;
  boolAndIf(value: string, condition: string): string;
  /** The values, sorted ascending, of the rows meeting the condition. */
  sortedListIf(value: string, condition: string): string;
  /** Every row as a list of struct values (the row's `row` expression). */
  listAll(row: string, orderBy: string): string;
  /**
   * The non-null values of every row, in `orderBy` order, as one list; when
   * each value is itself a list, their elements, flattened one level, nulls dropped.
   */
  projectedList(value: string, orderBy: string | undefined, valuesAreLists: boolean): string;
  /** The value of the first row meeting the condition, in the given order. */
  firstOrderedIf(value: string, orderBy: readonly (readonly [string, 'ASC' | 'DESC'])[], condition: string): string;

  // statements around compiled conditions (estimates, previews), not PQL
  /** A stable pseudo-random bucket in [0, buckets) of an integer key; `buckets` a power of two. */
  hashBucket(key: string, buckets: number): string;
  /** Set-returning: one row per key of a profile's identity map (in a SELECT list). */
  identityNamespaces(identityMap: string): string;
  /** The sum over an identity map's namespaces of `valueOf(namespace)` (0 for an empty map). */
  sumOverNamespaces(identityMap: string, valueOf: (namespace: string) => string): string;
  /** A nested value (identity map, attributes) as JSON text. */
  jsonText(value: string): string;
}

export type SqlIntervalUnit = 'MILLISECOND' | 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'MONTH' | 'YEAR';

/** The bound-parameter type of a scalar PQL type (the same for every engine; each spells it). */
export function sqlScalarType(type: PqlType): SqlScalarType | undefined {
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
}

/** Collects bound parameter values; the compiler never pastes a value into SQL text. */
export class ParamList {
  readonly values: unknown[] = [];
  /** Equal values share one placeholder, so equal sub-expressions have equal SQL (and one aggregate). */
  private readonly placeholders = new Map<string, string>();
  constructor(private readonly dialect: SqlDialect) {}

  add(value: unknown, type: SqlScalarType): string {
    const key = `${type}:${typeof value}:${JSON.stringify(value)}`;
    let placeholder = this.placeholders.get(key);
    if (!placeholder) {
      this.values.push(value);
      placeholder = this.dialect.placeholder(this.values.length, type);
      this.placeholders.set(key, placeholder);
    }
    return placeholder;
  }

  /**
   * The statement's SQL and values with only the parameters it uses,
   * renumbered (compiling may create a parameter for a bound it then drops).
   */
  finish(sql: string): { sql: string; values: unknown[] } {
    const renumbered = new Map<number, number>();
    const values: unknown[] = [];
    const text = sql.replace(/CAST\(\$(\d+) AS /g, (_m, n: string) => {
      const old = Number(n);
      let next = renumbered.get(old);
      if (next === undefined) {
        values.push(this.values[old - 1]);
        next = values.length;
        renumbered.set(old, next);
      }
      return `CAST($${next} AS `;
    });
    return { sql: text, values };
  }
}
