/**
 * A server state directory whose `prod` sandbox already holds the engine
 * benchmark's loaded DuckDB file (bench/out/data-<N>x<E>/engine.duckdb), so a
 * benchmark through the real server does not load a million profiles again:
 * the data plane sees a matching source fingerprint and reuses the file.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const DATA_FILES = ['profiles.ndjson', 'profiles.parquet', 'events.ndjson', 'events.parquet'];

export function preparedState(dataDir: string, orgId: string, prefix: string): string {
  const prepared = path.join(dataDir, 'engine.duckdb');
  if (!existsSync(prepared)) throw new Error(`${prepared} is missing: run \`npm run bench -- engine\` with the same --profiles first`);
  const stateDir = mkdtempSync(path.join(tmpdir(), prefix));
  const sandboxDir = path.join(stateDir, 'data', encodeURIComponent(orgId), 'prod');
  mkdirSync(sandboxDir, { recursive: true });
  copyFileSync(prepared, path.join(sandboxDir, 'data.duckdb'));
  const files = DATA_FILES.filter((f) => existsSync(path.join(dataDir, f))).map((name) => {
    const st = statSync(path.join(dataDir, name));
    return { name, bytes: st.size, mtimeMs: Math.round(st.mtimeMs) };
  });
  writeFileSync(path.join(sandboxDir, 'source.json'), JSON.stringify({ dir: path.resolve(dataDir), files }));
  return stateDir;
}
