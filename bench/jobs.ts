/**
 * `npm run bench -- jobs [--profiles N] [--events-per-profile E] [--definitions D]`: one segment job
 * of D (100) definitions through the real path (HTTP API → durable queue → runner → one-pass
 * evaluation → membership written to DuckDB), on the engine benchmark's dataset: the prepared
 * DuckDB file bench/out/data-<N>x<E>/engine.duckdb (run `npm run bench -- engine` first) is copied
 * into a fresh state directory as the prod sandbox's data, with the source fingerprint the data
 * plane expects, so nothing is loaded again.
 *
 * The definitions: the engine benchmark's CASES, repeated with a distinct always-true-ish extra
 * condition so that every one compiles to its own column. Figures: job time, the evaluation stage
 * (profileSegmentationTime), profiles per second, peak RSS of the process (Node + DuckDB).
 */
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readCredentials } from '../bff/src/control/clients.ts';
import { startServer } from '../bff/src/http/start.ts';
import { CASES } from './engine.ts';
import { printTable, writeFigures } from './report.ts';
import { preparedState } from './serverState.ts';

const ORG = 'BENCHJOBS@AdobeOrg';

export async function benchJobs(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profiles: { type: 'string', default: '1000000' },
      'events-per-profile': { type: 'string', default: '20' },
      definitions: { type: 'string', default: '100' },
    },
  });
  const profiles = Number(values.profiles);
  const epp = Number(values['events-per-profile']);
  const count = Number(values.definitions);
  const dataDir = fileURLToPath(new URL(`./out/data-${profiles}x${epp}/`, import.meta.url));
  const stateDir = preparedState(dataDir, ORG, 'seg-bench-jobs-');
  try {

    const running = await startServer({
      banner: false,
      env: { PORT: '0', SEG_STATE_DIR: stateDir, SEG_DATA_DIR: dataDir, SEG_ORG_ID: ORG, SEG_NOW: '2026-11-30T00:00:00Z', LOG_LEVEL: 'warn', SEG_RATE_LIMIT: '0' },
    });
    try {
      await running.loaded;
      const url = running.url.replace('localhost', '127.0.0.1').replace(/\/$/, '');
      const creds = readCredentials(stateDir);
      const tokenRes = await fetch(`${url}/ims/token/v3`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: running.services.bootstrap.client.clientId, client_secret: creds.clientSecret! }),
      });
      const token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const headers = {
        authorization: `Bearer ${token}`,
        'x-api-key': running.services.bootstrap.client.clientId,
        'x-gw-ims-org-id': ORG,
        'x-sandbox-name': 'prod',
        'content-type': 'application/json',
      };
      const api = async (method: string, p: string, body?: unknown) => {
        const r = await fetch(`${url}/data/core/ups${p}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
        const b = (await r.json()) as { id?: string; status?: string; errors?: unknown[]; metrics?: unknown };
        if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(b)}`);
        return b;
      };
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const c = CASES[i % CASES.length]!;
        const pql = i < CASES.length ? c.pql : `(${c.pql}) and not (loyalty.points = ${-1 - i})`;
        const d = await api('POST', '/segment/definitions', { name: `bench ${i} ${c.name}`, schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/text', value: pql } });
        ids.push(String(d.id));
      }
      const rssBefore = process.resourceUsage().maxRSS / 1024;
      const started = performance.now();
      const created = await api('POST', '/segment/jobs', ids.map((segmentId) => ({ segmentId })));
      let job: { id?: string; status?: string; errors?: unknown[]; metrics?: unknown } = created;
      while (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(job.status))) {
        await new Promise((r) => setTimeout(r, 50));
        job = await api('GET', `/segment/jobs/${created.id}`);
      }
      const wallSeconds = (performance.now() - started) / 1000;
      if (job.status !== 'SUCCEEDED') throw new Error(`the job ${job.status}: ${JSON.stringify(job.errors)}`);
      const m = job.metrics as { totalTime: { totalTimeInMs: number }; profileSegmentationTime: { totalTimeInMs: number }; totalProfiles: number; segmentedProfileCounter: Record<string, number> };
      const memberships = Object.values(m.segmentedProfileCounter).reduce((a, b) => a + b, 0);
      const row = {
        profiles: m.totalProfiles,
        definitions: ids.length,
        'job s': +(m.totalTime.totalTimeInMs / 1000).toFixed(2),
        'evaluation s': +(m.profileSegmentationTime.totalTimeInMs / 1000).toFixed(2),
        'create→SUCCEEDED s': +wallSeconds.toFixed(2),
        'profiles/s': Math.round(m.totalProfiles / (m.totalTime.totalTimeInMs / 1000)),
        'membership rows': memberships,
        'peak RSS MB': Math.round(process.resourceUsage().maxRSS / 1024),
        'RSS before job MB': Math.round(rssBefore),
        errors: (job.errors as unknown[]).length,
      };
      printTable(`Segment job: ${ids.length} definitions, one pass, membership written`, [row]);
      return row;
    } finally {
      await running.close();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`figures: ${writeFigures('jobs', await benchJobs(process.argv.slice(2)))}`);
}
