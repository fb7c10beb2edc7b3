import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, inferSchema, type DataSchema } from '@seg/shared';
import { describe, expect, it } from 'vitest';
import {
  analyse,
  completionsAt,
  diagnose,
  formatText,
  hoverAt,
  lineColumnToOffsets,
  positionAtFor,
  toMarkers,
  tokenizeLine,
} from '../../src/editor/pqlAdapter.ts';
import { extractDiagnostics } from '../../src/api/http.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const conformance = path.resolve(here, '../../../../shared/conformance');
const ndjson = (f: string) =>
  readFileSync(path.join(conformance, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
const schema: DataSchema = inferSchema(ndjson('profiles.ndjson'), ndjson('events.ndjson'));

const labels = (text: string, offset = text.length) =>
  completionsAt(text, offset, schema).items.map((i) => i.label);

describe('completions', () => {
  it('after a dot: the fields of that object, with types', () => {
    const r = completionsAt('person.', 7, schema);
    const fields = r.items.filter((i) => i.kind === 'field');
    expect(fields.map((f) => f.label)).toEqual(['birthDate', 'birthYear', 'gender', 'name']);
    expect(fields.find((f) => f.label === 'birthDate')?.detail).toBe('date');
    expect(r.replace).toEqual({ start: 7, end: 7 });
  });

  it('after a dot: the methods that apply to the receiver’s type, as snippets of their parameters', () => {
    const r = completionsAt('person.name.firstName.st', 24, schema);
    const starts = r.items.find((i) => i.label === 'startsWith')!;
    expect(starts.kind).toBe('method');
    expect(starts.insertText).toBe('startsWith(${1:text})');
    expect(starts.isSnippet).toBe(true);
    expect(starts.detail).toContain('caseSensitive?: boolean');
    expect(r.replace).toEqual({ start: 22, end: 24 });
    // list methods are not offered on a string
    expect(r.items.some((i) => i.label === 'includes')).toBe(false);
    // and string methods are not offered on a list
    expect(labels('interests.')).toContain('includes');
    expect(labels('interests.')).not.toContain('startsWith');
    // maps: get/keys/values
    expect(labels('identityMap.')).toEqual(expect.arrayContaining(['get', 'keys', 'values']));
  });

  it('every method offered comes from the catalogue', () => {
    const methods = new Set(CATALOGUE.filter((e) => e.kind === 'method').map((e) => e.name));
    for (const i of completionsAt('interests.', 10, schema).items.filter(
      (x) => x.kind === 'method',
    ))
      expect(methods.has(i.label)).toBe(true);
  });

  it('inside xEvent[…] and per-element arguments: the event’s fields', () => {
    expect(labels('xEvent[')).toEqual(
      expect.arrayContaining(['eventType', 'timestamp', 'commerce.order.priceTotal']),
    );
    expect(labels('xEvent[')).not.toContain('person.gender');
    expect(labels('xEvent.filter(')).toContain('eventType');
    expect(labels('xEvent[commerce.order.')).toEqual(
      expect.arrayContaining(['priceTotal', 'currencyCode']),
    );
  });

  it('at the top: profile fields, catalogue functions and keywords', () => {
    const items = completionsAt('', 0, schema).items;
    expect(items.find((i) => i.label === 'person.gender')?.detail).toBe('string');
    expect(items.find((i) => i.label === 'inSegment')?.insertText).toBe(
      'inSegment(${1:segmentId})',
    );
    expect(items.some((i) => i.label === 'xEvent' && i.kind === 'keyword')).toBe(true);
  });

  it('time words in context: after occurs, after a number, after a unit, after this/last/next', () => {
    expect(labels('xEvent[timestamp occurs ')).toEqual(
      expect.arrayContaining(['between', 'today', 'last', '< N days before now']),
    );
    expect(labels('xEvent[timestamp occurs < 7 ')).toEqual(
      expect.arrayContaining(['days', 'hours', 'weeks']),
    );
    expect(labels('xEvent[timestamp occurs < 1 ')).toContain('day');
    expect(labels('xEvent[timestamp occurs < 7 days ')).toEqual(['before', 'after', 'from']);
    expect(labels('xEvent[timestamp occurs last ')).toEqual(
      expect.arrayContaining(['month', 'year']),
    );
    // a number outside occurs is not a time
    expect(labels('loyalty.points > 5 ')).not.toContain('days');
  });

  it('after an operand: operators and logical keywords', () => {
    expect(labels('person.gender ')).toEqual(
      expect.arrayContaining(['=', '!=', 'and', 'or', 'in', 'like']),
    );
  });
});

describe('hover', () => {
  it('a field: its path and type from the schema', () => {
    expect(hoverAt('person.gender = "f"', 9, schema)?.contents[0]).toBe(
      'Field `person.gender`: **string**',
    );
  });
  it('a method: signature, doc line and example from the catalogue', () => {
    const h = hoverAt('person.name.firstName.startsWith("A")', 25, schema)!;
    expect(h.contents[0]).toContain(
      'string.startsWith(text: string, caseSensitive?: boolean) → boolean',
    );
    expect(h.contents[0]).toContain('True when the text starts with the given prefix');
    expect(h.contents[0]).toContain('Example: `person.name.firstName.startsWith("mar", false)`');
    expect([h.start, h.end]).toEqual([22, 32]);
  });
  it('a keyword or operator: its catalogue entry', () => {
    expect(hoverAt('xEvent[timestamp occurs today]', 18, schema)?.contents[0]).toContain(
      'Tests when a date or time happened',
    );
    expect(hoverAt('a = 1', 2, schema)?.contents[0]).toContain('Equal.');
    expect(hoverAt('a = 1', 1, schema)).toBeNull();
  });
});

describe('diagnostics and markers', () => {
  it('conformance i001: the second = at line 1, column 17', () => {
    const text = 'person.gender = = "male"';
    const d = diagnose(text, schema);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ severity: 'error', code: 'PQL101', start: 16, end: 17 });
    const m = toMarkers(d, text.length, positionAtFor(text), { error: 8, warning: 4 });
    expect(m[0]).toMatchObject({
      severity: 8,
      startLineNumber: 1,
      startColumn: 17,
      endLineNumber: 1,
      endColumn: 18,
      code: 'PQL101',
    });
  });

  it('an unknown field with the schema', () => {
    const d = diagnose('person.gendr = "x"', schema);
    expect(d[0]).toMatchObject({ code: 'PQL201', start: 7, end: 12 });
    expect(diagnose('person.gender = "female"', schema)).toEqual([]);
  });

  it('markers use UTF-16 columns: an astral character before the error counts twice', () => {
    const text = 'person.gender = "😀" and = 1';
    const d = diagnose(text, schema);
    const m = toMarkers(d, text.length, positionAtFor(text), { error: 8, warning: 4 });
    // offset of the second "=" is 25 in UTF-16 units
    expect(text.indexOf('= 1')).toBe(25);
    expect(m[0]!.startColumn).toBe(26);
  });

  it('an empty span at the end is widened so the squiggle shows', () => {
    const text = 'person.gender =';
    const m = toMarkers(diagnose(text, schema), text.length, positionAtFor(text), {
      error: 8,
      warning: 4,
    });
    expect(m[0]!.endColumn).toBeGreaterThan(m[0]!.startColumn);
  });

  it('server diagnostics (line/column in code points) map to offsets', () => {
    const text = 'a = "😀"\nand person.gendr = 1';
    const [d] = lineColumnToOffsets(text, [
      { message: 'unknown', code: 'PQL201', line: 2, column: 12, endLine: 2, endColumn: 17 },
    ]);
    expect(text.slice(d!.start, d!.end)).toBe('gendr');
  });

  it('finds the diagnostics in a 400 body', () => {
    const body = {
      type: 'urn:seg:errors:bad-request',
      status: 400,
      title: 'BadRequestError',
      detail: 'The expression does not check',
      errors: [
        {
          severity: 'error',
          message: 'Profiles have no field',
          code: 'PQL201',
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 8,
        },
      ],
      warnings: [],
    };
    expect(extractDiagnostics(body)).toEqual([body.errors[0]]);
  });

  it('eligibility from the shared classifier, with reasons', () => {
    const a = analyse('person.gender = "female"', schema);
    expect(a.eligibility?.streaming).toBe(true);
    expect(a.eligibility?.reasons.join(' ')).toMatch(/profile attributes only/i);
    const b = analyse('xEvent[eventType = "commerce.purchases"].count() > 0', schema);
    expect(b.eligibility?.streaming).toBe(false);
    expect(analyse('person.gender = = 1', schema).eligibility).toBeUndefined();
  });
});

