import { describe, it, expect } from 'vitest';
import { parse } from '../src/pql/parser.js';
import { tokenize } from '../src/pql/lexer.js';
import { format } from '../src/pql/formatter.js';
import { stripSpans, type Expr } from '../src/pql/ast.js';
import { PQL_EXAMPLES } from './fixtures/pql-examples.js';

/** The AST of a text that must parse without diagnostics. */
function ast(text: string): unknown {
  const r = parse(text);
  expect(r.diagnostics, `${text}: ${JSON.stringify(r.diagnostics)}`).toEqual([]);
  return stripSpans(r.root);
}

/** Codes and 1-based positions of the diagnostics of a text. */
function problems(text: string): { code: string; line: number; column: number; message: string }[] {
  const r = parse(text);
  return r.diagnostics.map((d) => {
    const p = r.source.positioned(d);
    return { code: d.code, line: p.line, column: p.column, message: d.message };
  });
}

function roundTrips(text: string): void {
  const first = parse(text);
  expect(first.diagnostics, text).toEqual([]);
  const printed = format(first.root);
  const second = parse(printed);
  expect(second.diagnostics, printed).toEqual([]);
  expect(stripSpans(second.root), `${text}\n  -> ${printed}`).toEqual(stripSpans(first.root));
  // formatting is idempotent
  expect(format(second.root)).toBe(printed);
}

/** Writes every keyword (not member names after '.') in a changed letter case. */
function recase(text: string, f: (word: string, i: number) => string): string {
  const { tokens } = tokenize(text);
  let out = '';
  let last = 0;
  tokens.forEach((t, i) => {
    const prev = tokens[i - 1];
    const afterDot = prev?.kind === 'punct' && (prev.value === '.' || prev.value === '^');
    const clause =
      t.kind === 'identifier' &&
      /^(what|when|count|where)$/i.test(t.text) &&
      tokens[i + 1]?.value === '(';
    if (
      (t.kind === 'keyword' && !afterDot) ||
      (clause && text.slice(0, t.span.start).includes('chain'))
    ) {
      out += text.slice(last, t.span.start) + f(t.text, i);
      last = t.span.end;
    }
  });
  return out + text.slice(last);
}

describe('pql.md §6 examples', () => {
  it('has the 55 + 2 examples', () => {
    expect(PQL_EXAMPLES).toHaveLength(57);
  });
  for (const { id, pql } of PQL_EXAMPLES) {
    it(`${id}: parses, formats and re-parses to the same tree`, () => roundTrips(pql));
    it(`${id}: keywords in any letter case parse the same`, () => {
      const base = ast(pql);
      expect(ast(recase(pql, (w) => w.toUpperCase()))).toEqual(base);
      expect(
        ast(
          recase(pql, (w, i) =>
            i % 2 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase(),
          ),
        ),
      ).toEqual(base);
    });
  }
});

describe('pql.md §9 parsing checklist', () => {
  const cases: { text: string; check: (root: Expr) => void }[] = [
    {
      text: 'not a = b',
      check: (r) => {
        expect(r.kind).toBe('Not');
        if (r.kind === 'Not') expect(r.operand).toMatchObject({ kind: 'Binary', op: '=' });
      },
    },
    {
      text: 'let y = xEvent[eventType = "x"].count() in y > 1',
      check: (r) => {
        expect(r.kind).toBe('Let');
        if (r.kind !== 'Let') return;
        expect(r.bindings[0]!.value.kind).toBe('Method');
        expect(r.body).toMatchObject({ kind: 'Binary', op: '>' });
      },
    },
    {
      text: 't occurs between a and b and c = 1',
      check: (r) => {
        expect(r).toMatchObject({
          kind: 'Binary',
          op: 'and',
          left: { kind: 'Occurs', spec: { form: 'between' } },
          right: { kind: 'Binary', op: '=' },
        });
      },
    },
    {
      text: 'timestamp occurs this week',
      check: (r) =>
        expect(r).toMatchObject({
          kind: 'Occurs',
          spec: { form: 'on', ref: { kind: 'Period', which: 'this', unit: 'week' } },
        }),
    },
    {
      text: 'this.count() > 1',
      check: (r) =>
        expect(r).toMatchObject({
          kind: 'Binary',
          left: { kind: 'Method', name: 'count', receiver: { kind: 'This' } },
        }),
    },
  ];
  for (const { text, check } of cases) {
    it(text, () => {
      const r = parse(text);
      expect(r.diagnostics).toEqual([]);
      check(r.root);
      roundTrips(text);
    });
  }
  it.each([
    ['a = b = c', 'PQL103', 7],
    ['x in [1] in [true]', 'PQL103', 10],
    ['a < b >= c', 'PQL103', 7],
    ['a like "x" = true', 'PQL103', 12],
  ])('%s is a syntax error', (text, code, column) => {
    expect(problems(text)[0]).toMatchObject({ code, line: 1, column });
  });
});

