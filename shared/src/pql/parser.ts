/**
 * The PQL parser (pql.md §2): hand-written recursive descent over the
 * precedence layers of §2.2, with the disambiguation rules R1–R10 of §2.3.
 *
 * Guarantees: `parse` never throws, always returns a tree (ErrorNode where a
 * node could not be built), reports every problem it can find with a message
 * a marketer can act on, and runs in time linear in the input (every loop
 * consumes a token or stops; nesting deeper than MAX_DEPTH is reported as
 * PQL101 instead of overflowing the stack).
 *
 * Level-9 forms (let, exists/forall, select, `sum … over …`, lambdas) are
 * accepted wherever a primary can start (they extend as far right as
 * possible); the formatter always parenthesises them when they are operands.
 */
import type {
  AggregateName,
  BinaryOp,
  ChainStep,
  CompareOp,
  Expr,
  LambdaParam,
  LetBinding,
  ObjectEntry,
  Period,
  QuantifierRange,
  Span,
  TimeDirection,
  TimeRef,
  TimeSpec,
  TimeUnit,
  TimeWordName,
} from './ast.js';
import { AGGREGATE_HEADS } from './catalogue.js';
import { error, SourceText, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
import { tokenize } from './lexer.js';
import { daysInMonth, MONTH_NAMES } from './time.js';
import { OPERAND_KEYWORDS, TIME_UNIT_WORDS, type Token } from './tokens.js';

export interface ParseResult {
  readonly root: Expr;
  readonly diagnostics: Diagnostic[];
  readonly source: SourceText;
}

export interface ParseOptions {
  /** Nesting levels allowed before PQL101 "nested too deeply" (default 200). */
  readonly maxDepth?: number;
}

/** Work counters of one parse, for the linearity tests. */
export interface ParseStats {
  readonly tokens: number;
  readonly steps: number;
}

export const MAX_DEPTH = 200;

const COMPARE_OPS = new Set<string>(['=', '!=', '<', '<=', '>', '>=']);
const DIRECTIONS = new Set<string>(['before', 'after', 'from']);
const AGG_HEADS = new Set<string>(AGGREGATE_HEADS);
const CHAIN_CLAUSES = new Set(['what', 'when', 'count', 'where']);
/** Infix keywords a misspelt word in operator position is compared with. */
const INFIX_WORDS = ['and', 'or', 'in', 'notIn', 'like', 'occurs'];
/** Prefix keywords a misspelt leading word is compared with. */
const PREFIX_WORDS = ['not', 'exists', 'forall', 'select', 'let', 'chain', 'xEvent'];
const UNIT_WORDS = [...TIME_UNIT_WORDS.keys()];

/** Tokens that end an aggregation-comprehension value at its own depth (rule R7). */
const R7_STOP_KEYWORDS = new Set([
  'over',
  'and',
  'or',
  'not',
  'in',
  'notIn',
  'like',
  'occurs',
  'where',
  'from',
  'select',
  'let',
  'exists',
  'forall',
  'between',
  'before',
  'after',
  'on',
]);
const R7_STOP_PUNCT = new Set([',', ':', '=>', '=', '!=', '<', '<=', '>', '>=']);

export function parse(text: string, options: ParseOptions = {}): ParseResult {
  return run(text, options).result;
}

/** Parses and reports how much work it took (tokens, parser steps). */
export function parseStats(text: string, options: ParseOptions = {}): ParseStats {
  return run(text, options).stats;
}

function run(text: string, options: ParseOptions): { result: ParseResult; stats: ParseStats } {
  const source = new SourceText(text);
  let lexed;
  try {
    lexed = tokenize(text);
  } catch {
    /* c8 ignore next */
    lexed = {
      tokens: [
        { kind: 'eof', value: '', text: '', span: { start: text.length, end: text.length } },
      ] as Token[],
      diagnostics: [],
    };
  }
  const parser = new Parser(
    lexed.tokens,
    text.length,
    lexed.diagnostics,
    options.maxDepth ?? MAX_DEPTH,
  );
  let root: Expr;
  try {
    root = parser.parseQuery();
  } catch (e) {
    // A bug, not a user error: still never let an exception escape.
    /* c8 ignore next 3 */
    parser.internalError(e);
    root = { kind: 'Error', span: { start: 0, end: text.length } };
  }
  const diagnostics = [...lexed.diagnostics, ...parser.diagnostics].sort(
    (a, b) => a.span.start - b.span.start,
  );
  return {
    result: { root, diagnostics, source },
    stats: { tokens: lexed.tokens.length, steps: parser.steps },
  };
}

function sp(start: number, end: number): Span {
  return { start, end };
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) =>
    Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** The candidate closest to `word` (case-insensitive), when it is close enough to be a typo. */
export function nearMiss(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length < 2 || w.length > 20) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl === w) return undefined;
    const limit = cl.length >= 5 ? 2 : 1;
    const dist = editDistance(w, cl);
    if (dist <= limit && dist < bestD && !(cl.length <= 2 && w.length > 3)) {
      best = c;
      bestD = dist;
    }
  }
  return best;
}


class Parser {
  readonly diagnostics: Diagnostic[] = [];
  steps = 0;
  private readonly toks: Token[];
  private pos = 0;
  private depth = 0;
  private aborted = false;
  /** Rule R3: inside a let binding value, a top-level `in` ends the binding. */
  private noIn = false;
  private readonly reported = new Set<number>();
  /** Rule R7: for each token, the index of the next token at its depth that ends an additive expression. */
  private readonly stopAt: Int32Array;

  constructor(
    tokens: Token[],
    private readonly length: number,
    lexDiagnostics: readonly Diagnostic[],
    private readonly maxDepth: number,
  ) {
    this.toks = tokens.filter((t) => t.kind !== 'comment');
    for (const d of lexDiagnostics) this.reported.add(d.span.start);
    this.stopAt = this.computeStops();
  }

  internalError(e: unknown): void {
    this.diagnostics.push(
      error('PQL101', `Internal parser error: ${String(e)}`, sp(0, this.length)),
    );
  }

  // ---------------------------------------------------------------- token helpers

