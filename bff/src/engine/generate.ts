/**
 * Deterministic sample-data generator (data-contract.md format).
 *
 * Writes `profiles.ndjson` and `events.ndjson` into a directory, streamed with
 * backpressure: lines are built one profile at a time into a small buffer and
 * flushed to write streams, so memory stays flat whatever N is. The same seed
 * and anchor always give the same bytes (seeded mulberry32 PRNG, no clock, no
 * Map/Set iteration order dependence).
 *
 * Field names match the conformance fixture (shared/conformance) so the same
 * PQL runs on both.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';

export interface GenerateOptions {
  profiles: number;
  /** Mean number of events per profile (skewed: few heavy users, many light ones). */
  eventsPerProfile?: number;
  seed?: number;
  outDir: string;
  /** Events fall in the two years before this instant. */
  now: Date;
}

export interface GenerateReport {
  outDir: string;
  now: string;
  seed: number;
  /** Lines written to profiles.ndjson (fragments included). */
  profileLines: number;
  /** Distinct people (a split person counts once). */
  people: number;
  /** People written as two fragments sharing an ECID. */
  splitProfiles: number;
  /** Lines written to events.ndjson. */
  events: number;
  /** Events whose identities match no profile. */
  orphanEvents: number;
  /** Distinct anonymous visitors behind the orphan events. */
  orphanVisitors: number;
  ms: number;
}

