/**
 * The reference interpreter of PQL: the test oracle of the product (the SQL
 * compilers are compared against it) and the engine of "why is this profile
 * in or out" (`explain`). It favours being exactly right over being fast.
 *
 * Semantics: pql.md §3–§4 and §8, data-contract.md, and the rules of the
 * conformance README (which win where pql.md is vague):
 * - missing (absent or null) operands make every comparison false, `!=`,
 *   `like`, `in`, `notIn`, the string predicates (their `doesNot…` forms
 *   included), the list predicates and `occurs` included; `and`/`or`/`not`
 *   are two-valued on top; `x = null` means `x.isNull()`;
 * - strings compare by code point, numbers by value, a date compared with an
 *   instant stands for 00:00 UTC;
 * - projections over lists flatten one level and drop missing values; a list
 *   compared with a scalar is existential.
 *
 * Names are never re-resolved here: the checker's `resolutions` say what each
 * name is, its `types` say which strings are dates / date-times, and its
 * `entries` say which catalogue entry every operator, method and call is.
 */
import type { Binder, CheckedQuery, Resolution } from './checked.js';
import type { Expr, Span, TimeRef, TimeSpec, CompareOp } from './ast.js';
import { lookupFunction, lookupMethod } from './catalogue.js';
import type { PqlType } from './types.js';
import { javaRegex, likeToRegExp } from './regex.js';
import {
  dayExtent,
  formatDate,
  formatDateTime,
  instantExtent,
  isValidDate,
  occursHolds,
  parseDate,
  parseDateTime,
  periodExtent,
  resolveTimeSpec,
  timeWordExtent,
  utcMs,
  utcParts,
  type TimeExtent,
} from './time.js';

// ---------------------------------------------------------------- values

/** A date (`kind: 'date'`, ms = 00:00 UTC of the day) or an instant (`datetime`). */
export class PqlTime {
  constructor(
    readonly kind: 'date' | 'datetime',
    readonly ms: number,
  ) {}
  toJSON(): string {
    return this.kind === 'date' ? formatDate(this.ms) : formatDateTime(this.ms);
  }
}

/** The result of `mapEntry(k, v)`: one entry of a map being built. */
export class MapEntry {
  constructor(
    readonly key: string,
    readonly value: Value,
  ) {}
}

export type Value =
  | null
  | boolean
  | number
  | string
  | PqlTime
  | MapEntry
  | readonly Value[]
  | { readonly [key: string]: Value };

type Obj = { readonly [key: string]: Value };

export interface EvaluationInput {
  /** The merged profile JSON. */
  readonly profile: unknown;
  /** The profile's experience events (JSON). */
  readonly events: readonly unknown[];
  /** The evaluation instant (epoch ms): `now`, `today`, … all derive from it. */
  readonly now: number;
  /** Whether the profile is currently in the segment `id` (`inSegment`). */
  readonly segmentMembership?: (id: string) => boolean;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export function isObject(v: unknown): v is Obj {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof PqlTime) &&
    !(v instanceof MapEntry)
  );
}

function isList(v: unknown): v is readonly Value[] {
  return Array.isArray(v);
}

/** Missing: absent (undefined) or null. */
function norm(v: unknown): Value {
  return v === undefined ? null : (v as Value);
}

/** A field of an object (own properties only), or null. */
function field(obj: Value, name: string): Value {
  if (!isObject(obj)) return null;
  return hasOwn(obj, name) ? norm(obj[name]) : null;
}

/**
 * `value.name`: a field lookup on an object, a projection over a list (the
 * field of every element, lists flattened one level, missing values dropped).
 */
export function lookup(value: Value, name: string): Value {
  if (isList(value)) {
    const out: Value[] = [];
    for (const el of value) {
      const v = isList(el) ? lookup(el, name) : field(el, name);
      if (v === null) continue;
      if (isList(v)) {
        for (const x of v) if (norm(x) !== null) out.push(x);
      } else out.push(v);
    }
    return out;
  }
  return field(value, name);
}

/** Truthiness in a boolean position (pql.md §3.6): a list is true when non-empty. */
export function truthy(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (isList(v)) return v.length > 0;
  return true;
}

/** Top-level qualification (pql.md §8.3): true, or a non-empty list. */
export function qualifiesValue(v: unknown): boolean {
  return v === true || (Array.isArray(v) && v.length > 0);
}