  private get tok(): Token {
    return this.toks[this.pos]!;
  }
  private peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  private prev(): Token | undefined {
    return this.pos > 0 ? this.toks[this.pos - 1] : undefined;
  }
  private next(): Token {
    const t = this.tok;
    this.steps++;
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  private atEof(): boolean {
    return this.tok.kind === 'eof';
  }
  private isPunct(v: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.value === v;
  }
  private isKw(v: string, t: Token = this.tok): boolean {
    return t.kind === 'keyword' && t.value === v;
  }
  private isWord(t: Token = this.tok): boolean {
    return t.kind === 'identifier' || t.kind === 'keyword';
  }
  private endOfPrev(): number {
    const p = this.prev();
    return p ? p.span.end : 0;
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'the end of the expression';
      case 'string':
        return t.text.length > 24 ? `the text ${t.text.slice(0, 20)}…` : `the text ${t.text}`;
      case 'integer':
      case 'decimal':
        return `the number ${t.text}`;
      case 'keyword':
        return `the word '${t.text}'`;
      case 'identifier':
        return `'${t.text}'`;
      default:
        return `'${t.text}'`;
    }
  }

  private err(code: DiagnosticCode, message: string, span: Span): void {
    if (this.aborted) return;
    if (this.reported.has(span.start)) return;
    this.reported.add(span.start);
    this.diagnostics.push(error(code, message, span));
  }

  /** An error at the current token (or at the end of input). */
  private errHere(code: DiagnosticCode, message: string): void {
    const t = this.tok;
    if (t.kind === 'eof') this.err('PQL102', message, sp(this.length, this.length));
    else this.err(code, message, t.span);
  }

  private expectPunct(v: string, message: string): boolean {
    if (this.isPunct(v)) {
      this.next();
      return true;
    }
    this.errHere('PQL101', `${message} but found ${this.describe(this.tok)}`);
    return false;
  }

  private expectKw(v: string, message: string): boolean {
    if (this.isKw(v)) {
      this.next();
      return true;
    }
    const near = this.tok.kind === 'identifier' ? nearMiss(this.tok.value, [v]) : undefined;
    if (near) {
      this.err('PQL101', `Unknown word '${this.tok.text}': did you mean '${v}'?`, this.tok.span);
      this.next();
      return true;
    }
    this.errHere('PQL101', `${message} but found ${this.describe(this.tok)}`);
    return false;
  }

  private errorNode(start: number, end: number): Expr {
    return { kind: 'Error', span: sp(start, Math.max(start, end)) };
  }

  /** Skips to the closer that matches the current level, consuming it; stops before an outer closer. */
  private skipToCloser(closer: string): number {
    let depth = 0;
    while (!this.atEof()) {
      const t = this.tok;
      if (t.kind === 'punct') {
        if (t.value === '(' || t.value === '[' || t.value === '{') depth++;
        else if (t.value === ')' || t.value === ']' || t.value === '}') {
          if (depth === 0) {
            if (t.value === closer) {
              this.next();
              return t.span.end;
            }
            return t.span.start;
          }
          depth--;
        }
      }
      this.next();
    }
    return this.length;
  }

  private canStartOperand(t: Token = this.tok): boolean {
    switch (t.kind) {
      case 'identifier':
      case 'string':
      case 'integer':
      case 'decimal':
      case 'param':
        return true;
      case 'keyword':
        return (OPERAND_KEYWORDS as readonly string[]).includes(t.value);
      case 'punct':
        return ['(', '[', '{', '-', '^', '!'].includes(t.value);
      default:
        return false;
    }
  }

  private computeStops(): Int32Array {
    const n = this.toks.length;
    const level = new Int32Array(n);
    let d = 0;
    for (let i = 0; i < n; i++) {
      const t = this.toks[i]!;
      if (t.kind === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}')) {
        level[i] = d;
        d = Math.max(0, d - 1);
      } else {
        level[i] = d;
        if (t.kind === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{')) d++;
      }
    }
    this.steps += n;
    const stops = new Int32Array(n);
    const latest: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      const l = level[i]!;
      const found = latest[l];
      stops[i] = found === undefined ? n - 1 : found;
      const t = this.toks[i]!;
      const afterDot =
        i > 0 &&
        this.toks[i - 1]!.kind === 'punct' &&
        (this.toks[i - 1]!.value === '.' || this.toks[i - 1]!.value === '^');
      const isStop =
        t.kind === 'eof' ||
        (!afterDot && t.kind === 'keyword' && R7_STOP_KEYWORDS.has(t.value)) ||
        (t.kind === 'punct' &&
          (R7_STOP_PUNCT.has(t.value) || t.value === ')' || t.value === ']' || t.value === '}'));
      if (isStop) latest[l] = i;
      if (t.kind === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{'))
        latest.length = l + 1;
    }
    return stops;
  }

  /** Rule R7: an aggregate head at primary start is a comprehension only when `over` follows at its depth. */
  private overFollows(): boolean {
    const j = this.stopAt[this.pos]!;
    return this.isKw('over', this.toks[j]!);
  }

  private enter(): boolean {
    this.steps++;
    if (this.depth >= this.maxDepth) {
      if (!this.aborted) {
        this.err(
          'PQL101',
          `This expression is nested too deeply (more than ${this.maxDepth} levels): simplify it`,
          this.atEof() ? sp(this.length, this.length) : this.tok.span,
        );
        this.aborted = true;
      }
      while (!this.atEof()) this.next();
      return false;
    }
    this.depth++;
    return true;
  }
  private leave(): void {
    this.depth--;
  }

  /** Runs `f` with `noIn` set to `value`, restoring it afterwards. */
  private withNoIn<R>(value: boolean, f: () => R): R {
    const saved = this.noIn;
    this.noIn = value;
    try {
      return f();
    } finally {
      this.noIn = saved;
    }
  }

  // ---------------------------------------------------------------- query

  parseQuery(): Expr {
    if (this.atEof()) {
      this.err(
        'PQL102',
        'The expression is empty: write a condition, for example loyalty.tier = "gold"',
        sp(this.length, this.length),
      );
      return this.errorNode(this.length, this.length);
    }
    let root = this.parseExpr();
    let trailingReported = false;
    while (!this.atEof() && !this.aborted) {
      const t = this.tok;
      const start = this.pos;
      if (t.kind === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}')) {
        const open = t.value === ')' ? '(' : t.value === ']' ? '[' : '{';
        this.err('PQL101', `This '${t.value}' has no matching '${open}'`, t.span);
        this.next();
        continue;
      }
      if (this.isKw('and') || this.isKw('or')) {
        const op = this.next().value as 'and' | 'or';
        const right = this.parseExpr();
        root = { kind: 'Binary', op, left: root, right, span: sp(root.span.start, right.span.end) };
        continue;
      }
      // Report the first stray text only; keep parsing the rest for the errors inside it.
      if (!trailingReported) {
        trailingReported = true;
        if (
          !this.diagnostics.some(
            (d) =>
              d.span.start >= root.span.start && d.span.start < t.span.start && d.code !== 'PQL107',
          )
        ) {
          this.err(
            'PQL107',
            `Did not expect ${this.describe(t)} after the end of the expression: is an 'and' or 'or' missing?`,
            t.span,
          );
        }
      }
      if (this.canStartOperand()) this.parseExpr();
      if (this.pos === start) this.next();
    }
    return root;
  }

  /** Expr (pql.md §2.1). Level-9 forms are handled in parsePrimary. */
  private parseExpr(): Expr {
    return this.parseOr();
  }

  private parseOr(): Expr {
    if (!this.enter()) return this.errorNode(this.tok.span.start, this.length);
    try {
      let left = this.parseAnd();
      while (this.isKw('or')) {
        this.next();
        const right = this.parseAnd();
        left = { kind: 'Binary', op: 'or', left, right, span: sp(left.span.start, right.span.end) };
      }
      return left;
    } finally {
      this.leave();
    }
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKw('and')) {
      this.next();
      const right = this.parseNot();
      left = { kind: 'Binary', op: 'and', left, right, span: sp(left.span.start, right.span.end) };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isKw('not') || this.isPunct('!')) {
      const t = this.next();
      if (!this.enter()) return this.errorNode(t.span.start, this.length);
      try {
        const operand = this.parseNot();
        return {
          kind: 'Not',
          operand,
          bang: t.value === '!',
          span: sp(t.span.start, operand.span.end),
        };
      } finally {
        this.leave();
      }
    }
    return this.parseRel();
  }

