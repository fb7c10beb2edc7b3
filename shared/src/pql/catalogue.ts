/**
 * The one catalogue of PQL functions, methods, operators and forms
 * (pql.md §4). The parser (global names, aggregation heads), the checker
 * (signatures), the formatter (canonical spelling), the compilers' and the
 * interpreter's coverage tests, and the editor's completions and hover all
 * read this table; nothing else lists functions.
 */
import type { TypePattern as BasePattern } from './types.js';

/**
 * Signature patterns: the base patterns of types.ts, plus
 * - `U`: the type of the argument evaluated per element (`sum(price)` → type of price);
 * - `V`: `U` when that argument is given, else the receiver's element type `T`;
 * - `sum<V>`: integer when V is integer, else decimal.
 */
export type TypePattern =
  | BasePattern
  | 'U'
  | 'V'
  | 'list<U>'
  | 'map<U>'
  | 'map<list<T>>'
  | 'sum<V>'
  | 'list<string>|map<any>'
  | 'entry';

export type Evidence = 'DOC' | 'DOC+' | 'REC' | 'EXT';

export type EntryKind =
  /** `receiver.name(args)` */
  | 'method'
  /** `name(args)` at root position */
  | 'function'
  /** infix or prefix operator */
  | 'operator'
  /** a syntactic form with its own grammar (`if`, `chain`, `let`, `[…]`, …) */
  | 'form';

export type Category =
  | 'boolean'
  | 'comparison'
  | 'arithmetic'
  | 'string'
  | 'list'
  | 'aggregation'
  | 'map'
  | 'object'
  | 'datetime'
  | 'filter'
  | 'quantifier'
  | 'query'
  | 'lambda'
  | 'sequence'
  | 'segment';

export interface ParamSpec {
  readonly name: string;
  readonly type: TypePattern;
  readonly optional?: boolean;
  /** Repeats: accepts one or more arguments of this type. */
  readonly variadic?: boolean;
  /**
   * `element`: evaluated once per element of the receiver, with the element
   * as the innermost scope (pql.md §3.7), as in `sum(price)`, `filter(cond)`.
   */
  readonly scope?: 'element';
  /** Must be a literal (so the compiler can inline it as structure, not data). */
  readonly literal?: boolean;
}

export interface Signature {
  /** Methods only: the receiver's type. */
  readonly receiver?: TypePattern;
  readonly params: readonly ParamSpec[];
  readonly result: TypePattern;
}

export interface CatalogueEntry {
  /** Unique key: `method:startsWith`, `function:date`, `operator:=`, `form:chain`. */
  readonly id: string;
  readonly kind: EntryKind;
  /** Canonical spelling. */
  readonly name: string;
  /** Other accepted spellings (lower-cased for keywords and functions). */
  readonly aliases?: readonly string[];
  readonly category: Category;
  readonly signatures: readonly Signature[];
  /** One line for hover and completion details, in a marketer's words. */
  readonly doc: string;
  /** A complete expression using it, over the example data model of pql.md §0.2. */
  readonly example: string;
  readonly evidence: Evidence;
}

const bool = 'boolean' as const;
const cs = { name: 'caseSensitive', type: bool, optional: true } as const;
const str = (name: string): ParamSpec => ({ name, type: 'string' });
const elementArg = (name: string, type: TypePattern, optional = false): ParamSpec => ({
  name,
  type,
  scope: 'element',
  optional,
});

const method = (
  name: string,
  category: Category,
  signatures: Signature[],
  doc: string,
  example: string,
  evidence: Evidence,
  aliases?: string[],
): CatalogueEntry => ({
  id: `method:${name}`,
  kind: 'method',
  name,
  category,
  signatures,
  doc,
  example,
  evidence,
  ...(aliases ? { aliases } : {}),
});

const stringPredicate = (name: string, doc: string, example: string, evidence: Evidence = 'DOC') =>
  method(name, 'string', [{ receiver: 'string', params: [str('text'), cs], result: bool }], doc, example, evidence);

const fn = (
  name: string,
  category: Category,
  signatures: Signature[],
  doc: string,
  example: string,
  evidence: Evidence,
): CatalogueEntry => ({ id: `function:${name}`, kind: 'function', name, category, signatures, doc, example, evidence });