describe('precedence (pql.md §2.2)', () => {
  const shape = (text: string): string => {
    const show = (e: Expr): string => {
      switch (e.kind) {
        case 'Binary':
          return `(${show(e.left)} ${e.op} ${show(e.right)})`;
        case 'Not':
          return `(not ${show(e.operand)})`;
        case 'Negate':
          return `(- ${show(e.operand)})`;
        case 'Name':
          return e.name;
        case 'Integer':
          return String(e.value);
        case 'Member':
          return `${show(e.object)}.${e.name}`;
        case 'Method':
          return `${show(e.receiver)}.${e.name}(${e.args.map(show).join(', ')})`;
        case 'Occurs':
          return `(${show(e.subject)} occurs …)`;
        default:
          return e.kind;
      }
    };
    const r = parse(text);
    expect(r.diagnostics).toEqual([]);
    return show(r.root);
  };
  it.each([
    ['a or b and c', '(a or (b and c))'],
    ['a and b or c', '((a and b) or c)'],
    ['a or b or c', '((a or b) or c)'],
    ['not a and b', '((not a) and b)'],
    ['not not a', '(not (not a))'],
    ['!a = b', '(not (a = b))'],
    ['a + b * c = d', '((a + (b * c)) = d)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b % c', '((a / b) % c)'],
    ['-a.b', '(- a.b)'],
    ['- -a', '(- (- a))'],
    ['-5 * 2', '(-5 * 2)'],
    ['a - -5', '(a - -5)'],
    ['-5.abs()', '(- 5.abs())'],
    ['x.y in z and w', '((x.y in z) and w)'],
    ['a occurs today or b', '((a occurs …) or b)'],
    ['a + 1 occurs today', '((a + 1) occurs …)'],
  ])('%s', (text, expected) => {
    expect(shape(text)).toBe(expected);
    roundTrips(text);
  });
  it('folds unary minus into numeric literals', () => {
    expect(ast('-7')).toEqual({ kind: 'Integer', value: -7 });
    expect(ast('-0.25')).toEqual({ kind: 'Decimal', value: -0.25, text: '-0.25' });
    expect(ast('-(7)')).toEqual({ kind: 'Negate', operand: { kind: 'Integer', value: 7 } });
  });
});