  /** A misspelt infix keyword in operator position (`ocurs`): report it and read it as meant. */
  private fixNearMissOperator(): void {
    const t = this.tok;
    if (t.kind !== 'identifier') return;
    const following = this.peek();
    if (this.isPunct('.', following) || this.isPunct('(', following)) return;
    const near = nearMiss(t.value, INFIX_WORDS);
    if (!near || (near === 'in' && this.noIn)) return;
    this.err('PQL101', `Unknown word '${t.text}': did you mean '${near}'?`, t.span);
    this.toks[this.pos] = { kind: 'keyword', value: near, text: t.text, span: t.span };
  }

  private relOp(): string | undefined {
    const t = this.tok;
    if (t.kind === 'punct' && COMPARE_OPS.has(t.value)) return t.value;
    if (t.kind === 'keyword') {
      if (t.value === 'in') return this.noIn ? undefined : 'in';
      if (t.value === 'notIn' || t.value === 'like' || t.value === 'occurs') return t.value;
    }
    return undefined;
  }

  private parseRel(): Expr {
    const left = this.parseAdd();
    this.fixNearMissOperator();
    const op = this.relOp();
    if (op === undefined) {
      this.checkMissingOperator(left);
      return left;
    }
    let result = this.parseRelTail(left, op);
    // non-associative: `a = b = c` is an error (pql.md §2.2)
    this.fixNearMissOperator();
    let again = this.relOp();
    while (again !== undefined && !this.aborted) {
      const t = this.tok;
      this.err(
        'PQL103',
        `Comparisons cannot be chained: '${t.text}' follows another comparison. Use 'and' between two comparisons, or parentheses`,
        t.span,
      );
      result = this.parseRelTail(result, again);
      again = this.relOp();
    }
    this.checkMissingOperator(result);
    return result;
  }

  /** After a complete operand, a word or value that is not an operator: explain, once. */
  private checkMissingOperator(left: Expr): void {
    const t = this.tok;
    if (
      t.kind !== 'identifier' &&
      t.kind !== 'string' &&
      t.kind !== 'integer' &&
      t.kind !== 'decimal' &&
      t.kind !== 'param'
    )
      return;
    if (left.kind === 'Name') {
      const near = nearMiss(left.name, PREFIX_WORDS);
      if (near) {
        this.err('PQL101', `Unknown word '${left.name}': did you mean '${near}'?`, left.span);
        return;
      }
    }
    if (t.kind === 'identifier') {
      const near = nearMiss(t.value, [
        ...INFIX_WORDS,
        'over',
        'where',
        'from',
        'between',
        'before',
        'after',
      ]);
      if (near) {
        this.err('PQL101', `Unknown word '${t.text}': did you mean '${near}'?`, t.span);
        return;
      }
    }
    // Otherwise the enclosing construct reports it ("Expected ',' between arguments", …).
  }

  private parseRelTail(left: Expr, op: string): Expr {
    const opTok = this.next();
    if (op === 'occurs') {
      const spec = this.parseTimeSpec(opTok);
      return { kind: 'Occurs', subject: left, spec, span: sp(left.span.start, spec.span.end) };
    }
    const right = this.parseAdd();
    return {
      kind: 'Binary',
      op: op as BinaryOp,
      left,
      right,
      span: sp(left.span.start, right.span.end),
    };
  }

