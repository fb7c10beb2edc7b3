/**
 * Starting the service: config → services → app → listen (at once) → banner → background data
 * load. Used by server.ts (`npm start`), `seg serve` and the kill -9 test.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config.js';
import { ADMIN_USER, readCredentials } from '../control/clients.js';
import { redactUrl } from '../engine/dataset.js';
import { createServices, type Services } from '../services.js';
import { createApp } from './app.js';

export interface StartOptions {
  port?: number;
  host?: string;
  /** Environment to read the config from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Config overrides (applied after env). */
  config?: Partial<Config>;
  logger?: Logger;
  /** Print the banner (default true). */
  banner?: boolean;
}

export interface RunningServer {
  server: Server;
  services: Services;
  url: string;
  /** Resolves when the primary dataset is loaded or failed. */
  loaded: Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

function displayHost(host: string): string {
  return ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(host) ? 'localhost' : host;
}

/** The startup banner: URL, org, API client (secret from credentials.txt) and studio login. */
export function banner(url: string, services: Services): string {
  const { config, bootstrap } = services;
  const stored = readCredentials(config.stateDir);
  const secret = config.clientSecret
    ? '(from SEG_CLIENT_SECRET)'
    : stored.clientId === bootstrap.client.clientId && stored.clientSecret
      ? stored.clientSecret
      : '(not recoverable: stored hashed; set SEG_CLIENT_SECRET to replace it)';
  const password = config.adminPassword
    ? '(from SEG_ADMIN_PASSWORD)'
    : (stored.adminPassword ?? '(not recoverable: stored hashed; set SEG_ADMIN_PASSWORD to replace it)');
  return [
    `Segmentation Service: ${url}`,
    `  API base:       ${url}data/core/ups   (token: POST ${url}ims/token/v3)`,
    `  Org id:         ${bootstrap.org.id}`,
    `  Client id:      ${bootstrap.client.clientId}   (x-api-key)`,
    `  Client secret:  ${secret}`,
    `  Studio login:   ${ADMIN_USER} / ${password}`,
    `  State:          ${config.stateDir}${bootstrap.generatedClientSecret ? '   (credentials written to credentials.txt, mode 0600)' : ''}`,
    `  Engine:         ${config.engine.engine === 'postgres' ? `PostgreSQL ${redactUrl(config.engine.pgUrl ?? '')} (a schema per sandbox)` : 'DuckDB (embedded)'}`,
    `  Data:           ${config.dataDir ?? `demo data (${config.demoProfiles} profiles)`} — loading in the background; GET /healthz is 200 when ready`,
  ].join('\n');
}

/** Starts the HTTP server and the background data load. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config: Config = { ...loadConfig(options.env ?? process.env), ...options.config };
  if (options.port !== undefined) config.port = options.port;
  if (options.host !== undefined) config.host = options.host;
  const services = createServices(config, options.logger ? { logger: options.logger } : {});
  let server: Server;
  try {
    const app = createApp(services);
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
  } catch (err) {
    await services.close();
    throw err;
  }
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${displayHost(config.host)}:${bound}/`;
  if (options.banner !== false) console.log(banner(url, services));
  const loaded = services.dataPlane.start(services.bootstrap.org.id);
  let closing: Promise<void> | undefined;
  return {
    server,
    services,
    url,
    loaded,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await services.close();
      })();
      return closing;
    },
  };
}

/** Closes the server on SIGINT/SIGTERM; resolves once it is closed. */
export function closeOnSignals(running: RunningServer): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
