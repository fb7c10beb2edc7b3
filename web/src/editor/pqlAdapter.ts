/**
 * The PQL language adapter: everything the editor knows about PQL, as pure functions over
 * text and offsets, with no Monaco import (so vitest covers it and the worker can share it).
 * monacoSetup.ts turns these results into Monaco providers.
 *
 * Every fact comes from `@seg/shared`: tokens from the lexer (so highlighting is the parser's
 * view), types from the checker, functions/methods/operators/forms from the CATALOGUE, keywords
 * from KEYWORDS, time units from TIME_UNITS, fields from the sandbox's DataSchema.
 */
import {
  CATALOGUE,
  KEYWORDS,
  OPERAND_KEYWORDS,
  PUNCTUATION,
  SourceText,
  TIME_UNITS,
  TIME_UNIT_WORDS,
  check,
  classify,
  format,
  listFields,
  lookupFunction,
  lookupMethod,
  parse,
  pluralUnit,
  tokenize,
  typeToString,
  type CatalogueEntry,
  type CatalogueTypePattern,
  type DataSchema,
  type Diagnostic,
  type Expr,
  type ParamSpec,
  type PqlType,
  type Signature,
  type Token,
} from '@seg/shared';
import type { LineColumnDiagnostic, OffsetDiagnostic } from './diagnosticsTypes.ts';

export type { LineColumnDiagnostic, OffsetDiagnostic };

// ------------------------------------------------------------------ highlighting

/** Monaco token classes (the standard theme's scopes). */
export type TokenClass =
  | 'keyword'
  | 'string'
  | 'number'
  | 'variable'
  | 'delimiter'
  | 'operator'
  | 'comment'
  | 'invalid'
  | 'identifier'
  | 'function'
  | 'type';

export interface LineToken {
  readonly startIndex: number;
  readonly scopes: TokenClass;
}

/** Line state: only a block comment can span lines (strings and `names` end at a newline). */
export interface LineState {
  readonly inComment: boolean;
}

/**
 * Punctuation shown as an operator: the catalogue's operators and their
 * aliases (`!` for `not`), and the syntax of lambdas (`=>`) and of the
 * parent scope (`^`); the rest is a delimiter.
 */
const OPERATOR_PUNCT = new Set<string>([
  ...CATALOGUE.filter((e) => e.kind === 'operator')
    .flatMap((e) => [e.name, ...(e.aliases ?? [])])
    .filter((name) => (PUNCTUATION as readonly string[]).includes(name)),
  '=>',
  '^',
]);

function classOf(tokens: readonly Token[], i: number): TokenClass {
  const t = tokens[i]!;
  switch (t.kind) {
    case 'keyword':
      return 'keyword';
    case 'string':
      return 'string';
    case 'integer':
    case 'decimal':
      return 'number';
    case 'param':
      return 'variable';
    case 'comment':
      return 'comment';
    case 'unknown':
      return 'invalid';
    case 'punct':
      return OPERATOR_PUNCT.has(t.value) ? 'operator' : 'delimiter';
    case 'identifier': {
      const next = tokens[i + 1];
      if (next && next.kind === 'punct' && next.value === '(') return 'function';
      const prev = tokens[i - 1];
      if (
        TIME_UNIT_WORDS.has(t.value) &&
        prev &&
        (prev.kind === 'integer' || prev.kind === 'decimal' || prev.kind === 'keyword')
      )
        return 'type';
      return 'identifier';
    }
    default:
      return 'identifier';
  }
}

/** Tokens of one line for Monaco's TokensProvider, from the shared lexer. */
export function tokenizeLine(
  line: string,
  state: LineState,
): { tokens: LineToken[]; endState: LineState } {
  const out: LineToken[] = [];
  let offset = 0;
  if (state.inComment) {
    const close = line.indexOf('*/');
    out.push({ startIndex: 0, scopes: 'comment' });
    if (close < 0) return { tokens: out, endState: { inComment: true } };
    offset = close + 2;
  }
  const rest = line.slice(offset);
  const { tokens } = tokenize(rest);
  let endsInComment = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'eof') break;
    out.push({ startIndex: offset + t.span.start, scopes: classOf(tokens, i) });
    if (
      t.kind === 'comment' &&
      t.text.startsWith('/*') &&
      !(t.text.length >= 4 && t.text.endsWith('*/'))
    )
      endsInComment = true;
  }
  return { tokens: out, endState: { inComment: endsInComment } };
}