  private parseAdd(): Expr {
    let left = this.parseMul();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().value as '+' | '-';
      const right = this.parseMul();
      left = { kind: 'Binary', op, left, right, span: sp(left.span.start, right.span.end) };
    }
    return left;
  }

  private parseMul(): Expr {
    let left = this.parseUnary();
    for (;;) {
      if (this.isPunct('*') || this.isPunct('/') || this.isPunct('%')) {
        const op = this.next().value as '*' | '/' | '%';
        const right = this.parseUnary();
        left = { kind: 'Binary', op, left, right, span: sp(left.span.start, right.span.end) };
        continue;
      }
      if (this.tok.kind === 'unknown') {
        // A character the lexer already reported (`#`, `&`): read it as an unknown operator.
        const t = this.next();
        if (this.canStartOperand()) {
          const right = this.parseUnary();
          left = this.errorNode(left.span.start, right.span.end);
        } else {
          left = this.errorNode(left.span.start, t.span.end);
        }
        continue;
      }
      return left;
    }
  }

  private parseUnary(): Expr {
    if (!this.isPunct('-')) return this.parsePostfix();
    const minus = this.next();
    const t = this.tok;
    const after = this.peek();
    if (
      (t.kind === 'integer' || t.kind === 'decimal') &&
      !this.isPunct('.', after) &&
      !this.isPunct('[', after)
    ) {
      this.next();
      return this.numberLiteral(t, true, minus.span.start);
    }
    if (!this.enter()) return this.errorNode(minus.span.start, this.length);
    try {
      const operand = this.parseUnary();
      return { kind: 'Negate', operand, span: sp(minus.span.start, operand.span.end) };
    } finally {
      this.leave();
    }
  }

  private numberLiteral(t: Token, negative: boolean, start: number): Expr {
    const span = sp(start, t.span.end);
    if (t.kind === 'integer') {
      let big: bigint;
      try {
        big = BigInt(t.value);
      } catch {
        big = 0n;
      }
      if (big > 2n ** 53n) {
        this.err(
          'PQL106',
          `The number ${t.text} is too large: whole numbers must be at most 9007199254740992`,
          t.span,
        );
      }
      const value = Number(t.value);
      return { kind: 'Integer', value: negative ? -value : value, span };
    }
    let value = Number(
      t.value.endsWith('.') ? t.value + '0' : t.value.startsWith('.') ? '0' + t.value : t.value,
    );
    if (!Number.isFinite(value)) {
      this.err('PQL106', `The number ${t.text} is too large`, t.span);
      value = 0;
    }
    return {
      kind: 'Decimal',
      value: negative ? -value : value,
      text: negative ? `-${t.value}` : t.value,
      span,
    };
  }

  // ---------------------------------------------------------------- postfix

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      if (this.isPunct('.')) {
        const dot = this.next();
        const nameTok = this.tok;
        if (!this.isWord(nameTok)) {
          this.errHere(
            'PQL101',
            `Expected a field or method name after '.' but found ${this.describe(nameTok)}`,
          );
          return this.errorNode(expr.span.start, dot.span.end);
        }
        this.next();
        const name = nameTok.kind === 'identifier' ? nameTok.value : nameTok.text;
        if (this.isPunct('(')) {
          const { items, end } = this.parseArgs();
          expr = {
            kind: 'Method',
            receiver: expr,
            name,
            nameSpan: nameTok.span,
            args: items,
            span: sp(expr.span.start, end),
          };
        } else {
          expr = {
            kind: 'Member',
            object: expr,
            name,
            nameSpan: nameTok.span,
            span: sp(expr.span.start, nameTok.span.end),
          };
        }
        continue;
      }
      if (this.isPunct('[')) {
        // rule R1: after an operand, `[` starts a filter
        const open = this.next();
        const condition = this.withNoIn(false, () => {
          if (this.isPunct(']')) {
            this.err('PQL101', 'A filter needs a condition between [ and ]', this.tok.span);
            return this.errorNode(open.span.end, open.span.end);
          }
          return this.parseExpr();
        });
        const end = this.closeBracket(']', open, 'filter');
        expr = { kind: 'Filter', object: expr, condition, span: sp(expr.span.start, end) };
        continue;
      }
      return expr;
    }
  }

  /** Consumes the closer of a bracket opened by `open`, or reports and skips to it. */
  private closeBracket(closer: string, open: Token, what: string): number {
    if (this.isPunct(closer)) return this.next().span.end;
    const t = this.tok;
    const hint =
      t.kind === 'eof'
        ? `This '${open.value}' is not closed: add '${closer}' at the end`
        : `Expected '${closer}' to close the ${what} but found ${this.describe(t)}`;
    this.errHere('PQL101', hint);
    return this.skipToCloser(closer);
  }

  /** `( [Expr {, Expr}] )` starting at the current `(`. */
  private parseArgs(): { items: Expr[]; end: number } {
    const open = this.next();
    return this.parseDelimited(
      open,
      ')',
      'arguments',
      () => this.parseExpr(),
      "Expected ',' between arguments",
    );
  }

  private parseDelimited<T extends { span: Span }>(
    open: Token,
    closer: string,
    what: string,
    item: () => T,
    missingComma: string,
  ): { items: T[]; end: number } {
    return this.withNoIn(false, () => {
      const items: T[] = [];
      if (this.isPunct(closer)) return { items, end: this.next().span.end };
      for (;;) {
        const before = this.pos;
        items.push(item());
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        if (this.isPunct(closer)) return { items, end: this.next().span.end };
        if (this.canStartOperand() && this.pos > before) {
          this.err('PQL101', missingComma, this.tok.span);
          continue;
        }
        return { items, end: this.closeBracket(closer, open, what) };
      }
    });
  }

  // ---------------------------------------------------------------- primaries

  private parsePrimary(): Expr {
    return this.primary();
  }

  private missingOperand(): Expr {
    const t = this.tok;
    const p = this.prev();
    const after = p ? ` after '${p.text.length > 20 ? p.text.slice(0, 20) + '…' : p.text}'` : '';
    if (t.kind === 'eof') {
      this.err(
        'PQL102',
        `The expression ends too early: a value is expected${after}`,
        sp(this.length, this.length),
      );
      return this.errorNode(this.length, this.length);
    }
    this.err('PQL101', `Expected a value${after} but found ${this.describe(t)}`, t.span);
    // Skip stray operators (`= = "male"`), then read the operand if one follows.
    const start = t.span.start;
    let end = t.span.start;
    while (
      this.tok.kind === 'punct' &&
      ['=', '!=', '<', '<=', '>', '>=', '+', '*', '/', '%', '.', '=>'].includes(this.tok.value)
    ) {
      end = this.next().span.end;
    }
    if (end > start && this.canStartOperand()) return this.primary();
    return this.errorNode(start, end);
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'string':
        this.next();
        return { kind: 'String', value: t.value, span: t.span };
      case 'integer':
      case 'decimal':
        this.next();
        return this.numberLiteral(t, false, t.span.start);
      case 'param':
        this.next();
        return { kind: 'Param', position: Number(t.value), span: t.span };
      case 'identifier':
        return this.identifierPrimary();
      case 'keyword':
        return this.keywordPrimary();
      case 'unknown': {
        // already reported by the lexer
        while (this.tok.kind === 'unknown') this.next();
        if (this.canStartOperand()) return this.primary();
        return this.errorNode(t.span.start, this.endOfPrev());
      }
      case 'punct':
        switch (t.value) {
          case '(':
            return this.parenOrLambda();
          case '[': {
            // rule R1: in primary position, `[` starts a list literal
            const open = this.next();
            const { items, end } = this.parseDelimited(
              open,
              ']',
              'list',
              () => this.parseExpr(),
              "Expected ',' between list items",
            );
            return { kind: 'List', items, span: sp(open.span.start, end) };
          }
          case '{':
            return this.objectLiteral();
          case '^':
            return this.upRef();
          case '!':
          case '-':
            // only reachable where the grammar wants an operand that is not a condition
            return this.misplacedPrefix();
          default:
            return this.missingOperand();
        }
      default:
        return this.missingOperand();
    }
  }

  private misplacedPrefix(): Expr {
    const t = this.tok;
    if (t.value === '-') return this.parseUnary();
    if (!this.enter()) return this.errorNode(t.span.start, this.length);
    try {
      return this.misplacedNot(t);
    } finally {
      this.leave();
    }
  }

  private misplacedNot(t: Token): Expr {
    this.err(
      'PQL101',
      `'${t.text}' cannot be used here: put the negated condition in parentheses, as in (${t.text} x)`,
      t.span,
    );
    this.next();
    const operand = this.parseUnary();
    return {
      kind: 'Not',
      operand,
      bang: t.value === '!',
      span: sp(t.span.start, operand.span.end),
    };
  }

  private identifierPrimary(): Expr {
    const t = this.tok;
    const nxt = this.peek();
    if (this.isPunct('=>', nxt)) {
      this.next();
      return this.lambdaRest(t.span.start, [{ name: t.value, span: t.span }]);
    }
    if (AGG_HEADS.has(t.value.toLowerCase()) && this.overFollows()) {
      return this.comprehension();
    }
    this.next();
    if (this.isPunct('(')) {
      // rule R8: a global function call; unknown names are the checker's business
      const { items, end } = this.parseArgs();
      const call: Expr = {
        kind: 'Call',
        name: t.value,
        nameSpan: t.span,
        args: items,
        span: sp(t.span.start, end),
      };
      if (t.value.toLowerCase() === 'date') this.checkDate(items);
      return call;
    }
    return { kind: 'Name', name: t.value, span: t.span };
  }

  private checkDate(args: readonly Expr[]): void {
    if (args.length === 3 && args.every((a) => a.kind === 'Integer')) {
      const [y, m, d] = args.map((a) => (a.kind === 'Integer' ? a.value : 0)) as [
        number,
        number,
        number,
      ];
      if (y < 1 || y > 9999) {
        this.err('PQL106', `The year ${y} is not valid: use a year from 1 to 9999`, args[0]!.span);
      } else if (m < 1 || m > 12) {
        this.err(
          'PQL106',
          `There is no month ${m}: months go from 1 (January) to 12 (December)`,
          args[1]!.span,
        );
      } else if (d < 1 || d > daysInMonth(y, m)) {
        this.err(
          'PQL106',
          `${MONTH_NAMES[m - 1]} ${y} has no day ${d}: it has ${daysInMonth(y, m)} days`,
          args[2]!.span,
        );
      }
    } else if (args.length === 1 && args[0]!.kind === 'String') {
      const s = args[0].value;
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
      const ok =
        m !== null &&
        +m[2]! >= 1 &&
        +m[2]! <= 12 &&
        +m[3]! >= 1 &&
        +m[3]! <= daysInMonth(+m[1]!, +m[2]!) &&
        +m[1]! >= 1;
      if (!ok)
        this.err(
          'PQL106',
          `"${s}" is not a valid date: write it as "YYYY-MM-DD", as in "2024-02-29"`,
          args[0].span,
        );
    }
  }

  private keywordPrimary(): Expr {
    const t = this.tok;
    switch (t.value) {
      case 'true':
      case 'false':
        this.next();
        return { kind: 'Boolean', value: t.value === 'true', span: t.span };
      case 'null':
        this.next();
        return { kind: 'Null', span: t.span };
      case 'this':
        this.next();
        return { kind: 'This', span: t.span };
      case 'xEvent':
        this.next();
        return { kind: 'XEvent', span: t.span };
      case 'now':
      case 'today':
      case 'yesterday':
      case 'tomorrow':
        // rule R6
        this.next();
        return { kind: 'TimeWord', word: t.value as TimeWordName, span: t.span };
      case 'if':
        return this.ifExpr();
      case 'chain':
        return this.chain();
      case 'let':
        return this.letExpr();
      case 'exists':
      case 'forall':
        return this.quantifier();
      case 'select':
        return this.select();
      case 'not':
        return this.misplacedPrefix();
      case 'last':
      case 'next': {
        this.next();
        const unit =
          this.tok.kind === 'identifier'
            ? TIME_UNIT_WORDS.get(this.tok.value.toLowerCase())
            : undefined;
        this.err(
          'PQL104',
          `'${t.text}${unit ? ' ' + this.tok.text : ' …'}' is a period: it can only follow 'occurs' (as in timestamp occurs ${t.value} week)`,
          t.span,
        );
        const end = unit ? this.next().span.end : t.span.end;
        return this.errorNode(t.span.start, end);
      }
      default:
        return this.missingOperand();
    }
  }

  private parenOrLambda(): Expr {
    const open = this.tok;
    // rule R2: `( Ident {, Ident} ) =>` or `( ) =>` is a lambda head
    let j = this.pos + 1;
    const params: LambdaParam[] = [];
    let isLambda = false;
    if (this.isPunct(')', this.toks[j]!)) {
      isLambda = this.isPunct('=>', this.toks[j + 1]!);
    } else {
      while (this.toks[j]!.kind === 'identifier') {
        this.steps++;
        const p = this.toks[j]!;
        params.push({ name: p.value, span: p.span });
        j++;
        if (this.isPunct(',', this.toks[j]!)) {
          j++;
          continue;
        }
        if (this.isPunct(')', this.toks[j]!)) isLambda = this.isPunct('=>', this.toks[j + 1]!);
        break;
      }
    }
    if (isLambda) {
      while (this.pos < j + 1) this.next(); // `( params )` and `=>` below
      return this.lambdaRest(open.span.start, params);
    }
    this.next();
    if (this.isPunct(')')) {
      this.err('PQL101', 'Empty parentheses: put an expression between ( and )', this.tok.span);
      const end = this.next().span.end;
      return this.errorNode(open.span.start, end);
    }
    const inner = this.withNoIn(false, () => this.parseExpr());
    this.closeBracket(')', open, 'parenthesis');
    return inner;
  }

  /** After the parameters; the current token is `=>`. */
  private lambdaRest(start: number, params: LambdaParam[]): Expr {
    this.next(); // =>
    const body = this.parseExpr();
    return { kind: 'Lambda', params, body, span: sp(start, body.span.end) };
  }

  private objectLiteral(): Expr {
    const open = this.next();
    const { items, end } = this.parseDelimited(
      open,
      '}',
      'object',
      (): ObjectEntry & { span: Span } => {
        const k = this.tok;
        let key: string;
        if (k.kind === 'string' || k.kind === 'identifier') key = k.value;
        else if (k.kind === 'keyword') key = k.text;
        else {
          this.errHere(
            'PQL101',
            `Expected a key (a name or a text in quotes) in the object but found ${this.describe(k)}`,
          );
          const value = this.errorNode(k.span.start, k.span.start);
          return { key: '', keySpan: sp(k.span.start, k.span.start), value, span: value.span };
        }
        this.next();
        let value: Expr;
        if (this.expectPunct(':', `Expected ':' after the key ${k.text}`)) value = this.parseExpr();
        else
          value = this.canStartOperand()
            ? this.parseExpr()
            : this.errorNode(k.span.end, k.span.end);
        return { key, keySpan: k.span, value, span: sp(k.span.start, value.span.end) };
      },
      "Expected ',' between object entries",
    );
    return {
      kind: 'Object',
      entries: items.map(({ key, keySpan, value }) => ({ key, keySpan, value })),
      span: sp(open.span.start, end),
    };
  }

  private upRef(): Expr {
    const first = this.tok;
    let levels = 0;
    while (this.isPunct('^')) {
      this.next();
      levels++;
    }
    if (this.isPunct('.')) this.next();
    const nameTok = this.tok;
    if (!this.isWord(nameTok)) {
      this.errHere(
        'PQL101',
        `Expected a field name after '${'^'.repeat(levels)}' but found ${this.describe(nameTok)}`,
      );
      return this.errorNode(first.span.start, this.endOfPrev());
    }
    this.next();
    const name = nameTok.kind === 'identifier' ? nameTok.value : nameTok.text;
    return { kind: 'UpRef', levels, name, span: sp(first.span.start, nameTok.span.end) };
  }

  private ifExpr(): Expr {
    const kw = this.next();
    if (!this.isPunct('(')) {
      this.errHere(
        'PQL101',
        `Expected '(' after 'if', as in if(condition, value, otherwise) but found ${this.describe(this.tok)}`,
      );
      return this.errorNode(kw.span.start, kw.span.end);
    }
    const { items, end } = this.parseArgs();
    if (items.length !== 3) {
      this.err(
        'PQL101',
        `'if' needs three parts: if(condition, value when true, value otherwise); found ${items.length}`,
        kw.span,
      );
    }
    const at = (i: number): Expr => items[i] ?? this.errorNode(end, end);
    return {
      kind: 'If',
      condition: at(0),
      then: at(1),
      otherwise: at(2),
      span: sp(kw.span.start, end),
    };
  }

  private variable(what: string): { name: string; span: Span } {
    const t = this.tok;
    if (t.kind === 'identifier') {
      this.next();
      return { name: t.value, span: t.span };
    }
    this.errHere('PQL101', `Expected ${what} but found ${this.describe(t)}`);
    return { name: '', span: sp(t.span.start, t.span.start) };
  }

  private letExpr(): Expr {
    const kw = this.next();
    const bindings: LetBinding[] = [];
    for (;;) {
      const v = this.variable("a name after 'let'");
      let value: Expr;
      if (this.expectPunct('=', `Expected '=' after the name ${v.name || '…'} in 'let'`)) {
        // rule R3: a top-level `in` ends the binding value
        value = this.withNoIn(true, () => this.parseExpr());
      } else {
        value = this.errorNode(v.span.end, v.span.end);
      }
      bindings.push({ name: v.name, nameSpan: v.span, value });
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      break;
    }
    let body: Expr;
    if (this.expectKw('in', "Expected 'in' after the 'let' binding")) body = this.parseExpr();
    else body = this.errorNode(this.endOfPrev(), this.endOfPrev());
    return { kind: 'Let', bindings, body, span: sp(kw.span.start, body.span.end) };
  }

  private quantifier(): Expr {
    const kw = this.next();
    const ranges: QuantifierRange[] = [];
    for (;;) {
      const v = this.variable(`a variable name after '${kw.value}'`);
      let source: Expr;
      if (this.expectKw('from', `Expected 'from' after '${kw.value} ${v.name}'`))
        source = this.parseOr();
      else source = this.errorNode(v.span.end, v.span.end);
      let where: Expr | undefined;
      let assertion: Expr | undefined;
      if (this.isKw('where')) {
        this.next();
        where = this.parseOr();
      }
      if (this.isPunct(':')) {
        this.next();
        assertion = this.parseOr();
      }
      ranges.push({
        variable: v.name,
        variableSpan: v.span,
        source,
        ...(where ? { where } : {}),
        ...(assertion ? { assertion } : {}),
      });
      // comma-chained ranges: `, v from …`
      if (
        this.isPunct(',') &&
        this.peek().kind === 'identifier' &&
        this.isKw('from', this.peek(2))
      ) {
        this.next();
        continue;
      }
      break;
    }
    return {
      kind: 'Quantifier',
      quantifier: kw.value as 'exists' | 'forall',
      ranges,
      span: sp(kw.span.start, this.endOfPrev()),
    };
  }

  private select(): Expr {
    const kw = this.next();
    const v = this.variable("a variable name after 'select'");
    let source: Expr;
    if (this.expectKw('from', `Expected 'from' after 'select ${v.name}'`)) source = this.parseOr();
    else source = this.errorNode(v.span.end, v.span.end);
    let where: Expr | undefined;
    if (this.isKw('where')) {
      this.next();
      where = this.parseExpr();
    }
    return {
      kind: 'Select',
      variable: v.name,
      variableSpan: v.span,
      source,
      ...(where ? { where } : {}),
      span: sp(kw.span.start, this.endOfPrev()),
    };
  }

  private comprehension(): Expr {
    if (!this.enter()) return this.errorNode(this.tok.span.start, this.length);
    try {
      return this.comprehensionBody();
    } finally {
      this.leave();
    }
  }

  private comprehensionBody(): Expr {
    const head = this.next();
    const aggregate = head.value.toLowerCase() as AggregateName;
    const value = this.parseAdd();
    this.expectKw('over', `Expected 'over' after the value of '${aggregate}'`);
    const v = this.variable("a variable name after 'over'");
    let source: Expr;
    if (this.expectKw('from', `Expected 'from' after 'over ${v.name}'`)) source = this.parseOr();
    else source = this.errorNode(v.span.end, v.span.end);
    let where: Expr | undefined;
    if (this.isKw('where')) {
      this.next();
      where = this.parseExpr();
    }
    return {
      kind: 'Comprehension',
      aggregate,
      value,
      variable: v.name,
      variableSpan: v.span,
      source,
      ...(where ? { where } : {}),
      span: sp(head.span.start, this.endOfPrev()),
    };
  }

  // ---------------------------------------------------------------- time

  private unitHere(): TimeUnit | undefined {
    const t = this.tok;
    return t.kind === 'identifier' ? TIME_UNIT_WORDS.get(t.value.toLowerCase()) : undefined;
  }

  private parseTimeSpec(after: Token): TimeSpec {
    const t = this.tok;
    const start = t.span.start;
    if (t.kind === 'punct' && COMPARE_OPS.has(t.value)) {
      const op = this.next().value as CompareOp;
      let amount = 0;
      const a = this.tok;
      if (a.kind === 'integer') {
        this.next();
        const lit = this.numberLiteral(a, false, a.span.start);
        amount = lit.kind === 'Integer' ? lit.value : 0;
      } else if (a.kind === 'decimal') {
        this.err(
          'PQL104',
          `The amount of time must be a whole number, as in '< 3 days before now'; found ${a.text}`,
          a.span,
        );
        this.next();
      } else {
        this.errHere(
          'PQL104',
          `Expected a number of time units after '${op}', as in 'occurs ${op} 7 days before now', but found ${this.describe(a)}`,
        );
      }
      let unit: TimeUnit = 'day';
      const u = this.unitHere();
      if (u) {
        unit = u;
        this.next();
      } else {
        const ut = this.tok;
        const near = ut.kind === 'identifier' ? nearMiss(ut.value, UNIT_WORDS) : undefined;
        if (near) {
          this.err('PQL104', `Unknown time unit '${ut.text}': did you mean '${near}'?`, ut.span);
          unit = TIME_UNIT_WORDS.get(near)!;
          this.next();
        } else {
          this.errHere(
            'PQL104',
            `Expected a time unit such as 'days' or 'hours' after the number but found ${this.describe(ut)}`,
          );
        }
      }
      let direction: TimeDirection = 'before';
      const d = this.tok;
      if (d.kind === 'keyword' && DIRECTIONS.has(d.value)) {
        direction = d.value as TimeDirection;
        this.next();
      } else {
        const near = d.kind === 'identifier' ? nearMiss(d.value, [...DIRECTIONS]) : undefined;
        if (near) {
          this.err('PQL104', `Unknown word '${d.text}': did you mean '${near}'?`, d.span);
          direction = near as TimeDirection;
          this.next();
        } else {
          this.errHere(
            'PQL104',
            `Expected 'before', 'after' or 'from' after the amount of time, as in '${op} 3 days before now', but found ${this.describe(d)}`,
          );
          const ref = this.canStartOperand()
            ? this.parseTimeRef()
            : this.errorNode(this.endOfPrev(), this.endOfPrev());
          return {
            form: 'relative',
            op,
            amount,
            unit,
            direction,
            ref,
            span: sp(start, this.endOfPrev()),
          };
        }
      }
      const ref = this.parseTimeRef();
      return { form: 'relative', op, amount, unit, direction, ref, span: sp(start, ref.span.end) };
    }
    if (t.kind === 'keyword' && DIRECTIONS.has(t.value)) {
      this.next();
      const ref = this.parseTimeRef();
      return {
        form: 'direction',
        direction: t.value as TimeDirection,
        ref,
        span: sp(start, ref.span.end),
      };
    }
    if (this.isKw('between')) {
      this.next();
      const from = this.parseTimeRef();
      let to: TimeRef;
      // rule R4: the first top-level `and` belongs to `between`
      if (this.expectKw('and', "Expected 'and' between the two ends of 'between'"))
        to = this.parseTimeRef();
      else to = this.errorNode(from.span.end, from.span.end);
      return { form: 'between', from, to, span: sp(start, to.span.end) };
    }
    if (this.isKw('on')) {
      this.next();
      const ref = this.parseTimeRef();
      return { form: 'on', ref, explicitOn: true, span: sp(start, ref.span.end) };
    }
    if (!this.canStartOperand() && !this.isKw('last') && !this.isKw('next')) {
      this.errHere(
        'PQL104',
        `Expected a time after '${after.text}', as in 'today', 'last month', 'before date(2024, 1, 1)' or '< 7 days before now', but found ${this.describe(t)}`,
      );
      const ref = this.errorNode(after.span.end, after.span.end);
      return { form: 'on', ref, explicitOn: false, span: ref.span };
    }
    const ref = this.parseTimeRef();
    if (ref.kind === 'Integer' && this.unitHere()) {
      // `occurs 3 days before now`: the comparison is missing
      this.err(
        'PQL104',
        `Add a comparison before the amount of time, as in 'occurs <= ${ref.value} ${this.tok.text} before now'`,
        ref.span,
      );
      const unit = this.unitHere()!;
      this.next();
      let direction: TimeDirection = 'before';
      if (this.tok.kind === 'keyword' && DIRECTIONS.has(this.tok.value))
        direction = this.next().value as TimeDirection;
      const r =
        this.canStartOperand() || this.isKw('last') || this.isKw('next')
          ? this.parseTimeRef()
          : this.errorNode(this.endOfPrev(), this.endOfPrev());
      return {
        form: 'relative',
        op: '<=',
        amount: ref.value,
        unit,
        direction,
        ref: r,
        span: sp(start, this.endOfPrev()),
      };
    }
    return { form: 'on', ref, explicitOn: false, span: sp(start, ref.span.end) };
  }

  private parseTimeRef(): TimeRef {
    const t = this.tok;
    if (t.kind === 'keyword' && (t.value === 'this' || t.value === 'last' || t.value === 'next')) {
      const u = this.peek();
      const unit = u.kind === 'identifier' ? TIME_UNIT_WORDS.get(u.value.toLowerCase()) : undefined;
      if (unit) {
        // rule R5: `this <unit>` inside a TimeSpec is a period
        this.next();
        this.next();
        const period: Period = {
          kind: 'Period',
          which: t.value as Period['which'],
          unit,
          span: sp(t.span.start, u.span.end),
        };
        return period;
      }
      if (t.value !== 'this') {
        this.next();
        const near = u.kind === 'identifier' ? nearMiss(u.value, UNIT_WORDS) : undefined;
        if (near) {
          this.err('PQL104', `Unknown time unit '${u.text}': did you mean '${near}'?`, u.span);
          this.next();
          return {
            kind: 'Period',
            which: t.value as Period['which'],
            unit: TIME_UNIT_WORDS.get(near)!,
            span: sp(t.span.start, u.span.end),
          };
        }
        this.errHere(
          'PQL104',
          `Expected a time unit after '${t.text}', as in '${t.value} week', but found ${this.describe(this.tok)}`,
        );
        return this.errorNode(t.span.start, t.span.end);
      }
    }
    return this.parseAdd();
  }

  // ---------------------------------------------------------------- chain

  private chain(): Expr {
    const kw = this.next();
    const bad = (message: string): Expr => {
      this.errHere('PQL105', message);
      const end = this.skipToCloser(')');
      return this.errorNode(kw.span.start, end);
    };
    if (!this.isPunct('(')) {
      this.errHere(
        'PQL105',
        `Expected '(' after 'chain', as in chain(xEvent, timestamp, [A: WHAT(…)]), but found ${this.describe(this.tok)}`,
      );
      return this.errorNode(kw.span.start, kw.span.end);
    }
    const open = this.next();
    return this.withNoIn(false, () => {
      const events = this.parseExpr();
      if (!this.isPunct(','))
        return bad(`Expected ',' after the events of 'chain' but found ${this.describe(this.tok)}`);
      this.next();
      const path: string[] = [];
      for (;;) {
        const p = this.tok;
        if (!this.isWord(p))
          return bad(
            `Expected the timestamp field (such as timestamp) in 'chain' but found ${this.describe(p)}`,
          );
        this.next();
        path.push(p.kind === 'identifier' ? p.value : p.text);
        if (!this.isPunct('.')) break;
        this.next();
      }
      if (!this.isPunct(','))
        return bad(
          `Expected ',' after the timestamp field of 'chain' but found ${this.describe(this.tok)}`,
        );
      this.next();
      if (!this.isPunct('['))
        return bad(
          `Expected '[' to start the steps of 'chain', as in [A: WHAT(…)], but found ${this.describe(this.tok)}`,
        );
      const stepsOpen = this.next();
      const steps: ChainStep[] = [];
      if (this.isPunct(']')) {
        this.err(
          'PQL105',
          'A chain needs at least one step, as in [A: WHAT(eventType = "commerce.purchases")]',
          this.tok.span,
        );
      }
      while (!this.isPunct(']') && !this.atEof() && !this.aborted) {
        const before = this.pos;
        const step = this.chainStep();
        if (step) steps.push(step);
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        if (this.isPunct(']')) break;
        if (this.pos === before || !this.isWord()) {
          this.errHere(
            'PQL105',
            `Expected ',' or ']' after a chain step but found ${this.describe(this.tok)}`,
          );
          this.skipToCloser(']');
          return this.finishChain(kw, open, events, path, steps, true);
        }
        this.err('PQL105', "Expected ',' between chain steps", this.tok.span);
      }
      if (this.isPunct(']')) this.next();
      else this.closeBracket(']', stepsOpen, 'chain steps');
      return this.finishChain(kw, open, events, path, steps, false);
    });
  }

  private finishChain(
    kw: Token,
    open: Token,
    events: Expr,
    path: string[],
    steps: ChainStep[],
    skipped: boolean,
  ): Expr {
    let end: number;
    if (this.isPunct(')')) end = this.next().span.end;
    else if (skipped) end = this.skipToCloser(')');
    else end = this.closeBracket(')', open, "'chain'");
    return { kind: 'Chain', events, timestampPath: path, steps, span: sp(kw.span.start, end) };
  }

  private chainStep(): ChainStep | undefined {
    const label = this.tok;
    if (!this.isWord(label)) {
      this.errHere('PQL105', `Expected a step label such as A: but found ${this.describe(label)}`);
      return undefined;
    }
    this.next();
    if (!this.isPunct(':')) {
      this.errHere(
        'PQL105',
        `Expected ':' after the step label ${label.text} but found ${this.describe(this.tok)}`,
      );
      if (!this.isWord() || !CHAIN_CLAUSES.has(this.tok.value.toLowerCase())) return undefined;
    } else {
      this.next();
    }
    let what: Expr | undefined;
    let when: TimeSpec | undefined;
    let count: number | undefined;
    let where: Expr | undefined;
    while (
      this.isWord() &&
      CHAIN_CLAUSES.has(this.tok.value.toLowerCase()) &&
      this.isPunct('(', this.peek())
    ) {
      const c = this.next();
      const clause = c.value.toLowerCase();
      const open = this.next();
      const dup = (present: unknown): void => {
        if (present !== undefined)
          this.err(
            'PQL105',
            `This step already has a ${clause.toUpperCase()}(…): each clause appears at most once`,
            c.span,
          );
      };
      switch (clause) {
        case 'what': {
          dup(what);
          const e = this.withNoIn(false, () => this.parseExpr());
          what = e;
          break;
        }
        case 'where': {
          dup(where);
          where = this.withNoIn(false, () => this.parseExpr());
          break;
        }
        case 'when': {
          dup(when);
          when = this.withNoIn(false, () => this.parseTimeSpec(c));
          break;
        }
        case 'count': {
          dup(count);
          const n = this.tok;
          if (n.kind === 'integer') {
            this.next();
            const lit = this.numberLiteral(n, false, n.span.start);
            count = lit.kind === 'Integer' ? lit.value : 0;
          } else {
            this.errHere(
              'PQL105',
              `COUNT needs a whole number, as in COUNT(3), but found ${this.describe(n)}`,
            );
            count = 0;
          }
          break;
        }
      }
      this.closeBracket(')', open, `${clause.toUpperCase()}(…)`);
    }
    if (what === undefined) {
      this.err(
        'PQL105',
        `The chain step ${label.text} needs a WHAT(…) clause saying which events it matches`,
        label.span,
      );
    }
    return {
      label: label.kind === 'identifier' ? label.value : label.text,
      what: what ?? this.errorNode(label.span.end, label.span.end),
      ...(when ? { when } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(where ? { where } : {}),
      span: sp(label.span.start, this.endOfPrev()),
    };
  }
}

/** Level-9 forms: they extend as far right as possible, so no postfix follows them. */
export function isLevel9(e: Expr): boolean {
  return (
    e.kind === 'Let' ||
    e.kind === 'Quantifier' ||
    e.kind === 'Select' ||
    e.kind === 'Comprehension' ||
    e.kind === 'Lambda'
  );
}
