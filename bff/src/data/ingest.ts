/**
 * Batch ingestion into a sandbox's data (shared/src/api/ingest.ts describes the API).
 *
 * On disk, under `<stateDir>/ingest/<org>/<sandbox>/`:
 *   batches/<batchId>/batch.json      the batch (status, files, errors)
 *   batches/<batchId>/files/<name>    the uploaded files (streamed, size-limited)
 *   current/                          the sandbox's ingested dataset: profiles.* / events.*
 *                                     (its base data plus every successful batch)
 *
 * COMPLETE builds the next dataset in a staging directory (the current files, or for prod the
 * files of SEG_DATA_DIR, plus the batch's; several parts of a kind are joined as NDJSON, Parquet
 * parts converted by DuckDB), loads it with the engine's loader (which swaps the tables atomically:
 * a bad file leaves the sandbox's data untouched), and only then makes it `current`. The loader's
 * error names the file and line of the joined file; it is mapped back to the uploaded file's name
 * and line. One COMPLETE per sandbox at a time.
 *
 * Crash safety: batch.json is replaced by rename, never rewritten in place. `current` is swapped
 * by two renames (current → .old-<id>, staging → current); a server killed between them finds
 * `current` missing at its next COMPLETE and puts `.old-<id>` back, so no ingested batch is lost.
 * A batch whose COMPLETE was cut short stays `loading` with its files: COMPLETE it again.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, link, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IngestBatch, IngestFormat } from '@seg/shared';
import type { DataPlane } from './dataPlane.js';
import { DatasetError } from '../engine/load.js';
import { DuckStore } from '../engine/store.js';

export type IngestKind = 'profiles' | 'events';

export class IngestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;
const seg = (s: string) => encodeURIComponent(s);

/** A dataset receives events when its schema is the ExperienceEvent class, else profiles. */
export function kindOfSchema(schemaId: string): IngestKind {
  return /experienceevent/i.test(schemaId) ? 'events' : 'profiles';
}

interface Part {
  /** The name shown in errors (the uploaded file's, or the base file's). */
  name: string;
  file: string;
  format: 'ndjson' | 'parquet';
}

export class Ingest {
  private readonly locks = new Map<string, Promise<unknown>>();

  /** `maxFileBytes`: the largest accepted file (config.ingestMaxBytes, SEG_INGEST_MAX_BYTES). */
  constructor(
    private readonly stateDir: string,
    private readonly dataPlane: DataPlane,
    readonly maxFileBytes: number,
  ) {}

  private sandboxRoot(orgId: string, sandbox: string): string {
    return path.join(this.stateDir, 'ingest', seg(orgId), seg(sandbox));
  }

  private batchDir(orgId: string, sandbox: string, id: string): string {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new IngestError(404, `Batch ${id} not found`);
    return path.join(this.sandboxRoot(orgId, sandbox), 'batches', id);
  }

  /** Replaces batch.json whole (a crash leaves the old or the new record, never half of one). */
  private async save(orgId: string, b: IngestBatch): Promise<void> {
    const file = path.join(this.batchDir(orgId, b.sandboxName, b.id), 'batch.json');
    const tmp = `${file}.tmp-${randomUUID()}`;
    await writeFile(tmp, JSON.stringify(b));
    await rename(tmp, file);
  }

  get(orgId: string, sandbox: string, id: string): IngestBatch {
    const file = path.join(this.batchDir(orgId, sandbox, id), 'batch.json');
    if (!existsSync(file)) throw new IngestError(404, `Batch ${id} not found`);
    return JSON.parse(readFileSync(file, 'utf8')) as IngestBatch;
  }

  /** The sandbox's batches, newest first. */
  list(orgId: string, sandbox: string): IngestBatch[] {
    const dir = path.join(this.sandboxRoot(orgId, sandbox), 'batches');
    if (!existsSync(dir)) return [];
    const out: IngestBatch[] = [];
    for (const id of readdirSync(dir)) {
      const f = path.join(dir, id, 'batch.json');
      if (existsSync(f)) out.push(JSON.parse(readFileSync(f, 'utf8')) as IngestBatch);
    }
    return out.sort((a, b) => b.created - a.created);
  }

  async create(
    orgId: string,
    sandbox: string,
    input: { datasetId: string; format: IngestFormat; kind: IngestKind; user: string; now: number },
  ): Promise<IngestBatch> {
    const id = randomUUID();
    mkdirSync(path.join(this.batchDir(orgId, sandbox, id), 'files'), { recursive: true });
    const b: IngestBatch = {
      id,
      imsOrg: orgId,
      sandboxName: sandbox,
      status: 'loading',
      created: input.now,
      updated: input.now,
      createdUser: input.user,
      relatedObjects: [{ type: 'dataSet', id: input.datasetId }],
      inputFormat: { format: input.format },
      kind: input.kind,
      files: [],
      metrics: { inputByteSize: 0, inputFileCount: 0 },
      errors: [],
    };
    await this.save(orgId, b);
    return b;
  }