const op = (
  name: string,
  category: Category,
  signatures: Signature[],
  doc: string,
  example: string,
  evidence: Evidence,
  aliases?: string[],
): CatalogueEntry => ({
  id: `operator:${name}`,
  kind: 'operator',
  name,
  category,
  signatures,
  doc,
  example,
  evidence,
  ...(aliases ? { aliases } : {}),
});

const form = (
  name: string,
  category: Category,
  doc: string,
  example: string,
  evidence: Evidence,
  result: TypePattern = bool,
): CatalogueEntry => ({
  id: `form:${name}`,
  kind: 'form',
  name,
  category,
  signatures: [{ params: [], result }],
  doc,
  example,
  evidence,
});

const binary = (left: TypePattern, right: TypePattern, result: TypePattern): Signature => ({
  params: [
    { name: 'left', type: left },
    { name: 'right', type: right },
  ],
  result,
});

const aggregate = (name: string, valueType: TypePattern, result: TypePattern, doc: string, example: string) =>
  method(
    name,
    'aggregation',
    [{ receiver: 'list<T>', params: [elementArg('value', valueType, true)], result }],
    doc,
    example,
    'DOC',
  );

export const CATALOGUE: readonly CatalogueEntry[] = [
  // ---------------------------------------------------------------- §4.1 boolean
  op('and', 'boolean', [binary(bool, bool, bool)], 'True when both conditions hold.', 'loyalty.tier = "gold" and loyalty.points > 5000', 'DOC'),
  op('or', 'boolean', [binary(bool, bool, bool)], 'True when either condition holds.', 'homeAddress.countryCode = "US" or homeAddress.countryCode = "CA"', 'DOC'),
  op(
    'not',
    'boolean',
    [{ params: [{ name: 'condition', type: bool }], result: bool }],
    'True when the condition does not hold; a missing value counts as not holding, so `not` includes profiles without it.',
    'not (personalEmail.address.endsWith(".edu"))',
    'DOC',
    ['!'],
  ),
  form('if', 'boolean', 'The second argument when the condition is true, otherwise the third.', 'if(loyalty.tier = "gold", 2, 1) * loyalty.points > 10000', 'DOC', 'T'),

  // ---------------------------------------------------------------- §4.2 comparison
  op('=', 'comparison', [binary('any', 'any', bool)], 'Equal. False when either side is missing; `x = null` tests that x is missing.', 'loyalty.tier = "gold"', 'DOC'),
  op('!=', 'comparison', [binary('any', 'any', bool)], 'Not equal. False when either side is missing; `x != null` tests that x is present.', 'person.gender != "not_specified"', 'DOC'),
  op('<', 'comparison', [binary('ordered', 'ordered', bool)], 'Less than (numbers, strings by code point, dates).', 'person.birthYear < 1990', 'DOC'),
  op('<=', 'comparison', [binary('ordered', 'ordered', bool)], 'Less than or equal.', 'loyalty.points <= 100', 'DOC'),
  op('>', 'comparison', [binary('ordered', 'ordered', bool)], 'Greater than.', 'person.birthYear > 1985', 'DOC'),
  op('>=', 'comparison', [binary('ordered', 'ordered', bool)], 'Greater than or equal.', 'loyalty.points >= 1000', 'DOC'),

  // ---------------------------------------------------------------- §4.3 arithmetic
  op('+', 'arithmetic', [binary('number', 'number', 'number')], 'Addition.', 'loyalty.points + 500 > 10000', 'DOC'),
  op('-', 'arithmetic', [binary('number', 'number', 'number')], 'Subtraction; also unary minus.', 'currentYear() - person.birthYear >= 21', 'DOC'),
  op('*', 'arithmetic', [binary('number', 'number', 'number')], 'Multiplication.', 'loyalty.points * 2 > 3000', 'DOC'),
  op('/', 'arithmetic', [binary('number', 'number', 'double')], 'Division; always a decimal, and missing when dividing by zero.', 'loyalty.points / 100 >= 50.0', 'DOC'),
  op('%', 'arithmetic', [binary('number', 'number', 'number')], 'Remainder; missing when dividing by zero.', 'loyalty.points % 2 = 0', 'DOC'),

  // ---------------------------------------------------------------- §4.4 strings
  op('like', 'string', [binary('string', 'string', bool)], 'Whole-string pattern match: `%` is any run of characters, `_` exactly one; case-sensitive.', 'homeAddress.city like "San %"', 'DOC'),
  stringPredicate('startsWith', 'True when the text starts with the given prefix (case-sensitive unless the flag is false).', 'person.name.firstName.startsWith("mar", false)'),
  stringPredicate('doesNotStartWith', 'True when the text is present and does not start with the prefix.', 'personalEmail.address.doesNotStartWith("test")'),
  stringPredicate('endsWith', 'True when the text ends with the given suffix.', 'personalEmail.address.endsWith(".gov", false)'),
  stringPredicate('doesNotEndWith', 'True when the text is present and does not end with the suffix.', 'personalEmail.address.doesNotEndWith(".edu")'),
  stringPredicate('contains', 'True when the text contains the given substring (taken literally).', 'personalEmail.address.contains("+promo")'),
  stringPredicate('doesNotContain', 'True when the text is present and does not contain the substring.', 'personalEmail.address.doesNotContain("+")'),
  method(
    'equals',
    'string',
    [
      { receiver: 'string', params: [str('text'), cs], result: bool },
      { receiver: 'string', params: [{ name: 'texts', type: 'string', variadic: true }, cs], result: bool },
    ],
    'True when the text equals the given text (or any of several), case-sensitive unless the flag is false.',
    'loyalty.tier.equals("GOLD", false)',
    'DOC',
  ),
  stringPredicate('notEqualTo', 'True when the text is present and differs from the given text.', 'loyalty.tier.notEqualTo("basic")'),
  method(
    'matches',
    'string',
    [{ receiver: 'string', params: [str('regex')], result: bool }],
    'True when the regular expression (Java syntax) matches anywhere in the text; anchor it with ^ and $.',
    'personalEmail.address.matches("(?i)@example\\\\.(com|org)$")',
    'DOC',
  ),
  method(
    'regexGroup',
    'string',
    [{ receiver: 'string', params: [str('regex'), { name: 'group', type: 'int', optional: true }], result: 'string' }],
    'The text of capture group n (0 = the whole match) of the first match, or missing when nothing matches.',
    'personalEmail.address.regexGroup("@(\\\\w+)", 1) = "example"',
    'DOC',
  ),

  // ---------------------------------------------------------------- §4.5 lists
  op('in', 'list', [binary('scalar', 'list<any>', bool)], 'True when the value is one of the list.', 'homeAddress.countryCode in ["US", "CA"]', 'DOC'),
  op('notIn', 'list', [binary('scalar', 'list<any>', bool)], 'True when the value is present and not one of the list.', 'loyalty.tier notIn ["basic", "trial"]', 'DOC', ['notin']),
  method('includes', 'list', [{ receiver: 'list<T>', params: [{ name: 'value', type: 'T' }], result: bool }], 'True when the list holds the value.', 'xEvent.productListItems.SKU.includes("SKU-1")', 'DOC'),
  method('intersects', 'list', [{ receiver: 'list<T>', params: [{ name: 'other', type: 'list<T>' }], result: bool }], 'True when the two lists share at least one element.', 'xEvent.productListItems.SKU.intersects(["A1", "B2"])', 'DOC'),
  method('intersection', 'list', [{ receiver: 'list<T>', params: [{ name: 'other', type: 'list<T>' }], result: 'list<T>' }], 'The distinct elements the two lists share, in the first list’s order.', 'xEvent.productListItems.SKU.intersection(["A1", "B2"]).count() = 2', 'DOC'),
  method('subsetOf', 'list', [{ receiver: 'list<T>', params: [{ name: 'other', type: 'list<T>' }], result: bool }], 'True when every element of the list is in the other (an empty list is a subset of any).', '["A1"].subsetOf(xEvent.productListItems.SKU)', 'DOC'),
  method('supersetOf', 'list', [{ receiver: 'list<T>', params: [{ name: 'other', type: 'list<T>' }], result: bool }], 'True when the list holds every element of the other.', 'xEvent.productListItems.SKU.supersetOf(["A1", "B2"])', 'DOC'),
  method('distinct', 'list', [{ receiver: 'list<T>', params: [], result: 'list<T>' }], 'The list without duplicates, first occurrences kept in order.', 'xEvent.web.webPageDetails.name.distinct().count() > 20', 'DOC'),
  method('groupBy', 'list', [{ receiver: 'list<T>', params: [elementArg('key', 'scalar')], result: 'map<list<T>>' }], 'A map from each key (computed per element) to the elements having it.', 'xEvent.groupBy(eventType).count() >= 4', 'DOC'),
  method('filter', 'filter', [{ receiver: 'list<T>', params: [elementArg('condition', bool)], result: 'list<T>' }], 'The elements for which the condition holds; the same as list[condition].', 'xEvent.filter(eventType = "commerce.purchases").count() > 0', 'DOC'),
  method(
    'map',
    'list',
    [
      { receiver: 'list<T>', params: [elementArg('value', 'any')], result: 'list<U>' },
      { receiver: 'map<T>', params: [elementArg('value', 'any')], result: 'map<U>' },
    ],
    'Computes a value for each element of a list (or each value of a map).',
    'xEvent.productListItems.map(priceTotal * quantity).sum() > 100',
    'DOC',
  ),
  method('topN', 'list', [{ receiver: 'list<T>', params: [elementArg('key', 'ordered'), { name: 'n', type: 'int' }], result: 'list<T>' }], 'The n elements with the highest key, highest first.', 'xEvent.topN(commerce.order.priceTotal, 3).count() = 3', 'DOC'),
  method('bottomN', 'list', [{ receiver: 'list<T>', params: [elementArg('key', 'ordered'), { name: 'n', type: 'int' }], result: 'list<T>' }], 'The n elements with the lowest key, lowest first.', 'xEvent.bottomN(commerce.order.priceTotal, 1).head().commerce.order.priceTotal < 10', 'REC'),
  method('head', 'list', [{ receiver: 'list<T>', params: [], result: 'T' }], 'The first element, or missing for an empty list.', 'xEvent.topN(timestamp, 1).head().eventType = "commerce.purchases"', 'DOC'),

  // ---------------------------------------------------------------- §4.6 aggregation
  method(
    'count',
    'aggregation',
    [
      { receiver: 'list<T>', params: [], result: 'int' },
      { receiver: 'map<T>', params: [], result: 'int' },
    ],
    'The number of elements (or map entries); 0 when empty.',
    'xEvent[eventType = "commerce.purchases"].count() >= 3',
    'DOC',
  ),
  aggregate('sum', 'number', 'sum<V>', 'The sum of the values (of the expression per element, when given); 0 when empty.', 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal) > 500'),
  aggregate('average', 'number', 'double', 'The mean of the values; missing when empty.', 'xEvent[eventType = "commerce.purchases"].average(commerce.order.priceTotal) >= 75'),
  aggregate('min', 'ordered', 'V', 'The smallest value; missing when empty.', 'xEvent[eventType = "commerce.purchases"].min(commerce.order.priceTotal) < 20'),
  aggregate('max', 'ordered', 'V', 'The largest value; missing when empty.', 'xEvent[eventType = "commerce.purchases"].max(commerce.order.priceTotal) > 1000'),
  form('over', 'aggregation', 'Aggregation comprehension: `sum|count|average|min|max <value> over <v> from <list> [where <condition>]`.', '(sum e.commerce.order.priceTotal over e from xEvent where e.eventType = "commerce.purchases") > 300', 'DOC', 'number'),

  // ---------------------------------------------------------------- §4.7 maps
  method('get', 'map', [{ receiver: 'map<T>', params: [str('key')], result: 'T' }], 'The value stored under the key, or missing.', 'identityMap.get("Email").count() > 0', 'DOC'),
  method('keys', 'map', [{ receiver: 'map<T>', params: [], result: 'list<string>' }], 'The map’s keys, sorted.', 'identityMap.keys().includes("Phone")', 'DOC'),
  method('values', 'map', [{ receiver: 'map<T>', params: [], result: 'list<T>' }], 'The map’s values, in the order of its sorted keys.', 'identityMap.values().count() >= 2', 'DOC'),

  // ---------------------------------------------------------------- §4.8 objects
  method('isNull', 'object', [{ receiver: 'any', params: [], result: bool }], 'True when the value is missing or null (an empty list or text is a value).', 'homeAddress.city.isNull()', 'DOC'),
  method('isNotNull', 'object', [{ receiver: 'any', params: [], result: bool }], 'True when the value is present.', 'homeAddress.isNotNull() and homeAddress.city.isNull()', 'DOC'),

  // ---------------------------------------------------------------- §4.9 date and time
  fn('currentMonth', 'datetime', [{ params: [], result: 'int' }], 'The current month, 1–12 (UTC).', 'person.birthDate.getMonth() = currentMonth()', 'DOC'),
  fn('currentYear', 'datetime', [{ params: [], result: 'int' }], 'The current year (UTC).', 'currentYear() - person.birthYear >= 65', 'DOC'),
  fn('currentDayOfMonth', 'datetime', [{ params: [], result: 'int' }], 'The current day of the month, 1–31 (UTC).', 'person.birthDate.getDayOfMonth() = currentDayOfMonth()', 'DOC'),
  method('getMonth', 'datetime', [{ receiver: 'temporal', params: [], result: 'int' }], 'The month of a date or time, 1–12 (UTC).', 'person.birthDate.getMonth() = 6', 'DOC'),
  method('getYear', 'datetime', [{ receiver: 'temporal', params: [], result: 'int' }], 'The year of a date or time (UTC).', 'person.birthDate.getYear() in [1990, 1991]', 'DOC'),
  method('getDayOfMonth', 'datetime', [{ receiver: 'temporal', params: [], result: 'int' }], 'The day of the month of a date or time, 1–31 (UTC).', 'person.birthDate.getDayOfMonth() = 1', 'DOC'),
  fn(
    'date',
    'datetime',
    [
      {
        params: [
          { name: 'year', type: 'int' },
          { name: 'month', type: 'int' },
          { name: 'day', type: 'int' },
        ],
        result: 'date',
      },
      { params: [{ name: 'isoDate', type: 'string', literal: true }], result: 'date' },
    ],
    'A calendar date: date(year, month, day), or date("YYYY-MM-DD").',
    'person.birthDate occurs before date(1970, 1, 1)',
    'DOC',
  ),
  op(
    'occurs',
    'datetime',
    [{ params: [{ name: 'time', type: 'temporal' }], result: bool }],
    'Tests when a date or time happened: `occurs today`, `occurs < 7 days before now`, `occurs between A and B`, `occurs last month`.',
    'xEvent[timestamp occurs < 30 days before now].count() > 0',
    'DOC',
  ),
  form('now', 'datetime', 'The instant the evaluation runs (one instant for the whole evaluation).', 'xEvent[timestamp occurs <= 1 hours before now]', 'DOC', 'datetime'),
  form('today', 'datetime', 'The start of the current day (UTC); as an occurs reference, the whole day.', 'xEvent[timestamp occurs today]', 'DOC', 'datetime'),
  form('yesterday', 'datetime', 'The start of the previous day (UTC); as an occurs reference, that whole day.', 'xEvent[timestamp occurs yesterday]', 'REC', 'datetime'),
  form('tomorrow', 'datetime', 'The start of the next day (UTC); as an occurs reference, that whole day.', 'xEvent[timestamp occurs tomorrow]', 'REC', 'datetime'),
  form('period', 'datetime', 'A calendar period relative to now, in an occurs test: `this|last|next <unit>`.', 'xEvent[timestamp occurs last month]', 'DOC', 'datetime'),

  // ---------------------------------------------------------------- §4.10 filters, up, scopes
  form('filter', 'filter', 'list[condition]: the elements for which the condition holds; as a condition, true when any does.', 'xEvent[eventType = "commerce.purchases"]', 'DOC', 'list<T>'),
  form('up', 'filter', '^name or ^^.name: a field of the enclosing element, one caret per level out.', 'xEvent[productListItems[quantity >= 5 and ^.eventType = "commerce.purchases"]]', 'DOC', 'any'),
  form('this', 'filter', 'The current element inside a filter or a per-element argument.', 'interests.filter(this = "yoga").count() > 0', 'DOC+', 'any'),
  form('xEvent', 'filter', 'The profile’s experience events.', 'xEvent.count() > 0', 'DOC', 'list<any>'),
  form('param', 'filter', '$1, $2, …: the query’s parameters; $1 is the profile.', '$1.person.name.firstName.startsWith("Al")', 'DOC', 'any'),
  form('projection', 'list', 'list.field: the field of every element, flattened, missing values dropped.', 'xEvent.productListItems.SKU.distinct().count() >= 10', 'DOC+', 'list<any>'),

  // ---------------------------------------------------------------- §4.11 quantifiers
  form('exists', 'quantifier', 'exists v from list where condition: true when some element satisfies the condition.', 'exists e from xEvent where e.commerce.order.priceTotal > 300', 'DOC'),
  form('forall', 'quantifier', 'forall v from list : condition: true when every element does (true for an empty list).', 'forall e from xEvent where e.eventType = "commerce.purchases" : e.commerce.order.priceTotal < 20', 'DOC'),
  method('exists', 'quantifier', [{ receiver: 'list<T>', params: [elementArg('condition', bool)], result: bool }], 'True when some element satisfies the condition.', 'xEvent.exists(eventType = "commerce.purchases")', 'DOC+', ['any']),
  method('all', 'quantifier', [{ receiver: 'list<T>', params: [elementArg('condition', bool)], result: bool }], 'True when every element satisfies the condition (true for an empty list).', 'xEvent.all(channel._type = "web")', 'EXT'),

  // ---------------------------------------------------------------- §4.12–4.14 select, let, lambdas
  form('select', 'query', 'select v from list where condition: the elements that satisfy it; as a condition, true when any does.', 'select e from xEvent where e.eventType = "commerce.checkouts"', 'DOC', 'list<T>'),
  form('let', 'query', 'let name = value in body: computes a value once and names it.', 'let s = xEvent.sum(commerce.order.priceTotal) in (s > 100 and s < 2000)', 'DOC', 'T'),
  form('lambda', 'lambda', '(a, b) => body: a function argument; at the top, (p) => … names the profile.', '(p) => p.loyalty.points > 100', 'DOC+', 'any'),
  form('list', 'list', '[a, b, …]: a list literal.', 'homeAddress.countryCode in ["US", "CA"]', 'DOC', 'list<T>'),
  form('object', 'lambda', '{"key": value, …}: an object literal.', 'xEvent.groupBy(eventType).map({"n": this.count()}).count() > 1', 'DOC+', 'object'),
  fn(
    'mapEntry',
    'lambda',
    [{ params: [str('key'), { name: 'value', type: 'any' }], result: 'entry' }],
    'One map entry; a two-parameter map lambda returning entries builds a new map.',
    'xEvent.groupBy(eventType).map((t, g) => mapEntry(t, g.count())).count() > 2',
    'DOC+',
  ),

  // ---------------------------------------------------------------- §4.15 chain
  form(
    'chain',
    'sequence',
    'chain(xEvent, timestamp, [A: WHAT(…) WHEN(…) COUNT(n) WHERE(…), …]): events matching each step in strictly increasing time order.',
    'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews"), P: WHAT(eventType = "commerce.purchases")])',
    'DOC+',
  ),

  // ---------------------------------------------------------------- §4.16 segments
  fn(
    'inSegment',
    'segment',
    [{ params: [{ name: 'segmentId', type: 'string', literal: true }], result: bool }],
    'True when the profile currently qualifies for the segment definition with this id.',
    'inSegment("5b0f1c9e-3d7a-4e2b-9a61-0c2f5d8e7a10")',
    'DOC+',
  ),
];

