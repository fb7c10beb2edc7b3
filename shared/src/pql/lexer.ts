/**
 * The PQL lexer (pql.md §1). Never throws: every problem becomes a diagnostic
 * (PQL0xx) and lexing goes on, so the editor can highlight any text.
 */
import type { Span } from './ast.js';
import { error, type Diagnostic } from './diagnostics.js';
import { keywordOf, PUNCTUATION, type Token, type TokenKind } from './tokens.js';

export interface LexResult {
  readonly tokens: Token[];
  readonly diagnostics: Diagnostic[];
}

const PUNCT2: ReadonlySet<string> = new Set(PUNCTUATION.filter((p) => p.length === 2));
const PUNCT1: ReadonlySet<string> = new Set(PUNCTUATION.filter((p) => p.length === 1));

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
};

const TYPOGRAPHIC_QUOTES: Record<string, string> = {
  '\u201c': '\u201d', // “ ”
  '\u201e': '\u201d', // „ ”
  '\u2018': '\u2019', // ‘ ’
  '\u00ab': '\u00bb', // « »
};

const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{Nd}_]/u;

// ASCII first: the Unicode property test is only needed for the rare non-ASCII letter
function isIdentStart(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
  return IDENT_START.test(ch);
}
function isIdentPart(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
  return IDENT_PART.test(ch);
}
function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  if (cp < 32 || cp === 127) return `the control character U+${hex}`;
  return `'${ch}'`;
}