// ------------------------------------------------------------------ signatures and docs

function paramText(p: ParamSpec): string {
  const name = p.variadic ? `${p.name}…` : p.name;
  return `${name}${p.optional ? '?' : ''}: ${p.type}`;
}

/** `startsWith(text: string, caseSensitive?: boolean) → boolean`, with the receiver for methods. */
export function signatureText(entry: CatalogueEntry, sig: Signature): string {
  if (entry.kind === 'form') return `${entry.name} → ${sig.result}`;
  if (entry.kind === 'operator') {
    if (sig.params.length === 2)
      return `${sig.params[0]!.type} ${entry.name} ${sig.params[1]!.type} → ${sig.result}`;
    return `${entry.name} ${sig.params.map((p) => p.type).join(', ')} → ${sig.result}`;
  }
  const params = sig.params.map(paramText).join(', ');
  const receiver = entry.kind === 'method' && sig.receiver ? `${sig.receiver}.` : '';
  return `${receiver}${entry.name}(${params}) → ${sig.result}`;
}

/** Markdown for hover and completion documentation: signatures, doc line, example. */
export function entryMarkdown(entry: CatalogueEntry): string {
  const sigs = entry.signatures.map((s) => signatureText(entry, s));
  return ['```pql\n' + sigs.join('\n') + '\n```', entry.doc, `Example: \`${entry.example}\``].join(
    '\n\n',
  );
}

/** A snippet inserting the call with a placeholder per required parameter. */
export function callSnippet(entry: CatalogueEntry): string {
  const sig = entry.signatures[0];
  if (!sig) return `${entry.name}()`;
  const required = sig.params.filter((p) => !p.optional);
  if (required.length === 0) return `${entry.name}()`;
  return `${entry.name}(${required.map((p, i) => `\${${i + 1}:${p.name}}`).join(', ')})`;
}

// ------------------------------------------------------------------ type matching

function isScalar(t: PqlType): boolean {
  return ['boolean', 'int', 'double', 'string', 'date', 'datetime'].includes(t.kind);
}

/** True when a value of type `t` can be the receiver of a signature with this pattern. */
export function receiverMatches(pattern: CatalogueTypePattern | undefined, t: PqlType): boolean {
  if (pattern === undefined) return false;
  if (t.kind === 'any' || t.kind === 'null') return true;
  switch (pattern) {
    case 'any':
    case 'T':
    case 'U':
    case 'V':
      return true;
    case 'string':
    case 'boolean':
    case 'int':
    case 'double':
    case 'date':
    case 'datetime':
      return t.kind === pattern;
    case 'number':
      return t.kind === 'int' || t.kind === 'double';
    case 'temporal':
      return t.kind === 'date' || t.kind === 'datetime';
    case 'ordered':
      return ['int', 'double', 'string', 'date', 'datetime'].includes(t.kind);
    case 'scalar':
      return isScalar(t);
    case 'list<T>':
    case 'list<any>':
    case 'list<U>':
      return t.kind === 'list';
    case 'list<string>':
      return t.kind === 'list' && (t.element.kind === 'string' || t.element.kind === 'any');
    case 'map<T>':
    case 'map<any>':
    case 'map<U>':
    case 'map<list<T>>':
      return t.kind === 'map' || t.kind === 'entry';
    case 'list<string>|map<any>':
      return t.kind === 'list' || t.kind === 'map';
    case 'object':
      return t.kind === 'object';
    default:
      return false;
  }
}

/** Catalogue methods applicable to a receiver type. */
export function methodsFor(t: PqlType): CatalogueEntry[] {
  return CATALOGUE.filter(
    (e) => e.kind === 'method' && e.signatures.some((s) => receiverMatches(s.receiver, t)),
  );
}

/** The fields reachable with `.name` on a value of this type (objects; lists of objects project). */
export function fieldsOf(t: PqlType): Record<string, PqlType> | undefined {
  if (t.kind === 'object') return t.fields;
  if (t.kind === 'list') return fieldsOf(t.element);
  return undefined;
}

// ------------------------------------------------------------------ AST helpers