describe('disambiguation rules (pql.md §2.3)', () => {
  it('R1: [ after an operand is a filter, in primary position a list', () => {
    expect(ast('xEvent[a = 1]')).toMatchObject({ kind: 'Filter', object: { kind: 'XEvent' } });
    expect(ast('x in [1, 2]')).toMatchObject({ kind: 'Binary', op: 'in', right: { kind: 'List' } });
    expect(ast('[1, 2][this > 1]')).toMatchObject({ kind: 'Filter', object: { kind: 'List' } });
    expect(ast('[]')).toEqual({ kind: 'List', items: [] });
  });
  it('R2: ( starts a lambda only before ( names ) =>', () => {
    expect(ast('(p) => p.a = 1')).toMatchObject({
      kind: 'Lambda',
      params: [{ name: 'p' }],
      body: { kind: 'Binary' },
    });
    expect(ast('(a, b) => mapEntry(a, b)')).toMatchObject({
      kind: 'Lambda',
      params: [{ name: 'a' }, { name: 'b' }],
    });
    expect(ast('() => 1')).toMatchObject({ kind: 'Lambda', params: [] });
    expect(ast('p => p')).toMatchObject({ kind: 'Lambda', params: [{ name: 'p' }] });
    expect(ast('(p) = 1')).toMatchObject({ kind: 'Binary', left: { kind: 'Name', name: 'p' } });
    expect(ast('x.map((t, g) => mapEntry(t, g.count()))')).toMatchObject({
      kind: 'Method',
      args: [{ kind: 'Lambda' }],
    });
  });
  it('R3: a top-level in ends a let binding', () => {
    expect(ast('let b = (x in [1, 2]) in b')).toMatchObject({
      kind: 'Let',
      bindings: [{ name: 'b', value: { kind: 'Binary', op: 'in' } }],
      body: { kind: 'Name', name: 'b' },
    });
    expect(ast('let a = 1, b = a + 1 in a < b')).toMatchObject({
      kind: 'Let',
      bindings: [{ name: 'a' }, { name: 'b' }],
    });
    expect(ast('let a = f([x in y]) in a')).toMatchObject({
      kind: 'Let',
      bindings: [{ value: { kind: 'Call' } }],
    });
    roundTrips('let b = (x in [1, 2]) in b');
    roundTrips('let a = (let b = 1 in b) in a in [1]');
  });
  it('R4: the first and after between belongs to between', () => {
    expect(ast('t occurs between date(2024, 1, 1) and date(2024, 3, 31)')).toMatchObject({
      kind: 'Occurs',
      spec: { form: 'between', from: { kind: 'Call' }, to: { kind: 'Call' } },
    });
  });
  it('R5: this followed by a unit is a period only inside a time spec', () => {
    expect(ast('t occurs this month')).toMatchObject({
      spec: { ref: { kind: 'Period', which: 'this', unit: 'month' } },
    });
    expect(ast('t occurs next years')).toMatchObject({
      spec: { ref: { kind: 'Period', which: 'next', unit: 'year' } },
    });
    expect(ast('this = 1')).toMatchObject({ kind: 'Binary', left: { kind: 'This' } });
  });
  it('R6: time words are values anywhere; periods only after occurs', () => {
    expect(ast('x < now')).toMatchObject({ right: { kind: 'TimeWord', word: 'now' } });
    expect(ast('[today, yesterday, tomorrow]')).toMatchObject({
      items: [{ word: 'today' }, { word: 'yesterday' }, { word: 'tomorrow' }],
    });
    expect(problems('x < last week')[0]).toMatchObject({ code: 'PQL104', column: 5 });
  });
  it('R7: an aggregate word is a comprehension only when over follows at its depth', () => {
    expect(ast('count = 1')).toMatchObject({
      kind: 'Binary',
      left: { kind: 'Name', name: 'count' },
    });
    expect(ast('sum(1, 2) > count.x')).toMatchObject({ left: { kind: 'Call', name: 'sum' } });
    expect(ast('sum e.a over e from xEvent where e.b = 1')).toMatchObject({
      kind: 'Comprehension',
      aggregate: 'sum',
      variable: 'e',
      value: { kind: 'Member' },
      where: { kind: 'Binary' },
    });
    expect(ast('(AVERAGE e.a * 2 over e from xEvent) > 3')).toMatchObject({
      left: { kind: 'Comprehension', aggregate: 'average' },
    });
    expect(ast('sum + x.over')).toMatchObject({
      kind: 'Binary',
      left: { kind: 'Name', name: 'sum' },
    });
  });
  it('R8: name( is a global call, unknown names included', () => {
    expect(ast('date(2024, 2, 29)')).toMatchObject({
      kind: 'Call',
      name: 'date',
      args: [{}, {}, {}],
    });
    expect(ast('DATE(2024, 2, 29)')).toMatchObject({ kind: 'Call', name: 'DATE' });
    expect(ast('frobnicate(1)')).toMatchObject({ kind: 'Call', name: 'frobnicate' });
    expect(ast('if(a, 1, 2)')).toMatchObject({ kind: 'If' });
    expect(ast('NOT(a)')).toMatchObject({ kind: 'Not', bang: false });
  });
  it('R9: != is one token, a lone ! is negation', () => {
    expect(ast('a != b')).toMatchObject({ kind: 'Binary', op: '!=' });
    expect(ast('!(a = b)')).toMatchObject({ kind: 'Not', bang: true });
  });
  it('R10: any word after . is a member name; with ( a method', () => {
    expect(ast('a.from.count')).toMatchObject({
      kind: 'Member',
      name: 'count',
      object: { kind: 'Member', name: 'from' },
    });
    expect(ast('a.count()')).toMatchObject({ kind: 'Method', name: 'count', args: [] });
    expect(ast('a.In.NOT')).toMatchObject({ kind: 'Member', name: 'NOT', object: { name: 'In' } });
    expect(ast('^^.loyalty.tier')).toMatchObject({
      kind: 'Member',
      object: { kind: 'UpRef', levels: 2, name: 'loyalty' },
    });
    expect(ast('^eventType')).toMatchObject({ kind: 'UpRef', levels: 1, name: 'eventType' });
  });
});

