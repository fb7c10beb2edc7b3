/**
 * Schema inference from JSON data (data-contract.md §Types): the union of
 * every field seen, the way Real-time Customer Profile builds a union schema.
 *
 * | JSON value                                            | PQL type                      |
 * | string YYYY-MM-DD (every non-null value of the field)  | date                          |
 * | string ISO-8601 date-time with Z/offset (every value)  | datetime                      |
 * | other string                                          | string                        |
 * | number without fraction or exponent                   | int                           |
 * | other number (a field holding both kinds)             | double                        |
 * | true / false                                          | boolean                       |
 * | array                                                 | list of the unified elements  |
 * | object                                                | object; identityMap etc. maps |
 * | null or absent                                        | missing                       |
 *
 * `timestamp` on events is always a date-time. A field holding values of
 * incompatible kinds (a string in one record, a number in another) is `any`;
 * a field that is only ever null is `null`.
 */
import { T, type PqlType } from '../pql/types.js';
import type { DataSchema, ObjectType } from './model.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A string of the form YYYY-MM-DD naming a real calendar day. */
export function isDateString(s: string): boolean {
  const m = DATE.exec(s);
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** An ISO-8601 date-time with a `Z` or a numeric offset. */
export function isDateTimeString(s: string): boolean {
  const m = DATETIME.exec(s);
  if (!m || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  const h = Number(m[4]);
  const min = Number(m[5]);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  const oh = m[7] === undefined ? 0 : Number(m[7]);
  const om = m[8] === undefined ? 0 : Number(m[8]);
  return h <= 23 && min <= 59 && sec <= 60 && oh <= 23 && om <= 59;
}

/** Key of the wrapper `observeJson` puts around numbers written with a fraction or exponent. */
const DECIMAL_KEY = '\u0000decimal';

interface Shape {
  nulls: number;
  strings: number;
  dates: number;
  datetimes: number;
  ints: number;
  decimals: number;
  booleans: number;
  arrays: number;
  element?: Shape;
  objects: number;
  fields?: Map<string, Shape>;
  maps: number;
  mapValue?: Shape;
}

function newShape(): Shape {
  return {
    nulls: 0,
    strings: 0,
    dates: 0,
    datetimes: 0,
    ints: 0,
    decimals: 0,
    booleans: 0,
    arrays: 0,
    objects: 0,
    maps: 0,
  };
}

export interface SchemaBuilderOptions {
  /**
   * Paths of free-key objects, typed as maps (`*` stands for any key of the
   * map above it). Default: identityMap, segmentMembership and its namespaces.
   */
  readonly mapPaths?: readonly string[];
  /** Paths that are date-times whatever their values (events: `timestamp`). */
  readonly datetimePaths?: readonly string[];
}

export const DEFAULT_MAP_PATHS: readonly string[] = [
  'identityMap',
  'segmentMembership',
  'segmentMembership.*',
];

/**
 * Infers the object type of one kind of record (profiles or events),
 * incrementally: `observe` every record, then `build`.
 */
export class SchemaBuilder {
  private readonly root = newShape();
  private readonly mapPaths: ReadonlySet<string>;
  private readonly datetimePaths: ReadonlySet<string>;
  private records = 0;

  constructor(options: SchemaBuilderOptions = {}) {
    this.mapPaths = new Set(options.mapPaths ?? DEFAULT_MAP_PATHS);
    this.datetimePaths = new Set(options.datetimePaths ?? []);
  }

  /** How many records were observed. */
  get count(): number {
    return this.records;
  }

  /** Observes one record (a parsed JSON object; anything else is ignored). */
  observe(record: unknown): void {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return;
    this.records++;
    this.observeValue(this.root, record, '');
  }

  /**
   * Observes one record given as JSON text. Unlike `observe` on an already
   * parsed value, this tells `100.0` (a decimal) from `100` (an integer).
   */
  observeJson(text: string): void {
    this.observe(parseJsonKeepingDecimals(text));
  }

  build(): ObjectType {
    const t = this.typeOf(this.root, '');
    return t.kind === 'object' ? t : (T.object({}) as ObjectType);
  }

  private observeValue(shape: Shape, value: unknown, path: string): void {
    if (value === null || value === undefined) {
      shape.nulls++;
      return;
    }
    switch (typeof value) {
      case 'string':
        shape.strings++;
        if (isDateString(value)) shape.dates++;
        else if (isDateTimeString(value)) shape.datetimes++;
        return;
      case 'number':
      case 'bigint':
        if (typeof value === 'number' && !Number.isInteger(value)) shape.decimals++;
        else shape.ints++;
        return;
      case 'boolean':
        shape.booleans++;
        return;
      case 'object':
        break;
      default:
        shape.nulls++;
        return;
    }
    if (Array.isArray(value)) {
      shape.arrays++;
      shape.element ??= newShape();
      for (const item of value) this.observeValue(shape.element, item, path);
      return;
    }
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === DECIMAL_KEY) {
      shape.decimals++;
      return;
    }
    if (path !== '' && this.mapPaths.has(path)) {
      shape.maps++;
      shape.mapValue ??= newShape();
      for (const k of keys) this.observeValue(shape.mapValue, obj[k], `${path}.*`);
      return;
    }
    shape.objects++;
    shape.fields ??= new Map();
    for (const k of keys) {
      let child = shape.fields.get(k);
      if (!child) {
        child = newShape();
        shape.fields.set(k, child);
      }
      this.observeValue(child, obj[k], path ? `${path}.${k}` : k);
    }
  }

  private typeOf(shape: Shape, path: string): PqlType {
    if (path !== '' && this.datetimePaths.has(path)) return T.datetime;
    const kinds: PqlType[] = [];
    if (shape.strings > 0) {
      if (shape.dates === shape.strings) kinds.push(T.date);
      else if (shape.datetimes === shape.strings) kinds.push(T.datetime);
      else kinds.push(T.string);
    }
    if (shape.ints + shape.decimals > 0) kinds.push(shape.decimals > 0 ? T.double : T.int);
    if (shape.booleans > 0) kinds.push(T.boolean);
    if (shape.arrays > 0) {
      const e = shape.element ? this.typeOf(shape.element, path) : T.any;
      kinds.push(T.list(e.kind === 'null' ? T.any : e));
    }
    if (shape.objects > 0) {
      const fields: Record<string, PqlType> = {};
      for (const [k, child] of [...(shape.fields ?? new Map<string, Shape>())].sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      ))
        fields[k] = this.typeOf(child, path ? `${path}.${k}` : k);
      kinds.push(T.object(fields));
    }
    if (shape.maps > 0) {
      const v = shape.mapValue ? this.typeOf(shape.mapValue, `${path}.*`) : T.any;
      kinds.push(T.map(v.kind === 'null' ? T.any : v));
    }
    if (kinds.length === 0) return T.null;
    if (kinds.length === 1) return kinds[0]!;
    return T.any;
  }
}

