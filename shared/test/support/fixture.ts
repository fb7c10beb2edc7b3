/**
 * The conformance fixture merged per the data contract
 * (/work/shared/reference/data-contract.md): profile fragments sharing an
 * identity are one profile (identity maps united, the later line winning on a
 * conflicting attribute); events attach to the profile holding any of their
 * identities; orphan events form attribute-less profiles; every profile is
 * named by its primary identity.
 */
import { readFileSync } from 'node:fs';

export interface Identity {
  readonly id: string;
  readonly primary?: boolean;
}
export type IdentityMap = Record<string, Identity[]>;

export interface FixtureProfile {
  /** The merged profile JSON (identityMap included). */
  readonly profile: Record<string, unknown>;
  readonly events: Record<string, unknown>[];
  readonly primaryIdentity: string;
}

export interface Fixture {
  readonly profiles: FixtureProfile[];
  /** Every profile record and every event record as read, for schema inference. */
  readonly profileRecords: Record<string, unknown>[];
  readonly eventRecords: Record<string, unknown>[];
}

export function readNdjson(url: URL): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch {
    return [];
  }
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function identitiesOf(
  record: Record<string, unknown>,
): { ns: string; id: string; primary: boolean }[] {
  const map = record['identityMap'];
  if (!map || typeof map !== 'object' || Array.isArray(map)) return [];
  const out: { ns: string; id: string; primary: boolean }[] = [];
  for (const [ns, list] of Object.entries(map as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (item && typeof item === 'object' && typeof (item as Identity).id === 'string')
        out.push({ ns, id: (item as Identity).id, primary: (item as Identity).primary === true });
    }
  }
  return out;
}

const key = (ns: string, id: string) => `${ns}\u0000${id}`;

class UnionFind {
  private readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!;
      x = this.parent[x]!;
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // the smaller index stays the root, so a group is named by its first line
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep merge: nested objects merge, anything else from `later` wins. */
function mergeInto(target: Record<string, unknown>, later: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(later)) {
    if (k === 'identityMap') continue;
    const prev = target[k];
    if (isPlainObject(prev) && isPlainObject(v)) {
      const copy = { ...prev };
      mergeInto(copy, v);
      target[k] = copy;
    } else target[k] = v;
  }
}

function uniteIdentityMaps(records: Record<string, unknown>[]): IdentityMap {
  const out: IdentityMap = {};
  for (const r of records) {
    for (const { ns, id, primary } of identitiesOf(r)) {
      const list = (out[ns] ??= []);
      const existing = list.find((i) => i.id === id);
      if (existing) {
        if (primary && !existing.primary)
          list[list.indexOf(existing)] = { ...existing, primary: true };
      } else list.push({ id, primary });
    }
  }
  return out;
}

/** The identity marked primary, else the first identity of the first namespace in key order. */
export function primaryIdentity(identityMap: IdentityMap): string {
  for (const list of Object.values(identityMap)) for (const i of list) if (i.primary) return i.id;
  for (const list of Object.values(identityMap)) if (list.length) return list[0]!.id;
  return '';
}

/** Merges profile and event records into profiles with their events. */
export function mergeDataset(
  profileRecords: Record<string, unknown>[],
  eventRecords: Record<string, unknown>[],
): FixtureProfile[] {
  const uf = new UnionFind();
  const owner = new Map<string, number>();
  const lines: { record: Record<string, unknown>; node: number }[] = [];
  for (const record of profileRecords) {
    const node = uf.add();
    lines.push({ record, node });
    for (const { ns, id } of identitiesOf(record)) {
      const k = key(ns, id);
      const o = owner.get(k);
      if (o === undefined) owner.set(k, node);
      else uf.union(o, node);
    }
  }
  const profileNodes = lines.length;

  // Events: attach to a profile holding one of their identities; orphans group among themselves.
  const eventNode: number[] = [];
  const orphanRecords = new Map<number, Record<string, unknown>>();
  for (const ev of eventRecords) {
    const ids = identitiesOf(ev);
    const match = ids
      .map(({ ns, id }) => owner.get(key(ns, id)))
      .find((o) => o !== undefined && o < profileNodes);
    if (match !== undefined) {
      eventNode.push(match);
      continue;
    }
    const node = uf.add();
    orphanRecords.set(node, ev);
    for (const { ns, id } of ids) {
      const k = key(ns, id);
      const o = owner.get(k);
      if (o === undefined) owner.set(k, node);
      else uf.union(o, node);
    }
    eventNode.push(node);
  }

  const groups = new Map<
    number,
    {
      records: Record<string, unknown>[];
      idRecords: Record<string, unknown>[];
      events: Record<string, unknown>[];
    }
  >();
  const group = (root: number) => {
    let g = groups.get(root);
    if (!g) {
      g = { records: [], idRecords: [], events: [] };
      groups.set(root, g);
    }
    return g;
  };
  for (const { record, node } of lines) {
    const g = group(uf.find(node));
    g.records.push(record);
    g.idRecords.push(record);
  }
  for (const [node, ev] of orphanRecords) group(uf.find(node)).idRecords.push(ev);
  eventRecords.forEach((ev, i) => group(uf.find(eventNode[i]!)).events.push(ev));

  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((root) => {
      const g = groups.get(root)!;
      const profile: Record<string, unknown> = {};
      for (const r of g.records) mergeInto(profile, r);
      const identityMap = uniteIdentityMaps(g.idRecords);
      const merged = { identityMap, ...profile };
      return { profile: merged, events: g.events, primaryIdentity: primaryIdentity(identityMap) };
    });
}

/** Reads `profiles.ndjson` and `events.ndjson` from a dataset directory (a URL ending in `/`). */
export function loadFixture(dir: URL): Fixture {
  const profileRecords = readNdjson(new URL('profiles.ndjson', dir));
  const eventRecords = readNdjson(new URL('events.ndjson', dir));
  return { profiles: mergeDataset(profileRecords, eventRecords), profileRecords, eventRecords };
}