describe('forms', () => {
  it('quantifiers with where, assertion and comma-chained ranges', () => {
    expect(ast('exists e from xEvent where e.a = 1, p from e.items where p.b > 2')).toMatchObject({
      kind: 'Quantifier',
      quantifier: 'exists',
      ranges: [
        { variable: 'e', where: {} },
        { variable: 'p', where: {} },
      ],
    });
    expect(ast('forall e from xEvent where e.a = 1 : e.b < 2')).toMatchObject({
      ranges: [{ variable: 'e', where: { kind: 'Binary' }, assertion: { kind: 'Binary' } }],
    });
    expect(ast('f(exists e from xs : e, 2)')).toMatchObject({
      kind: 'Call',
      args: [{ kind: 'Quantifier' }, { kind: 'Integer' }],
    });
  });
  it('select', () => {
    expect(ast('select e from xEvent where e.a = 1')).toMatchObject({
      kind: 'Select',
      variable: 'e',
      where: {},
    });
    expect(ast('(select e from xEvent).count()')).toMatchObject({
      kind: 'Method',
      receiver: { kind: 'Select' },
    });
  });
  it('every time spec form', () => {
    expect(ast('t occurs <= 3 days before now')).toMatchObject({
      spec: {
        form: 'relative',
        op: '<=',
        amount: 3,
        unit: 'day',
        direction: 'before',
        ref: { kind: 'TimeWord' },
      },
    });
    expect(ast('t occurs = 1 HOUR from today')).toMatchObject({
      spec: { form: 'relative', unit: 'hour', direction: 'from' },
    });
    expect(ast('t occurs after date(2024, 12, 31)')).toMatchObject({
      spec: { form: 'direction', direction: 'after' },
    });
    expect(ast('t occurs on date(2024, 12, 31)')).toMatchObject({
      spec: { form: 'on', explicitOn: true },
    });
    expect(ast('t occurs yesterday')).toMatchObject({
      spec: { form: 'on', explicitOn: false, ref: { kind: 'TimeWord' } },
    });
    expect(ast('t occurs before e.other')).toMatchObject({
      spec: { form: 'direction', ref: { kind: 'Member' } },
    });
    for (const unit of ['millennia', 'centuries', 'century', 'decades', 'milliseconds', 'weeks'])
      roundTrips(`t occurs < 2 ${unit} before now`);
  });
  it('chain with clauses in any order and any letter case', () => {
    const r = ast(
      'CHAIN(xEvent, timestamp, [A: count(2) WHERE(b = 1) when(today) What(a = 1), B: WHAT(c = 1)])',
    );
    expect(r).toMatchObject({
      kind: 'Chain',
      events: { kind: 'XEvent' },
      timestampPath: ['timestamp'],
      steps: [
        {
          label: 'A',
          count: 2,
          what: { kind: 'Binary' },
          where: { kind: 'Binary' },
          when: { form: 'on' },
        },
        { label: 'B', what: { kind: 'Binary' } },
      ],
    });
    expect(ast('chain(xEvent, a.b.ts, [A: WHAT(x)])')).toMatchObject({
      timestampPath: ['a', 'b', 'ts'],
    });
  });
  it('chain needs exactly one WHAT per step', () => {
    expect(problems('chain(xEvent, timestamp, [A: WHEN(today)])')[0]).toMatchObject({
      code: 'PQL105',
      column: 27,
    });
    expect(problems('chain(xEvent, timestamp, [A: WHAT(a) WHAT(b)])')[0]).toMatchObject({
      code: 'PQL105',
      column: 38,
    });
    expect(problems('chain(xEvent, timestamp, [])')[0]).toMatchObject({ code: 'PQL105' });
  });
  it('object literals with string and identifier keys', () => {
    expect(ast('{"n": 1, total: x.sum(y), "a b": [1]}')).toMatchObject({
      kind: 'Object',
      entries: [{ key: 'n' }, { key: 'total' }, { key: 'a b' }],
    });
  });
  it('keeps written names of methods and calls, canonical keywords', () => {
    expect(ast('XEVENT.Count() > 0 AND x NOTIN [1]')).toMatchObject({
      kind: 'Binary',
      op: 'and',
      left: { left: { kind: 'Method', name: 'Count', receiver: { kind: 'XEvent' } } },
      right: { op: 'notIn' },
    });
  });
  it('params and up-references', () => {
    expect(ast('$1.a = $2')).toMatchObject({
      left: { object: { kind: 'Param', position: 1 } },
      right: { kind: 'Param', position: 2 },
    });
  });
});

