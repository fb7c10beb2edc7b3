/**
 * `pql/json` (pql.md §5.1): the AST as JSON, in Adobe's node vocabulary where
 * Adobe has one, and in internal node kinds (nodeType prefixed `x:`) where it
 * has none.
 *
 * Adobe's four public node kinds:
 * - `fnApply` {fnName, params}: every operator (`=`, `and`, `in`, `not`, `!`,
 *   unary `-` with one parameter, …), `if` (three parameters), every method
 *   (receiver as params[0]) and every global function (`date`, `inSegment`, …).
 *   How an fnApply reads back: an operator spelling with the operator's number
 *   of parameters is that operator; `if` with three parameters is `if`; a
 *   catalogue global function name is a call; anything else is a method. When
 *   the node means something else (a method named `like`, a call of an unknown
 *   global), it carries `"x:form": "method" | "call"`.
 * - `fieldLookup` {fieldName, object}: `object.name`. A bare name that no
 *   binder (let, select, quantifier, comprehension, lambda) binds is a lookup on
 *   `parameterReference` 1, the implicit profile; inside filters too (Adobe's
 *   shape for the element scope is not published).
 * - `parameterReference` {position}: the implicit profile is position 1; an
 *   explicit `$n` carries `"x:explicit": true`.
 * - `literal` {literalType, value}: `String`, `Integer`, `Double` (a decimal
 *   whose written text is not the default rendering of its value carries
 *   `"x:text"`), `Boolean`, `Null`, and `List` when every element is a string,
 *   integer, boolean, null or such a list (raw JSON values, as in Adobe's
 *   example).
 *
 * Internal node kinds (private to this project):
 * - `x:list` {items}: a list literal with other elements (decimals, expressions).
 * - `x:object` {entries: [{key, value}]}: an object literal.
 * - `x:var` {name}: a variable bound by let/select/quantifier/comprehension/lambda.
 * - `x:this`, `x:xEvent`: `this`, `xEvent`.
 * - `x:up` {levels, name}: `^name`, `^^.name`.
 * - `x:timeWord` {word}: now/today/yesterday/tomorrow.
 * - `x:period` {which, unit}: `this|last|next <unit>` (inside a time spec only).
 * - `x:filter` {object, condition}: `list[condition]`.
 * - `x:occurs` {subject, spec}: `T occurs <spec>`; spec is one of
 *   {form: "relative", op, amount, unit, direction, ref} |
 *   {form: "direction", direction, ref} | {form: "between", from, to} |
 *   {form: "on", ref, explicitOn}.
 * - `x:chain` {events, timestampPath, steps: [{label, what, when?, count?, where?}]}.
 * - `x:let` {bindings: [{name, value}], body}.
 * - `x:quantifier` {quantifier, ranges: [{variable, source, where?, assertion?}]}.
 * - `x:select` {variable, source, where?}.
 * - `x:comprehension` {aggregate, value, variable, source, where?}.
 * - `x:lambda` {params: [name], body}.
 * - `x:error`: a node the parser could not build.
 *
 * Round trip: fromPqlJson(toPqlJson(e)).root equals e, spans aside (decoded
 * nodes get empty spans at offset 0).
 */
import type {
  AggregateName,
  BinaryOp,
  ChainStep,
  CompareOp,
  Expr,
  LetBinding,
  QuantifierRange,
  Span,
  TimeDirection,
  TimeRef,
  TimeSpec,
  TimeUnit,
  TimeWordName,
} from './ast.js';
import { CATALOGUE, lookupFunction } from './catalogue.js';
import { TIME_UNITS } from './time.js';
import { error, type Diagnostic } from './diagnostics.js';

export type PqlJsonValue = string | number | boolean | null | PqlJsonValue[];

export type PqlJsonTimeSpec =
  | {
      form: 'relative';
      op: CompareOp;
      amount: number;
      unit: TimeUnit;
      direction: TimeDirection;
      ref: PqlJsonNode;
    }
  | { form: 'direction'; direction: TimeDirection; ref: PqlJsonNode }
  | { form: 'between'; from: PqlJsonNode; to: PqlJsonNode }
  | { form: 'on'; ref: PqlJsonNode; explicitOn: boolean };

