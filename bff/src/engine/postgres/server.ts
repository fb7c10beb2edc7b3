/**
 * A throwaway PostgreSQL server for tests and benchmarks: Debian's
 * `postgresql` (installed with apt-get when missing and running as root),
 * data in a temporary directory, a free loopback port, no fsync.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPostgres {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): void;
}

export class PostgresUnavailable extends Error {
  constructor(reason: string) {
    super(`Cannot start a throwaway PostgreSQL server: ${reason}`);
    this.name = 'PostgresUnavailable';
  }
}

/** The newest installed server's bin directory, or undefined. */
function findBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function install(): void {
  if (!isRoot())
    throw new PostgresUnavailable(
      'PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres) and this user cannot apt-get install it',
    );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const r = spawnSync('apt-get', args, { env, stdio: 'pipe', timeout: 600_000 });
    if (r.status !== 0)
      throw new PostgresUnavailable(
        `apt-get ${args.join(' ')} failed: ${String(r.stderr).slice(-500)}`,
      );
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh server; `stop()` shuts it down and removes its data. */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  let bin = findBin();
  if (!bin) {
    install();
    bin = findBin();
    if (!bin)
      throw new PostgresUnavailable('apt-get installed postgresql, but no server binary was found');
  }
  const dir = mkdtempSync(join(tmpdir(), 'seg-pg-'));
  // initdb refuses to run as root: run the server as the postgres user then
  const asUser = isRoot() ? ['runuser', '-u', 'postgres', '--'] : [];
  if (isRoot()) {
    const ids = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const run = (cmd: string, args: string[]) => {
    const [exe, ...rest] = [...asUser, join(bin, cmd), ...args];
    const r = spawnSync(exe!, rest, { stdio: 'pipe', timeout: 120_000 });
    if (r.status !== 0)
      throw new PostgresUnavailable(`${cmd} failed: ${String(r.stderr || r.stdout).slice(-800)}`);
  };
  const data = join(dir, 'data');
  run('initdb', [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c shared_buffers=256MB',
    '-c work_mem=64MB',
    '-c maintenance_work_mem=256MB',
    '-c max_wal_size=4GB',
  ].join(' ');
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    options,
    'start',
  ]);
  let stopped = false;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