/** Every node of a tree (the AST is plain data: any object with `kind` and `span` is a node). */
export function walk(root: unknown, visit: (node: Expr) => void): void {
  const seen = new Set<unknown>();
  const go = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) go(x);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.kind === 'string' && o.span && typeof o.span === 'object')
      visit(o as unknown as Expr);
    for (const [k, x] of Object.entries(o)) if (k !== 'span' && k !== 'nameSpan') go(x);
  };
  go(root);
}

const PLACEHOLDER = '__pqlComplete__';

/** The closing brackets that balance the open ones in a text (so a prefix parses). */
function closersFor(text: string): string {
  const stack: string[] = [];
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  for (const t of tokenize(text).tokens) {
    if (t.kind !== 'punct') continue;
    if (pairs[t.value]) stack.push(pairs[t.value]!);
    else if (t.value === ')' || t.value === ']' || t.value === '}') {
      const i = stack.lastIndexOf(t.value);
      if (i >= 0) stack.length = i;
    }
  }
  return stack.reverse().join('');
}

/**
 * The type of the expression that ends at `end` in `text` (the receiver of a `.` typed there),
 * found by parsing `text[0, end) + ".<placeholder>" + closers` and asking the checker.
 */
export function typeOfExpressionEndingAt(
  text: string,
  end: number,
  schema: DataSchema | undefined,
): PqlType | undefined {
  const probe = `${text.slice(0, end)}.${PLACEHOLDER}`;
  const src = probe + closersFor(probe);
  const parsed = parse(src);
  const checked = check(parsed.root, {
    ...(schema ? { schema } : {}),
    parseDiagnostics: parsed.diagnostics,
    expectCondition: false,
  });
  let found: Expr | undefined;
  walk(parsed.root, (n) => {
    if (
      (n.kind === 'Member' && n.name === PLACEHOLDER) ||
      (n.kind === 'Method' && n.name === PLACEHOLDER)
    ) {
      found = n.kind === 'Member' ? n.object : n.receiver;
    }
  });
  if (!found) return undefined;
  return checked.types.get(found);
}

// ------------------------------------------------------------------ completions

export type SuggestionKind =
  'field' | 'method' | 'function' | 'keyword' | 'unit' | 'operator' | 'snippet';

export interface Suggestion {
  readonly label: string;
  readonly kind: SuggestionKind;
  /** Short text beside the label: a type or a signature. */
  readonly detail?: string;
  /** Markdown. */
  readonly documentation?: string;
  readonly insertText: string;
  readonly isSnippet?: boolean;
  /** Lower sorts first. */
  readonly sortText?: string;
}

export interface CompletionResult {
  readonly items: Suggestion[];
  /** The offsets of the text the chosen item replaces (the word being typed). */
  readonly replace: { readonly start: number; readonly end: number };
}

function significantTokens(text: string): Token[] {
  return tokenize(text).tokens.filter((t) => t.kind !== 'eof' && t.kind !== 'comment');
}

function keywordEntry(word: string): CatalogueEntry | undefined {
  const lower = word.toLowerCase();
  return (
    CATALOGUE.find((e) => e.kind !== 'method' && e.name.toLowerCase() === lower) ??
    CATALOGUE.find(
      (e) => e.kind !== 'method' && (e.aliases ?? []).some((a) => a.toLowerCase() === lower),
    )
  );
}

function keywordSuggestion(word: string, sortText = '5'): Suggestion {
  const entry = keywordEntry(word);
  return {
    label: word,
    kind: 'keyword',
    insertText: word,
    sortText,
    ...(entry
      ? {
          detail: entry.signatures[0] ? signatureText(entry, entry.signatures[0]) : entry.name,
          documentation: entryMarkdown(entry),
        }
      : {}),
  };
}

function keyword(canonicalLower: string): string {
  return KEYWORDS.get(canonicalLower) ?? canonicalLower;
}

function fieldSuggestions(
  fields: Record<string, PqlType>,
  sortText: string,
  deep: boolean,
): Suggestion[] {
  const out: Suggestion[] = [];
  const obj = { kind: 'object' as const, fields };
  const infos = deep
    ? listFields(obj)
    : Object.keys(fields)
        .sort()
        .map((path) => ({ path, type: fields[path]! }));
  for (const f of infos) {
    out.push({
      label: f.path,
      kind: 'field',
      detail: typeToString(f.type),
      documentation: `Field \`${f.path}\`: ${typeToString(f.type)}`,
      insertText: f.path.split('.').map(quoteName).join('.'),
      sortText,
    });
  }
  return out;
}

