/**
 * CONTRACT — the services every router receives.
 *
 *   interface Services {
 *     config: Config;          // config.ts (env)
 *     db: ControlDb;           // better-sqlite3 control database (control/db.ts: registerMigration)
 *     dataPlane: DataPlane;    // data/dataPlane.ts: forSandbox(orgId, sandboxName)
 *     now(): number;           // epoch ms: SEG_NOW when fixed, else Date.now(). Use for evaluation and
 *                              // resource timestamps; token/session expiry use the wall clock.
 *     log: Logger;             // pino
 *     tokenKey: Uint8Array;    // HS256 key for access tokens (http/auth.ts)
 *     bootstrap: Bootstrap;    // the first organisation and API client
 *     onClose(hook): void;     // runs at close, newest first, before the data plane and db close
 *     close(): Promise<void>;
 *   }
 *   createServices(config, { logger? }): Services   // opens state; does not start loading data
 *   services.dataPlane.start(services.bootstrap.org.id)   // background load (server.ts does it)
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { bootstrapFirstOrg, saveCredentials, type Bootstrap } from './control/clients.js';
import { openControlDb, type ControlDb } from './control/db.js';
import { ensureProdSandbox } from './control/sandboxes.js';
import { DataPlane } from './data/dataPlane.js';

export interface Services {
  config: Config;
  db: ControlDb;
  dataPlane: DataPlane;
  now(): number;
  log: Logger;
  tokenKey: Uint8Array;
  bootstrap: Bootstrap;
  /** Work to stop at close (job runners, the scheduler): newest first, before the data closes. */
  onClose(hook: () => void | Promise<void>): void;
  close(): Promise<void>;
}

export const CONTROL_DB_FILE = 'control.sqlite';
export const TOKEN_KEY_FILE = 'token.key';

function loadTokenKey(stateDir: string): Uint8Array {
  const file = path.join(stateDir, TOKEN_KEY_FILE);
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (key.length >= 32) return new Uint8Array(key);
  }
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64url'), { mode: 0o600 });
  chmodSync(file, 0o600);
  return new Uint8Array(key);
}

export function createServices(config: Config, options: { logger?: Logger } = {}): Services {
  const log = options.logger ?? pino({ level: config.logLevel });
  mkdirSync(config.stateDir, { recursive: true });
  const now = config.fixedNow !== undefined ? ((t: number) => () => t)(config.fixedNow) : () => Date.now();
  const db = openControlDb(path.join(config.stateDir, CONTROL_DB_FILE));
  try {
    const bootstrap = bootstrapFirstOrg(db, config, now(), (orgId) => ensureProdSandbox(db, orgId, now()));
    if (bootstrap.generatedClientSecret || bootstrap.generatedAdminPassword) saveCredentials(config.stateDir, bootstrap);
    const tokenKey = loadTokenKey(config.stateDir);
    const dataPlane = new DataPlane({
      stateDir: config.stateDir,
      dataDir: config.dataDir,
      demoProfiles: config.demoProfiles,
      now,
      log,
      engine: config.engine,
    });
    let closed = false;
    const closeHooks: (() => void | Promise<void>)[] = [];
    return {
      config,
      db,
      dataPlane,
      now,
      log,
      tokenKey,
      bootstrap,
      onClose(hook) {
        closeHooks.push(hook);
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const hook of closeHooks.reverse()) await hook();
        await dataPlane.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
