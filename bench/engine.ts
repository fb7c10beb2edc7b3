/**
 * Engine benchmark (issue 3). On a generated dataset (default 1,000,000
 * profiles, ~20 events each), measured in the same run:
 * - each definition's compiled query ÷ a hand-written DuckDB query for the same question;
 * - the engine ÷ the reference interpreter (per profile, interpreter on a sample);
 * - a batch of 100 definitions ÷ one definition;
 * - load throughput and peak memory.
 *
 *   npm run bench -- engine [--profiles N] [--events-per-profile M] [--postgres]
 *
 * With --postgres (or SEG_PG_URL set) the dataset is also loaded into
 * PostgreSQL (SEG_PG_URL, else a throwaway local server) and every definition
 * is timed there too, beside DuckDB's time, in the same run.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzeText, qualifies, type CheckedQuery } from '@seg/shared';
import { engineTarget } from '../bff/src/engine/dataset.ts';
import { countBatch, countMembers, type EngineTarget } from '../bff/src/engine/evaluate.ts';
import { generateDataset } from '../bff/src/engine/generate.ts';
import { loadDataset, readDatasetMeta, type LoadReport } from '../bff/src/engine/load.ts';
import { DuckStore } from '../bff/src/engine/store.ts';
import { copyStoreIntoPostgres } from '../bff/src/engine/postgres/load.ts';
import { startThrowawayPostgres } from '../bff/src/engine/postgres/server.ts';
import { postgresPool, postgresTarget } from '../bff/src/engine/postgres/target.ts';
import { median, printTable, time, writeFigures } from './report.ts';

export interface Case {
  readonly name: string;
  readonly pql: string;
  /** The same question written by hand: one row with the member count `n`. */
  readonly sql: string;
}