/** A field name as PQL writes it (back-quoted when it is not a plain identifier or is reserved). */
export function quoteName(name: string): string {
  return /^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(name) && !KEYWORDS.has(name.toLowerCase())
    ? name
    : `\`${name.replace(/`/g, '``')}\``;
}

function methodSuggestions(t: PqlType): Suggestion[] {
  return methodsFor(t).map((e) => ({
    label: e.name,
    kind: 'method' as const,
    detail: signatureText(
      e,
      e.signatures.find((s) => receiverMatches(s.receiver, t)) ?? e.signatures[0]!,
    ),
    documentation: entryMarkdown(e),
    insertText: callSnippet(e),
    isSnippet: true,
    sortText: '2',
  }));
}

function functionSuggestions(): Suggestion[] {
  return CATALOGUE.filter((e) => e.kind === 'function').map((e) => ({
    label: e.name,
    kind: 'function' as const,
    detail: signatureText(e, e.signatures[0]!),
    documentation: entryMarkdown(e),
    insertText: callSnippet(e),
    isSnippet: true,
    sortText: '3',
  }));
}

const COMPARISON_OPS = ['=', '!=', '<', '<=', '>', '>='];
const TIME_REFS = ['now', 'today', 'yesterday', 'tomorrow'];

function isOperandEnd(t: Token): boolean {
  if (
    t.kind === 'identifier' ||
    t.kind === 'string' ||
    t.kind === 'integer' ||
    t.kind === 'decimal' ||
    t.kind === 'param'
  )
    return true;
  if (t.kind === 'punct') return t.value === ')' || t.value === ']' || t.value === '}';
  if (t.kind === 'keyword')
    return ['true', 'false', 'null', 'now', 'today', 'yesterday', 'tomorrow', 'xEvent'].includes(
      t.value,
    );
  return false;
}

/** True when an `occurs` test is open at the end of the tokens (no `and`/`or`/bracket since). */
function inOccurs(tokens: readonly Token[]): boolean {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.kind === 'keyword' && t.value === 'occurs') return true;
    if (
      t.kind === 'keyword' &&
      (t.value === 'and' || t.value === 'or') &&
      !tokens.slice(0, i).some((x) => x.kind === 'keyword' && x.value === 'between')
    )
      return false;
    if (t.kind === 'punct' && ['(', '[', ',', ')', ']'].includes(t.value)) return false;
  }
  return false;
}

/** Where the scope of bare names is an element (a filter `list[…]`, a per-element argument, a chain step): its type. */
function elementScopeAt(
  text: string,
  offset: number,
  schema: DataSchema | undefined,
): PqlType | undefined {
  const tokens = significantTokens(text.slice(0, offset));
  const stack: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.value === '(' || t.value === '[') stack.push(i);
    else if ((t.value === ')' || t.value === ']') && stack.length) stack.pop();
  }
  for (let s = stack.length - 1; s >= 0; s--) {
    const i = stack[s]!;
    const open = tokens[i]!;
    const prev = tokens[i - 1];
    if (open.value === '[' && prev && isOperandEnd(prev)) {
      const t = typeOfExpressionEndingAt(text, open.span.start, schema);
      return t && t.kind === 'list' ? t.element : t;
    }
    if (open.value === '(' && prev?.kind === 'identifier') {
      const before = tokens[i - 2];
      if (before?.kind === 'punct' && before.value === '.') {
        const entry = lookupMethod(prev.value)?.entry;
        if (
          entry &&
          entry.signatures.some((sig) => sig.params.some((p) => p.scope === 'element'))
        ) {
          const t = typeOfExpressionEndingAt(text, before.span.start, schema);
          return t && t.kind === 'list' ? t.element : t;
        }
        return undefined;
      }
      const upper = prev.value.toUpperCase();
      if ((upper === 'WHAT' || upper === 'WHERE') && schema) return schema.event;
      continue;
    }
    if (open.value === '[') continue; // a list literal: look further out
  }
  return undefined;
}