export type PqlJsonNode =
  | { nodeType: 'fnApply'; fnName: string; params: PqlJsonNode[]; 'x:form'?: 'method' | 'call' }
  | { nodeType: 'fieldLookup'; fieldName: string; object: PqlJsonNode }
  | { nodeType: 'parameterReference'; position: number; 'x:explicit'?: boolean }
  | {
      nodeType: 'literal';
      literalType: 'String' | 'Integer' | 'Double' | 'Boolean' | 'Null' | 'List';
      value: PqlJsonValue;
      'x:text'?: string;
    }
  | { nodeType: 'x:list'; items: PqlJsonNode[] }
  | { nodeType: 'x:object'; entries: { key: string; value: PqlJsonNode }[] }
  | { nodeType: 'x:var'; name: string }
  | { nodeType: 'x:this' }
  | { nodeType: 'x:xEvent' }
  | { nodeType: 'x:up'; levels: number; name: string }
  | { nodeType: 'x:timeWord'; word: TimeWordName }
  | { nodeType: 'x:period'; which: 'this' | 'last' | 'next'; unit: TimeUnit }
  | { nodeType: 'x:filter'; object: PqlJsonNode; condition: PqlJsonNode }
  | { nodeType: 'x:occurs'; subject: PqlJsonNode; spec: PqlJsonTimeSpec }
  | {
      nodeType: 'x:chain';
      events: PqlJsonNode;
      timestampPath: string[];
      steps: {
        label: string;
        what: PqlJsonNode;
        when?: PqlJsonTimeSpec;
        count?: number;
        where?: PqlJsonNode;
      }[];
    }
  | { nodeType: 'x:let'; bindings: { name: string; value: PqlJsonNode }[]; body: PqlJsonNode }
  | {
      nodeType: 'x:quantifier';
      quantifier: 'exists' | 'forall';
      ranges: {
        variable: string;
        source: PqlJsonNode;
        where?: PqlJsonNode;
        assertion?: PqlJsonNode;
      }[];
    }
  | { nodeType: 'x:select'; variable: string; source: PqlJsonNode; where?: PqlJsonNode }
  | {
      nodeType: 'x:comprehension';
      aggregate: AggregateName;
      value: PqlJsonNode;
      variable: string;
      source: PqlJsonNode;
      where?: PqlJsonNode;
    }
  | { nodeType: 'x:lambda'; params: string[]; body: PqlJsonNode }
  | { nodeType: 'x:error' };

// every two-operand operator of the catalogue is a binary fnApply (`not` and `occurs` take one)
const BINARY_FN = new Set(
  CATALOGUE.filter((e) => e.kind === 'operator' && e.signatures.some((sig) => sig.params.length === 2)).map((e) => e.name),
);
const COMPARE = new Set(CATALOGUE.filter((e) => e.kind === 'operator' && e.category === 'comparison').map((e) => e.name));
const UNITS: ReadonlySet<string> = new Set(TIME_UNITS);
const AGGREGATES = new Set(['sum', 'count', 'average', 'min', 'max']);
const TIME_WORDS = new Set(['now', 'today', 'yesterday', 'tomorrow']);

/** How a plain fnApply (without `x:form`) reads back. */
function defaultFnForm(
  fnName: string,
  arity: number,
): 'binary' | 'not' | 'negate' | 'if' | 'call' | 'method' {
  if (BINARY_FN.has(fnName) && arity === 2) return 'binary';
  if ((fnName === 'not' || fnName === '!') && arity === 1) return 'not';
  if (fnName === '-' && arity === 1) return 'negate';
  if (fnName === 'if' && arity === 3) return 'if';
  if (lookupFunction(fnName)) return 'call';
  return 'method';
}

