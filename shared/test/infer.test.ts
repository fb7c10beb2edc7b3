import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

import { inferSchema, isDateString, isDateTimeString, SchemaBuilder } from '../src/schema/infer.js';
import { T } from '../src/pql/types.js';

describe('inferSchema (data-contract.md §Types)', () => {
  it('types strings, dates and date-times by every non-null value', () => {
    const s = inferSchema(
      [
        { d: '2024-02-29', t: '2024-02-29T10:00:00Z', mixed: '2024-01-01', s: 'x', n: null },
        { d: null, t: '2024-03-01T10:00:00.123+02:00', mixed: '2024-01-01T00:00:00Z' },
        { d: '1990-06-15', t: '2024-03-01T10:00-0500', mixed: 'hello' },
      ],
      [],
    );
    expect(s.profile.fields['d']).toEqual(T.date);
    expect(s.profile.fields['t']).toEqual(T.datetime);
    expect(s.profile.fields['mixed']).toEqual(T.string);
    expect(s.profile.fields['s']).toEqual(T.string);
    expect(s.profile.fields['n']).toEqual(T.null);
  });

  it('a date-time without zone or an impossible date is a string', () => {
    expect(isDateTimeString('2024-01-01T10:00:00')).toBe(false);
    expect(isDateTimeString('2024-01-01T10:00:00Z')).toBe(true);
    expect(isDateTimeString('2024-01-01T10:00:00.5-03:30')).toBe(true);
    expect(isDateString('2023-02-29')).toBe(false);
    expect(isDateString('2024-02-29')).toBe(true);
    const s = inferSchema([{ a: '2023-02-30' }, { b: '2024-01-01T10:00:00' }], []);
    expect(s.profile.fields['a']).toEqual(T.string);
    expect(s.profile.fields['b']).toEqual(T.string);
  });

  it('integers and decimals: a field holding both is decimal', () => {
    const s = inferSchema(
      [
        { i: 1, d: 1.5, both: 2 },
        { i: -7, both: 2.25 },
      ],
      [],
    );
    expect(s.profile.fields['i']).toEqual(T.int);
    expect(s.profile.fields['d']).toEqual(T.double);
    expect(s.profile.fields['both']).toEqual(T.double);
  });

  it('observeJson tells 100.0 from 100', () => {
    const b = new SchemaBuilder();
    b.observeJson('{"price": 100.0, "qty": 2, "s": "1.5", "e": 1e3, "list": [1, 2.0]}');
    const t = b.build();
    expect(t.fields['price']).toEqual(T.double);
    expect(t.fields['qty']).toEqual(T.int);
    expect(t.fields['s']).toEqual(T.string);
    expect(t.fields['e']).toEqual(T.double);
    expect(t.fields['list']).toEqual(T.list(T.double));
  });

  it('booleans, arrays, objects, conflicting kinds', () => {
    const s = inferSchema(
      [
        { b: true, tags: ['a'], o: { x: 1 }, c: 1, items: [{ sku: 'A', q: 1 }] },
        { b: false, tags: [], o: { y: 'z' }, c: 'one', items: [{ sku: 'B', p: 2.5 }] },
        { empty: [] },
      ],
      [],
    );
    expect(s.profile.fields['b']).toEqual(T.boolean);
    expect(s.profile.fields['tags']).toEqual(T.list(T.string));
    expect(s.profile.fields['o']).toEqual(T.object({ x: T.int, y: T.string }));
    expect(s.profile.fields['c']).toEqual(T.any);
    expect(s.profile.fields['items']).toEqual(
      T.list(T.object({ p: T.double, q: T.int, sku: T.string })),
    );
    expect(s.profile.fields['empty']).toEqual(T.list(T.any));
  });

  it('identityMap and segmentMembership are maps', () => {
    const s = inferSchema(
      [
        {
          identityMap: {
            Email: [{ id: 'a@b.c', primary: true }],
            ECID: [{ id: '1', primary: false }],
          },
          segmentMembership: {
            ups: { 'seg-1': { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' } },
          },
        },
      ],
      [
        {
          _id: 'e1',
          timestamp: '2024-01-01T00:00:00Z',
          identityMap: { ECID: [{ id: '1', primary: true }] },
        },
      ],
    );
    expect(s.profile.fields['identityMap']).toEqual(
      T.map(T.list(T.object({ id: T.string, primary: T.boolean }))),
    );
    expect(s.profile.fields['segmentMembership']).toEqual(
      T.map(T.map(T.object({ lastQualificationTime: T.datetime, status: T.string }))),
    );
    expect(s.event.fields['identityMap']).toEqual(
      T.map(T.list(T.object({ id: T.string, primary: T.boolean }))),
    );
  });

  it('timestamp on events is always a date-time', () => {
    const s = inferSchema([], [{ timestamp: '2024-01-01' }, { timestamp: 'garbage' }]);
    expect(s.event.fields['timestamp']).toEqual(T.datetime);
    expect(inferSchema([], []).event.fields['timestamp']).toEqual(T.datetime);
  });

  it('infers the conformance dataset', () => {
    const dir = new URL('../../../shared/conformance/', import.meta.url);
    const profiles = new SchemaBuilder();
    for (const line of readFileSync(new URL('profiles.ndjson', dir), 'utf8').split('\n'))
      if (line.trim()) profiles.observeJson(line);
    const events = new SchemaBuilder({ datetimePaths: ['timestamp'] });
    for (const line of readFileSync(new URL('events.ndjson', dir), 'utf8').split('\n'))
      if (line.trim()) events.observeJson(line);
    const p = profiles.build();
    const e = events.build();
    const person = p.fields['person'];
    expect(person?.kind).toBe('object');
    if (person?.kind === 'object') {
      expect(person.fields['birthDate']).toEqual(T.date);
      expect(person.fields['birthYear']).toEqual(T.int);
    }
    const loyalty = p.fields['loyalty'];
    expect(loyalty).toMatchObject({
      kind: 'object',
      fields: { points: T.int, lifetimeValue: T.double },
    });
    expect(p.fields['interests']).toEqual(T.list(T.string));
    expect(p.fields['identityMap']?.kind).toBe('map');
    expect(e.fields['timestamp']).toEqual(T.datetime);
    expect(e.fields['eventType']).toEqual(T.string);
    expect(e.fields['productListItems']).toMatchObject({
      kind: 'list',
      element: { kind: 'object' },
    });
  });
});