describe('highlighting and formatting', () => {
  it('tokens from the shared lexer, classified', () => {
    const { tokens } = tokenizeLine('xEvent[timestamp occurs < 7 days before now].count() > 0', {
      inComment: false,
    });
    const at = (i: number) => tokens.filter((t) => t.startIndex <= i).pop()!.scopes;
    expect(at(0)).toBe('keyword'); // xEvent
    expect(at(7)).toBe('identifier'); // timestamp
    expect(at(17)).toBe('keyword'); // occurs
    expect(at(26)).toBe('number'); // 7
    expect(at(28)).toBe('type'); // days (a time unit)
    expect(at(46)).toBe('function'); // count
  });
  it('a block comment spans lines through the state', () => {
    const first = tokenizeLine('a = 1 /* note', { inComment: false });
    expect(first.endState.inComment).toBe(true);
    const second = tokenizeLine('still */ and b = 2', first.endState);
    expect(second.tokens[0]).toEqual({ startIndex: 0, scopes: 'comment' });
    expect(second.endState.inComment).toBe(false);
    expect(second.tokens.some((t) => t.scopes === 'keyword')).toBe(true);
  });
  it('format document uses the shared formatter, and refuses text that does not parse', () => {
    expect(formatText('person.gender="female"   AND loyalty.points>5')).toBe(
      'person.gender = "female" and loyalty.points > 5',
    );
    expect(formatText('person.gender = =')).toBeNull();
  });
});