/**
 * Completions at an offset: after `.` the fields and applicable methods of the receiver's type;
 * after `occurs`, a number, `this|last|next`, a unit or a direction the time words; after an
 * operand the operators; elsewhere fields in scope, functions and keywords.
 */
export function completionsAt(text: string, offset: number, schema?: DataSchema): CompletionResult {
  // the word being typed
  let start = offset;
  while (start > 0 && /[\p{L}\p{Nd}_]/u.test(text[start - 1]!)) start--;
  let end = offset;
  while (end < text.length && /[\p{L}\p{Nd}_]/u.test(text[end]!)) end++;
  const replace = { start, end };
  const before = significantTokens(text.slice(0, start));
  const prev = before[before.length - 1];

  // member access: `receiver.` (not a decimal such as `3.`)
  if (prev && prev.kind === 'punct' && prev.value === '.') {
    const t = typeOfExpressionEndingAt(text, prev.span.start, schema) ?? { kind: 'any' as const };
    const fields = fieldsOf(t);
    const items = [
      ...(fields ? fieldSuggestions(fields, '1', false) : []),
      ...methodSuggestions(t),
    ];
    return { items, replace };
  }

  const occurs = inOccurs(before);
  if (prev && occurs) {
    if (prev.kind === 'keyword' && prev.value === 'occurs') {
      const items: Suggestion[] = [
        ...COMPARISON_OPS.filter((o) => o !== '=' && o !== '!=').map((o, i) => ({
          label: `${o} N days before now`,
          kind: 'snippet' as const,
          insertText: `${o} \${1:7} \${2:days} before now`,
          isSnippet: true,
          sortText: `0${i}`,
        })),
        ...['between', 'before', 'after', 'on', 'this', 'last', 'next', ...TIME_REFS].map((w) =>
          keywordSuggestion(keyword(w), '1'),
        ),
      ];
      return { items, replace };
    }
    if (prev.kind === 'integer' || prev.kind === 'decimal') {
      const plural = !(prev.kind === 'integer' && prev.value === '1');
      const items = TIME_UNITS.map((u, i) => ({
        label: plural ? pluralUnit(u) : u,
        kind: 'unit' as const,
        detail: 'time unit',
        insertText: plural ? pluralUnit(u) : u,
        sortText: String(i).padStart(2, '0'),
      }));
      return { items, replace };
    }
    if (prev.kind === 'keyword' && ['this', 'last', 'next'].includes(prev.value)) {
      const items = TIME_UNITS.map((u, i) => ({
        label: u,
        kind: 'unit' as const,
        detail: 'time unit',
        insertText: u,
        sortText: String(i).padStart(2, '0'),
      }));
      return { items, replace };
    }
    if (prev.kind === 'identifier' && TIME_UNIT_WORDS.has(prev.value)) {
      return {
        items: ['before', 'after', 'from'].map((w) => keywordSuggestion(keyword(w), '0')),
        replace,
      };
    }
    if (
      prev.kind === 'keyword' &&
      ['before', 'after', 'from', 'between', 'on'].includes(prev.value)
    ) {
      const date = lookupFunction('date');
      const items = TIME_REFS.map((w) => keywordSuggestion(keyword(w), '0'));
      if (date)
        items.push({
          label: date.name,
          kind: 'function',
          detail: signatureText(date, date.signatures[0]!),
          documentation: entryMarkdown(date),
          insertText: callSnippet(date),
          isSnippet: true,
          sortText: '1',
        });
      return { items, replace };
    }
    if (prev.kind === 'punct' && COMPARISON_OPS.includes(prev.value)) {
      return {
        items: [
          {
            label: 'N days before now',
            kind: 'snippet',
            insertText: '${1:7} ${2:days} before now',
            isSnippet: true,
            sortText: '0',
          },
        ],
        replace,
      };
    }
  }

  // after a complete operand: infix operators and the logical keywords
  if (
    prev &&
    isOperandEnd(prev) &&
    !(
      prev.kind === 'keyword' &&
      prev.value === 'xEvent' &&
      start === offset &&
      offset === prev.span.end
    )
  ) {
    if (start === prev.span.end && start !== end) {
      // typing directly after an operand without a space: fall through to names
    } else if (start > prev.span.end || start === offset) {
      const ops = COMPARISON_OPS.map((o, i) => ({
        label: o,
        kind: 'operator' as const,
        insertText: `${o} `,
        sortText: `2${i}`,
        ...(keywordEntry(o) ? { documentation: entryMarkdown(keywordEntry(o)!) } : {}),
      }));
      const words = ['and', 'or', 'in', 'notIn', 'like', 'occurs'].map((w) =>
        keywordSuggestion(keyword(w.toLowerCase()), '1'),
      );
      return { items: [...words, ...ops], replace };
    }
  }

  // a name: fields in scope, functions, keywords that start an operand
  const element = elementScopeAt(text, start, schema);
  const items: Suggestion[] = [];
  if (element) {
    const f = fieldsOf(element);
    if (f) items.push(...fieldSuggestions(f, '0', true));
  } else if (schema) {
    items.push(...fieldSuggestions(schema.profile.fields, '0', true));
  }
  items.push(...functionSuggestions());
  // `this` names the profile in lambdas only: not offered as a bare operand
  const operandWords = OPERAND_KEYWORDS.filter((w) => w !== 'this');
  items.push(
    ...operandWords.map((w) =>
      keywordSuggestion(keyword(w.toLowerCase()), w === 'xEvent' ? '1' : '4'),
    ),
  );
  return { items, replace };
}