/** Compares two strings by Unicode code point (not UTF-16 unit). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates encode code points above every BMP unit: rank them after U+E000–U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
      y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

type Kind = 'number' | 'string' | 'boolean' | 'time' | 'list' | 'object' | 'entry' | 'null';
function kindOf(v: Value): Kind {
  if (v === null) return 'null';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof PqlTime) return 'time';
  if (v instanceof MapEntry) return 'entry';
  if (isList(v)) return 'list';
  return 'object';
}

/** Structural equality: numbers by value, dates as instants, lists in order, objects by keys. */
export function valueEquals(a: Value, b: Value): boolean {
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case 'null':
      return true;
    case 'number':
    case 'string':
    case 'boolean':
      return a === b;
    case 'time':
      return (a as PqlTime).ms === (b as PqlTime).ms;
    case 'entry':
      return (
        (a as MapEntry).key === (b as MapEntry).key &&
        valueEquals((a as MapEntry).value, (b as MapEntry).value)
      );
    case 'list': {
      const la = a as readonly Value[];
      const lb = b as readonly Value[];
      return la.length === lb.length && la.every((x, i) => valueEquals(norm(x), norm(lb[i])));
    }
    case 'object': {
      const oa = a as Obj;
      const ob = b as Obj;
      const keys = new Set([...Object.keys(oa), ...Object.keys(ob)]);
      for (const k of keys) if (!valueEquals(field(oa, k), field(ob, k))) return false;
      return true;
    }
  }
}

/** Order of two values of the same ordered kind (number, string, date/time), or null. */
export function compareValues(a: Value, b: Value): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (a instanceof PqlTime && b instanceof PqlTime) return a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : 0;
  return null;
}

/** A `compareOp` between two present, non-list values (false for incomparable kinds). */
function compareScalars(op: CompareOp, l: Value, r: Value): boolean {
  if (op === '=') return valueEquals(l, r);
  if (op === '!=') return kindOf(l) === kindOf(r) && !valueEquals(l, r);
  const c = compareValues(l, r);
  if (c === null) return false;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/**
 * `l op r` with the null rule (a missing operand → false) and existential
 * comparison of a list with a scalar; two lists compare element-wise in order.
 */
export function compare(op: CompareOp, l: Value, r: Value): boolean {
  if (l === null || r === null) return false;
  const la = isList(l);
  const ra = isList(r);
  if (la && !ra) return l.some((x) => norm(x) !== null && compare(op, x, r));
  if (ra && !la) return r.some((x) => norm(x) !== null && compare(op, l, x));
  return compareScalars(op, l, r);
}

function contains(list: readonly Value[], v: Value): boolean {
  return list.some((x) => valueEquals(norm(x), v));
}

function distinct(list: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const x of list) if (!contains(out, norm(x))) out.push(norm(x));
  return out;
}

/** Case folding for the case-insensitive string functions (per code point, length-preserving). */
function fold(s: string): string {
  let out = '';
  for (const ch of s) {
    const up = ch.toUpperCase();
    const one = [...up].length === 1 ? up : ch;
    const low = one.toLowerCase();
    out += [...low].length === 1 ? low : one;
  }
  return out;
}

/** A group-by key as a map key (string). */
function keyString(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof PqlTime) return v.toJSON();
  return JSON.stringify(toJson(v));
}

