/**
 * The canonical PQL printer. Keywords in lower case (chain clause words in
 * upper case), double-quoted strings with minimal escapes, single spaces
 * around binary operators, decimals as written, and the fewest parentheses the
 * precedence table (pql.md §2.2) needs, except that:
 * - level-9 forms (let, exists/forall, select, `sum … over`, lambdas) are
 *   parenthesised whenever they are operands;
 * - the operand of `not`/`!` is parenthesised unless it is a primary or a
 *   postfix chain (`not (a = b)`, `not x.isNull()`), for readability.
 *
 * Contract: for every valid x, parse(format(parse(x).root)).root equals
 * parse(x).root, spans aside.
 */
import type { Expr, TimeRef, TimeSpec } from './ast.js';
import { tokenize } from './lexer.js';
import { isIdentifierText, keywordOf, pluralUnit } from './tokens.js';

export interface FormatOptions {
  /**
   * When the one-line text of a top-level chain of `and`/`or` is longer than
   * this, each operand goes on its own line (default 100; 0 = never break).
   */
  readonly lineWidth?: number;
  /** Indentation of continuation lines (default two spaces). */
  readonly indent?: string;
}

export function format(root: Expr, options: FormatOptions = {}): string {
  const width = options.lineWidth ?? 100;
  const indent = options.indent ?? '  ';
  const oneLine = fmt(root, 9);
  if (
    width > 0 &&
    oneLine.length > width &&
    root.kind === 'Binary' &&
    (root.op === 'and' || root.op === 'or')
  ) {
    const op = root.op;
    const own = level(root);
    const operands: Expr[] = [];
    let node: Expr = root;
    while (node.kind === 'Binary' && node.op === op) {
      operands.unshift(node.right);
      node = node.left;
    }
    const first = fmt(node, own);
    return [first, ...operands.map((o) => `${indent}${op} ${fmt(o, own - 1)}`)].join('\n');
  }
  return oneLine;
}

/** Precedence level of a node (pql.md §2.2): 1 binds tightest, 9 loosest. */
export function level(e: Expr): number {
  switch (e.kind) {
    case 'Binary':
      switch (e.op) {
        case 'or':
          return 8;
        case 'and':
          return 7;
        case '+':
        case '-':
          return 4;
        case '*':
        case '/':
        case '%':
          return 3;
        default:
          return 5;
      }
    case 'Occurs':
      return 5;
    case 'Not':
      return 6;
    case 'Negate':
      return 2;
    case 'Integer':
      return e.value < 0 || Object.is(e.value, -0) ? 2 : 1;
    case 'Decimal':
      return e.text.startsWith('-') ? 2 : 1;
    case 'Let':
    case 'Quantifier':
    case 'Select':
    case 'Comprehension':
    case 'Lambda':
      return 9;
    default:
      return 1;
  }
}

function fmt(e: Expr, maxLevel: number): string {
  const text = raw(e);
  return level(e) > maxLevel ? `(${text})` : text;
}

/** A root name: an identifier that is not a keyword, else the backtick form [EXT]. */
function rootName(name: string): string {
  return isIdentifierText(name) && keywordOf(name) === undefined ? name : `\`${name}\``;
}
/** A name after `.` (keywords allowed, rule R10). */
function memberName(name: string): string {
  return isIdentifierText(name) ? name : `\`${name}\``;
}

function args(list: readonly Expr[]): string {
  return `(${list.map((a) => fmt(a, 9)).join(', ')})`;
}

