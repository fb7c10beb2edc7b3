/**
 * CONTRACT — the data plane: one DuckDB file per (organisation, sandbox), and under
 * SEG_ENGINE=postgres one PostgreSQL schema per sandbox beside it.
 *
 *   const data = await services.dataPlane.forSandbox(ctx.orgId, ctx.sandbox.name);
 *   data.db            // SandboxDb where segments are evaluated and membership lives (DuckDB or PostgreSQL)
 *   data.target        // = data.db.target: EngineTarget for countMembers / pageMembers / evaluateBatch
 *   data.store         // the DuckDB file: the loader's merge, and what exports format files with
 *   data.schema        // DataSchema for checking PQL
 *   data.profileCount  // rows of `profiles`
 *
 * With PostgreSQL the DuckDB file stays the loading stage: the loader merges identities there, then
 * the tables are copied (COPY) into the sandbox's schema whenever the file holds a load the schema
 * does not have yet (compared by the load report's `loadedAt`), so both hold the same profiles
 * under the same keys. Everything evaluated — previews, estimates, segment jobs, inSegment and the
 * membership tables — runs on PostgreSQL; exports take their members from there.
 *
 * Files: `${SEG_STATE_DIR}/data/<orgId>/<sandbox>/data.duckdb`, tables as documented at the top
 * of engine/load.ts. The `prod` sandbox of the first organisation ("primary") loads SEG_DATA_DIR,
 * or the demo data generated into `${SEG_STATE_DIR}/demo-data/` (SEG_DEMO_PROFILES profiles), in
 * the background after the server listens (`start()`); `forSandbox` on it answers 503 until
 * then. A source already loaded (fingerprint = path + file names, sizes and mtimes, kept in
 * `source.json` beside the DuckDB file) is not loaded again. Every other sandbox starts with an
 * empty dataset (the loader run on an empty directory: no profiles, schema with identityMap and
 * timestamp only), which the engine evaluates like any other.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DataSchema } from '@seg/shared';
import type pg from 'pg';
import type { Logger } from 'pino';
import { redactUrl, type EngineOptions } from '../engine/dataset.js';
import type { EngineTarget } from '../engine/evaluate.js';
import { generateDataset } from '../engine/generate.js';
import { loadDataset, readDatasetMeta, TABLES, type LoadReport } from '../engine/load.js';
import { copyStoreIntoPostgres } from '../engine/postgres/load.js';
import { postgresSandboxDb, sandboxPool, sandboxSchema } from '../engine/postgres/sandboxDb.js';
import { duckSandboxDb, type SandboxDb } from '../engine/sandboxDb.js';
import { DuckStore } from '../engine/store.js';
import { unavailable } from '../http/errors.js';

export interface SandboxData {
  /** Where segments are evaluated and membership is kept. */
  db: SandboxDb;
  target: EngineTarget;
  schema: DataSchema;
  /** The sandbox's DuckDB file (under PostgreSQL: the loading stage and the exports' formatter). */
  store: DuckStore;
  /** The load report of the dataset in the file (undefined only if the file predates reports). */
  report: LoadReport | undefined;
  profileCount: number;
}

export type DataPlaneState = 'idle' | 'generating' | 'loading' | 'ready' | 'failed';

export interface DataPlaneStatus {
  state: DataPlaneState;
  /** Current stage (generate, read profiles, ...). */
  stage?: string;
  elapsedMs?: number;
  /** Source directory of the primary dataset. */
  source?: string;
  error?: string;
}

export interface DataPlaneOptions {
  stateDir: string;
  /** SEG_DATA_DIR; undefined → demo data. */
  dataDir: string | undefined;
  demoProfiles: number;
  /** Anchor for the generated demo data (SEG_NOW or now). */
  now: () => number;
  log: Logger;
  /** Memory limit per secondary sandbox's DuckDB (primary: DuckDB default). */
  secondaryMemoryLimit?: string;
  /** SEG_ENGINE / SEG_PG_URL: DuckDB unless told otherwise. */
  engine?: EngineOptions;
}

interface Fingerprint {
  dir: string;
  files: { name: string; bytes: number; mtimeMs: number }[];
}

const DATA_FILES = ['profiles.ndjson', 'profiles.parquet', 'events.ndjson', 'events.parquet'];

async function fingerprint(dir: string): Promise<Fingerprint> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const files: Fingerprint['files'] = [];
  for (const name of DATA_FILES.filter((f) => entries.includes(f))) {
    const st = await stat(path.join(dir, name));
    files.push({ name, bytes: st.size, mtimeMs: Math.round(st.mtimeMs) });
  }
  return { dir: path.resolve(dir), files };
}

const seg = (s: string) => encodeURIComponent(s);

export class DataPlane {
  private readonly opts: DataPlaneOptions;
  private primaryOrg: string | undefined;
  private readonly open = new Map<string, Promise<SandboxData>>();
  private readonly stores = new Set<DuckStore>();
  /** PostgreSQL pools by sandbox schema (SEG_ENGINE=postgres). */
  private readonly pools = new Map<string, Promise<pg.Pool>>();
  private statusValue: DataPlaneStatus = { state: 'idle' };
  private startedAt = 0;
  private loading: Promise<void> | undefined;
  private closed = false;