const purchases = `attrs.eventType = 'commerce.purchases'`;
export const CASES: Case[] = [
  { name: 'attribute equals', pql: 'loyalty.tier = "gold"', sql: `SELECT count(*) n FROM profiles WHERE attrs.loyalty.tier = 'gold'` },
  {
    name: 'attributes in list and range',
    pql: 'homeAddress.countryCode in ["US", "CA", "MX"] and loyalty.points > 1000',
    sql: `SELECT count(*) n FROM profiles WHERE attrs.homeAddress.countryCode IN ('US','CA','MX') AND attrs.loyalty.points > 1000`,
  },
  {
    name: 'date attribute before',
    pql: 'person.birthDate occurs before date(1980, 1, 1)',
    sql: `SELECT count(*) n FROM profiles WHERE attrs.person.birthDate < DATE '1980-01-01'`,
  },
  {
    name: 'string function',
    pql: 'personalEmail.address.startsWith("ma", false)',
    sql: `SELECT count(*) n FROM profiles WHERE starts_with(lower(attrs.personalEmail.address), 'ma')`,
  },
  { name: 'list includes', pql: 'interests.includes("yoga")', sql: `SELECT count(*) n FROM profiles WHERE list_contains(attrs.interests, 'yoga')` },
  {
    name: 'list intersects',
    pql: 'interests.intersects(["hiking", "travel"])',
    sql: `SELECT count(*) n FROM profiles WHERE list_has_any(attrs.interests, ['hiking', 'travel'])`,
  },
  {
    name: 'event count ever',
    pql: 'xEvent[eventType = "commerce.purchases"].count() >= 3',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events WHERE ${purchases} GROUP BY pk HAVING count(*) >= 3)`,
  },
  {
    name: 'event in last 30 days',
    pql: 'xEvent[eventType = "commerce.purchases" and timestamp occurs < 30 days before now].count() >= 1',
    sql: `SELECT count(DISTINCT pk) n FROM events WHERE ${purchases} AND ts > $now - INTERVAL 30 DAY AND ts <= $now`,
  },
  {
    name: 'page views last month',
    pql: 'xEvent[eventType = "web.webpagedetails.pageViews" and timestamp occurs last month].count() >= 5',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events WHERE attrs.eventType = 'web.webpagedetails.pageViews'
            AND ts >= date_trunc('month', $now) - INTERVAL 1 MONTH AND ts < date_trunc('month', $now) GROUP BY pk HAVING count(*) >= 5)`,
  },
  {
    name: 'sum of purchases',
    pql: 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal) > 500',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events WHERE ${purchases} GROUP BY pk HAVING sum(attrs.commerce."order".priceTotal) > 500)`,
  },
  {
    name: 'average order this year',
    pql: 'xEvent[eventType = "commerce.purchases" and timestamp occurs this year].average(commerce.order.priceTotal) >= 75',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events WHERE ${purchases} AND ts >= date_trunc('year', $now) AND ts < date_trunc('year', $now) + INTERVAL 1 YEAR
            GROUP BY pk HAVING avg(attrs.commerce."order".priceTotal) >= 75)`,
  },
  {
    name: 'nested product filter',
    pql: 'xEvent[productListItems[SKU = "SKU-YOGA-MAT" and quantity >= 2]]',
    sql: `SELECT count(DISTINCT pk) n FROM events WHERE len(list_filter(attrs.productListItems, x -> x.SKU = 'SKU-YOGA-MAT' AND x.quantity >= 2)) > 0`,
  },
  {
    name: 'sum … over comprehension',
    pql: '(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = "commerce.purchases") > 1000',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events WHERE ${purchases} GROUP BY pk HAVING sum(attrs.commerce."order".priceTotal) > 1000)`,
  },
  {
    name: 'chain view then buy',
    pql: 'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews"), P: WHAT(eventType = "commerce.purchases")])',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events WHERE attrs.eventType IN ('commerce.productViews','commerce.purchases') GROUP BY pk
            HAVING min(ts) FILTER (WHERE attrs.eventType = 'commerce.productViews') < max(ts) FILTER (WHERE ${purchases}))`,
  },
  {
    name: 'chain 3 steps in 30 days',
    pql: 'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews") WHEN(< 30 days before now), A: WHAT(eventType = "commerce.productListAdds"), P: WHAT(eventType = "commerce.purchases")])',
    sql: `WITH v AS (SELECT pk, min(ts) t1 FROM events WHERE attrs.eventType = 'commerce.productViews' AND ts > $now - INTERVAL 30 DAY AND ts <= $now GROUP BY pk),
          a AS (SELECT e.pk, min(e.ts) t2 FROM events e JOIN v USING (pk) WHERE e.attrs.eventType = 'commerce.productListAdds' AND e.ts > v.t1 GROUP BY e.pk)
          SELECT count(DISTINCT e.pk) n FROM events e JOIN a USING (pk) WHERE e.${purchases} AND e.ts > a.t2`,
  },
  {
    name: 'absence and activity',
    pql: 'xEvent[eventType = "commerce.purchases"].count() = 0 and xEvent.count() > 10',
    sql: `SELECT count(*) n FROM (SELECT pk FROM events GROUP BY pk HAVING count(*) FILTER (WHERE ${purchases}) = 0 AND count(*) > 10)`,
  },
  {
    name: 'attribute and recent event',
    pql: 'loyalty.tier = "gold" and xEvent[eventType = "commerce.checkouts" and timestamp occurs < 7 days before now]',
    sql: `SELECT count(*) n FROM profiles p WHERE p.attrs.loyalty.tier = 'gold' AND EXISTS (SELECT 1 FROM events e WHERE e.pk = p.pk
            AND e.attrs.eventType = 'commerce.checkouts' AND e.ts > $now - INTERVAL 7 DAY AND e.ts <= $now)`,
  },
  {
    name: 'distinct SKUs (projection)',
    pql: 'xEvent.productListItems.SKU.distinct().count() >= 5',
    sql: `SELECT count(*) n FROM (SELECT pk FROM (SELECT pk, unnest(attrs.productListItems).SKU AS sku FROM events)
            WHERE sku IS NOT NULL GROUP BY pk HAVING count(DISTINCT sku) >= 5)`,
  },
];

async function prepare(profiles: number, eventsPerProfile: number, now: number) {
  const dir = new URL(`./out/data-${profiles}x${eventsPerProfile}/`, import.meta.url).pathname;
  const cacheFile = `${dir}engine.duckdb`;
  if (!existsSync(`${dir}profiles.ndjson`)) {
    console.log(`generating ${profiles.toLocaleString('en-US')} profiles into ${dir} …`);
    await generateDataset({ profiles, eventsPerProfile, seed: 42, outDir: dir, now: new Date(now) });
  }
  // loaded once into a DuckDB file; later runs reuse it (delete the file to measure loading again)
  const store = await DuckStore.open(cacheFile, { memoryLimit: '8GB' });
  let load: { seconds: number; profiles: number; events: number; peakRssMb: number } | undefined;
  if (!(await readDatasetMeta(store))) {
    console.log('loading into DuckDB …');
    const start = performance.now();
    const report = await loadDataset(store, dir);
    const seconds = (performance.now() - start) / 1000;
    load = { seconds, profiles: report.counts.profiles, events: report.counts.events, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  }
  const { schema, report } = (await readDatasetMeta(store))!;
  return { store, schema, report, load };
}

export async function benchEngine(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profiles: { type: 'string', default: '1000000' },
      'events-per-profile': { type: 'string', default: '20' },
      'interpreter-sample': { type: 'string', default: '5000' },
      /** Also load the dataset into PostgreSQL (SEG_PG_URL, else a throwaway server) and time it there. */
      postgres: { type: 'boolean', default: false },
    },
  });
  const profiles = Number(values.profiles);
  const eventsPerProfile = Number(values['events-per-profile']);
  const now = Date.parse('2026-11-30T00:00:00Z');
  const { store, schema, report, load } = await prepare(profiles, eventsPerProfile, now);
  const target: EngineTarget = engineTarget(store);
  const nowParam = `CAST('${new Date(now).toISOString().replace('Z', '')}' AS TIMESTAMP)`;

  const checked: { c: Case; query: CheckedQuery }[] = CASES.map((c) => {
    const analysis = analyzeText(c.pql, { schema });
    if (analysis.errors.length) throw new Error(`${c.name}: ${analysis.errors[0]!.message}`);
    return { c, query: analysis.checked };
  });

  // --- compiled vs hand-written, same answer required
  const rows: Record<string, string | number>[] = [];
  const ratios: number[] = [];
  const perDefinition: Record<string, unknown>[] = [];
  for (const { c, query } of checked) {
    const handSql = c.sql.replaceAll('$now', nowParam);
    const ours = await countMembers(target, query, { now });
    const theirs = Number((await target.runner.all(handSql, []))[0]!.n);
    if (ours !== theirs) throw new Error(`${c.name}: the engine counts ${ours}, the hand-written query ${theirs}`);
    const runs = report.counts.profiles > 200_000 ? 3 : 5;
    const oursTime = await time(() => countMembers(target, query, { now }), runs, 1);
    const handTime = await time(() => target.runner.all(handSql, []), runs, 1);
    const ratio = oursTime.medianMs / handTime.medianMs;
    ratios.push(ratio);
    rows.push({ definition: c.name, members: ours, 'ours ms': oursTime.medianMs, 'hand ms': handTime.medianMs, ratio });
    perDefinition.push({ name: c.name, pql: c.pql, members: ours, oursMs: oursTime.medianMs, handMs: handTime.medianMs, ratio });
  }
  printTable(`Compiled PQL ÷ hand-written DuckDB SQL (${report.counts.profiles.toLocaleString('en-US')} profiles, ${report.counts.events.toLocaleString('en-US')} events)`, rows);
  const medianRatio = median(ratios);
  console.log(`median ratio: ${medianRatio.toFixed(2)} (target ≤ 1.3)`);

  // --- engine vs reference interpreter, per profile
  const sampleSize = Math.min(Number(values['interpreter-sample']), report.counts.profiles);
  const sample = await interpreterSample(target, sampleSize);
  const interpreterRows: Record<string, string | number>[] = [];
  const speedups: number[] = [];
  for (const [i, { c, query }] of checked.entries()) {
    const interp = await time(() => sample.filter((p) => qualifies(query, { ...p, now })).length, 3, 1);
    const perProfileInterpreter = interp.medianMs / sample.length;
    const perProfileEngine = (perDefinition[i]!.oursMs as number) / report.counts.profiles;
    const speedup = perProfileInterpreter / perProfileEngine;
    speedups.push(speedup);
    interpreterRows.push({ definition: c.name, 'interpreter µs/profile': perProfileInterpreter * 1000, 'engine µs/profile': perProfileEngine * 1000, 'engine speed-up': speedup });
  }
  printTable(`Engine ÷ reference interpreter (interpreter timed on ${sampleSize.toLocaleString('en-US')} profiles, per profile)`, interpreterRows);
  const medianSpeedup = median(speedups);
  console.log(`median speed-up: ${medianSpeedup.toFixed(0)}× (target ≥ 20×)`);

  // --- batch of 100 definitions vs one: parameter variants of the representative definitions
  // (other thresholds, windows and dates), the way a production sandbox holds many similar audiences
  const batchDefinitions = checked.map(({ c, query }) => ({ id: c.name, query }));
  for (let i = checked.length; i < 100; i++) {
    const base = CASES[i % CASES.length]!;
    const shift = Math.floor(i / CASES.length);
    const pql = base.pql.replace(/\b\d+\b/g, (n) => String(Number(n) + shift));
    const analysis = analyzeText(pql, { schema });
    if (analysis.errors.length) throw new Error(`variant ${pql}: ${analysis.errors[0]!.message}`);
    batchDefinitions.push({ id: `${base.name} #${shift}`, query: analysis.checked });
  }
  const large = report.counts.profiles > 200_000;
  const one = await time(() => countBatch(target, batchDefinitions.slice(0, 1), { now }), large ? 3 : 5, 1);
  const hundred = await time(() => countBatch(target, batchDefinitions, { now }), large ? 1 : 3, large ? 0 : 1);
  // one pass must agree with the definitions counted one by one
  const batchCounts = await countBatch(target, batchDefinitions.slice(0, checked.length), { now });
  for (const d of perDefinition) {
    if (batchCounts.get(d.name as string) !== d.members) throw new Error(`batch count of ${String(d.name)} differs from its own count`);
  }
  const singles = perDefinition.map((d) => d.oursMs as number);
  const medianSingle = median(singles);
  const batchRatio = hundred.medianMs / medianSingle;
  printTable('Batch evaluation (members of every definition, one pass)', [
    { run: `1 definition (${checked[0]!.c.name})`, 'median ms': one.medianMs },
    { run: 'median single definition (count)', 'median ms': medianSingle },
    { run: `100 definitions (${checked.length} cases + variants)`, 'median ms': hundred.medianMs },
    { run: `sum of the ${checked.length} counted one by one`, 'median ms': singles.reduce((a, b) => a + b, 0) },
  ]);
  console.log(`batch ratio, 100 definitions ÷ the median single definition: ${batchRatio.toFixed(2)} (target ≤ 4)`);
  console.log(`100 definitions in one pass ÷ the first one alone: ${(hundred.medianMs / one.medianMs).toFixed(1)}`);

  if (load) {
    printTable('Load', [
      {
        seconds: load.seconds,
        'profiles/s': Math.round(load.profiles / load.seconds),
        'events/s': Math.round(load.events / load.seconds),
        'peak RSS MB': Math.round(load.peakRssMb),
      },
    ]);
  } else {
    console.log('\n(load figures: the dataset was already loaded; delete the .duckdb file to measure loading again)');
  }
  const postgres =
    values.postgres || process.env.SEG_PG_URL
      ? await benchPostgres(store, report, checked, perDefinition, now)
      : null;
  store.close();
  return {
    postgres,
    profiles: report.counts.profiles,
    events: report.counts.events,
    perDefinition,
    medianRatio,
    interpreter: { sampleSize, medianSpeedup, rows: interpreterRows },
    batch: { oneMs: one.medianMs, medianSingleMs: medianSingle, hundredMs: hundred.medianMs, ratio: batchRatio },
    load: load ?? null,
  };
}