function raw(e: Expr): string {
  switch (e.kind) {
    case 'String':
      return JSON.stringify(e.value);
    case 'Integer':
      return Object.is(e.value, -0) ? '-0' : String(e.value);
    case 'Decimal':
      return e.text;
    case 'Boolean':
      return e.value ? 'true' : 'false';
    case 'Null':
      return 'null';
    case 'List':
      return `[${e.items.map((i) => fmt(i, 9)).join(', ')}]`;
    case 'Object':
      return `{${e.entries.map((en) => `${JSON.stringify(en.key)}: ${fmt(en.value, 9)}`).join(', ')}}`;
    case 'Name':
      return rootName(e.name);
    case 'Param':
      return `$${e.position}`;
    case 'This':
      return 'this';
    case 'XEvent':
      return 'xEvent';
    case 'UpRef':
      return `${'^'.repeat(e.levels)}.${memberName(e.name)}`;
    case 'TimeWord':
      return e.word;
    case 'Member':
      return `${fmt(e.object, 1)}.${memberName(e.name)}`;
    case 'Method':
      return `${fmt(e.receiver, 1)}.${memberName(e.name)}${args(e.args)}`;
    case 'Call':
      return `${rootName(e.name)}${args(e.args)}`;
    case 'Filter':
      return `${fmt(e.object, 1)}[${fmt(e.condition, 9)}]`;
    case 'Binary': {
      const own = level(e);
      if (own === 5) return `${fmt(e.left, 4)} ${e.op} ${fmt(e.right, 4)}`;
      return `${fmt(e.left, own)} ${e.op} ${fmt(e.right, own - 1)}`;
    }
    case 'Not': {
      const inner = fmt(e.operand, 2);
      if (e.bang) return `!${inner}`;
      return `not ${inner}`;
    }
    case 'Negate': {
      const operand = e.operand;
      // `-(5)` keeps a negated literal apart from the literal -5; `-(-x)` avoids `--` (a comment)
      const inner =
        (operand.kind === 'Integer' || operand.kind === 'Decimal') && level(operand) === 1
          ? `(${raw(operand)})`
          : fmt(operand, 2);
      return inner.startsWith('-') ? `-(${inner})` : `-${inner}`;
    }
    case 'If':
      return `if(${fmt(e.condition, 9)}, ${fmt(e.then, 9)}, ${fmt(e.otherwise, 9)})`;
    case 'Occurs':
      return `${fmt(e.subject, 4)} occurs ${formatTimeSpec(e.spec)}`;
    case 'Chain': {
      const steps = e.steps.map((s) => {
        let out = `${memberName(s.label)}: WHAT(${fmt(s.what, 9)})`;
        if (s.when) out += ` WHEN(${formatTimeSpec(s.when)})`;
        if (s.count !== undefined) out += ` COUNT(${s.count})`;
        if (s.where) out += ` WHERE(${fmt(s.where, 9)})`;
        return out;
      });
      return `chain(${fmt(e.events, 9)}, ${e.timestampPath.map(memberName).join('.')}, [${steps.join(', ')}])`;
    }
    case 'Let': {
      const bindings = e.bindings.map((b) => {
        const value = fmt(b.value, 9);
        // rule R3: a top-level `in` inside the value would end the binding
        return `${rootName(b.name)} = ${hasTopLevelIn(value) ? `(${value})` : value}`;
      });
      return `let ${bindings.join(', ')} in ${fmt(e.body, 9)}`;
    }
    case 'Quantifier':
      return `${e.quantifier} ${e.ranges
        .map(
          (r) =>
            `${rootName(r.variable)} from ${fmt(r.source, 8)}` +
            (r.where ? ` where ${fmt(r.where, 8)}` : '') +
            (r.assertion ? ` : ${fmt(r.assertion, 8)}` : ''),
        )
        .join(', ')}`;
    case 'Select':
      return `select ${rootName(e.variable)} from ${fmt(e.source, 8)}${e.where ? ` where ${fmt(e.where, 9)}` : ''}`;
    case 'Comprehension':
      return (
        `${e.aggregate} ${fmt(e.value, 4)} over ${rootName(e.variable)} from ${fmt(e.source, 8)}` +
        (e.where ? ` where ${fmt(e.where, 9)}` : '')
      );
    case 'Lambda':
      return `(${e.params.map((p) => rootName(p.name)).join(', ')}) => ${fmt(e.body, 9)}`;
    case 'Error':
      return '<error>';
  }
}

/** The right-hand side of `occurs` (and the inside of `WHEN(…)`). */
export function formatTimeSpec(spec: TimeSpec): string {
  switch (spec.form) {
    case 'relative':
      return `${spec.op} ${spec.amount} ${spec.amount === 1 ? spec.unit : pluralUnit(spec.unit)} ${spec.direction} ${timeRef(spec.ref)}`;
    case 'direction':
      return `${spec.direction} ${timeRef(spec.ref)}`;
    case 'between':
      return `between ${timeRef(spec.from)} and ${timeRef(spec.to)}`;
    case 'on':
      return spec.explicitOn ? `on ${timeRef(spec.ref)}` : timeRef(spec.ref);
  }
}

function timeRef(ref: TimeRef): string {
  if (ref.kind === 'Period') return `${ref.which} ${ref.unit}`;
  return fmt(ref, 4);
}

function hasTopLevelIn(text: string): boolean {
  const { tokens } = tokenize(text);
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct') {
      if (t.value === '(' || t.value === '[' || t.value === '{') depth++;
      else if (t.value === ')' || t.value === ']' || t.value === '}') depth--;
    } else if (depth === 0 && t.kind === 'keyword' && t.value === 'in') {
      const prev = tokens[i - 1];
      if (!(prev && prev.kind === 'punct' && (prev.value === '.' || prev.value === '^')))
        return true;
    }
  }
  return false;
}