  constructor(options: DataPlaneOptions) {
    this.opts = options;
  }

  /** True once the primary dataset is loaded. */
  get ready(): boolean {
    return this.statusValue.state === 'ready';
  }

  status(): DataPlaneStatus {
    const s = { ...this.statusValue };
    if (s.state === 'generating' || s.state === 'loading') s.elapsedMs = Date.now() - this.startedAt;
    return s;
  }

  sandboxDir(orgId: string, sandboxName: string): string {
    return path.join(this.opts.stateDir, 'data', seg(orgId), seg(sandboxName));
  }

  /** Starts loading the primary dataset (prod of `orgId`) in the background. */
  start(primaryOrgId: string): Promise<void> {
    if (this.loading) return this.loading;
    this.primaryOrg = primaryOrgId;
    this.startedAt = Date.now();
    this.statusValue = { state: 'loading', stage: 'starting' };
    this.loading = this.loadPrimary(primaryOrgId).then(
      () => undefined,
      (err: unknown) => {
        if (this.closed) return;
        const message = err instanceof Error ? err.message : String(err);
        this.statusValue = { ...this.statusValue, state: 'failed', error: message };
        this.opts.log.error({ err }, `loading the dataset failed: ${message}`);
      },
    );
    return this.loading;
  }

  /** The sandbox's data; 503 while the primary dataset is loading or after it failed. */
  async forSandbox(orgId: string, sandboxName: string): Promise<SandboxData> {
    if (this.closed) throw unavailable('The server is shutting down.');
    const isPrimary = orgId === this.primaryOrg && sandboxName === 'prod';
    if (isPrimary && !this.ready) {
      const s = this.status();
      if (s.state === 'failed') throw unavailable(`The dataset could not be loaded: ${s.error ?? 'unknown error'}`);
      throw unavailable(`The dataset is still loading (${s.stage ?? s.state}); try again shortly.`, 5);
    }
    const key = `${orgId}\u0000${sandboxName}`;
    let p = this.open.get(key);
    if (!p) {
      p = this.openSandbox(orgId, sandboxName, false);
      this.open.set(key, p);
      p.catch(() => this.open.delete(key));
    }
    return p;
  }

  /**
   * Reloads a sandbox's data from a dataset directory (batch ingestion): the loader swaps the
   * tables atomically (a bad file leaves the previous data untouched and throws a DatasetError
   * naming the file and line), then the schema and counts are read again.
   */
  async reload(orgId: string, sandboxName: string, dir: string): Promise<SandboxData> {
    const current = await this.forSandbox(orgId, sandboxName);
    const report = await loadDataset(current.store, dir);
    const data = await this.describe(orgId, sandboxName, current.store, report, report.schema);
    this.open.set(`${orgId}\u0000${sandboxName}`, Promise.resolve(data));
    return data;
  }

  /** The directory the primary dataset was loaded from (SEG_DATA_DIR or the demo data). */
  primarySource(orgId: string, sandboxName: string): string | undefined {
    return orgId === this.primaryOrg && sandboxName === 'prod' ? this.statusValue.source : undefined;
  }