export function tokenize(text: string): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  const n = text.length;
  let i = 0;

  // Forward searches with a cache, so that many unclosed quotes on one line stay linear.
  const nextCache = new Map<string, number>();
  const nextIndex = (ch: string, from: number): number => {
    const cached = nextCache.get(ch);
    if (cached !== undefined && (cached === -1 || cached >= from)) return cached;
    const found = text.indexOf(ch, from);
    nextCache.set(ch, found);
    return found;
  };
  /** The offset of the end of the line holding `from` (a newline or the end of the text). */
  const lineEnd = (from: number): number => {
    const a = nextIndex('\n', from);
    const b = nextIndex('\r', from);
    return Math.min(a < 0 ? n : a, b < 0 ? n : b);
  };
  /** The offset of `close` after `from` on the same line, or -1. */
  const closeOnLine = (close: string, from: number): number => {
    const at = nextIndex(close, from);
    return at >= 0 && at < lineEnd(from) ? at : -1;
  };

  const push = (kind: TokenKind, start: number, end: number, value: string): void => {
    tokens.push({ kind, value, text: text.slice(start, end), span: { start, end } });
  };
  const report = (code: Parameters<typeof error>[0], message: string, span: Span): void => {
    diagnostics.push(error(code, message, span));
  };

  /** Reads a quoted string starting at `start` (the opening quote), closed by `close`. */
  const readString = (start: number, open: string, close: string, typographic: boolean): void => {
    let j = start + open.length;
    let value = '';
    let terminated = false;
    while (j < n) {
      const ch = text[j]!;
      if (ch === close) {
        j += close.length;
        terminated = true;
        break;
      }
      if (ch === '\n' || ch === '\r') break;
      if (ch === '\\' && !typographic) {
        const e = text[j + 1];
        if (e === undefined || e === '\n' || e === '\r') {
          j++;
          break;
        }
        if (e === 'u') {
          const hex = text.slice(j + 2, j + 6);
          if (/^[0-9a-fA-F]{4}$/.test(hex)) {
            value += String.fromCharCode(parseInt(hex, 16));
            j += 6;
            continue;
          }
          report('PQL003', 'A \\u escape needs exactly four hexadecimal digits, as in \\u00e9', {
            start: j,
            end: Math.min(n, j + 2 + hex.replace(/[^0-9a-fA-F].*$/, '').length),
          });
          value += 'u';
          j += 2;
          continue;
        }
        const mapped = e === "'" && open === "'" ? "'" : ESCAPES[e];
        if (mapped !== undefined) {
          value += mapped;
          j += 2;
          continue;
        }
        const cp = text.codePointAt(j + 1)!;
        const len = cp > 0xffff ? 2 : 1;
        report(
          'PQL003',
          `'\\${text.slice(j + 1, j + 1 + len)}' is not a valid escape in text: write '\\\\' for a backslash (allowed escapes: \\" \\\\ \\/ \\n \\r \\t \\b \\f \\uXXXX)`,
          { start: j, end: j + 1 + len },
        );
        value += text.slice(j + 1, j + 1 + len);
        j += 1 + len;
        continue;
      }
      value += ch;
      j++;
    }
    if (!terminated && !typographic) {
      report(
        'PQL002',
        `This text is not closed: add the closing ${open === '"' ? 'double quote (")' : "quote (')"}`,
        {
          start,
          end: start + 1,
        },
      );
    }
    push('string', start, j, value);
    i = j;
  };

  while (i < n) {
    const ch = text[i]!;
    const code = ch.charCodeAt(0);
    // whitespace
    if (
      ch === ' ' ||
      ch === '\t' ||
      ch === '\n' ||
      ch === '\r' ||
      ch === '\f' ||
      ch === '\v' ||
      code === 0xa0 ||
      code === 0xfeff
    ) {
      i++;
      continue;
    }
    const start = i;
    // comments (not PQL, pql.md §1.1)
    const two = text.slice(i, i + 2);
    if (two === '//' || two === '--') {
      let j = i;
      while (j < n && text[j] !== '\n' && text[j] !== '\r') j++;
      report('PQL005', `Comments are not part of PQL: remove '${two} …'`, { start, end: j });
      push('comment', start, j, text.slice(start, j));
      i = j;
      continue;
    }
    if (two === '/*') {
      const close = text.indexOf('*/', i + 2);
      const j = close < 0 ? n : close + 2;
      report('PQL005', "Comments are not part of PQL: remove '/* … */'", { start, end: j });
      push('comment', start, j, text.slice(start, j));
      i = j;
      continue;
    }
    // strings
    if (ch === '"' || ch === "'") {
      readString(start, ch, ch, false);
      continue;
    }
    const typoClose = TYPOGRAPHIC_QUOTES[ch];
    if (typoClose !== undefined || ch === '\u201d' || ch === '\u2019') {
      report(
        'PQL001',
        `The curly quote ${ch} cannot start or end text: use straight double quotes ("), as in "gold"`,
        { start, end: start + 1 },
      );
      // Read the quoted text up to its curly closing quote (on the same line) so
      // that the rest of the expression parses as intended.
      if (typoClose !== undefined) {
        const close = closeOnLine(typoClose, i + 1);
        if (close >= 0) {
          report(
            'PQL001',
            `The curly quote ${typoClose} cannot start or end text: use straight double quotes (")`,
            { start: close, end: close + 1 },
          );
          push('string', start, close + 1, text.slice(start + 1, close));
          i = close + 1;
          continue;
        }
      }
      push('unknown', start, start + 1, ch);
      i++;
      continue;
    }
    // numbers
    if (isDigit(ch) || (ch === '.' && isDigit(text[i + 1]) && !isOperandEnd(tokens))) {
      let j = i;
      let decimal = false;
      let bad: string | undefined;
      if (ch === '.') {
        bad = 'A decimal needs a digit before the point: write 0';
      }
      while (isDigit(text[j])) j++;
      if (text[j] === '.' && isDigit(text[j + 1])) {
        decimal = true;
        j++;
        while (isDigit(text[j])) j++;
      } else if (
        text[j] === '.' &&
        !(text[j + 1] !== undefined && (isIdentStart(text[j + 1]!) || text[j + 1] === '`'))
      ) {
        // `5.` (a method call such as `5.abs()` is left to the parser)
        j++;
        decimal = true;
        bad = `A decimal needs a digit after the point: write ${text.slice(i, j)}0`;
      }
      if (
        (text[j] === 'e' || text[j] === 'E') &&
        (isDigit(text[j + 1]) ||
          ((text[j + 1] === '+' || text[j + 1] === '-') && isDigit(text[j + 2])))
      ) {
        decimal = true;
        j += 2;
        while (isDigit(text[j])) j++;
      }
      const literal = text.slice(i, j);
      if (bad !== undefined) {
        report('PQL004', ch === '.' ? `${bad}${literal}` : bad, { start, end: j });
      }
      if (j < n && isIdentPart(text[j]!)) {
        // `3days`, `12ab`: the number runs into a word
        let k = j;
        while (k < n && isIdentPart(text[k]!)) k++;
        report(
          'PQL004',
          `'${text.slice(i, k)}' is not a number: put a space between a number and a word`,
          {
            start,
            end: k,
          },
        );
      }
      push(decimal ? 'decimal' : 'integer', start, j, literal);
      i = j;
      continue;
    }
    // $n
    if (ch === '$') {
      let j = i + 1;
      while (isDigit(text[j])) j++;
      if (j === i + 1) {
        report('PQL001', "A '$' must be followed by a parameter number, as in $1", {
          start,
          end: start + 1,
        });
        push('unknown', start, start + 1, ch);
        i++;
        continue;
      }
      push('param', start, j, text.slice(i + 1, j));
      i = j;
      continue;
    }
    // identifiers and keywords
    const cp = text.codePointAt(i)!;
    const chFull = String.fromCodePoint(cp);
    if (isIdentStart(chFull)) {
      let j = i + chFull.length;
      while (j < n) {
        const code = text.charCodeAt(j);
        if (code < 128) {
          if (!isIdentPart(text[j]!)) break;
          j++;
          continue;
        }
        const c = String.fromCodePoint(text.codePointAt(j)!);
        if (!isIdentPart(c)) break;
        j += c.length;
      }
      const word = text.slice(i, j);
      const kw = keywordOf(word);
      push(kw !== undefined ? 'keyword' : 'identifier', start, j, kw ?? word);
      i = j;
      continue;
    }
    // backtick-quoted names [EXT]
    if (ch === '`') {
      const close = closeOnLine('`', i + 1);
      if (close > i + 1) {
        push('identifier', start, close + 1, text.slice(i + 1, close));
        i = close + 1;
        continue;
      }
      report('PQL002', 'This quoted name is not closed: add the closing backtick (`)', {
        start,
        end: start + 1,
      });
      push('unknown', start, start + 1, ch);
      i++;
      continue;
    }
    // punctuation
    if (PUNCT2.has(two)) {
      push('punct', start, i + 2, two);
      i += 2;
      continue;
    }
    if (PUNCT1.has(ch)) {
      push('punct', start, i + 1, ch);
      i++;
      continue;
    }
    // anything else
    const hint =
      ch === '&'
        ? ": write 'and'"
        : ch === '|'
          ? ": write 'or'"
          : ch === ';'
            ? ': PQL has no statement separator'
            : '';
    report('PQL001', `The character ${describeChar(chFull)} is not part of PQL${hint}`, {
      start,
      end: start + chFull.length,
    });
    push('unknown', start, start + chFull.length, chFull);
    i += chFull.length;
  }
  tokens.push({ kind: 'eof', value: '', text: '', span: { start: n, end: n } });
  return { tokens, diagnostics };
}

/** True when the previous token ends an operand (so a following `.` is member access). */
function isOperandEnd(tokens: readonly Token[]): boolean {
  const last = tokens[tokens.length - 1];
  if (!last) return false;
  if (last.kind === 'identifier' || last.kind === 'string' || last.kind === 'param') return true;
  if (last.kind === 'integer' || last.kind === 'decimal') return true;
  if (last.kind === 'keyword') return true;
  return last.kind === 'punct' && (last.value === ')' || last.value === ']' || last.value === '}');
}