  /** Streams one file of the batch to disk (a temporary name until complete), up to the limit. */
  async upload(
    orgId: string,
    sandbox: string,
    id: string,
    datasetId: string,
    fileName: string,
    body: NodeJS.ReadableStream,
    now: number,
  ): Promise<IngestBatch> {
    const b = this.get(orgId, sandbox, id);
    if (b.relatedObjects[0]?.id !== datasetId)
      throw new IngestError(400, `Batch ${id} belongs to dataset ${b.relatedObjects[0]?.id}, not ${datasetId}.`);
    if (b.status !== 'loading') throw new IngestError(409, `Batch ${id} is ${b.status}: files can be added only while it is loading.`);
    if (!FILE_NAME.test(fileName))
      throw new IngestError(400, `Invalid file name "${fileName}": letters, digits, ".", "_" and "-" only (at most 200).`);
    const dir = path.join(this.batchDir(orgId, sandbox, id), 'files');
    const target = path.join(dir, fileName);
    const tmp = path.join(dir, `.upload-${randomUUID()}`);
    const limit = this.maxFileBytes;
    let bytes = 0;
    let head = Buffer.alloc(0);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
        if (bytes > limit) cb(new IngestError(413, `The file ${fileName} is larger than the limit of ${limit} bytes (SEG_INGEST_MAX_BYTES).`));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const isParquet = head.toString('latin1') === 'PAR1';
    if (b.inputFormat.format === 'parquet' && !isParquet) {
      await rm(tmp, { force: true });
      throw new IngestError(400, `The file ${fileName} is not a Parquet file (the batch's inputFormat is parquet).`);
    }
    if (b.inputFormat.format === 'json' && isParquet) {
      await rm(tmp, { force: true });
      throw new IngestError(400, `The file ${fileName} is a Parquet file, but the batch's inputFormat is json (NDJSON).`);
    }
    await rename(tmp, target);
    const files = b.files.filter((f) => f.name !== fileName).concat([{ name: fileName, bytes }]);
    const next: IngestBatch = {
      ...b,
      files,
      updated: now,
      metrics: { ...b.metrics, inputFileCount: files.length, inputByteSize: files.reduce((n, f) => n + f.bytes, 0) },
    };
    await this.save(orgId, next);
    return next;
  }

  async abort(orgId: string, sandbox: string, id: string, now: number): Promise<IngestBatch> {
    const b = this.get(orgId, sandbox, id);
    if (b.status !== 'loading') throw new IngestError(409, `Batch ${id} is ${b.status}; only a loading batch can be aborted.`);
    await rm(path.join(this.batchDir(orgId, sandbox, id), 'files'), { recursive: true, force: true });
    const next: IngestBatch = { ...b, status: 'aborted', updated: now };
    await this.save(orgId, next);
    return next;
  }

