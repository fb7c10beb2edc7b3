/**
 * The PQL abstract syntax tree (pql.md §2).
 *
 * Every node carries the half-open character range [start, end) of the source
 * text it was parsed from; line/column positions are derived from offsets by
 * `SourceText` (diagnostics.ts) only when a diagnostic is reported.
 *
 * The tree is plain data (no classes, no back-pointers) so that it can be
 * compared structurally, serialised, and shared between browser and server.
 * The checker does not mutate it: types and name resolutions live in side
 * tables keyed by node (checker.ts).
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

interface NodeBase {
  readonly span: Span;
}

export type TimeUnit =
  | 'millisecond'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type LogicalOp = 'and' | 'or';
export type MembershipOp = 'in' | 'notIn';
export type BinaryOp = CompareOp | ArithmeticOp | LogicalOp | MembershipOp | 'like';

export type AggregateName = 'sum' | 'count' | 'average' | 'min' | 'max';
export type TimeWordName = 'now' | 'today' | 'yesterday' | 'tomorrow';
export type TimeDirection = 'before' | 'after' | 'from';

// ---------------------------------------------------------------- literals

export interface StringLiteral extends NodeBase {
  readonly kind: 'String';
  readonly value: string;
}
export interface IntegerLiteral extends NodeBase {
  readonly kind: 'Integer';
  /** Kept as a bigint-safe decimal string would be overkill: PQL ints are 64-bit but
   * the product's data never exceeds 2^53; the parser rejects literals that do. */
  readonly value: number;
}
export interface DecimalLiteral extends NodeBase {
  readonly kind: 'Decimal';
  readonly value: number;
  /** The literal as written (`100.0`), so the formatter keeps it a decimal. */
  readonly text: string;
}
export interface BooleanLiteral extends NodeBase {
  readonly kind: 'Boolean';
  readonly value: boolean;
}
export interface NullLiteral extends NodeBase {
  readonly kind: 'Null';
}
export interface ListLiteral extends NodeBase {
  readonly kind: 'List';
  readonly items: readonly Expr[];
}
export interface ObjectEntry {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: Expr;
}
export interface ObjectLiteral extends NodeBase {
  readonly kind: 'Object';
  readonly entries: readonly ObjectEntry[];
}

// ---------------------------------------------------------------- roots and paths

/** A bare identifier: a bound variable, or a field of the innermost scope (pql.md §3.7). */
export interface Name extends NodeBase {
  readonly kind: 'Name';
  readonly name: string;
}
/** `$1`, `$2`, … */
export interface Param extends NodeBase {
  readonly kind: 'Param';
  readonly position: number;
}
/** `this`: the current element of the innermost scope. */
export interface This extends NodeBase {
  readonly kind: 'This';
}
/** `xEvent`: the profile's experience events. */
export interface XEvent extends NodeBase {
  readonly kind: 'XEvent';
}
/** `^name`, `^^.name`: `levels` carets climb that many scopes out (pql.md §4.10). */
export interface UpRef extends NodeBase {
  readonly kind: 'UpRef';
  readonly levels: number;
  readonly name: string;
}
/** `now`, `today`, `yesterday`, `tomorrow` used as values (rule R6). */
export interface TimeWord extends NodeBase {
  readonly kind: 'TimeWord';
  readonly word: TimeWordName;
}
/** `object.name` without parentheses: field lookup, or projection over a list (§3.6). */
export interface Member extends NodeBase {
  readonly kind: 'Member';
  readonly object: Expr;
  readonly name: string;
  readonly nameSpan: Span;
}
/** `receiver.name(args)`: a catalogue method. */
export interface MethodCall extends NodeBase {
  readonly kind: 'Method';
  readonly receiver: Expr;
  /** The name as written; `canonical` is the catalogue's spelling once resolved. */
  readonly name: string;
  readonly nameSpan: Span;
  readonly args: readonly Expr[];
}
/** `name(args)` at root position: a catalogue global function (rule R8). */
export interface Call extends NodeBase {
  readonly kind: 'Call';
  readonly name: string;
  readonly nameSpan: Span;
  readonly args: readonly Expr[];
}
/** `list[condition]` (rule R1). */
export interface Filter extends NodeBase {
  readonly kind: 'Filter';
  readonly object: Expr;
  readonly condition: Expr;
}

// ---------------------------------------------------------------- operators

export interface Binary extends NodeBase {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}
/** `not X` or `!X` (`bang` records the spelling, for the formatter). */
export interface Not extends NodeBase {
  readonly kind: 'Not';
  readonly operand: Expr;
  readonly bang: boolean;
}
/** Unary minus. */
export interface Negate extends NodeBase {
  readonly kind: 'Negate';
  readonly operand: Expr;
}
export interface If extends NodeBase {
  readonly kind: 'If';
  readonly condition: Expr;
  readonly then: Expr;
  readonly otherwise: Expr;
}

// ---------------------------------------------------------------- time

/** `this month`, `last week`, `next year`: only inside a TimeSpec (rule R5/R6). */
export interface Period extends NodeBase {
  readonly kind: 'Period';
  readonly which: 'this' | 'last' | 'next';
  readonly unit: TimeUnit;
}
/** The reference of a TimeSpec: a time word, a period, or any additive expression. */
export type TimeRef = Period | Expr;

export type TimeSpec =
  /** `< 3 days before now` */
  | {
      readonly form: 'relative';
      readonly span: Span;
      readonly op: CompareOp;
      readonly amount: number;
      readonly unit: TimeUnit;
      readonly direction: TimeDirection;
      readonly ref: TimeRef;
    }
  /** `before today`, `after date(2024,1,1)` */
  | {
      readonly form: 'direction';
      readonly span: Span;
      readonly direction: TimeDirection;
      readonly ref: TimeRef;
    }
  /** `between A and B` */
  | { readonly form: 'between'; readonly span: Span; readonly from: TimeRef; readonly to: TimeRef }
  /** `[on] R` */
  | { readonly form: 'on'; readonly span: Span; readonly ref: TimeRef; readonly explicitOn: boolean };

