/**
 * Server configuration, read once from the environment (`loadConfig(env)` is pure: tests pass
 * their own env object).
 *
 *   PORT (8080), HOST (127.0.0.1)
 *   SEG_STATE_DIR          state directory (default `.seg/` at the repository root)
 *   SEG_DATA_DIR           dataset loaded into sandbox `prod` of the first organisation (demo data otherwise)
 *   SEG_DEMO_PROFILES      profiles of the generated demo data (100000)
 *   SEG_NOW                fixed clock for evaluation and resource timestamps (ISO-8601)
 *   SEG_ORG_ID, SEG_CLIENT_ID, SEG_CLIENT_SECRET   the first organisation and API client
 *   SEG_ADMIN_PASSWORD     studio login `admin` (generated when unset)
 *   SEG_TOKEN_TTL_SECONDS  access-token lifetime (86400)
 *   SEG_SESSION_TTL_SECONDS studio-session lifetime (43200)
 *   SEG_RATE_LIMIT         requests per second per client (200; 0 = off)
 *   SEG_BODY_LIMIT         request body limit (1mb)
 *   SEG_QUERY_TIMEOUT_MS   engine query timeout (60000)
 *   SEG_ESTIMATE_SAMPLE_THRESHOLD  profiles from which estimates sample (1000000; §5.6)
 *   SEG_MAX_QUEUED_JOBS    segment jobs that may wait per sandbox before 429 (100; ≥ 1)
 *   SEG_JOB_POLL_MS        how often the job runner looks at its queue (500; ≥ 1)
 *   SEG_SCHEDULER_TICK_MS  how often the scheduler fires due schedules (30000; 0 = only explicit ticks)
 *   SEG_SCHEDULE_MIN_INTERVAL_MINUTES  minimum interval between a schedule's firings (15; 0 = any)
 *   SEG_INGEST_MAX_BYTES   largest file accepted by batch ingestion (1073741824 = 1 GiB; ≥ 1)
 *   SEG_ENGINE             where segments are evaluated: duckdb (default) or postgres
 *   SEG_PG_URL             the PostgreSQL database (postgresql://user@host:port/db) for SEG_ENGINE=postgres
 *   SEG_TRUST_PROXY        Express "trust proxy" (unset = off); needed for Secure cookies behind TLS proxies
 *   LOG_LEVEL              pino level (info)
 *   WEB_DIST               built SPA directory (web/dist)
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { engineOptionsFromEnv, type EngineOptions } from './engine/dataset.js';

export interface Config {
  port: number;
  host: string;
  stateDir: string;
  /** Dataset directory for prod of the first organisation; undefined → demo data. */
  dataDir: string | undefined;
  demoProfiles: number;
  /** SEG_NOW as epoch ms, when fixed. */
  fixedNow: number | undefined;
  orgId: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  adminPassword: string | undefined;
  tokenTtlSeconds: number;
  sessionTtlSeconds: number;
  rateLimit: number;
  bodyLimit: string;
  queryTimeoutMs: number;
  /** Profiles from which estimates read a sample instead of the full data (§5.6). */
  estimateSampleThreshold: number;
  /** Segment jobs that may wait (NEW/QUEUED) per sandbox; more → 429. */
  maxQueuedJobs: number;
  /** Interval of the job runner's queue poll (it is also woken on new jobs). */
  jobPollMs: number;
  /** Interval of the scheduler's automatic ticks; 0 = it only fires on explicit tick(). */
  schedulerTickMs: number;
  /** Minimum interval between two firings of a schedule's cron expression. */
  scheduleMinIntervalMinutes: number;
  /** Largest file a batch-ingestion upload accepts (413 beyond). */
  ingestMaxBytes: number;
  /** SEG_ENGINE and SEG_PG_URL. */
  engine: EngineOptions;
  trustProxy: string | undefined;
  logLevel: string;
  webDist: string;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, '.seg');
export const DEFAULT_WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');
export const DEFAULT_INGEST_MAX_BYTES = 1024 * 1024 * 1024;

function str(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: NodeJS.ProcessEnv, key: string, fallback: number, min = 0): number {
  const raw = str(env, key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${key} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nowRaw = str(env, 'SEG_NOW');
  let fixedNow: number | undefined;
  if (nowRaw !== undefined) {
    fixedNow = new Date(nowRaw).getTime();
    if (Number.isNaN(fixedNow)) throw new Error(`SEG_NOW is not an ISO-8601 instant: "${nowRaw}"`);
  }
  const port = int(env, 'PORT', 8080);
  if (port > 65535) throw new Error(`Invalid port: ${port}`);
  const dataDir = str(env, 'SEG_DATA_DIR');
  return {
    port,
    host: str(env, 'HOST') ?? '127.0.0.1',
    stateDir: path.resolve(str(env, 'SEG_STATE_DIR') ?? DEFAULT_STATE_DIR),
    dataDir: dataDir === undefined ? undefined : path.resolve(dataDir),
    demoProfiles: int(env, 'SEG_DEMO_PROFILES', 100_000, 1),
    fixedNow,
    orgId: str(env, 'SEG_ORG_ID'),
    clientId: str(env, 'SEG_CLIENT_ID'),
    clientSecret: str(env, 'SEG_CLIENT_SECRET'),
    adminPassword: str(env, 'SEG_ADMIN_PASSWORD'),
    tokenTtlSeconds: int(env, 'SEG_TOKEN_TTL_SECONDS', 86_400, 1),
    sessionTtlSeconds: int(env, 'SEG_SESSION_TTL_SECONDS', 43_200, 1),
    rateLimit: int(env, 'SEG_RATE_LIMIT', 200),
    bodyLimit: str(env, 'SEG_BODY_LIMIT') ?? '1mb',
    queryTimeoutMs: int(env, 'SEG_QUERY_TIMEOUT_MS', 60_000, 1),
    estimateSampleThreshold: int(env, 'SEG_ESTIMATE_SAMPLE_THRESHOLD', 1_000_000, 1),
    maxQueuedJobs: int(env, 'SEG_MAX_QUEUED_JOBS', 100, 1),
    jobPollMs: int(env, 'SEG_JOB_POLL_MS', 500, 1),
    schedulerTickMs: int(env, 'SEG_SCHEDULER_TICK_MS', 30_000),
    scheduleMinIntervalMinutes: int(env, 'SEG_SCHEDULE_MIN_INTERVAL_MINUTES', 15),
    ingestMaxBytes: int(env, 'SEG_INGEST_MAX_BYTES', DEFAULT_INGEST_MAX_BYTES, 1),
    engine: engineOptionsFromEnv(env),
    trustProxy: str(env, 'SEG_TRUST_PROXY'),
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    webDist: path.resolve(str(env, 'WEB_DIST') ?? DEFAULT_WEB_DIST),
  };
}