/**
 * The same definitions on PostgreSQL, beside DuckDB's times: the dataset
 * DuckDB holds (same merge, same keys) is copied (CSV, then COPY) into
 * SEG_PG_URL or a throwaway server.
 */
async function benchPostgres(
  store: DuckStore,
  duckReport: LoadReport,
  checked: { c: Case; query: CheckedQuery }[],
  duck: Record<string, unknown>[],
  now: number,
): Promise<Record<string, unknown>> {
  const server = process.env.SEG_PG_URL ? undefined : await startThrowawayPostgres();
  const pool = postgresPool(process.env.SEG_PG_URL ?? server!.url);
  try {
    console.log(`\nloading into PostgreSQL (${process.env.SEG_PG_URL ? 'SEG_PG_URL' : 'a throwaway server'}) …`);
    const start = performance.now();
    const report = await copyStoreIntoPostgres(store, duckReport, pool, {
      onStage: (stage, ms) => console.log(`  ${stage}: ${(ms / 1000).toFixed(1)} s`),
    });
    const loadSeconds = (performance.now() - start) / 1000;
    const target = postgresTarget(pool);
    const rows: Record<string, string | number>[] = [];
    const perDefinition: Record<string, unknown>[] = [];
    for (const [i, { c, query }] of checked.entries()) {
      const members = await countMembers(target, query, { now });
      const duckMembers = duck[i]!.members as number;
      if (members !== duckMembers) throw new Error(`${c.name}: PostgreSQL counts ${members}, DuckDB ${duckMembers}`);
      const t = await time(() => countMembers(target, query, { now }), 3, 1);
      console.log(`  ${c.name}: ${t.medianMs.toFixed(0)} ms`);
      const duckMs = duck[i]!.oursMs as number;
      rows.push({ definition: c.name, members, 'duckdb ms': duckMs, 'postgres ms': t.medianMs, 'postgres ÷ duckdb': t.medianMs / duckMs });
      perDefinition.push({ name: c.name, members, duckdbMs: duckMs, postgresMs: t.medianMs });
    }
    printTable(`The same definitions on PostgreSQL (JSONB attributes), beside DuckDB`, rows);
    const load = {
      seconds: loadSeconds,
      exportSeconds: report.postgres.exportMs / 1000,
      copySeconds: report.postgres.copyMs / 1000,
      indexSeconds: report.postgres.indexMs / 1000,
      copyRowsPerSecond: report.postgres.rowsPerSecond,
    };
    printTable('PostgreSQL load (DuckDB merge, CSV export, COPY FROM STDIN, index and ANALYZE)', [load]);
    return { perDefinition, medianRatio: median(rows.map((r) => r['postgres ÷ duckdb'] as number)), load };
  } finally {
    await pool.end();
    server?.stop();
  }
}