/** `T occurs <spec>` */
export interface Occurs extends NodeBase {
  readonly kind: 'Occurs';
  readonly subject: Expr;
  readonly spec: TimeSpec;
}

// ---------------------------------------------------------------- chain

export interface ChainStep {
  readonly span: Span;
  readonly label: string;
  readonly what: Expr;
  readonly when?: TimeSpec;
  readonly count?: number;
  readonly where?: Expr;
}
/** `chain(events, timestamp, [A: WHAT(…) WHEN(…) COUNT(n) WHERE(…), …])` */
export interface Chain extends NodeBase {
  readonly kind: 'Chain';
  readonly events: Expr;
  readonly timestampPath: readonly string[];
  readonly steps: readonly ChainStep[];
}

// ---------------------------------------------------------------- binding forms

export interface LetBinding {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
}
export interface Let extends NodeBase {
  readonly kind: 'Let';
  readonly bindings: readonly LetBinding[];
  readonly body: Expr;
}
export interface QuantifierRange {
  readonly variable: string;
  readonly variableSpan: Span;
  readonly source: Expr;
  readonly where?: Expr;
  /** The `: C` assertion (pql.md §4.11). */
  readonly assertion?: Expr;
}
/** `exists v from L where C, w from … : D` (ranges nest, §4.11). */
export interface Quantifier extends NodeBase {
  readonly kind: 'Quantifier';
  readonly quantifier: 'exists' | 'forall';
  readonly ranges: readonly QuantifierRange[];
}
/** `select v from L [where C]` */
export interface Select extends NodeBase {
  readonly kind: 'Select';
  readonly variable: string;
  readonly variableSpan: Span;
  readonly source: Expr;
  readonly where?: Expr;
}
/** `sum e.x over e from L [where C]` (pql.md §4.6). */
export interface Comprehension extends NodeBase {
  readonly kind: 'Comprehension';
  readonly aggregate: AggregateName;
  readonly value: Expr;
  readonly variable: string;
  readonly variableSpan: Span;
  readonly source: Expr;
  readonly where?: Expr;
}
export interface LambdaParam {
  readonly name: string;
  readonly span: Span;
}
/** `(a, b) => body` or `a => body`. At the top of a query its parameters bind $1, $2, …. */
export interface Lambda extends NodeBase {
  readonly kind: 'Lambda';
  readonly params: readonly LambdaParam[];
  readonly body: Expr;
}

/**
 * Stands where the parser could not build a node, so that the rest of the
 * tree is still available to the checker and the editor (error recovery).
 */
export interface ErrorNode extends NodeBase {
  readonly kind: 'Error';
}

export type Expr =
  | StringLiteral
  | IntegerLiteral
  | DecimalLiteral
  | BooleanLiteral
  | NullLiteral
  | ListLiteral
  | ObjectLiteral
  | Name
  | Param
  | This
  | XEvent
  | UpRef
  | TimeWord
  | Member
  | MethodCall
  | Call
  | Filter
  | Binary
  | Not
  | Negate
  | If
  | Occurs
  | Chain
  | Let
  | Quantifier
  | Select
  | Comprehension
  | Lambda
  | ErrorNode;

export type ExprKind = Expr['kind'];

export function isTimeUnitPlural(word: string): boolean {
  return /s$/.test(word) || word === 'centuries' || word === 'millennia';
}

/** Every child expression of a node, in source order (TimeSpec refs and chain steps included). */
export function childrenOf(node: Expr): Expr[] {
  switch (node.kind) {
    case 'List':
      return [...node.items];
    case 'Object':
      return node.entries.map((e) => e.value);
    case 'Member':
      return [node.object];
    case 'Method':
      return [node.receiver, ...node.args];
    case 'Call':
      return [...node.args];
    case 'Filter':
      return [node.object, node.condition];
    case 'Binary':
      return [node.left, node.right];
    case 'Not':
    case 'Negate':
      return [node.operand];
    case 'If':
      return [node.condition, node.then, node.otherwise];
    case 'Occurs':
      return [node.subject, ...timeSpecChildren(node.spec)];
    case 'Chain':
      return [
        node.events,
        ...node.steps.flatMap((s) => [
          s.what,
          ...(s.when ? timeSpecChildren(s.when) : []),
          ...(s.where ? [s.where] : []),
        ]),
      ];
    case 'Let':
      return [...node.bindings.map((b) => b.value), node.body];
    case 'Quantifier':
      return node.ranges.flatMap((r) => [
        r.source,
        ...(r.where ? [r.where] : []),
        ...(r.assertion ? [r.assertion] : []),
      ]);
    case 'Select':
      return [node.source, ...(node.where ? [node.where] : [])];
    case 'Comprehension':
      return [node.value, node.source, ...(node.where ? [node.where] : [])];
    case 'Lambda':
      return [node.body];
    default:
      return [];
  }
}

export function timeSpecChildren(spec: TimeSpec): Expr[] {
  const refs = spec.form === 'between' ? [spec.from, spec.to] : [spec.ref];
  return refs.filter((r): r is Expr => r.kind !== 'Period');
}

/** A copy of the tree without spans, for structural comparison in tests and round trips. */
export function stripSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSpans);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'span' || k.endsWith('Span')) continue;
      out[k] = stripSpans(v);
    }
    return out;
  }
  return value;
}
