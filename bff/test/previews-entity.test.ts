/** Preview entities: date-times as ISO-8601 instants whatever text the engine's JSON gave, no null fields. */
import { describe, expect, it } from 'vitest';
import { T, type PqlType } from '@seg/shared';
import { presentEntity } from '../src/data/previews.js';

const profile: PqlType = T.object({
  lastSeen: T.datetime,
  birthDate: T.date,
  note: T.string,
  visits: T.list(T.object({ at: T.datetime, page: T.string })),
  stamps: T.map(T.datetime),
});

describe('presentEntity', () => {
  it('rewrites the engines’ date-time text at the schema’s date-time fields only, and leaves out null fields', () => {
    const entity = {
      lastSeen: '2026-06-15 12:00:00',
      birthDate: '1990-06-15',
      note: '2026-06-15 12:00:00',
      visits: [{ at: '2026-06-14 08:30:15.123456', page: 'home' }, { at: null, page: 'cart' }],
      stamps: { first: '2025-01-01 00:00:00.5', bad: 'not a time' },
      unknownField: '2026-06-15 12:00:00',
      gender: null,
    };
    expect(presentEntity(entity, profile)).toEqual({
      lastSeen: '2026-06-15T12:00:00.000Z',
      birthDate: '1990-06-15',
      note: '2026-06-15 12:00:00',
      visits: [{ at: '2026-06-14T08:30:15.123Z', page: 'home' }, { page: 'cart' }],
      stamps: { first: '2025-01-01T00:00:00.500Z', bad: 'not a time' },
      unknownField: '2026-06-15 12:00:00',
    });
  });
});
