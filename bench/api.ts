/**
 * API benchmark (issue 4), on the engine benchmark's generated dataset (default 1,000,000
 * profiles, ~20 events each, cached in bench/out/data-<N>x<M>/): the real server, started in
 * this process on that directory (SEG_DATA_DIR; state in bench/out/api-state-<N>x<M>/, so the
 * load happens once), measures
 * - for each of the engine benchmark's definitions (CASES in engine.ts): the latency of the
 *   estimate (POST /preview → GET /estimate RESULT_READY) and of the first preview page
 *   (→ GET /preview/{id} RESULT_READY with its first 1,000 results), as a ratio to the engine's
 *   own count query (countMembers) on the same DuckDB database: the API's overhead;
 * - the throughput of GET /estimate/{id} under 50 concurrent clients (autocannon, in a worker
 *   thread), which must answer without a single error.
 *
 *   npm run bench -- api [--profiles N] [--events-per-profile M] [--connections 50] [--duration 10] [--runs 3]
 *   node_modules/.bin/tsx api.ts --profiles 20000
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { analyzeText, type Estimate, type PreviewCreated, type PreviewPage } from '@seg/shared';
import { readCredentials } from '../bff/src/control/clients.ts';
import { countMembers } from '../bff/src/engine/evaluate.ts';
import { generateDataset } from '../bff/src/engine/generate.ts';
import { startServer } from '../bff/src/http/start.ts';
import { CASES } from './engine.ts';
import { median, printTable, time, writeFigures } from './report.ts';
import { preparedState } from './serverState.ts';

const ORG = 'BENCHAPI@AdobeOrg';

const NOW = '2026-11-30T00:00:00Z';
const BASE = '/data/core/ups';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchApi(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profiles: { type: 'string', default: '1000000' },
      'events-per-profile': { type: 'string', default: '20' },
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
    },
  });
  const profiles = Number(values.profiles);
  const eventsPerProfile = Number(values['events-per-profile']);
  const connections = Number(values.connections);
  const duration = Number(values.duration);
  const runs = Number(values.runs);
  const now = Date.parse(NOW);

  const dataDir = fileURLToPath(new URL(`./out/data-${profiles}x${eventsPerProfile}/`, import.meta.url));
  if (!existsSync(`${dataDir}profiles.ndjson`)) {
    console.log(`generating ${profiles.toLocaleString('en-US')} profiles into ${dataDir} …`);
    await generateDataset({ profiles, eventsPerProfile, seed: 42, outDir: dataDir, now: new Date(now) });
  }
  // start from the engine benchmark's loaded DuckDB file when there is one (no reload of the data)
  const reusable = existsSync(`${dataDir}engine.duckdb`);
  const stateDir = reusable
    ? preparedState(dataDir, ORG, 'seg-bench-api-')
    : fileURLToPath(new URL(`./out/api-state-${profiles}x${eventsPerProfile}/`, import.meta.url));
  mkdirSync(stateDir, { recursive: true });

  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    SEG_STATE_DIR: stateDir,
    SEG_DATA_DIR: dataDir,
    SEG_ORG_ID: ORG,
    SEG_NOW: NOW,
    SEG_RATE_LIMIT: '0',
    SEG_QUERY_TIMEOUT_MS: '600000',
    LOG_LEVEL: 'silent',
  };
  console.log(`starting the server on ${dataDir} (the first run loads it into ${stateDir}) …`);
  const started = performance.now();
  const running = await startServer({ env, banner: false });
  try {
    await running.loaded;
    const status = running.services.dataPlane.status();
    if (status.state !== 'ready') throw new Error(`the data did not load: ${status.error ?? status.state}`);
    const readySeconds = (performance.now() - started) / 1000;
    const url = running.url.replace('localhost', '127.0.0.1').replace(/\/$/, '');
    const { bootstrap } = running.services;
    const secret = readCredentials(stateDir).clientSecret;
    if (!secret) throw new Error(`no client secret in ${stateDir}/credentials.txt`);
    const tokenRes = await fetch(`${url}/ims/token/v3`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: bootstrap.client.clientId, client_secret: secret }),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const headers = {
      authorization: `Bearer ${access_token}`,
      'x-api-key': bootstrap.client.clientId,
      'x-gw-ims-org-id': bootstrap.org.id,
      'x-sandbox-name': 'prod',
      'content-type': 'application/json',
    };
    const data = await running.services.dataPlane.forSandbox(bootstrap.org.id, 'prod');

    const createPreview = async (pql: string): Promise<string> => {
      const res = await fetch(`${url}${BASE}/preview`, { method: 'POST', headers, body: JSON.stringify({ predicateExpression: pql }) });
      if (res.status !== 201) throw new Error(`POST /preview: ${res.status} ${await res.text()}`);
      return ((await res.json()) as PreviewCreated).previewId;
    };
    const getJson = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${url}${path}`, { headers });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    /** One preview: ms until the estimate is ready, and until the first page is. */
    const measure = async (pql: string) => {
      const start = performance.now();
      const id = await createPreview(pql);
      let estimateMs: number;
      let estimate: Estimate;
      for (;;) {
        estimate = await getJson<Estimate>(`${BASE}/estimate/${id}`);
        if (estimate.state !== 'RUNNING') {
          estimateMs = performance.now() - start;
          break;
        }
        await sleep(2);
      }
      if (estimate.state !== 'RESULT_READY') throw new Error(`estimate failed: ${estimate.error.description}`);
      let page: PreviewPage;
      for (;;) {
        page = await getJson<PreviewPage>(`${BASE}/preview/${id}?offset=0&limit=1000`);
        if (page.state === 'RESULT_READY' || page.state === 'FAILED') break;
        await sleep(2);
      }
      if (page.state !== 'RESULT_READY') throw new Error(`preview failed: ${page.error?.description}`);
      const pageMs = performance.now() - start;
      await fetch(`${url}${BASE}/preview/${id}`, { method: 'DELETE', headers });
      return { estimateMs, pageMs, estimate, page };
    };

    // --- latency ÷ the engine's count
    const rows: Record<string, string | number>[] = [];
    const perDefinition: Record<string, unknown>[] = [];
    const estimateRatios: number[] = [];
    const pageRatios: number[] = [];
    for (const c of CASES) {
      const analysis = analyzeText(c.pql, { schema: data.schema });
      if (analysis.errors.length) throw new Error(`${c.name}: ${analysis.errors[0]!.message}`);
      const count = await countMembers(data.target, analysis.checked, { now });
      const countTime = await time(() => countMembers(data.target, analysis.checked, { now }), runs, 1);
      await measure(c.pql); // warm-up
      const samples: { estimateMs: number; pageMs: number }[] = [];
      let last: Awaited<ReturnType<typeof measure>> | undefined;
      for (let i = 0; i < runs; i++) {
        last = await measure(c.pql);
        samples.push(last);
      }
      const estimateMs = median(samples.map((s) => s.estimateMs));
      const pageMs = median(samples.map((s) => s.pageMs));
      const est = last!.estimate;
      if (est.exact && est.estimatedSize !== count) throw new Error(`${c.name}: the estimate says ${est.estimatedSize}, the engine ${count}`);
      if (last!.page.totalCount !== count) throw new Error(`${c.name}: the preview lists ${last!.page.totalCount}, the engine counts ${count}`);
      const estimateRatio = estimateMs / countTime.medianMs;
      const pageRatio = pageMs / countTime.medianMs;
      estimateRatios.push(estimateRatio);
      pageRatios.push(pageRatio);
      rows.push({
        definition: c.name,
        members: count,
        estimate: est.exact ? 'exact' : `${est.estimatedSize} [${est.confidenceIntervalLow}, ${est.confidenceIntervalHigh}]`,
        'count ms': countTime.medianMs,
        'estimate ms': estimateMs,
        'first page ms': pageMs,
        'estimate ÷ count': estimateRatio,
        'page ÷ count': pageRatio,
      });
      perDefinition.push({
        name: c.name,
        pql: c.pql,
        members: count,
        countMs: countTime.medianMs,
        estimateMs,
        firstPageMs: pageMs,
        estimateRatio,
        pageRatio,
        estimate: { estimatedSize: est.estimatedSize, low: est.confidenceIntervalLow, high: est.confidenceIntervalHigh, exact: est.exact },
      });
    }
    printTable(
      `API latency ÷ the engine's count query (${data.profileCount.toLocaleString('en-US')} profiles; median of ${runs})`,
      rows,
    );

    // --- /estimate throughput under concurrent clients
    const previewId = await createPreview(CASES[0]!.pql);
    for (;;) {
      const e = await getJson<Estimate>(`${BASE}/estimate/${previewId}`);
      if (e.state === 'RESULT_READY') break;
      await sleep(5);
    }
    console.log(`\n/estimate under ${connections} concurrent clients for ${duration} s (autocannon) …`);
    const result = await autocannon({
      url: `${url}${BASE}/estimate/${previewId}`,
      connections,
      duration,
      headers,
      workers: 1,
    });
    const errors = result.errors + result.timeouts + result.non2xx;
    const throughput = {
      connections,
      durationSeconds: duration,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
    };
    printTable('/estimate throughput', [
      {
        clients: connections,
        'requests/s': result.requests.average,
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        requests: result.requests.total,
        errors,
      },
    ]);
    if (errors > 0) throw new Error(`/estimate answered ${errors} errors under load (${JSON.stringify(throughput)})`);

    return {
      profiles: data.profileCount,
      serverReadySeconds: readySeconds,
      medianEstimateRatio: median(estimateRatios),
      medianFirstPageRatio: median(pageRatios),
      perDefinition,
      estimateThroughput: throughput,
    };
  } finally {
    await running.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`figures: ${writeFigures('api', await benchApi(process.argv.slice(2)))}`);
}
