/**
 * The PQL type checker (pql.md §3, §4, §5.5).
 *
 * Input: a parse tree (ast.ts) and, optionally, the data schema. Output: a
 * CheckedQuery (checked.ts) whose side tables give the type of every node,
 * what every name refers to, and the catalogue entry of every operation, so
 * that the interpreter and the compilers never re-derive either.
 *
 * Every signature comes from the catalogue (catalogue.ts); this file lists no
 * function names. The checker never throws: anything it cannot type is `any`.
 */
import type {
  BinaryOp,
  Binary,
  Call,
  Chain,
  Comprehension,
  Expr,
  Lambda,
  Let,
  Member,
  MethodCall,
  Name,
  Occurs,
  Period,
  Quantifier,
  Select,
  Span,
  This,
  TimeRef,
  TimeSpec,
  UpRef,
} from './ast.js';
import {
  CATALOGUE,
  lookupFunction,
  lookupMethod,
  namesOf,
  type CatalogueEntry,
  type ParamSpec,
  type Signature,
  type TypePattern,
} from './catalogue.js';
import type { Binder, CheckedQuery, Resolution } from './checked.js';
import {
  error,
  warning,
  type Diagnostic,
  type DiagnosticCode,
  type Severity,
  type SourceText,
} from './diagnostics.js';
import { parse } from './parser.js';
import { daysInMonth, MONTH_NAMES } from './time.js';
import {
  T,
  comparable,
  isNumeric,
  isTemporal,
  ordered,
  typeToString,
  unify,
  type PqlType,
} from './types.js';
import type { DataSchema } from '../schema/model.js';

export interface Guardrails {
  /** Critical: steps of one chain (pql.md §4.15, §5.5). Default 6. */
  readonly maxChainSteps?: number;
  /** Critical: and/or/not operators in one definition ("logical complexity"). Default 100. */
  readonly maxLogicalOperators?: number;
  /** Performance warning: aggregation functions in one definition. Default 3. */
  readonly maxAggregations?: number;
  /** Performance warning: levels of nested array or map access. Default 2. */
  readonly maxNesting?: number;
}

export interface CheckOptions {
  /** The profile/event schema; without it fields are `any`. */
  readonly schema?: DataSchema;
  /** Diagnostics of the parse, merged (in source order) into the result. */
  readonly parseDiagnostics?: readonly Diagnostic[];
  /** When given, `inSegment` ids outside this set are errors (PQL207). */
  readonly knownSegmentIds?: ReadonlySet<string>;
  /** True (default) for a segment definition: the root must be a condition (PQL206). */
  readonly expectCondition?: boolean;
  readonly guardrails?: Guardrails;
}

// ---------------------------------------------------------------- catalogue access

const entriesById = new Map<string, CatalogueEntry>(CATALOGUE.map((e) => [e.id, e]));
function entryById(id: string): CatalogueEntry | undefined {
  return entriesById.get(id);
}
/** Entries with checks of their own beyond their signature (by id, from the catalogue). */
const DATE_FUNCTION = entryById('function:date');
const SEGMENT_FUNCTION = entryById('function:inSegment');

const methodNames: string[] = CATALOGUE.filter((e) => e.kind === 'method').flatMap((e) => [
  e.name,
  ...(e.aliases ?? []),
]);

// ---------------------------------------------------------------- small helpers

