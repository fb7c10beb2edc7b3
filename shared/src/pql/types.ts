/**
 * PQL types (pql.md §3.1) and the small type-pattern language the catalogue
 * uses to write signatures (`list<T>`, `map<V>`, `number`, …).
 */

export type ScalarTypeName = 'boolean' | 'int' | 'double' | 'string' | 'date' | 'datetime';

export type PqlType =
  | { readonly kind: ScalarTypeName }
  /** The type of the literal `null`, and of a path the data never fills. */
  | { readonly kind: 'null' }
  /** Unknown: no schema, or a value the checker cannot type. Accepts and is accepted by all. */
  | { readonly kind: 'any' }
  | { readonly kind: 'list'; readonly element: PqlType }
  /** Keys are always strings (XDM maps). */
  | { readonly kind: 'map'; readonly value: PqlType }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, PqlType>> }
  /** A map built by `mapEntry`; also the result of `map` on a map. */
  | { readonly kind: 'entry'; readonly value: PqlType };

export const T = {
  boolean: { kind: 'boolean' },
  int: { kind: 'int' },
  double: { kind: 'double' },
  string: { kind: 'string' },
  date: { kind: 'date' },
  datetime: { kind: 'datetime' },
  null: { kind: 'null' },
  any: { kind: 'any' },
  list: (element: PqlType): PqlType => ({ kind: 'list', element }),
  map: (value: PqlType): PqlType => ({ kind: 'map', value }),
  object: (fields: Record<string, PqlType>): PqlType => ({ kind: 'object', fields }),
} as const satisfies Record<string, PqlType | ((...a: never[]) => PqlType)>;

export function isNumeric(t: PqlType): boolean {
  return t.kind === 'int' || t.kind === 'double';
}
export function isTemporal(t: PqlType): boolean {
  return t.kind === 'date' || t.kind === 'datetime';
}

/** How a type reads in a message to a user: `list<string>`, `object`, `date-time`. */
export function typeToString(t: PqlType): string {
  switch (t.kind) {
    case 'list':
      return `list<${typeToString(t.element)}>`;
    case 'map':
      return `map<string, ${typeToString(t.value)}>`;
    case 'entry':
      return `map entry`;
    case 'object':
      return 'object';
    case 'datetime':
      return 'date-time';
    case 'double':
      return 'decimal';
    case 'int':
      return 'integer';
    default:
      return t.kind;
  }
}

/** Structural equality of types. */
export function sameType(a: PqlType, b: PqlType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'list':
      return sameType(a.element, (b as typeof a).element);
    case 'map':
    case 'entry':
      return sameType(a.value, (b as typeof a).value);
    case 'object': {
      const bf = (b as typeof a).fields;
      const ak = Object.keys(a.fields);
      return (
        ak.length === Object.keys(bf).length &&
        ak.every((k) => bf[k] !== undefined && sameType(a.fields[k]!, bf[k]!))
      );
    }
    default:
      return true;
  }
}

/**
 * The least type holding both, or undefined when none does (`int` ⊔ `double`
 * = `double`, `date` ⊔ `datetime` = `datetime`, `null` and `any` absorb).
 */
export function unify(a: PqlType, b: PqlType): PqlType | undefined {
  if (a.kind === 'any' || b.kind === 'any') return T.any;
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) return a.kind === b.kind ? a : T.double;
  if (isTemporal(a) && isTemporal(b)) return a.kind === b.kind ? a : T.datetime;
  if (a.kind === 'list' && b.kind === 'list') {
    const e = unify(a.element, b.element);
    return e && T.list(e);
  }
  if (a.kind === 'map' && b.kind === 'map') {
    const v = unify(a.value, b.value);
    return v && T.map(v);
  }
  if (a.kind === 'object' && b.kind === 'object') {
    const fields: Record<string, PqlType> = { ...a.fields };
    for (const [k, v] of Object.entries(b.fields)) {
      const prev = fields[k];
      const u = prev ? unify(prev, v) : v;
      fields[k] = u ?? T.any;
    }
    return T.object(fields);
  }
  return sameType(a, b) ? a : undefined;
}

/** True when values of the two types can be compared with `=`/`!=` (§3.3, §3.4). */
export function comparable(a: PqlType, b: PqlType): boolean {
  return unify(a, b) !== undefined;
}

/** True when values of the type have an order for `<`, `min`, `topN`, … (§3.4). */
export function ordered(t: PqlType): boolean {
  return t.kind === 'any' || t.kind === 'null' || isNumeric(t) || isTemporal(t) || t.kind === 'string';
}

// ---------------------------------------------------------------- signature patterns

/**
 * A type pattern in a catalogue signature. Besides concrete types it has
 * `number` (int or double), `temporal` (date or datetime), `ordered`
 * (number, string or temporal), `scalar`, and the variables `T` and `K`
 * that bind to the receiver's element type and are reused in the result.
 */
export type TypePattern =
  | 'any'
  | 'boolean'
  | 'int'
  | 'double'
  | 'string'
  | 'date'
  | 'datetime'
  | 'number'
  | 'temporal'
  | 'ordered'
  | 'scalar'
  | 'T'
  | 'list<T>'
  | 'list<any>'
  | 'list<string>'
  | 'map<T>'
  | 'map<any>'
  | 'object';