describe('lexer', () => {
  const kinds = (text: string): string[] =>
    tokenize(text).tokens.map((t) => `${t.kind}:${t.value}`);
  it('tokens with spans', () => {
    const { tokens, diagnostics } = tokenize("a.b >= 1.5e3 => $12 != \"x\\n\" 'y\\''");
    expect(diagnostics).toEqual([]);
    expect(tokens.map((t) => `${t.kind}:${t.value}`)).toEqual([
      'identifier:a',
      'punct:.',
      'identifier:b',
      'punct:>=',
      'decimal:1.5e3',
      'punct:=>',
      'param:12',
      'punct:!=',
      'string:x\n',
      "string:y'",
      'eof:',
    ]);
    expect(tokens[4]!.span).toEqual({ start: 7, end: 12 });
  });
  it('keywords are case-insensitive with canonical values; contextual words stay identifiers', () => {
    expect(kinds('AND NotIn XEVENT days WHAT sum')).toEqual([
      'keyword:and',
      'keyword:notIn',
      'keyword:xEvent',
      'identifier:days',
      'identifier:WHAT',
      'identifier:sum',
      'eof:',
    ]);
  });
  it('numbers', () => {
    expect(kinds('0 42 3.5 1e3 2.5E-2')).toEqual([
      'integer:0',
      'integer:42',
      'decimal:3.5',
      'decimal:1e3',
      'decimal:2.5E-2',
      'eof:',
    ]);
    expect(tokenize('.5').diagnostics[0]).toMatchObject({ code: 'PQL004' });
    expect(tokenize('5.').diagnostics[0]).toMatchObject({ code: 'PQL004' });
    expect(kinds('5.abs()')).toEqual([
      'integer:5',
      'punct:.',
      'identifier:abs',
      'punct:(',
      'punct:)',
      'eof:',
    ]);
  });
  it('string escapes', () => {
    expect(tokenize('"\\" \\\\ \\/ \\n \\r \\t \\b \\f \\u00e9"').tokens[0]!.value).toBe(
      '" \\ / \n \r \t \b \f é',
    );
    expect(tokenize('"\\q"').diagnostics[0]).toMatchObject({ code: 'PQL003', span: { start: 1 } });
    expect(tokenize('"\\\'"').diagnostics[0]).toMatchObject({ code: 'PQL003' });
    expect(tokenize('"\\u12"').diagnostics[0]).toMatchObject({ code: 'PQL003' });
  });
  it('unterminated strings are reported at the opening quote', () => {
    expect(problems('a = "abc')[0]).toMatchObject({ code: 'PQL002', column: 5 });
    expect(problems("a = 'abc\nand b")[0]).toMatchObject({ code: 'PQL002', line: 1, column: 5 });
  });
  it('comments are rejected', () => {
    for (const c of ['// x', '/* x */', '-- x']) {
      expect(problems(`a = 1 ${c}`)[0]).toMatchObject({ code: 'PQL005', column: 7 });
    }
    expect(tokenize('a /* x').tokens.map((t) => t.kind)).toEqual(['identifier', 'comment', 'eof']);
  });
  it('unknown characters, the lexer keeps going', () => {
    const r = tokenize('a # b @ “c” ‘d’');
    expect(r.diagnostics.map((d) => [d.code, d.span.start])).toEqual([
      ['PQL001', 2],
      ['PQL001', 6],
      ['PQL001', 8],
      ['PQL001', 10],
      ['PQL001', 12],
      ['PQL001', 14],
    ]);
    expect(r.tokens.map((t) => t.kind)).toEqual([
      'identifier',
      'unknown',
      'identifier',
      'unknown',
      'string',
      'string',
      'eof',
    ]);
    expect(problems('$ = 1')[0]).toMatchObject({ code: 'PQL001', column: 1 });
  });
  it('backtick names [EXT]', () => {
    expect(ast('`odd name`.x = 1')).toMatchObject({
      left: { object: { kind: 'Name', name: 'odd name' } },
    });
  });
});