// ------------------------------------------------------------------ hover

export interface HoverResult {
  /** Markdown paragraphs. */
  readonly contents: string[];
  readonly start: number;
  readonly end: number;
}

function memberPath(n: Expr): string | undefined {
  if (n.kind === 'Name') return n.name;
  if (n.kind === 'Member') {
    const p = memberPath(n.object);
    return p === undefined ? undefined : `${p}.${n.name}`;
  }
  if (n.kind === 'XEvent') return 'xEvent';
  return undefined;
}

/** Hover at an offset: a function/method/operator/form's doc, or a field's path and type. */
export function hoverAt(text: string, offset: number, schema?: DataSchema): HoverResult | null {
  const tokens = significantTokens(text);
  const i = tokens.findIndex((t) => t.span.start <= offset && offset < t.span.end);
  if (i < 0) return null;
  const tok = tokens[i]!;
  const next = tokens[i + 1];
  const prevTok = tokens[i - 1];
  const range = { start: tok.span.start, end: tok.span.end };

  if (tok.kind === 'identifier' && next?.kind === 'punct' && next.value === '(') {
    const entry =
      prevTok?.kind === 'punct' && prevTok.value === '.'
        ? lookupMethod(tok.value)?.entry
        : lookupFunction(tok.value);
    if (entry) return { contents: [entryMarkdown(entry)], ...range };
  }
  if (tok.kind === 'keyword' || (tok.kind === 'punct' && OPERATOR_PUNCT.has(tok.value))) {
    const entry = keywordEntry(tok.value);
    if (entry) return { contents: [entryMarkdown(entry)], ...range };
    return null;
  }
  if (
    tok.kind === 'identifier' &&
    TIME_UNIT_WORDS.has(tok.value) &&
    prevTok &&
    (prevTok.kind === 'integer' || prevTok.kind === 'decimal' || prevTok.kind === 'keyword')
  ) {
    return { contents: [`Time unit \`${TIME_UNIT_WORDS.get(tok.value)}\``], ...range };
  }
  if (tok.kind !== 'identifier') return null;

  // a field: ask the checker for the type of the node named here
  const parsed = parse(text);
  const checked = check(parsed.root, {
    ...(schema ? { schema } : {}),
    parseDiagnostics: parsed.diagnostics,
  });
  let best: Expr | undefined;
  walk(parsed.root, (n) => {
    const span = n.kind === 'Member' ? n.nameSpan : n.kind === 'Name' ? n.span : undefined;
    if (span && span.start <= offset && offset < span.end) best = n;
  });
  if (!best) return null;
  const type = checked.types.get(best);
  const path = memberPath(best) ?? tok.value;
  const resolution = checked.resolutions.get(best);
  const what = resolution?.kind === 'variable' ? 'Variable' : 'Field';
  return {
    contents: [`${what} \`${path}\`${type ? `: **${typeToString(type)}**` : ''}`],
    ...range,
  };
}

