/**
 * Random, well-typed PQL expressions over the profile/event vocabulary of the
 * conformance fixture and the demo data (differential tests: compiled SQL vs
 * the reference interpreter; benchmarks). Deterministic for a seed.
 */

/** mulberry32: small, fast, good enough for test generation. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENT_TYPES = [
  'web.webpagedetails.pageViews',
  'commerce.productViews',
  'commerce.productListAdds',
  'commerce.checkouts',
  'commerce.purchases',
  'application.launch',
];
const SKUS = ['SKU-YOGA-MAT', 'SKU-MUG-CAFE', 'SKU-SOCKS-3', 'SKU-TRAIL-01', 'PS', 'sku-lower-01', 'SKU-GIFT-0'];
const PAGES = ['Home', 'Search', 'FAQ_Page', 'Über uns', 'Sale 50% Off', 'Product Detail'];
const TIERS = ['gold', 'Gold', 'silver', 'bronze', 'platinum', ''];
const COUNTRIES = ['US', 'us', 'CA', 'DE', 'FR', 'MX', ''];
const INTERESTS = ['hiking', 'travel', 'reading', 'yoga', 'Yoga', 'cooking', 'running'];
const NAMES = ['A', 'J', 'Ma', 'S', 'Z', 'an', 'e'];
const UNITS = ['hours', 'days', 'weeks', 'months', 'years', 'minutes'];
const CMP = ['=', '!=', '<', '<=', '>', '>='];

export class PqlGenerator {
  private readonly rnd: () => number;
  constructor(seed: number) {
    this.rnd = seededRandom(seed);
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)]!;
  }
  private chance(p: number): boolean {
    return this.rnd() < p;
  }
  private str(items: readonly string[]): string {
    return JSON.stringify(this.pick(items));
  }

  /** A boolean expression at the profile level. */
  condition(depth = 0): string {
    const r = this.rnd();
    if (depth < 2 && r < 0.25) {
      const op = this.pick(['and', 'or']);
      return `(${this.condition(depth + 1)} ${op} ${this.condition(depth + 1)})`;
    }
    if (depth < 2 && r < 0.32) return `not (${this.condition(depth + 1)})`;
    if (r < 0.62) return this.profileAtom();
    return this.eventAtom();
  }

  profileAtom(): string {
    switch (this.int(0, 17)) {
      case 0:
        return `person.gender ${this.pick(['=', '!='])} ${this.str(['female', 'male', 'not_specified'])}`;
      case 1:
        return `loyalty.points ${this.pick(CMP)} ${this.int(-10, 3000)}`;
      case 2:
        return `loyalty.lifetimeValue ${this.pick(CMP)} ${this.int(0, 3000)}.${this.int(0, 9)}`;
      case 3:
        return `loyalty.tier ${this.pick(['in', 'notIn'])} [${this.str(TIERS)}, ${this.str(TIERS)}]`;
      case 4:
        return `person.name.firstName.${this.pick(['startsWith', 'doesNotStartWith', 'endsWith', 'contains', 'doesNotContain'])}(${this.str(NAMES)}${this.chance(0.4) ? `, ${this.pick(['true', 'false'])}` : ''})`;
      case 5:
        return `homeAddress.countryCode.equals(${this.str(COUNTRIES)}${this.chance(0.5) ? ', false' : ''})`;
      case 6:
        return `person.birthDate occurs ${this.pick(['before', 'after'])} date(${this.int(1950, 2005)}, ${this.int(1, 12)}, ${this.int(1, 28)})`;
      case 7:
        return `person.birthDate.${this.pick(['getMonth', 'getDayOfMonth', 'getYear'])}() ${this.pick(CMP)} ${this.pick(['currentMonth()', 'currentDayOfMonth()', String(this.int(1, 12))])}`;
      case 8:
        return `interests.includes(${this.str(INTERESTS)})`;
      case 9:
        return `interests.count() ${this.pick(CMP)} ${this.int(0, 4)}`;
      case 10:
        return `interests.${this.pick(['intersects', 'subsetOf', 'supersetOf'])}([${this.str(INTERESTS)}, ${this.str(INTERESTS)}])`;
      case 11:
        return `${this.pick(['person.gender', 'homeAddress.city', 'loyalty', 'interests', 'person.birthDate', 'preferences.newsletter'])}.${this.pick(['isNull', 'isNotNull'])}()`;
      case 12:
        return `preferences.newsletter = ${this.pick(['true', 'false'])}`;
      case 13:
        return `(loyalty.points ${this.pick(['+', '-', '*', '%', '/'])} ${this.int(1, 7)}) ${this.pick(CMP)} ${this.int(0, 2000)}`;
      case 14:
        return `homeAddress.city like ${this.str(['%a%', 'S%', '_u%', '%n', 'M_ller', '%es%'])}`;
      case 15:
        return `personalEmail.address.matches(${this.str(['^[a-z.]+@example\\\\.com$', '(?i)EXAMPLE', '\\\\d', '@.*\\\\.(de|ie)$'])})`;
      case 16:
        return `if(loyalty.tier = "gold", 2, 1) * loyalty.points > ${this.int(0, 4000)}`;
      default:
        return `identityMap.get("ECID").count() ${this.pick(CMP)} ${this.int(0, 2)}`;
    }
  }

  /** A condition on one event (event scope). */
  eventCondition(depth = 0): string {
    const r = this.rnd();
    if (depth < 1 && r < 0.25) return `${this.eventCondition(depth + 1)} ${this.pick(['and', 'or'])} ${this.eventCondition(depth + 1)}`;
    switch (this.int(0, 8)) {
      case 0:
      case 1:
        return `eventType = ${this.str(EVENT_TYPES)}`;
      case 2:
        return `timestamp occurs ${this.timeSpec()}`;
      case 3:
        return `commerce.order.priceTotal ${this.pick(CMP)} ${this.int(0, 400)}.0`;
      case 4:
        return `productListItems[SKU = ${this.str(SKUS)}${this.chance(0.3) ? ` and quantity >= ${this.int(1, 4)}` : ''}]`;
      case 5:
        return `web.webPageDetails.name ${this.pick(['=', 'like'])} ${this.str(PAGES)}`;
      case 6:
        return `channel._type = ${this.str(['web', 'mobile'])}`;
      case 7:
        return `^.loyalty.tier = ${this.str(TIERS)}`;
      default:
        return `timestamp.${this.pick(['getMonth', 'getDayOfMonth'])}() = ${this.int(1, 12)}`;
    }
  }

  timeSpec(): string {
    switch (this.int(0, 5)) {
      case 0:
        return `${this.pick(CMP)} ${this.int(0, 40)} ${this.pick(UNITS)} ${this.pick(['before', 'after'])} ${this.pick(['now', 'today'])}`;
      case 1:
        return `${this.pick(['this', 'last', 'next'])} ${this.pick(['day', 'week', 'month', 'year', 'hour'])}`;
      case 2:
        return this.pick(['today', 'yesterday', 'tomorrow']);
      case 3:
        return `${this.pick(['before', 'after'])} ${this.pick(['today', 'now', `date(${this.int(2023, 2026)}, ${this.int(1, 12)}, 1)`])}`;
      case 4:
        return `between date(${this.int(2023, 2025)}, ${this.int(1, 12)}, 1) and date(2026, ${this.int(1, 6)}, ${this.int(1, 28)})`;
      default:
        return `on date(2026, 6, ${this.int(10, 16)})`;
    }
  }

  eventAtom(): string {
    const filter = `xEvent[${this.eventCondition()}]`;
    switch (this.int(0, 9)) {
      case 0:
        return filter;
      case 1:
      case 2:
        return `${filter}.count() ${this.pick(CMP)} ${this.int(0, 6)}`;
      case 3:
        return `${filter}.${this.pick(['sum', 'average', 'min', 'max'])}(commerce.order.priceTotal) ${this.pick(CMP)} ${this.int(0, 800)}.0`;
      case 4:
        return `${this.pick(['exists', 'forall'])} E from xEvent where ${this.prefixed('E', this.eventConditionSimple())}${this.chance(0.5) ? ` : ${this.prefixed('E', this.eventConditionSimple())}` : ''}`;
      case 5: {
        const steps = this.int(1, 3);
        const parts: string[] = [];
        for (let i = 0; i < steps; i++) {
          const when = this.chance(0.3) ? ` WHEN(${this.pick(['<', '<='])} ${this.int(1, 60)} days before now)` : '';
          const count = this.chance(0.2) ? ` COUNT(${this.int(1, 3)})` : '';
          parts.push(`S${i}: WHAT(eventType = ${this.str(EVENT_TYPES)})${when}${count}`);
        }
        return `chain(xEvent, timestamp, [${parts.join(', ')}])`;
      }
      case 6:
        return `(sum X.commerce.order.priceTotal over X from xEvent where ${this.prefixed('X', this.eventConditionSimple())}) ${this.pick(CMP)} ${this.int(0, 900)}.0`;
      case 7:
        return `xEvent.productListItems.SKU.includes(${this.str(SKUS)})`;
      case 8:
        return `(select V from xEvent where ${this.prefixed('V', this.eventConditionSimple())}).count() ${this.pick(CMP)} ${this.int(0, 4)}`;
      default:
        return `xEvent.topN(timestamp, ${this.int(1, 3)}).head().eventType = ${this.str(EVENT_TYPES)}`;
    }
  }

  /** A condition over a named event variable's fields (select, quantifiers, comprehensions). */
  private eventConditionSimple(): string {
    switch (this.int(0, 3)) {
      case 0:
        return `#.eventType = ${this.str(EVENT_TYPES)}`;
      case 1:
        return `#.timestamp occurs ${this.timeSpec()}`;
      case 2:
        return `#.commerce.order.priceTotal ${this.pick(CMP)} ${this.int(0, 400)}.0`;
      default:
        return `#.channel._type = ${this.str(['web', 'mobile'])}`;
    }
  }

  private prefixed(variable: string, text: string): string {
    return text.replaceAll('#', variable);
  }
}