function defaultDecimalText(value: number): string {
  if (Number.isInteger(value)) return Object.is(value, -0) ? '-0.0' : `${value}.0`;
  return String(value);
}

/** The raw JSON value of a list literal Adobe-style, or undefined when it needs `x:list`. */
function rawListValue(e: Expr): PqlJsonValue | undefined {
  switch (e.kind) {
    case 'String':
      return e.value;
    case 'Integer':
      return Object.is(e.value, -0) ? undefined : e.value;
    case 'Boolean':
      return e.value;
    case 'Null':
      return null;
    case 'List': {
      const out: PqlJsonValue[] = [];
      for (const i of e.items) {
        const v = rawListValue(i);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    default:
      return undefined;
  }
}

export function toPqlJson(root: Expr): PqlJsonNode {
  return encode(root, new Set());
}

function encode(e: Expr, bound: ReadonlySet<string>): PqlJsonNode {
  const enc = (x: Expr, b: ReadonlySet<string> = bound): PqlJsonNode => encode(x, b);
  const withNames = (names: readonly string[]): Set<string> => new Set([...bound, ...names]);
  const spec = (s: TimeSpec): PqlJsonTimeSpec => encodeSpec(s, bound);
  switch (e.kind) {
    case 'String':
      return { nodeType: 'literal', literalType: 'String', value: e.value };
    case 'Integer':
      // JSON has no -0: keep it in x:text
      if (Object.is(e.value, -0))
        return { nodeType: 'literal', literalType: 'Integer', value: 0, 'x:text': '-0' };
      return { nodeType: 'literal', literalType: 'Integer', value: e.value };
    case 'Decimal':
      return {
        nodeType: 'literal',
        literalType: 'Double',
        value: e.value,
        ...(e.text !== defaultDecimalText(e.value) || Object.is(e.value, -0)
          ? { 'x:text': e.text }
          : {}),
      };
    case 'Boolean':
      return { nodeType: 'literal', literalType: 'Boolean', value: e.value };
    case 'Null':
      return { nodeType: 'literal', literalType: 'Null', value: null };
    case 'List': {
      const v = rawListValue(e);
      if (v !== undefined) return { nodeType: 'literal', literalType: 'List', value: v };
      return { nodeType: 'x:list', items: e.items.map((i) => enc(i)) };
    }
    case 'Object':
      return {
        nodeType: 'x:object',
        entries: e.entries.map((en) => ({ key: en.key, value: enc(en.value) })),
      };
    case 'Name':
      if (bound.has(e.name)) return { nodeType: 'x:var', name: e.name };
      return {
        nodeType: 'fieldLookup',
        fieldName: e.name,
        object: { nodeType: 'parameterReference', position: 1 },
      };
    case 'Param':
      return { nodeType: 'parameterReference', position: e.position, 'x:explicit': true };
    case 'This':
      return { nodeType: 'x:this' };
    case 'XEvent':
      return { nodeType: 'x:xEvent' };
    case 'UpRef':
      return { nodeType: 'x:up', levels: e.levels, name: e.name };
    case 'TimeWord':
      return { nodeType: 'x:timeWord', word: e.word };
    case 'Member':
      return { nodeType: 'fieldLookup', fieldName: e.name, object: enc(e.object) };
    case 'Method': {
      const params = [enc(e.receiver), ...e.args.map((a) => enc(a))];
      const form = defaultFnForm(e.name, params.length);
      return {
        nodeType: 'fnApply',
        fnName: e.name,
        params,
        ...(form !== 'method' ? { 'x:form': 'method' as const } : {}),
      };
    }
    case 'Call': {
      const params = e.args.map((a) => enc(a));
      const form = defaultFnForm(e.name, params.length);
      return {
        nodeType: 'fnApply',
        fnName: e.name,
        params,
        ...(form !== 'call' ? { 'x:form': 'call' as const } : {}),
      };
    }
    case 'Filter':
      return { nodeType: 'x:filter', object: enc(e.object), condition: enc(e.condition) };
    case 'Binary':
      return { nodeType: 'fnApply', fnName: e.op, params: [enc(e.left), enc(e.right)] };
    case 'Not':
      return { nodeType: 'fnApply', fnName: e.bang ? '!' : 'not', params: [enc(e.operand)] };
    case 'Negate':
      return { nodeType: 'fnApply', fnName: '-', params: [enc(e.operand)] };
    case 'If':
      return {
        nodeType: 'fnApply',
        fnName: 'if',
        params: [enc(e.condition), enc(e.then), enc(e.otherwise)],
      };
    case 'Occurs':
      return { nodeType: 'x:occurs', subject: enc(e.subject), spec: spec(e.spec) };
    case 'Chain':
      return {
        nodeType: 'x:chain',
        events: enc(e.events),
        timestampPath: [...e.timestampPath],
        steps: e.steps.map((s) => ({
          label: s.label,
          what: enc(s.what),
          ...(s.when ? { when: spec(s.when) } : {}),
          ...(s.count !== undefined ? { count: s.count } : {}),
          ...(s.where ? { where: enc(s.where) } : {}),
        })),
      };
    case 'Let': {
      // each binding sees the earlier ones
      const names: string[] = [];
      const bindings = e.bindings.map((b) => {
        const value = enc(b.value, withNames(names));
        names.push(b.name);
        return { name: b.name, value };
      });
      return { nodeType: 'x:let', bindings, body: enc(e.body, withNames(names)) };
    }
    case 'Quantifier': {
      const names: string[] = [];
      const ranges = e.ranges.map((r) => {
        const source = enc(r.source, withNames(names));
        names.push(r.variable);
        const inner = withNames(names);
        return {
          variable: r.variable,
          source,
          ...(r.where ? { where: enc(r.where, inner) } : {}),
          ...(r.assertion ? { assertion: enc(r.assertion, inner) } : {}),
        };
      });
      return { nodeType: 'x:quantifier', quantifier: e.quantifier, ranges };
    }
    case 'Select': {
      const inner = withNames([e.variable]);
      return {
        nodeType: 'x:select',
        variable: e.variable,
        source: enc(e.source),
        ...(e.where ? { where: enc(e.where, inner) } : {}),
      };
    }
    case 'Comprehension': {
      const inner = withNames([e.variable]);
      return {
        nodeType: 'x:comprehension',
        aggregate: e.aggregate,
        value: enc(e.value, inner),
        variable: e.variable,
        source: enc(e.source),
        ...(e.where ? { where: enc(e.where, inner) } : {}),
      };
    }
    case 'Lambda':
      return {
        nodeType: 'x:lambda',
        params: e.params.map((p) => p.name),
        body: enc(e.body, withNames(e.params.map((p) => p.name))),
      };
    case 'Error':
      return { nodeType: 'x:error' };
  }
}

function encodeSpec(s: TimeSpec, bound: ReadonlySet<string>): PqlJsonTimeSpec {
  const ref = (r: TimeRef): PqlJsonNode =>
    r.kind === 'Period' ? { nodeType: 'x:period', which: r.which, unit: r.unit } : encode(r, bound);
  switch (s.form) {
    case 'relative':
      return {
        form: 'relative',
        op: s.op,
        amount: s.amount,
        unit: s.unit,
        direction: s.direction,
        ref: ref(s.ref),
      };
    case 'direction':
      return { form: 'direction', direction: s.direction, ref: ref(s.ref) };
    case 'between':
      return { form: 'between', from: ref(s.from), to: ref(s.to) };
    case 'on':
      return { form: 'on', ref: ref(s.ref), explicitOn: s.explicitOn };
  }
}

// ---------------------------------------------------------------- decoding

const NO_SPAN: Span = { start: 0, end: 0 };

export function fromPqlJson(node: unknown): { root: Expr; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let root: Expr;
  try {
    root = new Decoder(diagnostics).expr(node, '$', 0);
  } catch (e) {
    diagnostics.push(error('PQL101', `pql/json could not be read: ${String(e)}`, NO_SPAN));
    root = { kind: 'Error', span: NO_SPAN };
  }
  return { root, diagnostics };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_JSON_DEPTH = 400;

class Decoder {
  constructor(private readonly diagnostics: Diagnostic[]) {}

  private fail(path: string, message: string): Expr {
    this.diagnostics.push(error('PQL101', `pql/json at ${path}: ${message}`, NO_SPAN));
    return { kind: 'Error', span: NO_SPAN };
  }

  private str(o: Obj, key: string, path: string): string | undefined {
    const v = o[key];
    if (typeof v === 'string') return v;
    this.fail(`${path}.${key}`, 'expected a string');
    return undefined;
  }

  private int(o: Obj, key: string, path: string, min = 0): number | undefined {
    const v = o[key];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
    this.fail(`${path}.${key}`, `expected a whole number of at least ${min}`);
    return undefined;
  }

  private arr(o: Obj, key: string, path: string): unknown[] | undefined {
    const v = o[key];
    if (Array.isArray(v)) return v;
    this.fail(`${path}.${key}`, 'expected an array');
    return undefined;
  }

  private optional(o: Obj, key: string, path: string, depth: number): Expr | undefined {
    if (o[key] === undefined) return undefined;
    return this.expr(o[key], `${path}.${key}`, depth + 1);
  }

  private literalValue(v: unknown, path: string, depth: number): Expr {
    if (depth > MAX_JSON_DEPTH) return this.fail(path, 'nested too deeply');
    if (typeof v === 'string') return { kind: 'String', value: v, span: NO_SPAN };
    if (typeof v === 'boolean') return { kind: 'Boolean', value: v, span: NO_SPAN };
    if (v === null) return { kind: 'Null', span: NO_SPAN };
    if (typeof v === 'number' && Number.isFinite(v)) {
      if (Number.isInteger(v)) return { kind: 'Integer', value: v, span: NO_SPAN };
      return { kind: 'Decimal', value: v, text: defaultDecimalText(v), span: NO_SPAN };
    }
    if (Array.isArray(v)) {
      return {
        kind: 'List',
        items: v.map((x, i) => this.literalValue(x, `${path}[${i}]`, depth + 1)),
        span: NO_SPAN,
      };
    }
    return this.fail(path, 'not a valid list element');
  }

  expr(node: unknown, path: string, depth: number): Expr {
    if (depth > MAX_JSON_DEPTH) return this.fail(path, 'nested too deeply');
    if (!isObj(node)) return this.fail(path, 'expected a node object');
    const nt = node['nodeType'];
    const d = depth + 1;
    const sub = (key: string): Expr => this.expr(node[key], `${path}.${key}`, d);
    const span = NO_SPAN;
    switch (nt) {
      case 'literal':
        return this.literal(node, path, d);
      case 'parameterReference': {
        const position = this.int(node, 'position', path, 1);
        if (position === undefined) return { kind: 'Error', span };
        return { kind: 'Param', position, span };
      }
      case 'fieldLookup': {
        const name = this.str(node, 'fieldName', path);
        if (name === undefined) return { kind: 'Error', span };
        const obj = node['object'];
        if (
          isObj(obj) &&
          obj['nodeType'] === 'parameterReference' &&
          obj['position'] === 1 &&
          obj['x:explicit'] !== true
        ) {
          return { kind: 'Name', name, span };
        }
        if (isObj(obj) && obj['nodeType'] === 'literal' && obj['literalType'] === 'XDMObject') {
          // Adobe's training material roots paths at {"literalType": "XDMObject", "value": "profile"}
          return { kind: 'Name', name, span };
        }
        return { kind: 'Member', object: sub('object'), name, nameSpan: span, span };
      }
      case 'fnApply':
        return this.fnApply(node, path, d);
      case 'x:list': {
        const items = this.arr(node, 'items', path);
        return {
          kind: 'List',
          items: (items ?? []).map((x, i) => this.expr(x, `${path}.items[${i}]`, d)),
          span,
        };
      }
      case 'x:object': {
        const entries = this.arr(node, 'entries', path) ?? [];
        return {
          kind: 'Object',
          entries: entries.map((en, i) => {
            const p = `${path}.entries[${i}]`;
            if (!isObj(en))
              return { key: '', keySpan: span, value: this.fail(p, 'expected {key, value}') };
            return {
              key: this.str(en, 'key', p) ?? '',
              keySpan: span,
              value: this.expr(en['value'], `${p}.value`, d),
            };
          }),
          span,
        };
      }
      case 'x:var': {
        const name = this.str(node, 'name', path);
        return name === undefined ? { kind: 'Error', span } : { kind: 'Name', name, span };
      }
      case 'x:this':
        return { kind: 'This', span };
      case 'x:xEvent':
        return { kind: 'XEvent', span };
      case 'x:up': {
        const levels = this.int(node, 'levels', path, 1);
        const name = this.str(node, 'name', path);
        if (levels === undefined || name === undefined) return { kind: 'Error', span };
        return { kind: 'UpRef', levels, name, span };
      }
      case 'x:timeWord': {
        const word = node['word'];
        if (typeof word !== 'string' || !TIME_WORDS.has(word))
          return this.fail(`${path}.word`, 'expected now, today, yesterday or tomorrow');
        return { kind: 'TimeWord', word: word as TimeWordName, span };
      }
      case 'x:filter':
        return { kind: 'Filter', object: sub('object'), condition: sub('condition'), span };
      case 'x:occurs': {
        const subject = sub('subject');
        const spec = this.spec(node['spec'], `${path}.spec`, d);
        if (!spec) return { kind: 'Error', span };
        return { kind: 'Occurs', subject, spec, span };
      }
      case 'x:chain':
        return this.chain(node, path, d);
      case 'x:let': {
        const raw = this.arr(node, 'bindings', path) ?? [];
        const bindings: LetBinding[] = raw.map((b, i) => {
          const p = `${path}.bindings[${i}]`;
          if (!isObj(b))
            return { name: '', nameSpan: span, value: this.fail(p, 'expected {name, value}') };
          return {
            name: this.str(b, 'name', p) ?? '',
            nameSpan: span,
            value: this.expr(b['value'], `${p}.value`, d),
          };
        });
        if (bindings.length === 0)
          this.fail(`${path}.bindings`, 'a let needs at least one binding');
        return { kind: 'Let', bindings, body: sub('body'), span };
      }
      case 'x:quantifier': {
        const q = node['quantifier'];
        if (q !== 'exists' && q !== 'forall')
          return this.fail(`${path}.quantifier`, 'expected exists or forall');
        const raw = this.arr(node, 'ranges', path) ?? [];
        const ranges: QuantifierRange[] = raw.map((r, i) => {
          const p = `${path}.ranges[${i}]`;
          if (!isObj(r))
            return { variable: '', variableSpan: span, source: this.fail(p, 'expected a range') };
          const where = this.optional(r, 'where', p, d);
          const assertion = this.optional(r, 'assertion', p, d);
          return {
            variable: this.str(r, 'variable', p) ?? '',
            variableSpan: span,
            source: this.expr(r['source'], `${p}.source`, d),
            ...(where ? { where } : {}),
            ...(assertion ? { assertion } : {}),
          };
        });
        if (ranges.length === 0)
          this.fail(`${path}.ranges`, 'a quantifier needs at least one range');
        return { kind: 'Quantifier', quantifier: q, ranges, span };
      }
      case 'x:select': {
        const where = this.optional(node, 'where', path, d);
        return {
          kind: 'Select',
          variable: this.str(node, 'variable', path) ?? '',
          variableSpan: span,
          source: sub('source'),
          ...(where ? { where } : {}),
          span,
        };
      }
      case 'x:comprehension': {
        const agg = node['aggregate'];
        if (typeof agg !== 'string' || !AGGREGATES.has(agg))
          return this.fail(`${path}.aggregate`, 'expected sum, count, average, min or max');
        const where = this.optional(node, 'where', path, d);
        return {
          kind: 'Comprehension',
          aggregate: agg as AggregateName,
          value: sub('value'),
          variable: this.str(node, 'variable', path) ?? '',
          variableSpan: span,
          source: sub('source'),
          ...(where ? { where } : {}),
          span,
        };
      }
      case 'x:lambda': {
        const params = this.arr(node, 'params', path) ?? [];
        return {
          kind: 'Lambda',
          params: params.map((p, i) => {
            if (typeof p !== 'string') this.fail(`${path}.params[${i}]`, 'expected a name');
            return { name: typeof p === 'string' ? p : '', span };
          }),
          body: sub('body'),
          span,
        };
      }
      case 'x:error':
        return this.fail(path, 'the expression contains an error node');
      default:
        return this.fail(`${path}.nodeType`, `unknown node type ${JSON.stringify(nt)}`);
    }
  }

  private literal(node: Obj, path: string, depth: number): Expr {
    const span = NO_SPAN;
    const v = node['value'];
    switch (node['literalType']) {
      case 'String':
        return typeof v === 'string'
          ? { kind: 'String', value: v, span }
          : this.fail(`${path}.value`, 'expected a string');
      case 'Integer':
        return typeof v === 'number' && Number.isInteger(v)
          ? { kind: 'Integer', value: v === 0 && node['x:text'] === '-0' ? -0 : v, span }
          : this.fail(`${path}.value`, 'expected a whole number');
      case 'Double':
      case 'Decimal': {
        if (typeof v !== 'number' || !Number.isFinite(v))
          return this.fail(`${path}.value`, 'expected a number');
        const t = node['x:text'];
        const value = v === 0 && typeof t === 'string' && t.startsWith('-') ? -0 : v;
        return {
          kind: 'Decimal',
          value,
          text: typeof t === 'string' ? t : defaultDecimalText(v),
          span,
        };
      }
      case 'Boolean':
        return typeof v === 'boolean'
          ? { kind: 'Boolean', value: v, span }
          : this.fail(`${path}.value`, 'expected true or false');
      case 'Null':
        return { kind: 'Null', span };
      case 'List':
        return Array.isArray(v)
          ? this.literalValue(v, `${path}.value`, depth)
          : this.fail(`${path}.value`, 'expected an array');
      default:
        return this.fail(
          `${path}.literalType`,
          `unsupported literal type ${JSON.stringify(node['literalType'])}`,
        );
    }
  }

  private fnApply(node: Obj, path: string, depth: number): Expr {
    const span = NO_SPAN;
    const fnName = this.str(node, 'fnName', path);
    const rawParams = this.arr(node, 'params', path);
    if (fnName === undefined || rawParams === undefined) return { kind: 'Error', span };
    const params = rawParams.map((p, i) => this.expr(p, `${path}.params[${i}]`, depth));
    const marker = node['x:form'];
    const form =
      marker === 'method' || marker === 'call' ? marker : defaultFnForm(fnName, params.length);
    switch (form) {
      case 'binary':
        return {
          kind: 'Binary',
          op: fnName as BinaryOp,
          left: params[0]!,
          right: params[1]!,
          span,
        };
      case 'not':
        return { kind: 'Not', operand: params[0]!, bang: fnName === '!', span };
      case 'negate':
        return { kind: 'Negate', operand: params[0]!, span };
      case 'if':
        return { kind: 'If', condition: params[0]!, then: params[1]!, otherwise: params[2]!, span };
      case 'call':
        return { kind: 'Call', name: fnName, nameSpan: span, args: params, span };
      case 'method':
        if (params.length === 0)
          return this.fail(
            `${path}.params`,
            `the method ${fnName} needs its receiver as the first parameter`,
          );
        return {
          kind: 'Method',
          receiver: params[0]!,
          name: fnName,
          nameSpan: span,
          args: params.slice(1),
          span,
        };
    }
  }

  private ref(v: unknown, path: string, depth: number): TimeRef {
    if (isObj(v) && v['nodeType'] === 'x:period') {
      const which = v['which'];
      const unit = v['unit'];
      if (
        (which === 'this' || which === 'last' || which === 'next') &&
        typeof unit === 'string' &&
        UNITS.has(unit)
      ) {
        return { kind: 'Period', which, unit: unit as TimeUnit, span: NO_SPAN };
      }
      return this.fail(path, 'a period needs which (this, last, next) and a time unit');
    }
    return this.expr(v, path, depth);
  }

  private spec(v: unknown, path: string, depth: number): TimeSpec | undefined {
    if (!isObj(v)) {
      this.fail(path, 'expected a time specification');
      return undefined;
    }
    const span = NO_SPAN;
    const direction = (): TimeDirection | undefined => {
      const dir = v['direction'];
      if (dir === 'before' || dir === 'after' || dir === 'from') return dir;
      this.fail(`${path}.direction`, 'expected before, after or from');
      return undefined;
    };
    switch (v['form']) {
      case 'relative': {
        const op = v['op'];
        const unit = v['unit'];
        const amount = this.int(v, 'amount', path, 0);
        const dir = direction();
        if (typeof op !== 'string' || !COMPARE.has(op)) {
          this.fail(`${path}.op`, 'expected a comparison operator');
          return undefined;
        }
        if (typeof unit !== 'string' || !UNITS.has(unit)) {
          this.fail(`${path}.unit`, 'expected a time unit');
          return undefined;
        }
        if (amount === undefined || dir === undefined) return undefined;
        return {
          form: 'relative',
          op: op as CompareOp,
          amount,
          unit: unit as TimeUnit,
          direction: dir,
          ref: this.ref(v['ref'], `${path}.ref`, depth + 1),
          span,
        };
      }
      case 'direction': {
        const dir = direction();
        if (dir === undefined) return undefined;
        return {
          form: 'direction',
          direction: dir,
          ref: this.ref(v['ref'], `${path}.ref`, depth + 1),
          span,
        };
      }
      case 'between':
        return {
          form: 'between',
          from: this.ref(v['from'], `${path}.from`, depth + 1),
          to: this.ref(v['to'], `${path}.to`, depth + 1),
          span,
        };
      case 'on':
        return {
          form: 'on',
          ref: this.ref(v['ref'], `${path}.ref`, depth + 1),
          explicitOn: v['explicitOn'] === true,
          span,
        };
      default:
        this.fail(`${path}.form`, 'expected relative, direction, between or on');
        return undefined;
    }
  }

  private chain(node: Obj, path: string, depth: number): Expr {
    const span = NO_SPAN;
    const tsRaw = this.arr(node, 'timestampPath', path) ?? [];
    const timestampPath = tsRaw.filter((s): s is string => typeof s === 'string');
    if (timestampPath.length !== tsRaw.length || timestampPath.length === 0)
      this.fail(`${path}.timestampPath`, 'expected a list of field names');
    const stepsRaw = this.arr(node, 'steps', path) ?? [];
    const steps: ChainStep[] = stepsRaw.map((s, i) => {
      const p = `${path}.steps[${i}]`;
      if (!isObj(s)) return { label: '', what: this.fail(p, 'expected a chain step'), span };
      const when =
        s['when'] === undefined ? undefined : this.spec(s['when'], `${p}.when`, depth + 1);
      const count = s['count'] === undefined ? undefined : this.int(s, 'count', p, 0);
      const where = this.optional(s, 'where', p, depth);
      return {
        label: this.str(s, 'label', p) ?? '',
        what: this.expr(s['what'], `${p}.what`, depth + 1),
        ...(when ? { when } : {}),
        ...(count !== undefined ? { count } : {}),
        ...(where ? { where } : {}),
        span,
      };
    });
    return {
      kind: 'Chain',
      events: this.expr(node['events'], `${path}.events`, depth + 1),
      timestampPath,
      steps,
      span,
    };
  }
}