/** Profiles and their events as JSON, the interpreter's input, read back from the store. */
async function interpreterSample(target: EngineTarget, size: number) {
  // every k-th profile key: spread over the whole key range (keys follow the primary id's order,
  // so the first keys are the attribute-less anonymous visitors, not a fair sample)
  const total = Number((await target.runner.all('SELECT count(*) AS n FROM profiles', []))[0]!.n);
  const step = Math.max(1, Math.floor(total / size));
  const sampled = `pk % ${step} = 0`;
  const profiles = await target.runner.all(
    `SELECT pk, CAST(to_json(struct_insert(attrs, "identityMap" := identity_map)) AS VARCHAR) AS j FROM profiles WHERE ${sampled} ORDER BY pk LIMIT ${size}`,
    [],
  );
  const events = await target.runner.all(
    `SELECT pk, CAST(to_json(struct_insert(attrs, "timestamp" := strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ'))) AS VARCHAR) AS j FROM events WHERE ${sampled} ORDER BY pk, ts`,
    [],
  );
  const byPk = new Map<number, unknown[]>();
  for (const e of events) {
    const pk = Number(e.pk);
    const list = byPk.get(pk) ?? [];
    list.push(JSON.parse(String(e.j)));
    byPk.set(pk, list);
  }
  return profiles.map((p) => ({ profile: JSON.parse(String(p.j)) as unknown, events: byPk.get(Number(p.pk)) ?? [] }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchEngine(process.argv.slice(2));
  console.log(`figures: ${writeFigures('engine', figures)}`);
}
