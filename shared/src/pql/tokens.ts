/**
 * PQL tokens (pql.md §1). The lexer (lexer.ts) produces them; the parser and
 * the editor's highlighter read them. Every token carries the half-open span
 * [start, end) of its source text.
 */
import type { Span } from './ast.js';

export type TokenKind =
  /** A name: `loyalty`, `_acme`, `count`, a contextual word (`days`, `WHAT`), or `` `odd name` `` */
  | 'identifier'
  /** A reserved word (pql.md §1.4); `value` is its canonical spelling. */
  | 'keyword'
  /** `"…"` or `'…'`; `value` is the decoded text. */
  | 'string'
  /** `42`; `value` is the digits as written. */
  | 'integer'
  /** `3.5`, `1e3`; `value` is the literal as written. */
  | 'decimal'
  /** `$1`; `value` is the digits. */
  | 'param'
  /** Punctuation and operators; `value` is the symbol. */
  | 'punct'
  /** `// …`, `/* … *\/`, `-- …`: not PQL (reported as PQL005), kept for highlighting. */
  | 'comment'
  /** A character that is not part of PQL (reported as PQL001). */
  | 'unknown'
  /** End of input (always the last token, with an empty span at the end). */
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** See TokenKind. */
  readonly value: string;
  /** The source text of the token. */
  readonly text: string;
  readonly span: Span;
}

/** Reserved keywords (pql.md §1.4), keyed by lower case, valued by canonical spelling. */
export const KEYWORDS: ReadonlyMap<string, string> = new Map(
  [
    'and',
    'or',
    'not',
    'in',
    'notIn',
    'like',
    'occurs',
    'between',
    'before',
    'after',
    'from',
    'on',
    'this',
    'last',
    'next',
    'now',
    'today',
    'yesterday',
    'tomorrow',
    'select',
    'where',
    'exists',
    'forall',
    'let',
    'over',
    'if',
    'true',
    'false',
    'null',
    'xEvent',
    'chain',
  ].map((k) => [k.toLowerCase(), k]),
);

/** The canonical keyword for a word, or undefined when the word is not reserved. */
export function keywordOf(word: string): string | undefined {
  return KEYWORDS.get(word.toLowerCase());
}

/** Punctuation, longest first (maximal munch, pql.md §1.6). */
export const PUNCTUATION = [
  '=>',
  '!=',
  '<=',
  '>=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
  '^',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
] as const;
export type Punct = (typeof PUNCTUATION)[number];

/**
 * Keywords that can start an operand (a value or a condition), as the parser
 * reads them; the editor offers them where an operand may start.
 */
export const OPERAND_KEYWORDS = [
  'not',
  'this',
  'xEvent',
  'true',
  'false',
  'null',
  'now',
  'today',
  'yesterday',
  'tomorrow',
  'if',
  'chain',
  'let',
  'exists',
  'forall',
  'select',
] as const;

/** Time unit words (contextual, pql.md §1.4), singular and plural, to the AST unit. */
export const TIME_UNIT_WORDS: ReadonlyMap<string, import('./ast.js').TimeUnit> = new Map([
  ['millisecond', 'millisecond'],
  ['milliseconds', 'millisecond'],
  ['second', 'second'],
  ['seconds', 'second'],
  ['minute', 'minute'],
  ['minutes', 'minute'],
  ['hour', 'hour'],
  ['hours', 'hour'],
  ['day', 'day'],
  ['days', 'day'],
  ['week', 'week'],
  ['weeks', 'week'],
  ['month', 'month'],
  ['months', 'month'],
  ['year', 'year'],
  ['years', 'year'],
  ['decade', 'decade'],
  ['decades', 'decade'],
  ['century', 'century'],
  ['centuries', 'century'],
  ['millennium', 'millennium'],
  ['millennia', 'millennium'],
]);

/** The plural spelling of a unit (`day` → `days`). */
export function pluralUnit(unit: import('./ast.js').TimeUnit): string {
  if (unit === 'century') return 'centuries';
  if (unit === 'millennium') return 'millennia';
  return `${unit}s`;
}

/** True when the text is a plain identifier (pql.md §1.3). */
export function isIdentifierText(text: string): boolean {
  return /^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(text);
}
