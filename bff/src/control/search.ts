/**
 * Segment search (segmentation-api.md §8) over the FTS5 index `segment_search` that
 * control/definitions.ts keeps in the same transaction as the definitions.
 *
 * The `s` syntax (Lucene-like, as Azure Search's "full" syntax):
 *   term                 a word (case- and accent-insensitive); `foo-bar` is the phrase "foo bar"
 *   "a phrase"           consecutive words; `"a b"~N` = within N words of each other (FTS5 NEAR)
 *   te*  t?rm  *erm      wildcards: `*` any characters, `?` one, inside a word
 *   field:term           one of segmentName, segmentDescription, segmentId, folderId, parentFolderId,
 *                        folderLocation (case-insensitive); `field:(a OR b)` applies to a group
 *   a AND b, a && b      both;  a OR b, a || b, a b  either (juxtaposition is OR, Lucene's default)
 *   NOT a, !a, -a        negation (`a NOT b`, `a -b` = a and not b); `+a` = a
 *   ( … )                grouping; `\` escapes a special character
 * Not supported (400 with a clear message): fuzzy `term~N`, regular expressions `/…/`.
 *
 * Safety: user text never reaches MATCH unquoted. Every word is reduced to letters and digits
 * and written as an FTS5 string ("…"); wildcards other than a trailing `*` are expanded against
 * the index vocabulary (fts5vocab, GLOB) into an OR of quoted words. NOT, which FTS5 only has
 * in binary form, is compiled into SQL around per-leaf MATCH subqueries when needed.
 */
import { SEARCH_FIELDS } from '@seg/shared';
import type { ControlDb } from './db.js';
import type { Scope } from './definitions.js';

export type SearchField = (typeof SEARCH_FIELDS)[number];

export class SearchSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

export type SearchNode =
  | { kind: 'term'; field?: SearchField; text: string }
  | { kind: 'phrase'; field?: SearchField; text: string; slop?: number }
  | { kind: 'and'; items: SearchNode[] }
  | { kind: 'or'; items: SearchNode[] }
  | { kind: 'not'; item: SearchNode };

// ---------------------------------------------------------------- lexer

type Tok =
  | { t: 'word'; v: string; pos: number }
  | { t: 'phrase'; v: string; pos: number }
  | { t: '(' | ')' | ':' | 'AND' | 'OR' | 'NOT' | '+' | '-' | 'eof'; pos: number }
  | { t: '~'; n: number | undefined; pos: number }
  | { t: 'regex'; pos: number };

const SPECIAL = new Set(['(', ')', ':', '"', '~', '\\', '/']);
const MAX_QUERY_LEAVES = 64;
const MAX_DEPTH = 32;
const MAX_EXPANSION = 500;

function lex(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = i;
    if (c === '(' || c === ')' || c === ':') {
      toks.push({ t: c, pos });
      i++;
    } else if (c === '&' && s[i + 1] === '&') {
      toks.push({ t: 'AND', pos });
      i += 2;
    } else if (c === '|' && s[i + 1] === '|') {
      toks.push({ t: 'OR', pos });
      i += 2;
    } else if (c === '!') {
      toks.push({ t: 'NOT', pos });
      i++;
    } else if ((c === '+' || c === '-') && (toks.length === 0 || /[\s(]/.test(s[i - 1] ?? ' '))) {
      toks.push({ t: c, pos });
      i++;
    } else if (c === '/') {
      toks.push({ t: 'regex', pos });
      i++;
    } else if (c === '~') {
      i++;
      let digits = '';
      while (i < s.length && /[0-9]/.test(s[i]!)) digits += s[i++];
      toks.push({ t: '~', n: digits ? Number(digits) : undefined, pos });
    } else if (c === '"') {
      i++;
      let v = '';
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < s.length) {
          v += s[i + 1];
          i += 2;
        } else if (d === '"') {
          closed = true;
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      if (!closed) throw new SearchSyntaxError(`Unterminated phrase: the quote at position ${pos + 1} is never closed.`, pos);
      toks.push({ t: 'phrase', v, pos });
    } else {
      let v = '';
      while (i < s.length) {
        const d = s[i]!;
        if (/\s/.test(d)) break;
        if (d === '\\' && i + 1 < s.length) {
          v += s[i + 1];
          i += 2;
          continue;
        }
        if (SPECIAL.has(d)) break;
        if ((d === '&' && s[i + 1] === '&') || (d === '|' && s[i + 1] === '|')) break;
        v += d;
        i++;
      }
      if (v === 'AND' || v === 'OR' || v === 'NOT') toks.push({ t: v, pos });
      else toks.push({ t: 'word', v, pos });
    }
  }
  toks.push({ t: 'eof', pos: s.length });
  return toks;
}