/** JSON.parse, except that numbers written with a fraction or exponent are marked as decimals. */
function parseJsonKeepingDecimals(text: string): unknown {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) =>
    token.startsWith('"') || !/[.eE]/.test(token) ? token : `{"\\u0000decimal":${token}}`,
  );
  return JSON.parse(marked);
}

/** The schema of a dataset: the union of its profiles' and events' fields. */
export function inferSchema(profiles: Iterable<unknown>, events: Iterable<unknown>): DataSchema {
  const p = new SchemaBuilder();
  for (const r of profiles) p.observe(r);
  const e = new SchemaBuilder({ datetimePaths: ['timestamp'] });
  for (const r of events) e.observe(r);
  return { profile: p.build(), event: withTimestamp(e.build()) };
}

/** Events always have a date-time `timestamp`, even when no event was observed. */
function withTimestamp(t: ObjectType): ObjectType {
  if (t.fields['timestamp']) return t;
  return T.object({ ...t.fields, timestamp: T.datetime }) as ObjectType;
}

/** Builders for a dataset read record by record (the engine's loader). */
export class DatasetSchemaBuilder {
  readonly profiles = new SchemaBuilder();
  readonly events = new SchemaBuilder({ datetimePaths: ['timestamp'] });

  build(): DataSchema {
    return { profile: this.profiles.build(), event: withTimestamp(this.events.build()) };
  }
}