/** A value as plain JSON: dates as `YYYY-MM-DD`, instants as ISO text, map entries as one-key objects. */
export function toJson(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof PqlTime) return v.toJSON();
  if (v instanceof MapEntry) return { [v.key]: toJson(v.value) };
  if (isList(v)) return v.map((x) => toJson(norm(x)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v))
    Object.defineProperty(out, k, {
      value: toJson(norm(v[k])),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** A string read from the data as a date / date-time (per the static type); null when it is not one. */
function toTime(s: string, kind: 'date' | 'datetime'): PqlTime | null {
  if (kind === 'date') {
    const d = parseDate(s);
    if (d !== null) return new PqlTime('date', d);
    const t = parseDateTime(s);
    return t === null ? null : new PqlTime('datetime', t);
  }
  const t = parseDateTime(s);
  if (t !== null) return new PqlTime('datetime', t);
  const d = parseDate(s);
  return d === null ? null : new PqlTime('date', d);
}

/** A temporal value as an instant (a date → 00:00 UTC); strings are parsed; else null. */
function toInstant(v: Value): number | null {
  if (v instanceof PqlTime) return v.ms;
  if (typeof v === 'string') return parseDateTime(v) ?? parseDate(v);
  return null;
}

// ---------------------------------------------------------------- evaluation

interface Ctx {
  /** The scope stack, outermost (the profile) first; the last is the innermost element. */
  readonly scopes: readonly Value[];
  /** Values of bound variables, by binder and index. */
  readonly vars: ReadonlyMap<Binder, readonly Value[]>;
}

export class EvaluationError extends Error {
  constructor(
    message: string,
    readonly span?: Span,
  ) {
    super(message);
    this.name = 'EvaluationError';
  }
}

const SEGMENT_STATUSES = new Set(['realized', 'existing']);

class Evaluator {
  readonly profile: Value;
  readonly events: readonly Value[];
  readonly now: number;

  constructor(
    readonly query: CheckedQuery,
    readonly input: EvaluationInput,
  ) {
    this.profile = norm(input.profile);
    this.events = (input.events ?? []) as readonly Value[];
    this.now = input.now;
  }

  rootCtx(): Ctx {
    return { scopes: [this.profile], vars: new Map() };
  }

  push(ctx: Ctx, element: Value): Ctx {
    return { scopes: [...ctx.scopes, element], vars: ctx.vars };
  }

  bind(ctx: Ctx, binder: Binder, values: readonly Value[]): Ctx {
    const vars = new Map(ctx.vars);
    vars.set(binder, values);
    return { scopes: ctx.scopes, vars };
  }

  scopeAt(ctx: Ctx, level: number, span: Span): Value {
    const i = ctx.scopes.length - 1 - level;
    if (i < 0) throw new EvaluationError(`nothing in scope ${level} levels out`, span);
    return ctx.scopes[i]!;
  }

  entryId(node: Expr): string | undefined {
    return this.query.entries.get(node)?.id;
  }

  type(node: Expr): PqlType | undefined {
    return this.query.types.get(node);
  }

  /** Evaluates a node, then reads strings typed date / date-time as temporal values. */
  ev(node: Expr, ctx: Ctx): Value {
    const v = this.ev0(node, ctx);
    if (v === null || (typeof v !== 'string' && !isList(v))) return v;
    const t = this.type(node);
    if (!t) return v;
    if (typeof v === 'string') {
      return t.kind === 'date' || t.kind === 'datetime' ? toTime(v, t.kind) : v;
    }
    if (t.kind === 'list' && (t.element.kind === 'date' || t.element.kind === 'datetime')) {
      const kind = t.element.kind;
      return v.map((x) => (typeof x === 'string' ? toTime(x, kind) : norm(x)));
    }
    return v;
  }

  bool(node: Expr, ctx: Ctx): boolean {
    return truthy(this.ev(node, ctx));
  }

  resolve(node: Expr, ctx: Ctx, fallback: Resolution): Value {
    const res = this.query.resolutions.get(node) ?? fallback;
    switch (res.kind) {
      case 'variable': {
        const values = ctx.vars.get(res.binder);
        if (!values || res.index >= values.length) {
          throw new EvaluationError(`variable used outside its binding`, node.span);
        }
        return norm(values[res.index]);
      }
      case 'field':
        return lookup(this.scopeAt(ctx, res.level, node.span), res.name);
      case 'element':
        return this.scopeAt(ctx, res.level, node.span);
    }
  }

  ev0(node: Expr, ctx: Ctx): Value {
    switch (node.kind) {
      case 'String':
      case 'Integer':
      case 'Decimal':
      case 'Boolean':
        return node.value;
      case 'Null':
        return null;
      case 'List':
        return node.items.map((item) => this.ev(item, ctx));
      case 'Object': {
        const out: Record<string, Value> = {};
        for (const e of node.entries) {
          Object.defineProperty(out, e.key, {
            value: this.ev(e.value, ctx),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      case 'Name':
        return this.resolve(node, ctx, { kind: 'field', level: 0, name: node.name });
      case 'UpRef':
        return this.resolve(node, ctx, { kind: 'field', level: node.levels, name: node.name });
      case 'This':
        return this.resolve(node, ctx, { kind: 'element', level: 0 });
      case 'Param': {
        const res = this.query.resolutions.get(node);
        if (res) return this.resolve(node, ctx, res);
        return node.position === 1 ? this.profile : null;
      }
      case 'XEvent':
        return this.events;
      case 'TimeWord':
        return new PqlTime('datetime', timeWordExtent(node.word, this.now).start);
      case 'Member':
        return lookup(this.ev(node.object, ctx), node.name);
      case 'Filter': {
        const list = this.ev(node.object, ctx);
        if (!isList(list)) return null;
        return list.filter((el) => this.bool(node.condition, this.push(ctx, norm(el))));
      }
      case 'Binary':
        return this.binary(node, ctx);
      case 'Not':
        return !this.bool(node.operand, ctx);
      case 'Negate': {
        const v = this.ev(node.operand, ctx);
        return typeof v === 'number' ? -v : null;
      }
      case 'If':
        return this.bool(node.condition, ctx)
          ? this.ev(node.then, ctx)
          : this.ev(node.otherwise, ctx);
      case 'Occurs':
        return this.occurs(node.subject, node.spec, ctx);
      case 'Chain':
        return this.chain(node, ctx);
      case 'Let': {
        let c = ctx;
        const values: Value[] = [];
        for (const b of node.bindings) {
          values.push(this.ev(b.value, c));
          c = this.bind(c, node, [...values]);
        }
        return this.ev(node.body, c);
      }
      case 'Quantifier':
        return this.quantifier(node, 0, ctx);
      case 'Select': {
        const list = this.ev(node.source, ctx);
        if (!isList(list)) return null;
        const where = node.where;
        return list.filter((el) => !where || this.bool(where, this.bind(ctx, node, [norm(el)])));
      }
      case 'Comprehension': {
        const list = this.ev(node.source, ctx);
        if (!isList(list)) return null;
        const values: Value[] = [];
        for (const el of list) {
          const c = this.bind(ctx, node, [norm(el)]);
          if (node.where && !this.bool(node.where, c)) continue;
          values.push(this.ev(node.value, c));
        }
        return aggregate(node.aggregate, values);
      }
      case 'Lambda': {
        // A lambda evaluated as a value is the query's own head: `(p) => …` binds $1 = the profile.
        const args = node.params.map((_, i) => (i === 0 ? this.profile : null));
        return this.ev(node.body, this.bind(ctx, node, args));
      }
      case 'Method':
        return this.method(node, ctx);
      case 'Call':
        return this.call(node, ctx);
      case 'Error':
        throw new EvaluationError('the query has a syntax error', node.span);
    }
  }

  // ---------------------------------------------------------------- operators

  binary(node: Extract<Expr, { kind: 'Binary' }>, ctx: Ctx): Value {
    const op = node.op;
    switch (op) {
      case 'and':
        return this.bool(node.left, ctx) && this.bool(node.right, ctx);
      case 'or':
        return this.bool(node.left, ctx) || this.bool(node.right, ctx);
      case '=':
      case '!=': {
        // `x = null` is `x.isNull()`, `x != null` is `x.isNotNull()` (pql.md §3.5).
        const lNull = node.left.kind === 'Null';
        const rNull = node.right.kind === 'Null';
        if (lNull || rNull) {
          const isNull =
            lNull && rNull ? true : this.ev(lNull ? node.right : node.left, ctx) === null;
          return op === '=' ? isNull : !isNull;
        }
        return compare(op, this.ev(node.left, ctx), this.ev(node.right, ctx));
      }
      case '<':
      case '<=':
      case '>':
      case '>=':
        return compare(op, this.ev(node.left, ctx), this.ev(node.right, ctx));
      case 'in':
      case 'notIn':
        return membership(op, this.ev(node.left, ctx), this.ev(node.right, ctx));
      case 'like': {
        const s = this.ev(node.left, ctx);
        const p = this.ev(node.right, ctx);
        if (typeof p !== 'string') return false;
        const re = likeToRegExp(p);
        if (typeof s === 'string') return re.test(s);
        if (isList(s)) return s.some((x) => typeof x === 'string' && re.test(x));
        return false;
      }
      case '+':
      case '-':
      case '*':
      case '/':
      case '%': {
        const v = arithmetic(op, this.ev(node.left, ctx), this.ev(node.right, ctx));
        // 64-bit integer overflow (beyond what a double holds exactly) → missing (pql.md §7 Q22).
        if (
          typeof v === 'number' &&
          op !== '/' &&
          this.type(node)?.kind === 'int' &&
          !Number.isSafeInteger(v)
        )
          return null;
        return v;
      }
    }
  }

  // ---------------------------------------------------------------- time

  refExtent(ref: TimeRef, ctx: Ctx): TimeExtent | null {
    if (ref.kind === 'Period') return periodExtent(ref.which, ref.unit, this.now);
    if (ref.kind === 'TimeWord') return timeWordExtent(ref.word, this.now);
    const v = this.ev(ref, ctx);
    if (v instanceof PqlTime) return v.kind === 'date' ? dayExtent(v.ms) : instantExtent(v.ms);
    if (typeof v === 'string') {
      const d = parseDate(v);
      if (d !== null) return dayExtent(d);
      const t = parseDateTime(v);
      return t === null ? null : instantExtent(t);
    }
    return null;
  }

  occurs(subject: Expr, spec: TimeSpec, ctx: Ctx): boolean {
    const v = this.ev(subject, ctx);
    if (v === null) return false;
    const resolved = resolveTimeSpec<TimeRef>(spec, (ref) => this.refExtent(ref, ctx));
    if (!resolved) return false;
    if (isList(v)) return v.some((x) => occursHolds(toInstant(norm(x)), resolved));
    return occursHolds(toInstant(v), resolved);
  }

  chain(node: Extract<Expr, { kind: 'Chain' }>, ctx: Ctx): boolean {
    const list = this.ev(node.events, ctx);
    if (!isList(list)) return false;
    const evs: { ev: Value; ts: number }[] = [];
    for (const el of list) {
      let v: Value = norm(el);
      for (const name of node.timestampPath) v = field(v, name);
      const ts = toInstant(v);
      if (ts !== null) evs.push({ ev: norm(el), ts });
    }
    evs.sort((a, b) => a.ts - b.ts); // stable
    let pos = -Infinity;
    for (const step of node.steps) {
      const when = step.when;
      const need = step.count ?? 1;
      let found = 0;
      let anchor = pos;
      for (const e of evs) {
        if (e.ts <= pos) continue;
        const c = this.push(ctx, e.ev);
        if (!this.bool(step.what, c)) continue;
        if (step.where && !this.bool(step.where, c)) continue;
        // The checker types WHEN inside the step's event scope, so its references are resolved there too.
        if (when && !occursHolds(e.ts, when, (ref) => this.refExtent(ref, c))) continue;
        found++;
        if (found === need) {
          anchor = e.ts;
          break;
        }
      }
      if (found < need) return false;
      pos = anchor;
    }
    return true;
  }

  // ---------------------------------------------------------------- quantifiers

  quantifier(node: Extract<Expr, { kind: 'Quantifier' }>, index: number, ctx: Ctx): boolean {
    const range = node.ranges[index]!;
    const last = index === node.ranges.length - 1;
    const source = this.ev(range.source, ctx);
    const list = isList(source) ? source : [];
    const prev = ctx.vars.get(node)?.slice(0, index) ?? [];
    const exists = node.quantifier === 'exists';
    for (const el of list) {
      const c = this.bind(ctx, node, [...prev, norm(el)]);
      if (exists) {
        // ∃v (W ∧ C ∧ rest)
        if (range.where && !this.bool(range.where, c)) continue;
        if (range.assertion && !this.bool(range.assertion, c)) continue;
        if (!last && !this.quantifier(node, index + 1, c)) continue;
        return true;
      }
      // ∀v (R → (A ∧ rest)): `where` restricts when `:` asserts or more ranges follow;
      // alone on the last range it is the assertion.
      const restrict = range.assertion || !last ? range.where : undefined;
      const assert = range.assertion ?? (last ? range.where : undefined);
      if (restrict && !this.bool(restrict, c)) continue;
      if (assert && !this.bool(assert, c)) return false;
      if (!last && !this.quantifier(node, index + 1, c)) return false;
    }
    return !exists;
  }

  // ---------------------------------------------------------------- methods

  /** Evaluates a per-element argument (a lambda binds its parameters; the element is the innermost scope). */
  perElement(arg: Expr, ctx: Ctx, element: Value, lambdaArgs?: readonly Value[]): Value {
    const c = this.push(ctx, element);
    if (arg.kind === 'Lambda') {
      const args = lambdaArgs ?? [element];
      return this.ev(
        arg.body,
        this.bind(
          c,
          arg,
          arg.params.map((_, i) => norm(args[i])),
        ),
      );
    }
    return this.ev(arg, c);
  }

  method(node: Extract<Expr, { kind: 'Method' }>, ctx: Ctx): Value {
    const id = this.entryId(node) ?? lookupMethod(node.name)?.entry.id;
    if (!id) throw new EvaluationError(`unknown method ${node.name}`, node.nameSpan);
    const name = id.replace(/^method:/, '');
    const args = node.args;
    const recv = this.ev(node.receiver, ctx);
    const arg = (i: number): Value => (args[i] ? this.ev(args[i]!, ctx) : null);

    switch (name) {
      case 'isNull':
        return recv === null;
      case 'isNotNull':
        return recv !== null;

      // ---- strings (§4.4)
      case 'startsWith':
      case 'doesNotStartWith':
      case 'endsWith':
      case 'doesNotEndWith':
      case 'contains':
      case 'doesNotContain':
      case 'notEqualTo': {
        const text = arg(0);
        const cs = args.length > 1 ? arg(1) : true;
        if (typeof text !== 'string') return false;
        const test = (s: Value): boolean => {
          if (typeof s !== 'string') return false;
          const a = cs === false ? fold(s) : s;
          const b = cs === false ? fold(text) : text;
          switch (name) {
            case 'startsWith':
              return a.startsWith(b);
            case 'doesNotStartWith':
              return !a.startsWith(b);
            case 'endsWith':
              return a.endsWith(b);
            case 'doesNotEndWith':
              return !a.endsWith(b);
            case 'contains':
              return a.includes(b);
            case 'doesNotContain':
              return !a.includes(b);
            default:
              return a !== b;
          }
        };
        return isList(recv) ? recv.some((x) => test(norm(x))) : test(recv);
      }
      case 'equals': {
        const values = args.map((a) => this.ev(a, ctx));
        let cs: Value = true;
        if (values.length > 1 && typeof values[values.length - 1] === 'boolean') cs = values.pop()!;
        const texts = values.filter((t): t is string => typeof t === 'string');
        if (texts.length === 0) return false;
        const test = (s: Value): boolean =>
          typeof s === 'string' &&
          texts.some((t) => (cs === false ? fold(s) === fold(t) : s === t));
        return isList(recv) ? recv.some((x) => test(norm(x))) : test(recv);
      }
      case 'matches': {
        const p = arg(0);
        if (typeof p !== 'string') return false;
        const re = javaRegex(p);
        if (typeof recv === 'string') return re.test(recv);
        if (isList(recv)) return recv.some((x) => typeof x === 'string' && re.test(x));
        return false;
      }
      case 'regexGroup': {
        const p = arg(0);
        const g = args.length > 1 ? arg(1) : 0;
        if (typeof recv !== 'string' || typeof p !== 'string' || typeof g !== 'number') return null;
        const m = javaRegex(p).exec(recv);
        if (!m || !Number.isInteger(g) || g < 0 || g >= m.length) return null;
        return m[g] ?? null;
      }

      // ---- lists (§4.5)
      case 'includes': {
        const v = arg(0);
        if (!isList(recv) || v === null) return false;
        return isList(v)
          ? v.some((x) => norm(x) !== null && contains(recv, norm(x)))
          : contains(recv, v);
      }
      case 'intersects': {
        const other = arg(0);
        if (!isList(recv) || !isList(other)) return false;
        return recv.some((x) => norm(x) !== null && contains(other, norm(x)));
      }
      case 'intersection': {
        const other = arg(0);
        if (!isList(recv) || !isList(other)) return null;
        return distinct(recv.filter((x) => contains(other, norm(x))));
      }
      case 'subsetOf': {
        const other = arg(0);
        if (!isList(recv) || !isList(other)) return false;
        return recv.every((x) => contains(other, norm(x)));
      }
      case 'supersetOf': {
        const other = arg(0);
        if (!isList(recv) || !isList(other)) return false;
        return other.every((x) => contains(recv, norm(x)));
      }
      case 'distinct':
        return isList(recv) ? distinct(recv) : null;
      case 'head':
        return isList(recv) ? (recv.length ? norm(recv[0]) : null) : null;
      case 'filter':
        if (!isList(recv)) return null;
        return recv.filter((el) => truthy(this.perElement(args[0]!, ctx, norm(el))));
      case 'exists':
        if (!isList(recv)) return false;
        return recv.some((el) => truthy(this.perElement(args[0]!, ctx, norm(el))));
      case 'all':
        if (!isList(recv)) return false;
        return recv.every((el) => truthy(this.perElement(args[0]!, ctx, norm(el))));
      case 'groupBy': {
        if (!isList(recv)) return null;
        const groups = new Map<string, Value[]>();
        for (const el of recv) {
          const k = this.perElement(args[0]!, ctx, norm(el));
          if (k === null) continue;
          const key = keyString(k);
          const g = groups.get(key);
          if (g) g.push(norm(el));
          else groups.set(key, [norm(el)]);
        }
        return Object.fromEntries(groups) as Obj;
      }
      case 'map': {
        const a = args[0]!;
        if (isList(recv)) return recv.map((el) => this.perElement(a, ctx, norm(el)));
        if (isObject(recv)) {
          const out: Record<string, Value> = {};
          const put = (k: string, v: Value) =>
            Object.defineProperty(out, k, {
              value: v,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          for (const k of Object.keys(recv)) {
            const value = norm(recv[k]);
            const r = this.perElement(a, ctx, value, [k, value]);
            if (r instanceof MapEntry) put(r.key, r.value);
            else put(k, r);
          }
          return out;
        }
        return null;
      }
      case 'topN':
      case 'bottomN': {
        if (!isList(recv)) return null;
        const n = arg(1);
        if (typeof n !== 'number') return null;
        if (n <= 0) return [];
        const keyed: { el: Value; key: Value; i: number }[] = [];
        recv.forEach((el, i) => {
          const key = this.perElement(args[0]!, ctx, norm(el));
          if (key !== null && !isList(key)) keyed.push({ el: norm(el), key, i });
        });
        const dir = name === 'topN' ? -1 : 1;
        keyed.sort((a, b) => {
          const c = compareValues(a.key, b.key);
          return c === null || c === 0 ? a.i - b.i : dir * c;
        });
        return keyed.slice(0, Math.floor(n)).map((k) => k.el);
      }

      // ---- aggregation (§4.6)
      case 'count':
        if (isList(recv)) return recv.length;
        if (isObject(recv)) return Object.keys(recv).length;
        return null;
      case 'sum':
      case 'average':
      case 'min':
      case 'max': {
        if (!isList(recv)) return null;
        const values = args[0]
          ? recv.map((el) => this.perElement(args[0]!, ctx, norm(el)))
          : recv.map(norm);
        return aggregate(name, values);
      }

      // ---- maps (§4.7)
      case 'get': {
        const k = arg(0);
        if (!isObject(recv) || typeof k !== 'string') return null;
        return field(recv, k);
      }
      case 'keys':
        return isObject(recv) ? Object.keys(recv).sort(compareCodePoints) : null;
      case 'values':
        return isObject(recv)
          ? Object.keys(recv)
              .sort(compareCodePoints)
              .map((k) => norm(recv[k]))
          : null;

      // ---- dates (§4.9)
      case 'getMonth':
      case 'getYear':
      case 'getDayOfMonth': {
        const t =
          recv instanceof PqlTime ? recv.ms : typeof recv === 'string' ? toInstant(recv) : null;
        if (t === null) return null;
        const p = utcParts(t);
        return name === 'getMonth' ? p.month : name === 'getYear' ? p.year : p.day;
      }
    }
    throw new EvaluationError(`the interpreter does not implement ${id}`, node.nameSpan);
  }

  call(node: Extract<Expr, { kind: 'Call' }>, ctx: Ctx): Value {
    const id = this.entryId(node) ?? lookupFunction(node.name)?.id;
    if (!id) throw new EvaluationError(`unknown function ${node.name}`, node.nameSpan);
    const args = node.args.map((a) => this.ev(a, ctx));
    const now = utcParts(this.now);
    switch (id) {
      case 'function:currentMonth':
        return now.month;
      case 'function:currentYear':
        return now.year;
      case 'function:currentDayOfMonth':
        return now.day;
      case 'function:date': {
        if (args.length === 1) {
          const s = args[0];
          const d = typeof s === 'string' ? parseDate(s) : null;
          return d === null ? null : new PqlTime('date', d);
        }
        const [y, m, d] = args;
        if (typeof y !== 'number' || typeof m !== 'number' || typeof d !== 'number') return null;
        return isValidDate(y, m, d) ? new PqlTime('date', utcMs(y, m, d)) : null;
      }
      case 'function:mapEntry': {
        const k = args[0] ?? null;
        return k === null ? null : new MapEntry(keyString(k), args[1] ?? null);
      }
      case 'function:inSegment': {
        const segId = args[0];
        if (typeof segId !== 'string') return false;
        if (this.input.segmentMembership) return this.input.segmentMembership(segId);
        return profileInSegment(this.profile, segId);
      }
    }
    throw new EvaluationError(`the interpreter does not implement ${id}`, node.nameSpan);
  }

  // ---------------------------------------------------------------- explain

  explain(node: Expr, ctx: Ctx): Explanation {
    switch (node.kind) {
      case 'Lambda': {
        const args = node.params.map((_, i) => (i === 0 ? this.profile : null));
        const body = this.explain(node.body, this.bind(ctx, node, args));
        return { span: node.span, kind: 'value', value: body.value, children: [body] };
      }
      case 'Let': {
        let c = ctx;
        const values: Value[] = [];
        const children: Explanation[] = [];
        for (const b of node.bindings) {
          const v = this.ev(b.value, c);
          values.push(v);
          c = this.bind(c, node, [...values]);
          children.push({
            span: b.value.span,
            kind: 'operand',
            label: b.name,
            value: toJson(v),
            children: [],
          });
        }
        const body = this.explain(node.body, c);
        return { span: node.span, kind: 'value', value: body.value, children: [...children, body] };
      }
      case 'Not': {
        const child = this.explain(node.operand, ctx);
        return {
          span: node.span,
          kind: 'not',
          value: !truthy(child.value as Value),
          children: [child],
        };
      }
      case 'Binary':
        if (node.op === 'and' || node.op === 'or') {
          const op = node.op;
          const operands: Expr[] = [];
          const flatten = (e: Expr) => {
            if (e.kind === 'Binary' && e.op === op) {
              flatten(e.left);
              flatten(e.right);
            } else operands.push(e);
          };
          flatten(node);
          const children = operands.map((o) => this.explain(o, ctx));
          const values = children.map((c) => truthy(c.value as Value));
          const value = op === 'and' ? values.every(Boolean) : values.some(Boolean);
          return { span: node.span, kind: op, value, children };
        }
        break;
    }
    const value = this.ev(node, ctx);
    const operands: Expr[] =
      node.kind === 'Binary'
        ? [node.left, node.right]
        : node.kind === 'Occurs'
          ? [node.subject]
          : node.kind === 'Method'
            ? [node.receiver]
            : [];
    const children = operands.map((o): Explanation => ({
      span: o.span,
      kind: 'operand',
      value: toJson(this.ev(o, ctx)),
      children: [],
    }));
    return { span: node.span, kind: 'condition', value: toJson(value), children };
  }
}

function profileInSegment(profile: Value, segId: string): boolean {
  const sm = field(profile, 'segmentMembership');
  if (!isObject(sm)) return false;
  const namespaces = Object.keys(sm).sort((a, b) =>
    a === 'ups' ? -1 : b === 'ups' ? 1 : compareCodePoints(a, b),
  );
  for (const ns of namespaces) {
    const entry = field(field(sm, ns), segId);
    const status = field(entry, 'status');
    if (typeof status === 'string') return SEGMENT_STATUSES.has(status);
  }
  return false;
}

function membership(op: 'in' | 'notIn', l: Value, r: Value): boolean {
  if (l === null || r === null || !isList(r)) return false;
  if (isList(l)) return l.some((x) => norm(x) !== null && membership(op, norm(x), r));
  const found = contains(r, l);
  return op === 'in' ? found : !found;
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', l: Value, r: Value): Value {
  if (typeof l !== 'number' || typeof r !== 'number') return null;
  let v: number;
  switch (op) {
    case '+':
      v = l + r;
      break;
    case '-':
      v = l - r;
      break;
    case '*':
      v = l * r;
      break;
    case '/':
      if (r === 0) return null;
      v = l / r;
      break;
    case '%':
      if (r === 0) return null;
      v = l % r;
      break;
  }
  if (!Number.isFinite(v)) return null;
  return v === 0 ? 0 : v; // no -0
}

/** sum / count / average / min / max over values (missing skipped; count counts elements). */
function aggregate(name: string, values: readonly Value[]): Value {
  switch (name) {
    case 'count':
      return values.length;
    case 'sum':
    case 'average': {
      const nums = values.filter((v): v is number => typeof v === 'number');
      if (name === 'sum') return nums.reduce((a, b) => a + b, 0);
      return nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null;
    }
    case 'min':
    case 'max': {
      let best: Value = null;
      for (const v of values) {
        if (v === null || isList(v) || compareValues(v, v) === null) continue;
        if (best === null) {
          best = v;
          continue;
        }
        const c = compareValues(v, best);
        if (c !== null && (name === 'min' ? c < 0 : c > 0)) best = v;
      }
      return best;
    }
  }
  throw new EvaluationError(`unknown aggregate ${name}`);
}

// ---------------------------------------------------------------- API

/**
 * The PQL value of a checked query for one profile, as plain JSON (dates as
 * `YYYY-MM-DD`, instants as ISO-8601 text, missing as null).
 */
export function evaluate(query: CheckedQuery, input: EvaluationInput): unknown {
  return toJson(evaluateValue(query, input));
}

/** The raw interpreter value (dates as `PqlTime`), for callers that compare values. */
export function evaluateValue(query: CheckedQuery, input: EvaluationInput): Value {
  const ev = new Evaluator(query, input);
  return ev.ev(query.root, ev.rootCtx());
}

/** Whether the profile qualifies (pql.md §8.3): the value is true, or a non-empty list. */
export function qualifies(query: CheckedQuery, input: EvaluationInput): boolean {
  return qualifiesValue(evaluateValue(query, input));
}

/**
 * One node of an explanation: the source range, what it is, its value (JSON),
 * and the parts it was computed from — the operands of `and`/`or`/`not`, the
 * operand values of a comparison, the bindings of a `let`.
 */
export interface Explanation {
  readonly span: Span;
  readonly kind: 'and' | 'or' | 'not' | 'condition' | 'operand' | 'value';
  /** For a `let` binding, its name. */
  readonly label?: string;
  readonly value: unknown;
  readonly children: readonly Explanation[];
}

/** Why a profile is or is not in a segment: the value of every top-level condition and its operands. */
export function explain(query: CheckedQuery, input: EvaluationInput): Explanation {
  const ev = new Evaluator(query, input);
  return ev.explain(query.root, ev.rootCtx());
}