  /** Loads the batch into the sandbox (one at a time per sandbox). */
  complete(orgId: string, sandbox: string, id: string, now: () => number): Promise<IngestBatch> {
    const key = `${orgId}\u0000${sandbox}`;
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.completeLocked(orgId, sandbox, id, now));
    this.locks.set(key, run);
    return run;
  }

  private async completeLocked(orgId: string, sandbox: string, id: string, now: () => number): Promise<IngestBatch> {
    const b = this.get(orgId, sandbox, id);
    if (b.status !== 'loading') throw new IngestError(409, `Batch ${id} is ${b.status}; only a loading batch can be completed.`);
    if (b.files.length === 0) throw new IngestError(400, `Batch ${id} has no files: upload at least one before COMPLETE.`);
    const root = this.sandboxRoot(orgId, sandbox);
    await recoverCurrent(root);
    const current = path.join(root, 'current');
    const staging = path.join(root, `.staging-${id}`);
    await rm(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const batchFiles = path.join(this.batchDir(orgId, sandbox, id), 'files');
    // the base: what was ingested before, or (first batch of prod) the server's dataset
    const baseDir = existsSync(current) ? current : this.dataPlane.primarySource(orgId, sandbox);
    const lineMaps = new Map<string, { name: string; start: number; lines: number }[]>();
    try {
      for (const kind of ['profiles', 'events'] as const) {
        const parts: Part[] = [];
        if (baseDir) {
          for (const format of ['ndjson', 'parquet'] as const) {
            const f = path.join(baseDir, `${kind}.${format}`);
            if (existsSync(f)) parts.push({ name: `${kind}.${format} (existing data)`, file: f, format });
          }
        }
        if (b.kind === kind)
          for (const f of b.files)
            parts.push({ name: f.name, file: path.join(batchFiles, f.name), format: b.inputFormat.format === 'parquet' ? 'parquet' : 'ndjson' });
        if (parts.length === 0) continue;
        if (parts.length === 1) {
          const only = parts[0]!;
          const target = path.join(staging, `${kind}.${only.format}`);
          await link(only.file, target).catch(() => copyFile(only.file, target));
          lineMaps.set(path.basename(target), [{ name: only.name, start: 1, lines: Number.MAX_SAFE_INTEGER }]);
          continue;
        }
        const target = path.join(staging, `${kind}.ndjson`);
        lineMaps.set(path.basename(target), await joinAsNdjson(parts, target, staging));
      }
      let data;
      try {
        data = await this.dataPlane.reload(orgId, sandbox, staging);
      } catch (err) {
        if (err instanceof DatasetError) {
          const message = mapError(err, lineMaps);
          const failed: IngestBatch = { ...b, status: 'failed', updated: now(), errors: [{ code: 'INGEST_INVALID_FILE', description: message }] };
          await this.save(orgId, failed);
          await rm(batchFiles, { recursive: true, force: true });
          throw new IngestError(400, `Batch ${id} failed; nothing was ingested: ${message}`);
        }
        throw err;
      }
      // the loaded data is the new current dataset
      const old = path.join(root, `.old-${id}`);
      if (existsSync(current)) await rename(current, old);
      await rename(staging, current);
      await rm(old, { recursive: true, force: true });
      await rm(batchFiles, { recursive: true, force: true });
      const done: IngestBatch = {
        ...b,
        status: 'success',
        updated: now(),
        metrics: { ...b.metrics, profiles: data.profileCount, events: data.report?.counts.events ?? 0 },
      };
      await this.save(orgId, done);
      return done;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}

/**
 * Repairs what a COMPLETE killed mid-swap leaves: `current` missing beside an `.old-<id>` (put
 * back), and stale `.old-*` / `.staging-*` directories (removed).
 */
export async function recoverCurrent(root: string): Promise<void> {
  if (!existsSync(root)) return;
  const current = path.join(root, 'current');
  const olds = readdirSync(root).filter((n) => n.startsWith('.old-'));
  if (!existsSync(current) && olds.length > 0) await rename(path.join(root, olds[0]!), current);
  for (const name of readdirSync(root).filter((n) => n.startsWith('.old-') || n.startsWith('.staging-')))
    await rm(path.join(root, name), { recursive: true, force: true });
}

/** Joins parts into one NDJSON file; returns where each part's lines are (1-based). */
async function joinAsNdjson(
  parts: Part[],
  target: string,
  scratch: string,
): Promise<{ name: string; start: number; lines: number }[]> {
  const out = createWriteStream(target);
  const map: { name: string; start: number; lines: number }[] = [];
  let line = 1;
  try {
    for (const part of parts) {
      let file = part.file;
      if (part.format === 'parquet') {
        file = path.join(scratch, `.part-${randomUUID()}.ndjson`);
        await parquetToNdjson(part.file, file);
      }
      let lines = 0;
      let last = 10;
      for await (const chunk of createReadStream(file)) {
        const buf = chunk as Buffer;
        for (let i = 0; i < buf.length; i++) if (buf[i] === 10) lines++;
        if (buf.length) last = buf[buf.length - 1]!;
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      if (last !== 10) {
        out.write('\n');
        lines++;
      }
      map.push({ name: part.name, start: line, lines });
      line += lines;
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  return map;
}

async function parquetToNdjson(src: string, dest: string): Promise<void> {
  const store = await DuckStore.open(':memory:');
  try {
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    await store.run(`COPY (SELECT * FROM read_parquet(${q(src)})) TO ${q(dest)} (FORMAT json)`);
  } finally {
    store.close();
  }
}

/** The loader's message with the joined file's line mapped back to the uploaded file's. */
function mapError(err: DatasetError, maps: Map<string, { name: string; start: number; lines: number }[]>): string {
  const base = err.file ? path.basename(err.file) : undefined;
  const prefix = base ? `${base}${err.line !== undefined ? `:${err.line}` : ''}: ` : '';
  const raw = prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const map = base ? maps.get(base) : undefined;
  if (!map) return err.message.replaceAll(path.dirname(err.file ?? '/') + path.sep, '');
  if (err.line === undefined) return `${map.map((m) => m.name).join(', ')}: ${raw}`;
  const part = map.find((m) => err.line! >= m.start && err.line! < m.start + m.lines) ?? map[map.length - 1]!;
  return `${part.name}:${err.line - part.start + 1}: ${raw}`;
}
