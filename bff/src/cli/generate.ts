import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { generateDataset, resolveAnchor } from '../engine/generate.js';

export const GENERATE_USAGE = `Usage: seg generate --profiles N [--events-per-profile M] [--seed S] --out DIR

Writes DIR/profiles.ndjson and DIR/events.ndjson (data-contract.md format).

Options:
  --profiles N             number of people (required)
  --events-per-profile M   mean events per person, skewed (default 20)
  --seed S                 PRNG seed, an unsigned 32-bit integer (default 1)
  --out DIR                output directory (created if missing; required)

Event timestamps fall in the two years before SEG_NOW when set, else before
today 00:00 UTC. The same seed and anchor always produce the same bytes.`;

function nonNegInt(name: string, raw: string | undefined, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(raw))
    throw new UsageError(`--${name} must be a non-negative integer, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} is too large`);
  return n;
}

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        profiles: { type: 'string' },
        'events-per-profile': { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(
      `seg generate: ${err instanceof Error ? err.message : String(err)}\n\n${GENERATE_USAGE}`,
    );
    return 2;
  }
  if (values.help) {
    console.log(GENERATE_USAGE);
    return 0;
  }
  let profiles: number, eventsPerProfile: number, seed: number;
  try {
    profiles = nonNegInt('profiles', values.profiles);
    eventsPerProfile = nonNegInt('events-per-profile', values['events-per-profile'], 20);
    seed = nonNegInt('seed', values.seed, 1);
    if (seed > 0xffffffff) throw new UsageError('--seed must fit in 32 bits');
    if (values.out === undefined || values.out === '') throw new UsageError('--out is required');
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`seg generate: ${err.message}\n\n${GENERATE_USAGE}`);
      return 2;
    }
    throw err;
  }
  let now: Date;
  try {
    now = resolveAnchor();
  } catch (err) {
    console.error(`seg generate: ${(err as Error).message}`);
    return 2;
  }
  const outDir = resolve(values.out);
  console.log(`anchor (SEG_NOW): ${now.toISOString()}`);
  const r = await generateDataset({ profiles, eventsPerProfile, seed, outDir, now });
  console.log(
    `wrote ${outDir}: ${r.profileLines} profile lines (${r.people} people, ${r.splitProfiles} split in 2 fragments), ` +
      `${r.events} events (${r.orphanEvents} orphan events from ${r.orphanVisitors} anonymous visitors) in ${(r.ms / 1000).toFixed(1)} s`,
  );
  return 0;
}