/** Optimal string alignment distance (Levenshtein plus transpositions). */
function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) => {
    const row = new Array<number>(m + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= m; j++) d[0]![j] = j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[n]![m]!;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
function suggest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const limit = name.length <= 3 ? 1 : name.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(lower, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

function isConditionType(t: PqlType): boolean {
  return t.kind === 'boolean' || t.kind === 'list' || t.kind === 'any' || t.kind === 'null';
}

function isScalarType(t: PqlType): boolean {
  return !(t.kind === 'list' || t.kind === 'map' || t.kind === 'entry' || t.kind === 'object');
}

/** A type named with typeToString, with its article: "a string", "an integer", "null". */
function typeName(t: PqlType): string {
  const name = typeToString(t);
  if (t.kind === 'null' || t.kind === 'any') return name === 'any' ? 'of unknown type' : name;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** "a number", "a string", … for messages about what an expression is. */
function phrase(t: PqlType): string {
  switch (t.kind) {
    case 'int':
    case 'double':
      return 'a number';
    case 'string':
      return 'a string';
    case 'date':
      return 'a date';
    case 'datetime':
      return 'a date-time';
    case 'boolean':
      return 'a condition';
    case 'map':
    case 'entry':
      return 'a map';
    case 'object':
      return 'an object';
    case 'list':
      return `a ${typeToString(t)}`;
    case 'null':
      return 'null';
    default:
      return 'a value';
  }
}

function patternPhrase(p: TypePattern, b: Bindings): string {
  switch (p) {
    case 'number':
      return 'a number';
    case 'temporal':
      return 'a date or date-time';
    case 'ordered':
      return 'a number, string or date';
    case 'scalar':
      return 'a single value (not a list, map or object)';
    case 'T':
      return b.T.kind === 'any' || b.T.kind === 'null' ? 'a value' : typeName(b.T);
    case 'list<T>':
      return `a list<${typeToString(b.T)}>`;
    case 'list<any>':
      return 'a list';
    case 'map<T>':
    case 'map<any>':
    case 'map<list<T>>':
    case 'map<U>':
      return 'a map';
    case 'list<string>|map<any>':
      return 'a list of strings or a map';
    case 'entry':
      return 'a map entry';
    case 'any':
    case 'U':
    case 'V':
      return 'a value';
    case 'list<U>':
      return 'a list';
    case 'sum<V>':
      return 'a number';
    default:
      return typeName({ kind: p } as PqlType);
  }
}

interface Bindings {
  /** The receiver's element type (list element, map value). */
  readonly T: PqlType;
  /** The type of the per-element argument, when given. */
  readonly U?: PqlType;
}

function isLoose(t: PqlType): boolean {
  return t.kind === 'any' || t.kind === 'null';
}

/** Does a value of type `a` fit the pattern `p`? */
function matchPattern(p: TypePattern, a: PqlType, b: Bindings): boolean {
  if (isLoose(a)) return true;
  switch (p) {
    case 'any':
      return true;
    case 'boolean':
    case 'string':
    case 'int':
    case 'date':
      return a.kind === p;
    case 'double':
      return isNumeric(a);
    case 'datetime':
      return isTemporal(a);
    case 'number':
      return isNumeric(a);
    case 'temporal':
      return isTemporal(a);
    case 'ordered':
      return ordered(a);
    case 'scalar':
      return isScalarType(a);
    case 'T':
    case 'U':
    case 'V':
      return comparable(a, b.T);
    case 'list<T>':
      return a.kind === 'list' && comparable(a.element, b.T);
    case 'list<any>':
    case 'list<U>':
      return a.kind === 'list';
    case 'list<string>':
      return a.kind === 'list' && (isLoose(a.element) || a.element.kind === 'string');
    case 'map<T>':
    case 'map<any>':
    case 'map<U>':
    case 'map<list<T>>':
      return a.kind === 'map' || a.kind === 'entry';
    case 'list<string>|map<any>':
      return (
        a.kind === 'map' ||
        a.kind === 'entry' ||
        (a.kind === 'list' && (isLoose(a.element) || a.element.kind === 'string'))
      );
    case 'object':
      return a.kind === 'object';
    case 'entry':
      return a.kind === 'entry' || a.kind === 'map';
    case 'sum<V>':
      return isNumeric(a);
    default:
      return false;
  }
}

/** Bindings for a receiver matching the pattern, or undefined. */
function matchReceiver(p: TypePattern | undefined, r: PqlType): Bindings | undefined {
  switch (p) {
    case undefined:
    case 'any':
      return {
        T: r.kind === 'list' ? r.element : r.kind === 'map' || r.kind === 'entry' ? r.value : T.any,
      };
    case 'list<T>':
    case 'list<any>':
      if (r.kind === 'list') return { T: r.element };
      return isLoose(r) ? { T: T.any } : undefined;
    case 'map<T>':
    case 'map<any>':
      if (r.kind === 'map' || r.kind === 'entry') return { T: r.value };
      return isLoose(r) ? { T: T.any } : undefined;
    default:
      return matchPattern(p, r, { T: T.any }) ? { T: T.any } : undefined;
  }
}

function resultType(p: TypePattern, b: Bindings, argTypes: readonly PqlType[]): PqlType {
  const V = b.U ?? b.T;
  const entryToMap = (u: PqlType): PqlType | undefined =>
    u.kind === 'entry' ? T.map(u.value) : undefined;
  switch (p) {
    case 'boolean':
    case 'int':
    case 'double':
    case 'string':
    case 'date':
    case 'datetime':
      return T[p];
    case 'T':
      return b.T;
    case 'list<T>':
      return T.list(b.T);
    case 'list<any>':
      return T.list(T.any);
    case 'list<string>':
      return T.list(T.string);
    case 'map<T>':
      return T.map(b.T);
    case 'map<any>':
      return T.map(T.any);
    case 'object':
      return T.object({});
    case 'U':
      return b.U ?? T.any;
    case 'V':
      return V;
    case 'list<U>': {
      const u = b.U ?? T.any;
      return entryToMap(u) ?? T.list(u);
    }
    case 'map<U>': {
      const u = b.U ?? T.any;
      return entryToMap(u) ?? T.map(u);
    }
    case 'map<list<T>>':
      return T.map(T.list(b.T));
    case 'sum<V>':
      return V.kind === 'int' ? T.int : V.kind === 'any' ? T.any : T.double;
    case 'entry':
      return { kind: 'entry', value: argTypes[argTypes.length - 1] ?? T.any };
    default:
      return T.any;
  }
}

/** The ways `n` arguments can be assigned to a signature's parameters (one ParamSpec per argument). */
function assignments(sig: Signature, n: number): ParamSpec[][] {
  const params = sig.params;
  const v = params.findIndex((p) => p.variadic);
  if (v < 0) {
    const required = params.filter((p) => !p.optional).length;
    return n >= required && n <= params.length ? [params.slice(0, n)] : [];
  }
  const before = params.slice(0, v);
  const after = params.slice(v + 1);
  const requiredAfter = after.filter((p) => !p.optional).length;
  const out: ParamSpec[][] = [];
  for (let k = n - before.length - requiredAfter; k >= 1; k--) {
    const m = n - before.length - k;
    if (m < requiredAfter || m > after.length) continue;
    out.push([...before, ...new Array<ParamSpec>(k).fill(params[v]!), ...after.slice(0, m)]);
  }
  return out;
}

function arityText(entry: CatalogueEntry): string {
  const counts = new Set<number>();
  let atLeast: number | undefined;
  for (const s of entry.signatures) {
    const required = s.params.filter((p) => !p.optional).length;
    if (s.params.some((p) => p.variadic)) {
      atLeast = Math.min(atLeast ?? Infinity, required);
    } else for (let c = required; c <= s.params.length; c++) counts.add(c);
  }
  const sorted = [...counts]
    .filter((c) => atLeast === undefined || c < atLeast)
    .sort((a, b) => a - b);
  const plural = (c: number) => (c === 1 ? 'argument' : 'arguments');
  let text: string;
  if (atLeast !== undefined && sorted.length === 0) text = `at least ${atLeast} ${plural(atLeast)}`;
  else if (sorted.length === 1 && sorted[0] === 0 && atLeast === undefined)
    return `${entry.name} takes no arguments`;
  else {
    const nums = sorted.map(String);
    if (atLeast !== undefined) nums.push(`at least ${atLeast}`);
    const last = nums.pop()!;
    const joined = nums.length ? `${nums.join(', ')} or ${last}` : last;
    const max = atLeast !== undefined ? 2 : sorted[sorted.length - 1]!;
    text = `${joined} ${plural(max)}`;
  }
  const withParams = entry.signatures.filter((s) => s.params.length > 0);
  const names = (s: Signature) =>
    s.params.map((p) => (p.variadic ? `${p.name}…` : p.name)).join(', ');
  const list =
    withParams.length === 1
      ? names(withParams[0]!)
      : withParams.map((s) => `(${names(s)})`).join(' or ');
  return `${entry.name} needs ${text}${list ? `: ${list}` : ''}`;
}


/** The text of a path expression (`person.name`, `xEvent.productListItems`), if it is one. */
function pathText(e: Expr): string | undefined {
  switch (e.kind) {
    case 'Name':
      return e.name;
    case 'XEvent':
      return 'xEvent';
    case 'This':
      return 'this';
    case 'Param':
      return `$${e.position}`;
    case 'UpRef':
      return `${'^'.repeat(e.levels)}${e.name}`;
    case 'Member': {
      const o = pathText(e.object);
      return o === undefined ? undefined : `${o}.${e.name}`;
    }
    case 'Method': {
      const o = pathText(e.receiver);
      return o === undefined ? undefined : `${o}.${e.name}(…)`;
    }
    case 'Filter': {
      const o = pathText(e.object);
      return o === undefined ? undefined : `${o}[…]`;
    }
    default:
      return undefined;
  }
}

function isLiteral(e: Expr): boolean {
  return (
    e.kind === 'String' ||
    e.kind === 'Integer' ||
    e.kind === 'Decimal' ||
    e.kind === 'Boolean' ||
    e.kind === 'Null'
  );
}

// ---------------------------------------------------------------- scopes

interface Scope {
  /** The type of the current element. */
  readonly type: PqlType;
  /** How a message names the elements: "Profiles", "Events", "Elements of interests". */
  readonly label: string;
  /** Chain WHAT/WHERE: names the element lacks resolve against the profile (pql.md §3.7). */
  readonly fallbackToProfile: boolean;
}

interface Variable {
  readonly name: string;
  readonly type: PqlType;
  readonly binder: Binder;
  readonly index: number;
}

type FieldResult =
  | { readonly ok: true; readonly type: PqlType; readonly projection: boolean }
  | { readonly ok: false; readonly reason: 'missing'; readonly fields: readonly string[] }
  | { readonly ok: false; readonly reason: 'map' | 'scalar'; readonly type: PqlType };

/** The type of `.name` on a value of type `t`, projecting through lists (pql.md §3.6). */
function fieldOf(t: PqlType, name: string): FieldResult {
  switch (t.kind) {
    case 'any':
      return { ok: true, type: T.any, projection: false };
    case 'null':
      return { ok: true, type: T.null, projection: false };
    case 'object':
      return Object.prototype.hasOwnProperty.call(t.fields, name)
        ? { ok: true, type: t.fields[name]!, projection: false }
        : { ok: false, reason: 'missing', fields: Object.keys(t.fields) };
    case 'list': {
      const inner = fieldOf(t.element, name);
      if (!inner.ok) return inner;
      const ft = inner.type;
      return { ok: true, type: ft.kind === 'list' ? ft : T.list(ft), projection: true };
    }
    case 'map':
    case 'entry':
      return { ok: false, reason: 'map', type: t };
    default:
      return { ok: false, reason: 'scalar', type: t };
  }
}

// ---------------------------------------------------------------- the checker

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly types = new Map<Expr | Period, PqlType>();
  readonly resolutions = new Map<Name | UpRef | This | Expr, Resolution>();
  readonly entries = new Map<Expr | Period, CatalogueEntry>();
  readonly segmentRefs: string[] = [];

  private readonly scopes: Scope[] = [];
  private readonly variables: Variable[] = [];
  private muted = 0;
  private logicalOperators = 0;
  private aggregations = 0;
  private nestingWarned = false;
  private readonly profileType: PqlType;
  private readonly eventType: PqlType;

  constructor(private readonly options: CheckOptions) {
    this.profileType = options.schema?.profile ?? T.any;
    this.eventType = options.schema?.event ?? T.any;
    this.scopes.push({ type: this.profileType, label: 'Profiles', fallbackToProfile: false });
  }

  // ------------------------------------------------------------ reporting

  private report(severity: Severity, code: DiagnosticCode, message: string, span: Span): void {
    if (this.muted > 0) return;
    this.diagnostics.push(
      severity === 'error' ? error(code, message, span) : warning(code, message, span),
    );
  }
  private err(code: DiagnosticCode, message: string, span: Span): void {
    this.report('error', code, message, span);
  }
  private warn(code: DiagnosticCode, message: string, span: Span): void {
    this.report('warning', code, message, span);
  }
  private mutedVisit<R>(f: () => R): R {
    this.muted++;
    try {
      return f();
    } finally {
      this.muted--;
    }
  }

  private setEntry(node: Expr | Period, id: string): void {
    const e = entryById(id);
    if (e) this.entries.set(node, e);
  }

  // ------------------------------------------------------------ scopes and names

  private get depth(): number {
    return this.scopes.length;
  }
  private get innermost(): Scope {
    return this.scopes[this.scopes.length - 1]!;
  }

  private labelFor(elementType: PqlType, source: Expr | undefined): string {
    if (this.options.schema) {
      if (elementType === this.options.schema.event) return 'Events';
      if (elementType === this.options.schema.profile) return 'Profiles';
    }
    const p = source && pathText(source);
    return p ? `Elements of ${p}` : 'The elements';
  }

  private withScope<R>(scope: Scope, f: () => R): R {
    this.scopes.push(scope);
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  private nestingCheck(span: Span): void {
    const maxNesting = this.options.guardrails?.maxNesting ?? 2;
    // scopes[0] is the profile; each further scope is one level of array or map access
    if (!this.nestingWarned && this.depth - 1 > maxNesting) {
      this.nestingWarned = true;
      this.warn(
        'PQL208',
        `More than ${maxNesting} levels of nested list access: this definition may evaluate slowly`,
        span,
      );
    }
  }

  private bind<R>(vars: readonly Variable[], spans: readonly Span[], f: () => R): R {
    vars.forEach((v, i) => {
      if (this.variables.some((w) => w.name === v.name))
        this.warn('PQL303', `'${v.name}' hides another variable of the same name`, spans[i]!);
      else {
        const scopeType = this.innermost.type;
        if (
          scopeType.kind === 'object' &&
          Object.prototype.hasOwnProperty.call(scopeType.fields, v.name)
        )
          this.warn('PQL303', `'${v.name}' hides the field of the same name`, spans[i]!);
      }
    });
    this.variables.push(...vars);
    try {
      return f();
    } finally {
      this.variables.length -= vars.length;
    }
  }

  private findVariable(name: string): Variable | undefined {
    for (let i = this.variables.length - 1; i >= 0; i--)
      if (this.variables[i]!.name === name) return this.variables[i];
    return undefined;
  }

  private unknownField(
    where: string,
    plural: boolean,
    name: string,
    fields: readonly string[],
    span: Span,
    hint = '',
  ): void {
    const verb = plural ? 'have' : 'has';
    const ci = fields.find((f) => f.toLowerCase() === name.toLowerCase());
    if (ci) {
      this.err(
        'PQL201',
        `${where} ${verb} no field '${name}': field names are case-sensitive. Did you mean '${ci}'?`,
        span,
      );
      return;
    }
    const s = suggest(name, fields);
    this.err(
      'PQL201',
      `${where} ${verb} no field '${name}'.${s ? ` Did you mean '${s}'?` : hint}`,
      span,
    );
  }

  // ------------------------------------------------------------ entry point

  run(root: Expr): void {
    let rootType: PqlType;
    let valueNode: Expr = root;
    if (root.kind === 'Lambda') {
      rootType = this.visitTopLambda(root);
      valueNode = root.body;
    } else rootType = this.visit(root);

    const g = this.options.guardrails ?? {};
    const maxLogical = g.maxLogicalOperators ?? 100;
    if (this.logicalOperators > maxLogical)
      this.err(
        'PQL208',
        `This definition is too complex: ${this.logicalOperators} and/or/not operators (at most ${maxLogical})`,
        root.span,
      );
    const maxAgg = g.maxAggregations ?? 3;
    if (this.aggregations > maxAgg)
      this.warn(
        'PQL208',
        `${this.aggregations} aggregation functions (more than ${maxAgg}) may make this definition evaluate slowly`,
        root.span,
      );

    if ((this.options.expectCondition ?? true) && !isConditionType(rootType))
      this.err(
        'PQL206',
        `A segment must be a condition: this expression is ${phrase(rootType)}`,
        valueNode.span,
      );
  }

  private visitTopLambda(node: Lambda): PqlType {
    this.setEntry(node, 'form:lambda');
    const vars: Variable[] = node.params.map((p, i) => ({
      name: p.name,
      type: i === 0 ? this.profileType : T.any,
      binder: node,
      index: i,
    }));
    node.params
      .slice(1)
      .forEach((p) =>
        this.err(
          'PQL204',
          `A segment definition has one parameter, the profile; '${p.name}' has nothing to bind`,
          p.span,
        ),
      );
    const t = this.bind(
      vars,
      node.params.map((p) => p.span),
      () => this.visit(node.body),
    );
    this.types.set(node, t);
    return t;
  }

  // ------------------------------------------------------------ expressions

  visit(node: Expr): PqlType {
    let t: PqlType;
    try {
      t = this.visitInner(node);
    } catch (e) {
      // never throw: an internal failure becomes a diagnostic on the node
      this.err(
        'PQL205',
        `Internal checker error: ${e instanceof Error ? e.message : String(e)}`,
        node.span,
      );
      t = T.any;
    }
    this.types.set(node, t);
    return t;
  }

  private visitInner(node: Expr): PqlType {
    switch (node.kind) {
      case 'String':
        return T.string;
      case 'Integer':
        return T.int;
      case 'Decimal':
        return T.double;
      case 'Boolean':
        return T.boolean;
      case 'Null':
        return T.null;
      case 'Error':
        return T.any;
      case 'List':
        return this.visitList(node.items, node);
      case 'Object': {
        this.setEntry(node, 'form:object');
        const fields: Record<string, PqlType> = {};
        for (const entry of node.entries) {
          const t = this.visit(entry.value);
          if (Object.prototype.hasOwnProperty.call(fields, entry.key))
            this.err(
              'PQL205',
              `The key '${entry.key}' appears twice in this object`,
              entry.keySpan,
            );
          fields[entry.key] = t;
        }
        return T.object(fields);
      }
      case 'Name':
        return this.visitName(node);
      case 'Param': {
        this.setEntry(node, 'form:param');
        const level = this.depth - 1;
        this.resolutions.set(node, { kind: 'element', level });
        if (node.position !== 1) {
          this.err(
            'PQL203',
            `A segment definition has one parameter, the profile ($1); $${node.position} does not exist`,
            node.span,
          );
          return T.any;
        }
        return this.profileType;
      }
      case 'This':
        this.setEntry(node, 'form:this');
        this.resolutions.set(node, { kind: 'element', level: 0 });
        return this.innermost.type;
      case 'XEvent':
        this.setEntry(node, 'form:xEvent');
        return T.list(this.eventType);
      case 'UpRef':
        return this.visitUpRef(node);
      case 'TimeWord':
        this.setEntry(node, `form:${node.word}`);
        return T.datetime;
      case 'Member':
        return this.visitMember(node);
      case 'Method':
        return this.visitMethod(node);
      case 'Call':
        return this.visitCall(node);
      case 'Filter': {
        this.setEntry(node, 'form:filter');
        const ot = this.visit(node.object);
        let element: PqlType = T.any;
        if (ot.kind === 'list') element = ot.element;
        else if (!isLoose(ot))
          this.err(
            'PQL205',
            `Only a list can be filtered with [ ], but ${pathText(node.object) ?? 'this'} is ${typeName(ot)}`,
            node.object.span,
          );
        this.withScope(
          { type: element, label: this.labelFor(element, node.object), fallbackToProfile: false },
          () => {
            this.nestingCheck(node.condition.span);
            const ct = this.visit(node.condition);
            this.requireCondition(ct, node.condition, 'A filter condition');
          },
        );
        return ot.kind === 'list' ? ot : T.list(element);
      }
      case 'Binary':
        return this.visitBinary(node);
      case 'Not': {
        this.setEntry(node, 'operator:not');
        this.logicalOperators++;
        const t = this.visit(node.operand);
        this.requireCondition(t, node.operand, node.bang ? '!' : 'not');
        return T.boolean;
      }
      case 'Negate': {
        this.setEntry(node, 'operator:-');
        const t = this.visit(node.operand);
        if (!isLoose(t) && !isNumeric(t)) {
          this.err(
            'PQL205',
            `Unary minus needs a number, but this is ${typeName(t)}`,
            node.operand.span,
          );
          return T.any;
        }
        return t.kind === 'null' ? T.any : t;
      }
      case 'If': {
        this.setEntry(node, 'form:if');
        const c = this.visit(node.condition);
        this.requireCondition(c, node.condition, 'The condition of if');
        const a = this.visit(node.then);
        const b = this.visit(node.otherwise);
        const u = unify(a, b);
        if (!u) {
          this.err(
            'PQL205',
            `Both branches of if must have the same type, but they are ${typeName(a)} and ${typeName(b)}`,
            node.otherwise.span,
          );
          return T.any;
        }
        return u;
      }
      case 'Occurs':
        return this.visitOccurs(node);
      case 'Chain':
        return this.visitChain(node);
      case 'Let':
        return this.visitLet(node);
      case 'Quantifier':
        return this.visitQuantifier(node);
      case 'Select':
        return this.visitSelect(node);
      case 'Comprehension':
        return this.visitComprehension(node);
      case 'Lambda':
        return this.visitStrayLambda(node);
      default: {
        const never: never = node;
        void never;
        return T.any;
      }
    }
  }

  private requireCondition(t: PqlType, node: Expr, what: string): void {
    if (!isConditionType(t))
      this.err(
        'PQL205',
        `${what} needs a condition (true/false or a list), but this is ${typeName(t)}`,
        node.span,
      );
  }

  private visitList(items: readonly Expr[], node: Expr): PqlType {
    this.setEntry(node, 'form:list');
    let element: PqlType = T.null;
    for (const item of items) {
      const t = this.visit(item);
      const u = unify(element, t);
      if (!u) {
        this.err(
          'PQL205',
          `The elements of a list must have one type: this is ${typeName(t)} after ${typeName(element)}`,
          item.span,
        );
        element = T.any;
      } else element = u;
    }
    return T.list(element);
  }

  private visitName(node: Name): PqlType {
    const v = this.findVariable(node.name);
    if (v) {
      this.resolutions.set(node, { kind: 'variable', binder: v.binder, index: v.index });
      return v.type;
    }
    const scope = this.innermost;
    const r = fieldOf(scope.type, node.name);
    if (r.ok) {
      this.resolutions.set(node, { kind: 'field', level: 0, name: node.name });
      return r.type;
    }
    if (scope.fallbackToProfile) {
      const p = fieldOf(this.scopes[0]!.type, node.name);
      if (p.ok) {
        this.resolutions.set(node, { kind: 'field', level: this.depth - 1, name: node.name });
        return p.type;
      }
    }
    this.resolutions.set(node, { kind: 'field', level: 0, name: node.name });
    if (
      this.variables.length > 0 &&
      r.reason === 'missing' &&
      !r.fields.some((f) => f.toLowerCase() === node.name.toLowerCase())
    ) {
      const names = [...new Set(this.variables.map((w) => w.name))];
      const s = suggest(node.name, names);
      this.err(
        'PQL203',
        `'${node.name}' is not a bound variable (${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} in scope) and ${scope.label.toLowerCase()} have no field of that name.${s ? ` Did you mean '${s}'?` : ''}`,
        node.span,
      );
      return T.any;
    }
    this.fieldError(r, scope.label, true, node.name, node.span, this.outerHint(node.name));
    return T.any;
  }

  /** When a bare name is a field of an enclosing scope: how to reach it with ^. */
  private outerHint(name: string): string {
    for (let level = 1; level < this.depth; level++) {
      const scope = this.scopes[this.depth - 1 - level]!;
      const r = fieldOf(scope.type, name);
      if (r.ok && scope.type.kind === 'object')
        return ` Names inside [ ] refer to the current element; to use the field of ${scope.label.toLowerCase()}, write ${'^'.repeat(level)}.${name}`;
    }
    return '';
  }

  private fieldError(
    r: Exclude<FieldResult, { ok: true }>,
    where: string,
    plural: boolean,
    name: string,
    span: Span,
    hint = '',
  ): void {
    if (r.reason === 'missing') this.unknownField(where, plural, name, r.fields, span, hint);
    else if (r.reason === 'map')
      this.err(
        'PQL205',
        `${where} ${plural ? 'are maps' : 'is a map'}: read a key with .get("${name}")`,
        span,
      );
    else
      this.err(
        'PQL201',
        `${plural ? `${where} are ${typeToString(r.type)} values` : `${where} is ${typeName(r.type)}`}, with no field '${name}'`,
        span,
      );
  }

  private visitUpRef(node: UpRef): PqlType {
    this.setEntry(node, 'form:up');
    const available = this.depth - 1;
    if (node.levels > available) {
      this.resolutions.set(node, { kind: 'field', level: available, name: node.name });
      this.err(
        'PQL203',
        available === 0
          ? `${'^'.repeat(node.levels)} climbs out of a filter, but this is not inside one`
          : `${'^'.repeat(node.levels)} climbs ${node.levels} scopes out, but only ${available} enclosing scope${available === 1 ? '' : 's'} exist here`,
        node.span,
      );
      return T.any;
    }
    const scope = this.scopes[this.depth - 1 - node.levels]!;
    this.resolutions.set(node, { kind: 'field', level: node.levels, name: node.name });
    const r = fieldOf(scope.type, node.name);
    if (r.ok) return r.type;
    this.fieldError(r, scope.label, true, node.name, node.span);
    return T.any;
  }

  private describeObject(objType: PqlType, object: Expr): { where: string; plural: boolean } {
    const schema = this.options.schema;
    const el = objType.kind === 'list' ? objType.element : objType;
    if (schema && el === schema.event) return { where: 'Events', plural: true };
    if (schema && el === schema.profile) return { where: 'Profiles', plural: true };
    const p = pathText(object);
    if (objType.kind === 'list')
      return { where: p ? `Elements of ${p}` : 'The elements', plural: true };
    return { where: p ?? 'This value', plural: false };
  }

  private visitMember(node: Member): PqlType {
    const ot = this.visit(node.object);
    const r = fieldOf(ot, node.name);
    if (r.ok) {
      if (r.projection) this.setEntry(node, 'form:projection');
      return r.type;
    }
    if (ot.kind === 'list') this.setEntry(node, 'form:projection');
    const { where, plural } = this.describeObject(ot, node.object);
    this.fieldError(r, where, plural, node.name, node.nameSpan);
    return T.any;
  }

  // ------------------------------------------------------------ methods and functions

  /** Visits an argument evaluated once per element (pql.md §3.7). */
  private visitElementArg(arg: Expr, receiver: PqlType, receiverNode: Expr | undefined): PqlType {
    const element =
      receiver.kind === 'list'
        ? receiver.element
        : receiver.kind === 'map' || receiver.kind === 'entry'
          ? receiver.value
          : T.any;
    const scope: Scope = {
      type: element,
      label: this.labelFor(element, receiverNode),
      fallbackToProfile: false,
    };
    return this.withScope(scope, () => {
      this.nestingCheck(arg.span);
      if (arg.kind !== 'Lambda') return this.visit(arg);
      // (x) => … on a list binds the element; (k, v) => … on a map binds key and value
      this.setEntry(arg, 'form:lambda');
      const isMap = receiver.kind === 'map' || receiver.kind === 'entry';
      const paramTypes: PqlType[] =
        isMap && arg.params.length >= 2 ? [T.string, element] : [element];
      const max = isMap ? 2 : 1;
      arg.params
        .slice(max)
        .forEach((p) =>
          this.err(
            'PQL204',
            isMap
              ? `A function over a map takes the value, or the key and the value; '${p.name}' has nothing to bind`
              : `A function over a list takes one parameter, the element; '${p.name}' has nothing to bind`,
            p.span,
          ),
        );
      const vars: Variable[] = arg.params.map((p, i) => ({
        name: p.name,
        type: paramTypes[i] ?? T.any,
        binder: arg,
        index: i,
      }));
      const t = this.bind(
        vars,
        arg.params.map((p) => p.span),
        () => this.visit(arg.body),
      );
      this.types.set(arg, t);
      return t;
    });
  }

  private visitStrayLambda(node: Lambda): PqlType {
    this.setEntry(node, 'form:lambda');
    this.err(
      'PQL205',
      'A function (=>) is only allowed as the whole definition or as the per-element argument of a list or map method',
      node.span,
    );
    const vars: Variable[] = node.params.map((p, i) => ({
      name: p.name,
      type: T.any,
      binder: node,
      index: i,
    }));
    return this.bind(
      vars,
      node.params.map((p) => p.span),
      () => this.visit(node.body),
    );
  }

  private visitMethod(node: MethodCall): PqlType {
    const recv = this.visit(node.receiver);
    const found = lookupMethod(node.name);
    const callSpan: Span = { start: node.nameSpan.start, end: node.span.end };
    const visitArgsLoosely = () =>
      this.mutedVisit(() => node.args.forEach((a) => this.visitElementArg(a, recv, node.receiver)));
    if (!found) {
      const s = suggest(node.name, methodNames);
      this.err(
        'PQL202',
        `There is no method '${node.name}'.${s ? ` Did you mean '${s}'?` : ''}`,
        node.nameSpan,
      );
      visitArgsLoosely();
      return T.any;
    }
    const entry = found.entry;
    this.entries.set(node, entry);
    // the UI's aggregations (sum, average, min, max): aggregation methods with a per-element argument
    if (
      entry.category === 'aggregation' &&
      entry.signatures.some((s) => s.params.some((p) => p.scope === 'element'))
    )
      this.aggregations++;
    if (!found.exact)
      this.warn(
        'PQL301',
        `Method names are case-sensitive: write '${entry.name}', not '${node.name}'`,
        node.nameSpan,
      );

    const n = node.args.length;
    const byArity = entry.signatures.filter((s) => assignments(s, n).length > 0);
    if (byArity.length === 0) {
      this.err('PQL204', arityText(entry), callSpan);
      visitArgsLoosely();
      return T.any;
    }
    const candidates: { sig: Signature; b: Bindings }[] = [];
    for (const sig of byArity) {
      const b = matchReceiver(sig.receiver, recv);
      if (b) candidates.push({ sig, b });
    }
    if (candidates.length === 0) {
      const expected = [
        ...new Set(byArity.map((s) => patternPhrase(s.receiver ?? 'any', { T: T.any }))),
      ].join(' or ');
      this.err(
        'PQL205',
        `${entry.name} needs ${expected} before the dot, but ${pathText(node.receiver) ?? 'this'} is ${typeName(recv)}`,
        node.receiver.span,
      );
      visitArgsLoosely();
      return T.any;
    }
    const first = candidates[0]!;
    const layout = assignments(first.sig, n)[0]!;
    const argTypes = node.args.map((arg, i) => {
      const p = layout[i]!;
      if (p.scope === 'element') return this.visitElementArg(arg, recv, node.receiver);
      return this.visit(arg);
    });
    return this.matchSignatures(entry, candidates, node.args, argTypes, node.nameSpan);
  }

  private visitCall(node: Call): PqlType {
    const entry = lookupFunction(node.name);
    const callSpan: Span = { start: node.nameSpan.start, end: node.span.end };
    if (!entry) {
      const s = suggest(node.name, namesOf('function'));
      this.err(
        'PQL202',
        `There is no function '${node.name}'.${s ? ` Did you mean '${s}'?` : ''}`,
        node.nameSpan,
      );
      node.args.forEach((a) => this.visit(a));
      return T.any;
    }
    this.entries.set(node, entry);
    const n = node.args.length;
    const byArity = entry.signatures.filter((s) => assignments(s, n).length > 0);
    if (byArity.length === 0) {
      this.err('PQL204', arityText(entry), callSpan);
      node.args.forEach((a) => this.visit(a));
      return T.any;
    }
    const candidates = byArity.map((sig) => ({ sig, b: { T: T.any } as Bindings }));
    const argTypes = node.args.map((a) => this.visit(a));
    const t = this.matchSignatures(entry, candidates, node.args, argTypes, node.nameSpan);
    if (entry === DATE_FUNCTION) this.checkDateLiteral(node);
    if (entry === SEGMENT_FUNCTION) {
      const arg = node.args[0];
      if (arg && arg.kind === 'String') {
        this.segmentRefs.push(arg.value);
        const known = this.options.knownSegmentIds;
        if (known && !known.has(arg.value))
          this.err('PQL207', `There is no segment definition with the id "${arg.value}"`, arg.span);
      }
    }
    return t;
  }

  /** Picks the first candidate whose arguments fit; reports the first mismatch otherwise. */
  private matchSignatures(
    entry: CatalogueEntry,
    candidates: readonly { sig: Signature; b: Bindings }[],
    args: readonly Expr[],
    argTypes: readonly PqlType[],
    nameSpan: Span,
  ): PqlType {
    const n = args.length;
    let firstFailure:
      { index: number; param: ParamSpec; b: Bindings; literal: boolean } | undefined;
    for (const { sig, b } of candidates) {
      for (const layout of assignments(sig, n)) {
        const elementIndex = layout.findIndex((p) => p.scope === 'element');
        const bindings: Bindings = elementIndex >= 0 ? { T: b.T, U: argTypes[elementIndex]! } : b;
        let failed = -1;
        let literalFailure = false;
        for (let i = 0; i < n; i++) {
          const p = layout[i]!;
          const a = argTypes[i]!;
          const argNode = args[i]!;
          if (!matchPattern(p.type, a, bindings)) {
            failed = i;
            break;
          }
          if (p.literal && !isLiteral(argNode)) {
            failed = i;
            literalFailure = true;
            break;
          }
        }
        if (failed < 0) {
          // an omitted optional per-element argument: the elements themselves must fit it
          const omitted = sig.params.slice(layout.length).find((p) => p.scope === 'element');
          if (omitted && elementIndex < 0 && !matchPattern(omitted.type, b.T, b)) {
            if (!firstFailure) firstFailure = { index: -1, param: omitted, b, literal: false };
            continue;
          }
          return resultType(sig.result, bindings, argTypes);
        }
        if (!firstFailure)
          firstFailure = {
            index: failed,
            param: layout[failed]!,
            b: bindings,
            literal: literalFailure,
          };
      }
    }
    if (firstFailure) {
      const { index, param, b, literal } = firstFailure;
      if (index < 0) {
        this.err(
          'PQL205',
          `${entry.name} without an argument needs a list of ${patternPhrase(param.type, b).replace(/^an? /, '')} values, but the elements are ${typeName(b.T)}`,
          nameSpan,
        );
      } else {
        const argNode = args[index]!;
        const msg = literal
          ? `${entry.name} needs its ${param.name} written out as a literal value, not computed`
          : `${entry.name} needs ${patternPhrase(param.type, b)} as ${param.name}, but this is ${typeName(argTypes[index]!)}`;
        this.err('PQL205', msg, argNode.span);
      }
    }
    return T.any;
  }

  private checkDateLiteral(node: Call): void {
    const args = node.args;
    if (args.length === 3) {
      if (!args.every((a) => a.kind === 'Integer')) return;
      const [y, m, d] = args.map((a) => (a.kind === 'Integer' ? a.value : 0)) as [
        number,
        number,
        number,
      ];
      if (y < 1 || y > 9999) {
        this.err('PQL106', `${y} is not a valid year (1–9999)`, args[0]!.span);
        return;
      }
      if (m < 1 || m > 12) {
        this.err('PQL106', `There is no month ${m}: months are 1–12`, args[1]!.span);
        return;
      }
      const dim = daysInMonth(y, m);
      if (d < 1 || d > dim)
        this.err(
          'PQL106',
          `${MONTH_NAMES[m - 1]} ${y} has no day ${d} (it has ${dim} days)`,
          args[2]!.span,
        );
      return;
    }
    if (args.length === 1 && args[0]!.kind === 'String') {
      const text = args[0]!.value;
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      const valid =
        match !== null &&
        Number(match[2]) >= 1 &&
        Number(match[2]) <= 12 &&
        Number(match[3]) >= 1 &&
        Number(match[3]) <= daysInMonth(Number(match[1]), Number(match[2])) &&
        Number(match[1]) >= 1;
      if (!valid)
        this.err('PQL106', `"${text}" is not a valid date: write it as YYYY-MM-DD`, args[0]!.span);
    }
  }

  // ------------------------------------------------------------ operators

  private visitBinary(node: Binary): PqlType {
    const op: BinaryOp = node.op;
    this.setEntry(node, `operator:${op}`);
    if (op === 'and' || op === 'or') this.logicalOperators++;
    const l = this.visit(node.left);
    const r = this.visit(node.right);
    const side = (e: Expr) => pathText(e) ?? 'this';
    switch (op) {
      case 'and':
      case 'or':
        this.requireCondition(l, node.left, op);
        this.requireCondition(r, node.right, op);
        return T.boolean;
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        if (node.left.kind === 'Null' || node.right.kind === 'Null') return T.boolean;
        const [a, b] = this.existential(l, r, node);
        const isOrder = op !== '=' && op !== '!=';
        if (isOrder) {
          const bad = !ordered(a) ? [node.left, l] : !ordered(b) ? [node.right, r] : undefined;
          if (bad) {
            this.err(
              'PQL205',
              `${op} needs numbers, strings or dates, but ${side(bad[0] as Expr)} is ${typeName(bad[1] as PqlType)}`,
              (bad[0] as Expr).span,
            );
            return T.boolean;
          }
        }
        if (!comparable(a, b))
          this.err(
            'PQL205',
            `Cannot compare ${typeName(a)} with ${typeName(b)}${
              (a.kind === 'string' && isTemporal(b)) || (b.kind === 'string' && isTemporal(a))
                ? ' (write a date as date(y, m, d))'
                : ''
            }`,
            node.span,
          );
        return T.boolean;
      }
      case 'like': {
        const [a, b] = this.existential(l, r, node);
        if (!isLoose(a) && a.kind !== 'string')
          this.err(
            'PQL205',
            `like needs a string on the left, but ${side(node.left)} is ${typeName(l)}`,
            node.left.span,
          );
        if (!isLoose(b) && b.kind !== 'string')
          this.err(
            'PQL205',
            `like needs a string pattern on the right, but this is ${typeName(r)}`,
            node.right.span,
          );
        return T.boolean;
      }
      case 'in':
      case 'notIn': {
        let element: PqlType = T.any;
        if (r.kind === 'list') element = r.element;
        else if (!isLoose(r)) {
          this.err(
            'PQL205',
            `${op} needs a list on the right, but ${side(node.right)} is ${typeName(r)}`,
            node.right.span,
          );
          return T.boolean;
        }
        let left = l;
        if (
          l.kind === 'list' &&
          !isLoose(l.element) &&
          isScalarType(l.element) &&
          isScalarType(element)
        ) {
          this.warn(
            'PQL302',
            `${side(node.left)} is a list: the test holds when any of its elements is ${op === 'in' ? 'in' : 'not in'} the list (consider an explicit filter)`,
            node.left.span,
          );
          left = l.element;
        }
        if (!isScalarType(left)) {
          this.err(
            'PQL205',
            `${op} needs a single value on the left, but ${side(node.left)} is ${typeName(l)}`,
            node.left.span,
          );
          return T.boolean;
        }
        if (!comparable(left, element))
          this.err('PQL205', `Cannot look for ${typeName(left)} in ${typeName(r)}`, node.span);
        return T.boolean;
      }
      default: {
        // arithmetic
        const bad =
          !isLoose(l) && !isNumeric(l)
            ? node.left
            : !isLoose(r) && !isNumeric(r)
              ? node.right
              : undefined;
        if (bad) {
          const bt = bad === node.left ? l : r;
          this.err(
            'PQL205',
            `${op} needs numbers, but ${side(bad)} is ${typeName(bt)}${op === '+' && bt.kind === 'string' ? ' (+ does not join strings)' : ''}`,
            bad.span,
          );
          return op === '/' ? T.double : T.any;
        }
        if (op === '/') return T.double;
        if (l.kind === 'int' && r.kind === 'int') return T.int;
        if (isNumeric(l) && isNumeric(r)) return T.double;
        return T.any;
      }
    }
  }

  /** A list compared with a scalar compares its elements (existential, §3.6), with a warning. */
  private existential(l: PqlType, r: PqlType, node: Binary): [PqlType, PqlType] {
    const scalarish = (t: PqlType) => t.kind !== 'list' && !isLoose(t);
    if (l.kind === 'list' && scalarish(r) && comparable(l.element, r)) {
      this.warn(
        'PQL302',
        `${pathText(node.left) ?? 'The left side'} is a list: the comparison holds when any of its elements matches (consider an explicit filter)`,
        node.left.span,
      );
      return [l.element, r];
    }
    if (r.kind === 'list' && scalarish(l) && comparable(r.element, l)) {
      this.warn(
        'PQL302',
        `${pathText(node.right) ?? 'The right side'} is a list: the comparison holds when any of its elements matches (consider an explicit filter)`,
        node.right.span,
      );
      return [l, r.element];
    }
    return [l, r];
  }

  // ------------------------------------------------------------ time

  private visitOccurs(node: Occurs): PqlType {
    this.setEntry(node, 'operator:occurs');
    const t = this.visit(node.subject);
    if (t.kind === 'list' && isTemporal(t.element)) {
      this.warn(
        'PQL302',
        `${pathText(node.subject) ?? 'This'} is a list: occurs holds when any of its elements does (consider an explicit filter)`,
        node.subject.span,
      );
    } else if (!isLoose(t) && !isTemporal(t)) {
      this.err(
        'PQL205',
        `occurs needs a date or date-time on the left, but ${pathText(node.subject) ?? 'this'} is ${typeName(t)}`,
        node.subject.span,
      );
    }
    this.visitTimeSpec(node.spec);
    return T.boolean;
  }

  private visitTimeSpec(spec: TimeSpec): void {
    switch (spec.form) {
      case 'relative':
        if (!Number.isInteger(spec.amount) || spec.amount < 0)
          this.err(
            'PQL104',
            `The amount of time must be a whole number of at least 0, not ${spec.amount}`,
            spec.span,
          );
        this.visitTimeRef(spec.ref);
        return;
      case 'direction':
      case 'on':
        this.visitTimeRef(spec.ref);
        return;
      case 'between':
        this.visitTimeRef(spec.from);
        this.visitTimeRef(spec.to);
        return;
    }
  }

  private visitTimeRef(ref: TimeRef): void {
    if (ref.kind === 'Period') {
      this.setEntry(ref, 'form:period');
      this.types.set(ref, T.datetime);
      return;
    }
    const t = this.visit(ref);
    if (!isLoose(t) && !isTemporal(t))
      this.err(
        'PQL205',
        `A time reference must be a date or date-time, but ${pathText(ref) ?? 'this'} is ${typeName(t)}`,
        ref.span,
      );
  }

  // ------------------------------------------------------------ chain

  private visitChain(node: Chain): PqlType {
    this.setEntry(node, 'form:chain');
    const max = this.options.guardrails?.maxChainSteps ?? 6;
    const et = this.visit(node.events);
    let element: PqlType = T.any;
    if (et.kind === 'list' && (et.element.kind === 'object' || isLoose(et.element)))
      element = et.element;
    else if (!isLoose(et))
      this.err(
        'PQL205',
        `chain needs a list of events, but ${pathText(node.events) ?? 'this'} is ${typeName(et)}`,
        node.events.span,
      );

    // the timestamp path, read on each event (the AST has no span for it: report on the chain)
    let ts: PqlType = element;
    const label = this.labelFor(element, node.events);
    let where = label;
    let plural = true;
    let prefix = '';
    for (const name of node.timestampPath) {
      const r = fieldOf(ts, name);
      if (!r.ok) {
        this.fieldError(r, where, plural, name, node.span);
        ts = T.any;
        break;
      }
      ts = r.type;
      prefix = prefix ? `${prefix}.${name}` : name;
      where = prefix;
      plural = false;
    }
    if (!isLoose(ts) && !isTemporal(ts))
      this.err(
        'PQL205',
        `The chain's timestamp ${node.timestampPath.join('.')} must be a date or date-time, but it is ${typeName(ts)}`,
        node.span,
      );

    if (node.steps.length === 0) this.err('PQL105', 'A chain needs at least one step', node.span);
    if (node.steps.length > max)
      this.err(
        'PQL208',
        `A chain can have at most ${max} steps; this one has ${node.steps.length}`,
        node.steps[max]!.span,
      );
    const labels = new Set<string>();
    for (const step of node.steps) {
      if (labels.has(step.label))
        this.err('PQL105', `The step label ${step.label} is used twice in this chain`, step.span);
      labels.add(step.label);
      if (step.count !== undefined && (!Number.isInteger(step.count) || step.count < 1))
        this.err(
          'PQL105',
          `COUNT needs a whole number of at least 1, not ${step.count}`,
          step.span,
        );
      this.withScope({ type: element, label, fallbackToProfile: true }, () => {
        const wt = this.visit(step.what);
        this.requireCondition(wt, step.what, 'WHAT');
        if (step.when) this.visitTimeSpec(step.when);
        if (step.where) {
          const w = this.visit(step.where);
          this.requireCondition(w, step.where, 'WHERE');
        }
      });
    }
    return T.boolean;
  }

  // ------------------------------------------------------------ binding forms

  private elementOfSource(source: Expr, what: string): PqlType {
    const t = this.visit(source);
    if (t.kind === 'list') return t.element;
    if (!isLoose(t))
      this.err(
        'PQL205',
        `${what} needs a list after from, but ${pathText(source) ?? 'this'} is ${typeName(t)}`,
        source.span,
      );
    return T.any;
  }

  private visitLet(node: Let): PqlType {
    this.setEntry(node, 'form:let');
    const step = (i: number): PqlType => {
      if (i === node.bindings.length) return this.visit(node.body);
      const b = node.bindings[i]!;
      const t = this.visit(b.value);
      return this.bind([{ name: b.name, type: t, binder: node, index: i }], [b.nameSpan], () =>
        step(i + 1),
      );
    };
    return step(0);
  }

  private visitQuantifier(node: Quantifier): PqlType {
    this.setEntry(node, `form:${node.quantifier}`);
    const step = (i: number): void => {
      if (i === node.ranges.length) return;
      const range = node.ranges[i]!;
      const element = this.elementOfSource(range.source, node.quantifier);
      this.bind(
        [{ name: range.variable, type: element, binder: node, index: i }],
        [range.variableSpan],
        () => {
          if (range.where) this.requireCondition(this.visit(range.where), range.where, 'where');
          if (range.assertion)
            this.requireCondition(
              this.visit(range.assertion),
              range.assertion,
              'The condition after :',
            );
          step(i + 1);
        },
      );
    };
    step(0);
    return T.boolean;
  }

  private visitSelect(node: Select): PqlType {
    this.setEntry(node, 'form:select');
    const element = this.elementOfSource(node.source, 'select');
    this.bind(
      [{ name: node.variable, type: element, binder: node, index: 0 }],
      [node.variableSpan],
      () => {
        if (node.where) this.requireCondition(this.visit(node.where), node.where, 'where');
      },
    );
    return T.list(element);
  }

  private visitComprehension(node: Comprehension): PqlType {
    this.setEntry(node, 'form:over');
    this.aggregations++;
    const element = this.elementOfSource(node.source, node.aggregate);
    return this.bind(
      [{ name: node.variable, type: element, binder: node, index: 0 }],
      [node.variableSpan],
      () => {
        if (node.where) this.requireCondition(this.visit(node.where), node.where, 'where');
        const v = this.visit(node.value);
        switch (node.aggregate) {
          case 'count':
            return T.int;
          case 'sum':
          case 'average':
            if (!isLoose(v) && !isNumeric(v)) {
              this.err(
                'PQL205',
                `${node.aggregate} needs numbers, but this is ${typeName(v)}`,
                node.value.span,
              );
              return node.aggregate === 'average' ? T.double : T.any;
            }
            if (node.aggregate === 'average') return T.double;
            return v.kind === 'int' ? T.int : v.kind === 'double' ? T.double : T.any;
          default:
            if (!ordered(v)) {
              this.err(
                'PQL205',
                `${node.aggregate} needs numbers, strings or dates, but this is ${typeName(v)}`,
                node.value.span,
              );
              return T.any;
            }
            return v;
        }
      },
    );
  }
}

// ---------------------------------------------------------------- API

function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of list) {
    const key = `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.span.start - b.d.span.start || a.i - b.i)
    .map((x) => x.d);
}

/** Types and resolves a parse tree. Never throws. */
export function check(root: Expr, options: CheckOptions = {}): CheckedQuery {
  const parseDiagnostics = options.parseDiagnostics ?? [];
  const checker = new Checker(options);
  try {
    checker.run(root);
  } catch (e) {
    checker.diagnostics.push(
      error(
        'PQL205',
        `Internal checker error: ${e instanceof Error ? e.message : String(e)}`,
        root.span,
      ),
    );
  }
  return {
    root,
    // syntax errors first: type errors in a tree the parser had to repair are often consequences
    diagnostics: [
      ...sortDiagnostics(parseDiagnostics),
      // the parser may already report some literal problems (an invalid date): do not repeat them
      ...sortDiagnostics(
        checker.diagnostics.filter(
          (d) => !parseDiagnostics.some((p) => p.code === d.code && p.span.start === d.span.start),
        ),
      ),
    ],
    types: checker.types,
    resolutions: checker.resolutions,
    entries: checker.entries,
    segmentRefs: checker.segmentRefs,
  };
}

/** Parses and checks a PQL text. */
export function checkText(
  text: string,
  options: Omit<CheckOptions, 'parseDiagnostics'> = {},
): CheckedQuery & { source: SourceText } {
  const parsed = parse(text);
  const checked = check(parsed.root, { ...options, parseDiagnostics: parsed.diagnostics });
  return { ...checked, source: parsed.source };
}