  /** Closes every DuckDB store (interrupting running queries). */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.stores) {
      try {
        s.close();
      } catch {
        /* ignore */
      }
    }
    this.stores.clear();
    await this.loading?.catch(() => undefined);
    const pools = [...this.pools.values()];
    this.pools.clear();
    for (const p of pools) await p.then((pool) => pool.end()).catch(() => undefined);
  }

  // ---------------------------------------------------------------- internals

  private setStage(stage: string): void {
    this.statusValue = { ...this.statusValue, stage };
  }

  private async openStore(dir: string, secondary: boolean): Promise<DuckStore> {
    mkdirSync(dir, { recursive: true });
    const store = await DuckStore.open(
      path.join(dir, 'data.duckdb'),
      secondary ? { memoryLimit: this.opts.secondaryMemoryLimit ?? '1GB' } : {},
    );
    if (this.closed) {
      store.close();
      throw unavailable('The server is shutting down.');
    }
    this.stores.add(store);
    return store;
  }

  private emptyDir(): string {
    const dir = path.join(this.opts.stateDir, 'empty-dataset');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private async describe(
    orgId: string,
    sandboxName: string,
    store: DuckStore,
    report: LoadReport | undefined,
    schema: DataSchema,
  ): Promise<SandboxData> {
    const db = this.opts.engine?.engine === 'postgres' ? await this.postgresDb(orgId, sandboxName, store, report) : duckSandboxDb(store);
    const rows = await db.all('SELECT count(*) AS n FROM profiles');
    return { db, store, target: db.target, schema, report, profileCount: Number(rows[0]?.n ?? 0) };
  }

  /**
   * The sandbox's PostgreSQL schema, holding the same load as its DuckDB file: copied when the
   * schema has none, or an older one.
   */
  private async postgresDb(orgId: string, sandboxName: string, store: DuckStore, report: LoadReport | undefined): Promise<SandboxDb> {
    const url = this.opts.engine?.pgUrl;
    if (!url) throw new Error('SEG_ENGINE=postgres needs SEG_PG_URL');
    const schema = sandboxSchema(orgId, sandboxName);
    let poolPromise = this.pools.get(schema);
    if (!poolPromise) {
      poolPromise = sandboxPool(url, schema);
      this.pools.set(schema, poolPromise);
      poolPromise.catch(() => this.pools.delete(schema));
    }
    let pool: pg.Pool;
    try {
      pool = await poolPromise;
      const loadedAt = await postgresLoadedAt(pool);
      const meta = report ?? (await readDatasetMeta(store))?.report;
      if (!meta) throw new Error('the DuckDB file holds no dataset to copy');
      if (loadedAt !== meta.loadedAt) {
        this.opts.log.info({ schema }, `copying the dataset of ${orgId}/${sandboxName} into PostgreSQL`);
        this.setStage('copying into PostgreSQL');
        const copied = await copyStoreIntoPostgres(store, meta, pool, { onStage: (stage) => this.setStage(stage) });
        this.opts.log.info({ schema, rowsPerSecond: copied.postgres.rowsPerSecond }, 'dataset copied into PostgreSQL');
      }
    } catch (err) {
      // a refused connection is an AggregateError with no message of its own: name its code
      const e = err as { message?: string; code?: string };
      const why = (e.message ?? '').split('\n')[0] || e.code || String(err);
      throw new Error(`PostgreSQL (${redactUrl(url)}, schema ${schema}): ${why}`, { cause: err });
    }
    return postgresSandboxDb(pool);
  }

  /** Opens a sandbox's file; a file without a dataset gets the empty one. */
  private async openSandbox(orgId: string, sandboxName: string, primary: boolean): Promise<SandboxData> {
    const store = await this.openStore(this.sandboxDir(orgId, sandboxName), !primary);
    try {
      let meta = await readDatasetMeta(store);
      if (!meta) {
        const report = await loadDataset(store, this.emptyDir());
        meta = { schema: report.schema, report };
      }
      return await this.describe(orgId, sandboxName, store, meta.report, meta.schema);
    } catch (err) {
      this.stores.delete(store);
      store.close();
      throw err;
    }
  }

  private async demoDir(): Promise<string> {
    const dir = path.join(this.opts.stateDir, 'demo-data');
    const markerFile = path.join(dir, 'generated.json');
    const wanted = { profiles: this.opts.demoProfiles };
    if (existsSync(markerFile)) {
      try {
        const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as { profiles?: number };
        if (marker.profiles === wanted.profiles) return dir;
      } catch {
        /* regenerate */
      }
    }
    this.statusValue = { ...this.statusValue, state: 'generating', stage: `generating ${wanted.profiles} demo profiles` };
    this.opts.log.info(`generating ${wanted.profiles} demo profiles into ${dir}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await generateDataset({ profiles: wanted.profiles, outDir: tmp, now: new Date(this.opts.now()) });
    writeFileSync(path.join(tmp, 'generated.json'), JSON.stringify(wanted));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  }

  private async loadPrimary(orgId: string): Promise<void> {
    const source = this.opts.dataDir ?? (await this.demoDir());
    this.statusValue = { state: 'loading', stage: 'opening', source };
    const key = `${orgId}\u0000prod`;
    const sandboxDir = this.sandboxDir(orgId, 'prod');
    const fpFile = path.join(sandboxDir, 'source.json');
    const store = await this.openStore(sandboxDir, false);
    try {
      const fp = await fingerprint(source);
      const stored = existsSync(fpFile) ? readFileSync(fpFile, 'utf8') : undefined;
      let meta = await readDatasetMeta(store);
      if (!meta || stored !== JSON.stringify(fp)) {
        this.opts.log.info(`loading dataset ${source}`);
        const report = await loadDataset(store, source, { onStage: (stage) => this.setStage(stage) });
        writeFileSync(fpFile, JSON.stringify(fp));
        meta = { schema: report.schema, report };
        this.opts.log.info({ counts: report.counts, ms: report.timings.total }, `dataset loaded from ${source}`);
      } else {
        this.opts.log.info(`dataset from ${source} already loaded (unchanged)`);
      }
      const data = await this.describe(orgId, 'prod', store, meta.report, meta.schema);
      this.open.set(key, Promise.resolve(data));
      this.statusValue = { state: 'ready', source };
    } catch (err) {
      this.stores.delete(store);
      try {
        store.close();
      } catch {
        /* ignore */
      }
      throw err;
    }
  }
}

/** `loadedAt` of the load the sandbox's PostgreSQL schema holds (undefined: none). */
async function postgresLoadedAt(pool: pg.Pool): Promise<string | undefined> {
  const present = await pool.query(`SELECT to_regclass('${TABLES.meta}') IS NOT NULL AS present`);
  if (!present.rows[0]?.present) return undefined;
  const rows = await pool.query(`SELECT value FROM ${TABLES.meta} WHERE key = 'report'`);
  try {
    return rows.rows[0] ? (JSON.parse(String(rows.rows[0].value)) as LoadReport).loadedAt : undefined;
  } catch {
    return undefined;
  }
}