describe('literals', () => {
  it('integers beyond 2^53 are PQL106', () => {
    expect(ast('9007199254740992')).toEqual({ kind: 'Integer', value: 2 ** 53 });
    expect(problems('x = 9007199254740993')[0]).toMatchObject({ code: 'PQL106', column: 5 });
  });
  it('date(y, m, d) with impossible values is PQL106', () => {
    expect(problems('d < date(2020, 13, 1)')[0]).toMatchObject({ code: 'PQL106', column: 16 });
    expect(problems('d < date(2023, 2, 29)')[0]).toMatchObject({ code: 'PQL106', column: 19 });
    expect(problems('d < date("2023-02-30")')[0]).toMatchObject({ code: 'PQL106' });
    expect(ast('d < date(2024, 2, 29)')).toBeDefined();
    expect(ast('d < date("2024-02-29")')).toBeDefined();
  });
  it('decimals keep their text', () => {
    expect(ast('100.0')).toEqual({ kind: 'Decimal', value: 100, text: '100.0' });
    expect(format(parse('x > 1E3 and y < 0.50').root)).toBe('x > 1E3 and y < 0.50');
  });
});

describe('error recovery and messages', () => {
  it.each([
    ['person.gender = = "male"', 'PQL101', 1, 17, "Expected a value after '=' but found '='"],
    ['person.gender = "male")', 'PQL101', 1, 23, "This ')' has no matching '('"],
    ['interests.includes("a" "b")', 'PQL101', 1, 24, "Expected ',' between arguments"],
    [
      'xEvent[timestamp ocurs today]',
      'PQL101',
      1,
      18,
      "Unknown word 'ocurs': did you mean 'occurs'?",
    ],
    ['a = 1 adn b = 2', 'PQL101', 1, 7, "Unknown word 'adn': did you mean 'and'?"],
    [
      'exsits e from xEvent where e.a = 1',
      'PQL101',
      1,
      1,
      "Unknown word 'exsits': did you mean 'exists'?",
    ],
    ['t occurs < 3 dayz before now', 'PQL104', 1, 14, "Unknown time unit 'dayz'"],
    ['person.gender = "male" and', 'PQL102', 1, 27, 'ends too early'],
    ['a = (1 + 2', 'PQL102', 1, 11, "This '(' is not closed"],
    ['a = 1 b = 2', 'PQL107', 1, 7, "is an 'and' or 'or' missing?"],
  ])('%s', (text, code, line, column, message) => {
    const first = problems(text)[0]!;
    expect(first).toMatchObject({ code, line, column });
    expect(first.message).toContain(message);
  });
  it('reports every bad spot, not just the first', () => {
    const ps = problems('a = = 1 and f(1 2) and x[a ocurs b] and b = )');
    expect(ps.map((p) => p.column)).toEqual([5, 17, 28, 45]);
  });
  it('returns a partial tree with Error nodes', () => {
    const r = parse('a = 1 and b = and c = 3');
    expect(r.diagnostics).toHaveLength(1);
    expect(stripSpans(r.root)).toMatchObject({
      kind: 'Binary',
      op: 'and',
      left: { op: 'and', right: { kind: 'Binary', left: { name: 'b' }, right: { kind: 'Error' } } },
      right: { op: '=', left: { name: 'c' } },
    });
  });
  it('repairs a misspelt operator and goes on', () => {
    const r = parse('xEvent[timestamp ocurs today].count() > 0');
    expect(r.root).toMatchObject({
      kind: 'Binary',
      left: { kind: 'Method', receiver: { kind: 'Filter', condition: { kind: 'Occurs' } } },
    });
  });
  it('reads curly-quoted text as text after reporting it', () => {
    const r = parse('person.name.firstName = “Ada”');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['PQL001', 'PQL001']);
    expect(r.root).toMatchObject({ right: { kind: 'String', value: 'Ada' } });
  });
  it('an empty expression', () => {
    expect(problems('  ')[0]).toMatchObject({ code: 'PQL102' });
  });
  it('deep nesting is PQL101, not a stack overflow', () => {
    for (const text of [
      '('.repeat(5000) + 'a' + ')'.repeat(5000),
      '- '.repeat(5000) + 'a',
      'not '.repeat(5000) + 'a',
      '['.repeat(5000),
      'a' + '[b'.repeat(3000),
    ]) {
      const ps = problems(text);
      expect(ps[0]).toMatchObject({ code: 'PQL101' });
      expect(ps[0]!.message).toContain('nested too deeply');
    }
    expect(ast('('.repeat(150) + 'a' + ')'.repeat(150))).toEqual({ kind: 'Name', name: 'a' });
  });
});

