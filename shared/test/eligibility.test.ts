import { describe, expect, it } from 'vitest';
import { analyzeText } from '../src/pql/analyze.js';
import { classify, timeSpecWindow, type ClassifyOptions } from '../src/pql/eligibility.js';

const PROFILE_ONLY_ID = '5b0f1c9e-3d7a-4e2b-9a61-0c2f5d8e7a10';

function cls(text: string, options: ClassifyOptions = {}) {
  const a = analyzeText(text);
  expect(a.errors).toEqual([]);
  return classify(a.checked, options);
}

// pql.md §6 items used by the §9 eligibility checklist
const ITEM = {
  1: 'loyalty.tier = "gold"',
  18: 'person.birthDate.getMonth() = currentMonth() and person.birthDate.getDayOfMonth() = currentDayOfMonth()',
  24: 'xEvent[eventType = "commerce.purchases"].count() >= 3',
  43: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productListAdds") WHEN(< 24 hours before now)])',
  44: 'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews"), C: WHAT(eventType = "commerce.productListAdds"), P: WHAT(eventType = "commerce.purchases")])',
  45: 'chain(xEvent, timestamp, [H: WHAT(web.webPageDetails.name = "home") WHEN(< 24 hours before now) COUNT(3)])',
  47: `inSegment("${PROFILE_ONLY_ID}") and chain(xEvent, timestamp, [K: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])`,
} as const;

describe('eligibility classifier (pql.md §9 checklist)', () => {
  it('item 1 is profile-only, streaming and edge', () => {
    const e = cls(ITEM[1]);
    expect(e).toMatchObject({ profileOnly: true, streaming: true, edge: true, method: 'edge', usesEvents: false });
    expect(e.reasons.join(' ')).toMatch(/profile attributes only/);
  });

  it('item 18 ("ignore year" emulation on profile attributes) is profile-only', () => {
    expect(cls(ITEM[18])).toMatchObject({ profileOnly: true, streaming: true, edge: true });
  });

  it('items 43 and 45 are streaming and edge', () => {
    for (const t of [ITEM[43], ITEM[45]]) {
      const e = cls(t);
      expect(e).toMatchObject({ profileOnly: false, streaming: true, edge: true, method: 'edge', eventLeaves: 1 });
    }
  });

  it('items 24 and 44 are batch, with reasons', () => {
    for (const t of [ITEM[24], ITEM[44]]) {
      const e = cls(t);
      expect(e).toMatchObject({ profileOnly: false, streaming: false, edge: false, method: 'batch' });
      expect(e.reasons.some((r) => /24 hours or less/.test(r))).toBe(true);
    }
  });

  it('item 47 is streaming only if the referenced segment is profile-only', () => {
    const yes = cls(ITEM[47], { segmentInfo: () => ({ profileOnly: true }) });
    expect(yes).toMatchObject({ streaming: true, edge: true, profileOnly: false, segmentRefs: [PROFILE_ONLY_ID] });
    const no = cls(ITEM[47], { segmentInfo: () => ({ profileOnly: false, name: 'Buyers' }) });
    expect(no).toMatchObject({ streaming: false, edge: false, method: 'batch' });
    expect(no.reasons.join(' ')).toMatch(/"Buyers".*not profile-only/);
    const unknown = cls(ITEM[47]);
    expect(unknown.streaming).toBe(false);
  });

  it('multiple events within 24 h: streaming but not edge', () => {
    const e = cls(
      'chain(xEvent, timestamp, [A: WHAT(eventType = "a") WHEN(< 2 hours before now), B: WHAT(eventType = "b") WHEN(< 2 hours before now)])',
    );
    expect(e).toMatchObject({ streaming: true, edge: false, method: 'streaming', eventLeaves: 2 });
  });

  it('a filter with a short timestamp window qualifies; a long one does not', () => {
    expect(cls('xEvent[timestamp occurs today and web.webPageDetails.name = "checkout"]')).toMatchObject({ streaming: true, edge: true });
    expect(cls('xEvent[eventType = "x" and timestamp occurs < 30 days before now].count() >= 2')).toMatchObject({ streaming: false });
  });

  it('a wholly negated event is batch', () => {
    expect(cls('not(chain(xEvent, timestamp, [P: WHAT(eventType = "commerce.purchases") WHEN(today)]))')).toMatchObject({ streaming: false });
    expect(cls('xEvent[eventType = "p" and timestamp occurs < 2 hours before now].count() = 0')).toMatchObject({ streaming: false });
  });

  it('"ignore year" inside an event condition is batch', () => {
    const e = cls('chain(xEvent, timestamp, [A: WHAT(timestamp.getMonth() = currentMonth()) WHEN(today)])');
    expect(e.streaming).toBe(false);
    expect(e.reasons.join(' ')).toMatch(/ignore year/);
  });

  it('segment of segments is edge-eligible', () => {
    const e = cls('inSegment("a") and not inSegment("b")', { segmentInfo: () => ({ profileOnly: false }) });
    expect(e).toMatchObject({ edge: true, streaming: false, method: 'edge', segmentRefs: ['a', 'b'] });
    expect(cls('inSegment("a")', { segmentInfo: () => ({ profileOnly: true }) })).toMatchObject({ edge: true, streaming: true });
  });

  it('time windows', () => {
    const spec = (t: string) => {
      const a = analyzeText(`chain(xEvent, timestamp, [A: WHAT(true) WHEN(${t})])`);
      const root = a.checked.root;
      if (root.kind !== 'Chain' || !root.steps[0]!.when) throw new Error('no chain');
      return timeSpecWindow(root.steps[0]!.when);
    };
    expect(spec('< 24 hours before now')).toBe(86_400_000);
    expect(spec('<= 90 minutes before now')).toBe(5_400_000);
    expect(spec('today')).toBe(86_400_000);
    expect(spec('< 2 days before now')).toBe(2 * 86_400_000);
    expect(spec('this week')).toBe(Infinity);
  });
});