/** The anchor instant: SEG_NOW when set, else today 00:00 UTC. */
export function resolveAnchor(env: NodeJS.ProcessEnv = process.env): Date {
  const raw = env.SEG_NOW;
  if (raw !== undefined && raw.trim() !== '') {
    const d = new Date(raw);
    if (Number.isNaN(d.getTime())) throw new Error(`SEG_NOW is not an ISO-8601 instant: "${raw}"`);
    return d;
  }
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

// ------------------------------------------------------------------ PRNG

/** mulberry32: small, fast, good enough for sample data. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Pick by weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [x, w] of items) {
      r -= w;
      if (r < 0) return x;
    }
    return items[items.length - 1]![0];
  }
}

// ------------------------------------------------------------------ vocabularies

const FIRST_F = [
  'Ada',
  'Zoë',
  'Emma',
  'Olivia',
  'Sofia',
  'Åsa',
  'Priya',
  'Yuki',
  'Grace',
  'Renée',
  'Chloé',
  'Ana',
  'Mia',
  'Lena',
  'Nadia',
  'Ingrid',
  'Fatima',
  'Hana',
  'Julia',
  'Maya',
];
const FIRST_M = [
  'Bob',
  'José',
  'Liam',
  'Noah',
  'Kenji',
  'Björn',
  'Omar',
  'Mateo',
  'Ólafur',
  'Søren',
  'Aarav',
  'Wei',
  'Kai',
  'João',
  'Ivan',
  'Carlos',
  'Émile',
  'Lucas',
  'Ethan',
  'Ravi',
];
const LAST = [
  'Smith',
  'Müller',
  'Garcia',
  'Lee',
  'Patel',
  'Rossi',
  'Dubois',
  'Kim',
  'Nguyen',
  'Schäfer',
  'Brown',
  'Chen',
  'Martin',
  'Novak',
  "O'Brien",
  'Silva',
  'Tanaka',
  'Núñez',
  'Johansson',
  'Haddad',
  'Wilson',
  'Kowalski',
];
const PLACES: readonly (readonly [string, string, string, string])[] = [
  ['San Francisco', 'CA', 'US', '94105'],
  ['Los Angeles', 'CA', 'US', '90012'],
  ['San Diego', 'CA', 'US', '92103'],
  ['New York', 'NY', 'US', '10013'],
  ['Austin', 'TX', 'US', '78701'],
  ['Houston', 'TX', 'US', '77002'],
  ['Seattle', 'WA', 'US', '98101'],
  ['Boston', 'MA', 'US', '02108'],
  ['Chicago', 'IL', 'US', '60601'],
  ['Toronto', 'ON', 'CA', 'M5V 2T6'],
  ['Vancouver', 'BC', 'CA', 'V6B 1A1'],
  ['Montréal', 'QC', 'CA', 'H2X 1Y4'],
  ['London', 'ENG', 'GB', 'SW1A 1AA'],
  ['Dublin', 'L', 'IE', 'D02 X285'],
  ['Paris', 'IDF', 'FR', '75001'],
  ['Berlin', 'BE', 'DE', '10115'],
  ['Köln', 'NW', 'DE', '50667'],
  ['Zürich', 'ZH', 'CH', '8001'],
  ['Stockholm', 'AB', 'SE', '111 22'],
  ['São Paulo', 'SP', 'BR', '01310-100'],
  ['Ciudad Juárez', 'CHH', 'MX', '32000'],
  ['Tokyo', '13', 'JP', '100-0001'],
];
const INTERESTS = [
  'hiking',
  'yoga',
  'running',
  'cooking',
  'travel',
  'music',
  'gaming',
  'reading',
  'cycling',
  'photography',
  'fashion',
  'gardening',
];
const TIERS: readonly (readonly [string, number])[] = [
  ['bronze', 50],
  ['silver', 30],
  ['gold', 15],
  ['platinum', 5],
];
const PRODUCTS: readonly (readonly [string, string, number])[] = [
  ['SKU-TRAIL-01', 'Trail Runner ⛰️', 129.99],
  ['SKU-YOGA-MAT', 'Yoga Mat', 35.0],
  ['SKU-JACKET-W', 'Montana Wind Jacket', 189.0],
  ['SKU-SOCKS-3', 'Socks (3-pack)', 9.99],
  ['SKU-MUG-CAFE', 'Café Mug', 12.5],
  ['SKU-BOTTLE-1', 'Steel Bottle', 24.0],
  ['SKU-TENT-2P', 'Two-Person Tent', 349.0],
  ['SKU-CAP-RED', 'Red Cap', 19.95],
  ['SKU-KIDS_TEE', "Kid's_Tee", 15.0],
  ['SKU-HEADLAMP', 'Headlamp', 39.99],
  ['SKU-BACKPACK', 'Daypack 24L', 89.0],
  ['PS', 'PlayStation 5', 499.99],
];
const PAGES: readonly (readonly [string, string])[] = [
  ['Home', 'https://shop.example.com/'],
  ['Search', 'https://shop.example.com/search'],
  ['Men', 'https://shop.example.com/men'],
  ['Women', 'https://shop.example.com/women'],
  ['Sale', 'https://shop.example.com/sale'],
  ['Über uns', 'https://shop.example.com/ueber-uns'],
  ['Help', 'https://shop.example.com/help'],
  ['Cart', 'https://shop.example.com/cart'],
];
const CURRENCIES: readonly (readonly [string, number])[] = [
  ['USD', 70],
  ['EUR', 20],
  ['GBP', 6],
  ['CAD', 4],
];
const OFFSETS = ['+00:00', '-04:00', '-05:00', '+01:00', '+02:00', '+05:30', '+09:00', '-03:00'];

type EventKind =
  | 'web.webpagedetails.pageViews'
  | 'commerce.productViews'
  | 'commerce.productListAdds'
  | 'commerce.checkouts'
  | 'commerce.purchases'
  | 'application.launch';

const DAY = 86_400_000;
const WINDOW = 730 * DAY;

const s = (x: string): string => JSON.stringify(x);
const money = (x: number): string => x.toFixed(2);

function stripAccents(x: string): string {
  return x
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

function ecid(rng: Rng): string {
  // 38 decimal digits, like Adobe ECIDs.
  let out = String(1 + rng.int(0, 8));
  while (out.length < 38) out += String(rng.u32()).padStart(10, '0');
  return out.slice(0, 38);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** ISO-8601 with `Z` (mostly) or a UTC offset (a few percent), as XDM sources write them. */
function isoTime(ms: number, rng: Rng): string {
  if (!rng.chance(0.03)) {
    const iso = new Date(ms).toISOString();
    return ms % 1000 === 0 ? iso.slice(0, 19) + 'Z' : iso;
  }
  const off = rng.pick(OFFSETS);
  const sign = off[0] === '-' ? -1 : 1;
  const mins = sign * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
  const local = new Date(ms + mins * 60_000).toISOString();
  return (ms % 1000 === 0 ? local.slice(0, 19) : local.slice(0, 23)) + off;
}

// ------------------------------------------------------------------ buffered writer

class LineSink {
  private buf: string[] = [];
  private size = 0;
  lines = 0;
  constructor(private readonly stream: WriteStream) {}
  push(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    this.lines++;
  }
  /** Flush once the buffer is big enough; awaits 'drain' when the stream is saturated. */
  async maybeFlush(): Promise<void> {
    if (this.size >= 1 << 18) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

// ------------------------------------------------------------------ profiles

interface Person {
  index: number;
  email: string;
  ecids: string[];
  phone: string | undefined;
  /** Activity weight (mean 1 over the population). */
  activity: number;
  first: string;
  last: string;
  female: boolean;
}

function identityEntry(id: string, primary: boolean): string {
  return `{"id":${s(id)},"primary":${primary}}`;
}

function renderAttributes(rng: Rng, p: Person, part: 'all' | 'a' | 'b'): string[] {
  const out: string[] = [];
  const { female, first, last } = p;
  if (part !== 'b') {
    // person
    if (!rng.chance(0.01)) {
      const fields: string[] = [];
      fields.push(`"name":{"firstName":${s(rng.chance(0.01) ? '' : first)},"lastName":${s(last)}}`);
      const g = rng.next();
      if (g < 0.9)
        fields.push(
          `"gender":${s(
            rng.weighted([
              [female ? 'female' : 'male', 95],
              ['not_specified', 5],
            ] as const),
          )}`,
        );
      else if (g < 0.95) fields.push(`"gender":null`);
      const year = 1945 + Math.floor(rng.next() * 62);
      const month = rng.int(1, 12);
      const day = rng.int(
        1,
        month === 2 ? (year % 4 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31,
      );
      const b = rng.next();
      if (b < 0.85) {
        fields.push(`"birthDate":"${year}-${pad(month, 2)}-${pad(day, 2)}"`);
        fields.push(`"birthYear":${year}`);
      } else if (b < 0.93) fields.push(`"birthYear":${year}`);
      else if (b < 0.96) fields.push(`"birthDate":null,"birthYear":null`);
      out.push(`"person":{${fields.join(',')}}`);
    }
    // homeAddress
    const h = rng.next();
    if (h < 0.88) {
      const [city, st, cc, zip] = rng.pick(PLACES);
      const f = [`"city":${s(city)}`];
      if (!rng.chance(0.05)) f.push(`"stateProvince":${s(st)}`);
      f.push(`"countryCode":${s(cc)}`);
      if (!rng.chance(0.08)) f.push(`"postalCode":${s(zip)}`);
      out.push(`"homeAddress":{${f.join(',')}}`);
    } else if (h < 0.92) out.push(`"homeAddress":null`);
    else if (h < 0.94)
      out.push(`"homeAddress":{"city":"","stateProvince":"","countryCode":"","postalCode":""}`);
    if (!rng.chance(0.1)) out.push(`"personalEmail":{"address":${s(p.email)}}`);
  }
  if (part !== 'a') {
    if (p.phone !== undefined && !rng.chance(0.2)) {
      out.push(
        `"mobilePhone":{"number":${s(`+1 ${p.phone.slice(2, 5)} ${p.phone.slice(5, 8)} ${p.phone.slice(8)}`)}}`,
      );
    }
    // loyalty
    const l = rng.next();
    if (l < 0.75) {
      const tier = rng.weighted(TIERS);
      const mult = tier === 'bronze' ? 1 : tier === 'silver' ? 3 : tier === 'gold' ? 8 : 20;
      const points = Math.floor(rng.next() * 500 * mult * p.activity);
      const ltv = Math.round(rng.next() * 400 * mult * p.activity * 100) / 100;
      out.push(`"loyalty":{"points":${points},"tier":${s(tier)},"lifetimeValue":${money(ltv)}}`);
    } else if (l < 0.8) out.push(`"loyalty":{"points":null,"tier":"","lifetimeValue":null}`);
    const n = rng.next();
    if (n < 0.7) out.push(`"preferences":{"newsletter":${rng.chance(0.45)}}`);
    else if (n < 0.75) out.push(`"preferences":{"newsletter":null}`);
    const i = rng.next();
    if (i < 0.7) {
      const k = rng.int(1, 4);
      const picked: string[] = [];
      for (let j = 0; j < k; j++) {
        const x = rng.pick(INTERESTS);
        if (!picked.includes(x)) picked.push(x);
      }
      out.push(`"interests":[${picked.map(s).join(',')}]`);
    } else if (i < 0.8) out.push(`"interests":[]`);
    if (!rng.chance(0.15))
      out.push(`"consents":{"marketing":{"email":{"val":${s(rng.chance(0.6) ? 'y' : 'n')}}}}`);
  }
  return out;
}

// ------------------------------------------------------------------ events

function pickKind(rng: Rng, buyer: number): EventKind {
  return rng.weighted<EventKind>([
    ['web.webpagedetails.pageViews', 44],
    ['commerce.productViews', 22],
    ['commerce.productListAdds', 8 * buyer],
    ['commerce.checkouts', 4 * buyer],
    ['commerce.purchases', 4 * buyer],
    ['application.launch', 12],
  ]);
}

function items(rng: Rng, max: number): { json: string; total: number } {
  const k = rng.int(1, max);
  const parts: string[] = [];
  let total = 0;
  for (let j = 0; j < k; j++) {
    const [sku, name, price] = rng.pick(PRODUCTS);
    const qty = rng.chance(0.8) ? 1 : rng.int(2, 4);
    const line = Math.round(price * qty * 100) / 100;
    total += line;
    parts.push(`{"SKU":${s(sku)},"name":${s(name)},"priceTotal":${money(line)},"quantity":${qty}}`);
  }
  return { json: `[${parts.join(',')}]`, total: Math.round(total * 100) / 100 };
}

function renderEvent(
  rng: Rng,
  id: string,
  ts: string,
  identityMap: string,
  kind: EventKind,
): string {
  const head = `{"_id":${s(id)},"timestamp":"${ts}","identityMap":${identityMap},"eventType":"${kind}"`;
  const channel = rng.chance(0.04)
    ? ''
    : `,"channel":{"_type":"${rng.chance(0.3) ? 'mobile' : 'web'}"}`;
  switch (kind) {
    case 'web.webpagedetails.pageViews': {
      const [name, url] = rng.pick(PAGES);
      return `${head},"web":{"webPageDetails":{"name":${s(name)},"URL":${s(url)},"pageViews":{"value":1}}}${channel}}`;
    }
    case 'application.launch':
      return `${head},"application":{"name":"ShopApp","launches":{"value":1}},"channel":{"_type":"mobile"}}`;
    case 'commerce.productViews':
      return `${head},"productListItems":${items(rng, 1).json},"commerce":{"productViews":{"value":1}}${channel}}`;
    case 'commerce.productListAdds':
      return `${head},"productListItems":${items(rng, 2).json},"commerce":{"productListAdds":{"value":1}}${channel}}`;
    case 'commerce.checkouts':
      return `${head},"productListItems":${items(rng, 3).json},"commerce":{"checkouts":{"value":1}}${channel}}`;
    case 'commerce.purchases': {
      const it = items(rng, 3);
      const cur = rng.weighted(CURRENCIES);
      return `${head},"productListItems":${it.json},"commerce":{"purchases":{"value":1},"order":{"priceTotal":${money(it.total)},"currencyCode":"${cur}"}}${channel}}`;
    }
  }
}

/** Event count for one person: lognormal activity × mean, so a few heavy users and a long tail of light ones. */
function eventCount(rng: Rng, mean: number, activity: number): number {
  const x = mean * activity;
  const n = Math.floor(x + rng.next());
  return Math.min(n, Math.max(50, mean * 60));
}

/** Event instants: recent activity is denser (a person's events cluster toward the anchor). */
function eventTimes(rng: Rng, now: number, n: number): number[] {
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const age = Math.pow(rng.next(), 1.4) * WINDOW;
    let t = now - 1 - Math.floor(age);
    if (rng.chance(0.5)) t = t - (t % 1000);
    out[i] = t;
  }
  out.sort((a, b) => a - b);
  return out;
}

// ------------------------------------------------------------------ main

export async function generateDataset(options: GenerateOptions): Promise<GenerateReport> {
  const started = Date.now();
  const n = options.profiles;
  const mean = options.eventsPerProfile ?? 20;
  const seed = options.seed ?? 1;
  const now = options.now.getTime();
  if (!Number.isInteger(n) || n < 0) throw new Error('profiles must be a non-negative integer');
  if (!(mean >= 0)) throw new Error('eventsPerProfile must be >= 0');
  await mkdir(options.outDir, { recursive: true });
  const profiles = new LineSink(createWriteStream(join(options.outDir, 'profiles.ndjson')));
  const events = new LineSink(createWriteStream(join(options.outDir, 'events.ndjson')));
  const rng = new Rng(seed);
  const report: GenerateReport = {
    outDir: options.outDir,
    now: options.now.toISOString(),
    seed,
    profileLines: 0,
    people: n,
    splitProfiles: 0,
    events: 0,
    orphanEvents: 0,
    orphanVisitors: 0,
    ms: 0,
  };
  let eventSeq = 0;
  const nextEventId = () => `evt-${pad(++eventSeq, 9)}`;
  /** Second fragments waiting a few lines before being written (bounded: at most ~8 pending). */
  const pending: { due: number; line: string }[] = [];
  const sigma = 1.1;

  try {
    for (let i = 0; i < n; i++) {
      const female = rng.chance(0.5);
      const first = rng.pick(female ? FIRST_F : FIRST_M);
      const last = rng.pick(LAST);
      const email = `${stripAccents(first)}.${stripAccents(last)}.${i}@example.com`;
      const ecidCount = rng.weighted([
        [0, 15],
        [1, 65],
        [2, 20],
      ] as const);
      const ecids: string[] = [];
      for (let k = 0; k < ecidCount; k++) ecids.push(ecid(rng));
      const phone = rng.chance(0.3) ? `+1${pad(2000000000 + i, 10)}` : undefined;
      const activity = Math.exp(sigma * rng.normal() - (sigma * sigma) / 2);
      const person: Person = { index: i, email, ecids, phone, activity, first, last, female };

      const split = ecids.length > 0 && rng.chance(0.03);
      const ecidFirst = ecids.length > 0 && rng.chance(0.1);
      if (!split) {
        const nsParts: string[] = [];
        const emailPart = `"Email":[${identityEntry(email, true)}]`;
        const ecidPart = ecids.length
          ? `"ECID":[${ecids.map((e) => identityEntry(e, false)).join(',')}]`
          : '';
        if (ecidFirst) nsParts.push(ecidPart, emailPart);
        else {
          nsParts.push(emailPart);
          if (ecidPart) nsParts.push(ecidPart);
        }
        if (phone) nsParts.push(`"Phone":[${identityEntry(phone, false)}]`);
        const attrs = renderAttributes(rng, person, 'all');
        profiles.push(
          `{"identityMap":{${nsParts.join(',')}}${attrs.length ? ',' + attrs.join(',') : ''}}`,
        );
      } else {
        report.splitProfiles++;
        // Fragment A: CRM record (Email + first ECID), fragment B: app record (ECIDs + phone).
        const a = renderAttributes(rng, person, 'a');
        profiles.push(
          `{"identityMap":{"Email":[${identityEntry(email, true)}],"ECID":[${identityEntry(ecids[0]!, false)}]}${a.length ? ',' + a.join(',') : ''}}`,
        );
        const b = renderAttributes(rng, person, 'b');
        // A conflicting attribute: the later fragment's city wins.
        if (rng.chance(0.5)) {
          const [city, st, cc] = rng.pick(PLACES);
          b.push(
            `"homeAddress":{"city":${s(city)},"stateProvince":${s(st)},"countryCode":${s(cc)}}`,
          );
        }
        const idm = [`"ECID":[${ecids.map((e) => identityEntry(e, false)).join(',')}]`];
        if (phone) idm.push(`"Phone":[${identityEntry(phone, false)}]`);
        pending.push({
          due: i + rng.int(1, 8),
          line: `{"identityMap":{${idm.join(',')}}${b.length ? ',' + b.join(',') : ''}}`,
        });
      }
      while (pending.length > 0 && pending[0]!.due <= i) profiles.push(pending.shift()!.line);

      // Events
      const count = eventCount(rng, mean, activity);
      if (count > 0) {
        const buyer = Math.min(4, 0.3 + activity);
        const times = eventTimes(rng, now, count);
        const web = ecids.length
          ? `{"ECID":[${identityEntry(ecids[0]!, true)}]}`
          : `{"Email":[${identityEntry(email, true)}]}`;
        for (const t of times) {
          let idm = web;
          if (ecids.length > 1 && rng.chance(0.3))
            idm = `{"ECID":[${identityEntry(ecids[1]!, true)}]}`;
          else if (rng.chance(0.08)) {
            idm = ecids.length
              ? `{"ECID":[${identityEntry(ecids[0]!, true)}],"Email":[${identityEntry(email, false)}]}`
              : `{"Email":[${identityEntry(email, true)}]}`;
          }
          events.push(renderEvent(rng, nextEventId(), isoTime(t, rng), idm, pickKind(rng, buyer)));
          report.events++;
        }
      }
      // Anonymous visitors: events under an ECID no profile holds.
      if (rng.chance(0.005)) {
        report.orphanVisitors++;
        const anon = ecid(rng);
        const k = rng.int(1, 5);
        for (const t of eventTimes(rng, now, k)) {
          const kind = rng.chance(0.7) ? 'web.webpagedetails.pageViews' : 'commerce.productViews';
          events.push(
            renderEvent(
              rng,
              nextEventId(),
              isoTime(t, rng),
              `{"ECID":[${identityEntry(anon, true)}]}`,
              kind,
            ),
          );
          report.events++;
          report.orphanEvents++;
        }
      }
      await profiles.maybeFlush();
      await events.maybeFlush();
    }
    for (const p of pending) profiles.push(p.line);
    pending.length = 0;
  } finally {
    await Promise.all([profiles.close(), events.close()]);
  }
  report.profileLines = profiles.lines;
  report.ms = Date.now() - started;
  return report;
}