describe('formatter', () => {
  it.each([
    ['a  AND  b OR  c', 'a and b or c'],
    ['a and (b or c)', 'a and (b or c)'],
    ['(a + b) * c', '(a + b) * c'],
    ['a - (b - c)', 'a - (b - c)'],
    ['a - (b + c)', 'a - (b + c)'],
    ['NOT(a = b)', 'not (a = b)'],
    ['! x.isNull()', '!x.isNull()'],
    ['(a = b) = c', '(a = b) = c'],
    ['\'say "hi"\'', '"say \\"hi\\""'],
    ['x = (exists e from xs : e)', 'x = (exists e from xs : e)'],
    ['(exists e from xs : e) and b', '(exists e from xs : e) and b'],
    ['a and (select e from xs where e)', 'a and (select e from xs where e)'],
    [
      'chain(xEvent, timestamp, [a: when(TODAY) what(x)])',
      'chain(xEvent, timestamp, [a: WHAT(x) WHEN(today)])',
    ],
    ['t OCCURS < 1 DAYS BEFORE NOW', 't occurs < 1 day before now'],
    ['(-5).abs()', '(-5).abs()'],
    ['-(-5)', '-(-5)'],
    ['{a: 1}', '{"a": 1}'],
    ['^eventType', '^.eventType'],
    ['(p) => p', '(p) => p'],
    ['p => p', '(p) => p'],
  ])('%s → %s', (text, expected) => {
    const r = parse(text);
    expect(r.diagnostics).toEqual([]);
    expect(format(r.root)).toBe(expected);
    roundTrips(text);
  });
  it('breaks long top-level and/or chains, deterministically', () => {
    const text = Array.from(
      { length: 6 },
      (_, i) => `xEvent[eventType = "commerce.purchases${i}"].count() > ${i}`,
    ).join(' and ');
    const printed = format(parse(text).root);
    expect(printed.split('\n')).toHaveLength(6);
    expect(printed.split('\n')[1]!.startsWith('  and ')).toBe(true);
    expect(format(parse(text).root, { lineWidth: 0 })).toBe(text);
    roundTrips(text);
  });
});