// ---------------------------------------------------------------- parser

const FIELD_BY_LOWER = new Map<string, SearchField>(SEARCH_FIELDS.map((f) => [f.toLowerCase(), f]));

/** Parses the `s` parameter; throws SearchSyntaxError (a 400) on bad syntax. */
export function parseSearch(s: string): SearchNode {
  const toks = lex(s);
  let k = 0;
  let leaves = 0;
  const peek = () => toks[k]!;
  const next = () => toks[k++]!;
  const where = (tok: Tok) => (tok.t === 'eof' ? 'at the end' : `at position ${tok.pos + 1}`);

  const startsClause = (tok: Tok) => ['word', 'phrase', '(', 'NOT', '+', '-'].includes(tok.t);

  const parseOr = (depth: number, field: SearchField | undefined): SearchNode => {
    const items = [parseAnd(depth, field)];
    for (;;) {
      const tok = peek();
      if (tok.t === 'OR') {
        next();
        if (!startsClause(peek())) throw new SearchSyntaxError(`A search term is expected after OR ${where(peek())}.`, peek().pos);
        items.push(parseAnd(depth, field));
      } else if (startsClause(tok)) {
        items.push(parseAnd(depth, field));
      } else break;
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };

  const parseAnd = (depth: number, field: SearchField | undefined): SearchNode => {
    const items = [parseUnary(depth, field)];
    for (;;) {
      const tok = peek();
      if (tok.t === 'AND') {
        next();
        if (!startsClause(peek())) throw new SearchSyntaxError(`A search term is expected after AND ${where(peek())}.`, peek().pos);
        items.push(parseUnary(depth, field));
      } else if (tok.t === 'NOT' || tok.t === '-') {
        // `a NOT b`, `a -b`: a and not b
        items.push(parseUnary(depth, field));
      } else break;
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };

  const parseUnary = (depth: number, field: SearchField | undefined): SearchNode => {
    if (depth > MAX_DEPTH) throw new SearchSyntaxError('The search expression is nested too deeply.', peek().pos);
    const tok = peek();
    if (tok.t === 'NOT' || tok.t === '-') {
      next();
      if (!startsClause(peek())) throw new SearchSyntaxError(`A search term is expected after NOT ${where(peek())}.`, peek().pos);
      return { kind: 'not', item: parseUnary(depth + 1, field) };
    }
    if (tok.t === '+') {
      next();
      return parseUnary(depth + 1, field);
    }
    return parsePrimary(depth, field);
  };

  const leaf = (pos: number) => {
    if (++leaves > MAX_QUERY_LEAVES) throw new SearchSyntaxError(`The search has more than ${MAX_QUERY_LEAVES} terms.`, pos);
  };

  const parsePrimary = (depth: number, field: SearchField | undefined): SearchNode => {
    const tok = next();
    switch (tok.t) {
      case '(': {
        const inner = parseOr(depth + 1, field);
        const close = next();
        if (close.t !== ')') throw new SearchSyntaxError(`A closing parenthesis is expected ${where(close)} (opened at position ${tok.pos + 1}).`, close.pos);
        return inner;
      }
      case 'phrase': {
        leaf(tok.pos);
        let slop: number | undefined;
        if (peek().t === '~') {
          const t = next() as { n: number | undefined; pos: number };
          if (t.n === undefined) throw new SearchSyntaxError(`A proximity needs a number of words, e.g. "a b"~3 (position ${t.pos + 1}).`, t.pos);
          if (t.n > 100) throw new SearchSyntaxError('A proximity may be at most 100 words.', t.pos);
          slop = t.n;
        }
        return { kind: 'phrase', text: tok.v, ...(field ? { field } : {}), ...(slop !== undefined ? { slop } : {}) };
      }
      case 'word': {
        if (peek().t === ':') {
          next();
          if (field) throw new SearchSyntaxError(`A field inside a field (${field}:${tok.v}:…) at position ${tok.pos + 1}.`, tok.pos);
          const f = FIELD_BY_LOWER.get(tok.v.toLowerCase());
          if (!f)
            throw new SearchSyntaxError(
              `Unknown search field "${tok.v}" at position ${tok.pos + 1}; the fields are ${SEARCH_FIELDS.join(', ')}.`,
              tok.pos,
            );
          const after = peek();
          if (after.t !== 'word' && after.t !== 'phrase' && after.t !== '(')
            throw new SearchSyntaxError(`A term, phrase or group is expected after "${tok.v}:" ${where(after)}.`, after.pos);
          return parsePrimary(depth + 1, f);
        }
        leaf(tok.pos);
        if (peek().t === '~') {
          throw new SearchSyntaxError(`Fuzzy search (${tok.v}~) is not supported; use wildcards such as ${tok.v.slice(0, 3)}*.`, peek().pos);
        }
        return { kind: 'term', text: tok.v, ...(field ? { field } : {}) };
      }
      case 'regex':
        throw new SearchSyntaxError(`Regular expressions (/…/) are not supported; use wildcards * and ? (position ${tok.pos + 1}).`, tok.pos);
      case 'eof':
        throw new SearchSyntaxError('The search expression ends too early.', tok.pos);
      case '~':
        throw new SearchSyntaxError(`Unexpected "~" at position ${tok.pos + 1}.`, tok.pos);
      default:
        throw new SearchSyntaxError(`Unexpected "${tok.t}" at position ${tok.pos + 1}.`, tok.pos);
    }
  };

  if (peek().t === 'eof') throw new SearchSyntaxError('The search expression is empty.', 0);
  const root = parseOr(0, undefined);
  const rest = peek();
  if (rest.t !== 'eof') {
    const what = rest.t === ')' ? 'closing parenthesis without an opening one' : `"${rest.t}"`;
    throw new SearchSyntaxError(`Unexpected ${what} at position ${rest.pos + 1}.`, rest.pos);
  }
  return root;
}

// ---------------------------------------------------------------- compiler

type Compiled = { t: 'true' } | { t: 'false' } | { t: 'match'; q: string } | { t: 'sql'; sql: string; params: unknown[] };
const TRUE: Compiled = { t: 'true' };
const FALSE: Compiled = { t: 'false' };

/** Letters and digits (and wildcards when asked), lowercased and without accents, as the index tokenizes. */
function words(text: string, keepWildcards: boolean): string[] {
  const folded = text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
  const re = keepWildcards ? /[\p{L}\p{N}*?]+/gu : /[\p{L}\p{N}]+/gu;
  return folded.match(re) ?? [];
}

const quote = (w: string) => `"${w.replace(/"/g, '""')}"`;
const scoped = (field: SearchField | undefined, q: string) => (field ? `${field} : (${q})` : `(${q})`);

function toSql(c: Compiled): { sql: string; params: unknown[] } {
  switch (c.t) {
    case 'true':
      return { sql: '1', params: [] };
    case 'false':
      return { sql: '0', params: [] };
    case 'match':
      return { sql: 's.rowid IN (SELECT rowid FROM segment_search WHERE segment_search MATCH ?)', params: [c.q] };
    case 'sql':
      return c;
  }
}

class Compiler {
  constructor(private readonly db: ControlDb) {}

  private expand(pattern: string, field: SearchField | undefined): string[] {
    const rows = (
      field
        ? this.db.prepare('SELECT DISTINCT term FROM segment_search_vocab WHERE term GLOB ? AND col = ? LIMIT ?').all(pattern, field, MAX_EXPANSION + 1)
        : this.db
            .prepare(
              `SELECT DISTINCT term FROM segment_search_vocab WHERE term GLOB ? AND col IN (${SEARCH_FIELDS.map(() => '?').join(', ')}) LIMIT ?`,
            )
            .all(pattern, ...SEARCH_FIELDS, MAX_EXPANSION + 1)
    ) as { term: string }[];
    if (rows.length > MAX_EXPANSION)
      throw new SearchSyntaxError(`The wildcard "${pattern}" matches more than ${MAX_EXPANSION} words; make it more specific.`, 0);
    return rows.map((r) => r.term);
  }

  private word(w: string, field: SearchField | undefined): Compiled {
    if (!/[*?]/.test(w)) return { t: 'match', q: scoped(field, quote(w)) };
    if (/^[*?]*$/.test(w) && w.includes('*')) return TRUE; // `*`: anything
    const prefix = /^([^*?]+)\*$/.exec(w);
    if (prefix) return { t: 'match', q: scoped(field, `${quote(prefix[1]!)} *`) };
    const terms = this.expand(w, field);
    if (terms.length === 0) return FALSE;
    return { t: 'match', q: scoped(field, terms.map(quote).join(' OR ')) };
  }

  compile(n: SearchNode): Compiled {
    switch (n.kind) {
      case 'term': {
        const ws = words(n.text, true);
        if (ws.length === 0) return FALSE;
        if (ws.every((w) => !/[*?]/.test(w))) return { t: 'match', q: scoped(n.field, quote(ws.join(' '))) };
        return this.combineAnd(ws.map((w) => this.word(w, n.field)));
      }
      case 'phrase': {
        const ws = words(n.text, false);
        if (ws.length === 0) return FALSE;
        if (n.slop !== undefined && ws.length > 1) return { t: 'match', q: scoped(n.field, `NEAR(${ws.map(quote).join(' ')}, ${n.slop})`) };
        return { t: 'match', q: scoped(n.field, quote(ws.join(' '))) };
      }
      case 'not': {
        const inner = this.compile(n.item);
        if (inner.t === 'true') return FALSE;
        if (inner.t === 'false') return TRUE;
        const s = toSql(inner);
        return { t: 'sql', sql: `NOT (${s.sql})`, params: s.params };
      }
      case 'or': {
        const items = n.items.map((i) => this.compile(i)).filter((c) => c.t !== 'false');
        if (items.some((c) => c.t === 'true')) return TRUE;
        if (items.length === 0) return FALSE;
        if (items.length === 1) return items[0]!;
        if (items.every((c) => c.t === 'match')) return { t: 'match', q: items.map((c) => `(${(c as { q: string }).q})`).join(' OR ') };
        return this.sqlJoin(items, 'OR');
      }
      case 'and': {
        // NOT children as FTS5's binary NOT when there is a positive part
        const pos: Compiled[] = [];
        const neg: Compiled[] = [];
        for (const item of n.items) {
          if (item.kind === 'not') {
            const inner = this.compile(item.item);
            if (inner.t === 'true') return FALSE;
            if (inner.t === 'false') continue;
            neg.push(inner);
          } else pos.push(this.compile(item));
        }
        if (pos.some((c) => c.t === 'false')) return FALSE;
        const positives = pos.filter((c) => c.t !== 'true');
        if (positives.length > 0 && [...positives, ...neg].every((c) => c.t === 'match')) {
          const p = positives.map((c) => `(${(c as { q: string }).q})`).join(' AND ');
          if (neg.length === 0) return { t: 'match', q: p };
          return { t: 'match', q: `(${p}) NOT (${neg.map((c) => `(${(c as { q: string }).q})`).join(' OR ')})` };
        }
        const all: Compiled[] = [...positives, ...neg.map((c): Compiled => {
          const s = toSql(c);
          return { t: 'sql', sql: `NOT (${s.sql})`, params: s.params };
        })];
        if (all.length === 0) return TRUE;
        if (all.length === 1) return all[0]!;
        return this.sqlJoin(all, 'AND');
      }
    }
  }

  private combineAnd(items: Compiled[]): Compiled {
    if (items.some((c) => c.t === 'false')) return FALSE;
    const rest = items.filter((c) => c.t !== 'true');
    if (rest.length === 0) return TRUE;
    if (rest.length === 1) return rest[0]!;
    if (rest.every((c) => c.t === 'match')) return { t: 'match', q: rest.map((c) => `(${(c as { q: string }).q})`).join(' AND ') };
    return this.sqlJoin(rest, 'AND');
  }

  private sqlJoin(items: Compiled[], op: 'AND' | 'OR'): Compiled {
    const parts = items.map(toSql);
    return { t: 'sql', sql: parts.map((p) => `(${p.sql})`).join(` ${op} `), params: parts.flatMap((p) => p.params) };
  }
}

/** Compiles a parsed search into an SQL condition over `segment_search s` (exported for tests). */
export function compileSearch(db: ControlDb, node: SearchNode): { sql: string; params: unknown[]; match?: string } {
  const c = new Compiler(db).compile(node);
  const s = toSql(c);
  return { ...s, ...(c.t === 'match' ? { match: c.q } : {}) };
}

/** The ids of the sandbox's definitions matching `s` (every definition when `s` is absent). */
export function searchDefinitionIds(db: ControlDb, scope: Scope, s: string | undefined): string[] {
  let cond = { sql: '1', params: [] as unknown[] };
  if (s !== undefined && s.trim() !== '') cond = compileSearch(db, parseSearch(s));
  try {
    return (
      db
        .prepare(`SELECT s.definition_id AS id FROM segment_search s WHERE s.org_id = ? AND s.sandbox_id = ? AND (${cond.sql})`)
        .all(scope.orgId, scope.sandboxId, ...cond.params) as { id: string }[]
    ).map((r) => r.id);
  } catch (err) {
    if (err instanceof Error && /fts5/i.test(err.message)) throw new SearchSyntaxError('The search expression could not be run.', 0);
    throw err;
  }
}