// ------------------------------------------------------------------ diagnostics and markers

/** Parse + check in one call; the offsets are the spans of the shared diagnostics. */
export function diagnose(text: string, schema?: DataSchema): OffsetDiagnostic[] {
  const parsed = parse(text);
  const checked = check(parsed.root, {
    ...(schema ? { schema } : {}),
    parseDiagnostics: parsed.diagnostics,
  });
  return checked.diagnostics.map((d: Diagnostic) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    start: d.span.start,
    end: d.span.end,
  }));
}

/** Server diagnostics (1-based line/column in code points) → offsets into the text. */
export function lineColumnToOffsets(
  text: string,
  diags: readonly LineColumnDiagnostic[],
): OffsetDiagnostic[] {
  const src = new SourceText(text);
  return diags.map((d) => {
    const start = src.offset(d.line, d.column);
    const end =
      d.endLine !== undefined && d.endColumn !== undefined
        ? src.offset(d.endLine, d.endColumn)
        : start;
    return {
      severity: d.severity ?? 'error',
      code: d.code ?? '',
      message: d.message,
      start,
      end: Math.max(end, start),
    };
  });
}

export interface MarkerData {
  readonly severity: number;
  readonly message: string;
  readonly code: string;
  readonly source: string;
  readonly startLineNumber: number;
  readonly startColumn: number;
  readonly endLineNumber: number;
  readonly endColumn: number;
}

/**
 * Markers from offset diagnostics. `positionAt` is Monaco's `model.getPositionAt` (UTF-16
 * columns). An empty span (an unexpected end) is widened to the character before it so the
 * squiggle is visible.
 */
export function toMarkers(
  diags: readonly OffsetDiagnostic[],
  textLength: number,
  positionAt: (offset: number) => { lineNumber: number; column: number },
  severities: { error: number; warning: number },
  source = 'pql',
): MarkerData[] {
  return diags.map((d) => {
    let { start, end } = d;
    if (end <= start) {
      if (start < textLength) end = start + 1;
      else if (start > 0) start = start - 1;
    }
    const s = positionAt(start);
    const e = positionAt(end);
    return {
      severity: d.severity === 'error' ? severities.error : severities.warning,
      message: d.message,
      code: d.code,
      source,
      startLineNumber: s.lineNumber,
      startColumn: s.column,
      endLineNumber: e.lineNumber,
      endColumn: e.column,
    };
  });
}

/** A pure `getPositionAt` over a text (UTF-16 columns, as Monaco's model). */
export function positionAtFor(
  text: string,
): (offset: number) => { lineNumber: number; column: number } {
  return (offset: number) => {
    const o = Math.max(0, Math.min(offset, text.length));
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < o; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return { lineNumber: line, column: o - lineStart + 1 };
  };
}

/** What the checker tells the builder: diagnostics, and the evaluation methods the query qualifies for. */
export interface Analysis {
  readonly diagnostics: OffsetDiagnostic[];
  /** Undefined when the text has errors (eligibility is only meaningful for a valid query). */
  readonly eligibility?: EligibilitySummary;
}

export interface EligibilitySummary {
  readonly method: 'batch' | 'streaming' | 'edge';
  readonly streaming: boolean;
  readonly edge: boolean;
  readonly reasons: readonly string[];
}

/** Diagnostics plus the shared eligibility classifier's verdict (pql.md §5.3–5.6). */
export function analyse(text: string, schema?: DataSchema): Analysis {
  const parsed = parse(text);
  const checked = check(parsed.root, {
    ...(schema ? { schema } : {}),
    parseDiagnostics: parsed.diagnostics,
  });
  const diagnostics = checked.diagnostics.map((d: Diagnostic) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    start: d.span.start,
    end: d.span.end,
  }));
  if (diagnostics.some((d) => d.severity === 'error') || text.trim() === '') return { diagnostics };
  const e = classify(checked);
  return {
    diagnostics,
    eligibility: {
      method: e.method,
      streaming: e.streaming,
      edge: e.edge,
      reasons: [...e.reasons],
    },
  };
}

// ------------------------------------------------------------------ format

/** The canonical formatting of a text, or null when it does not parse. */
export function formatText(text: string): string | null {
  const parsed = parse(text);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return null;
  return format(parsed.root);
}