const byId = new Map(CATALOGUE.map((e) => [e.id, e]));

export function catalogueEntry(id: string): CatalogueEntry {
  const entry = byId.get(id);
  if (!entry) throw new Error(`No catalogue entry ${id}`);
  return entry;
}

const methodsByName = new Map<string, CatalogueEntry>();
const methodsByLowerName = new Map<string, CatalogueEntry>();
const functionsByLowerName = new Map<string, CatalogueEntry>();
for (const e of CATALOGUE) {
  if (e.kind === 'method') {
    for (const n of [e.name, ...(e.aliases ?? [])]) {
      methodsByName.set(n, e);
      methodsByLowerName.set(n.toLowerCase(), e);
    }
  } else if (e.kind === 'function') {
    functionsByLowerName.set(e.name.toLowerCase(), e);
  }
}

/**
 * The method of that name: exact spelling first, then any letter case
 * (`exact: false` lets the checker warn about the spelling, pql.md §1.2).
 */
export function lookupMethod(name: string): { entry: CatalogueEntry; exact: boolean } | undefined {
  const exact = methodsByName.get(name);
  if (exact) return { entry: exact, exact: true };
  const loose = methodsByLowerName.get(name.toLowerCase());
  return loose ? { entry: loose, exact: false } : undefined;
}

/** The global function of that name; built-in names are case-insensitive (pql.md §1.2). */
export function lookupFunction(name: string): CatalogueEntry | undefined {
  return functionsByLowerName.get(name.toLowerCase());
}

export const AGGREGATE_HEADS = ['sum', 'count', 'average', 'min', 'max'] as const;

/** Names of every catalogue entry of a kind, canonical spelling. */
export function namesOf(kind: EntryKind): string[] {
  return CATALOGUE.filter((e) => e.kind === kind).map((e) => e.name);
}
