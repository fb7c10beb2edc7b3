import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from './app.js';

export interface StartOptions extends AppOptions {
  port?: number;
  host?: string;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`Invalid port: ${value}`);
  return n;
}

function displayHost(host: string): string {
  return ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(host) ? 'localhost' : host;
}

/** Starts the HTTP server (PORT / HOST env as defaults) and prints its URL. */
export async function startServer(options: StartOptions = {}): Promise<Server> {
  const port = options.port ?? parsePort(process.env.PORT) ?? DEFAULT_PORT;
  const host = options.host ?? (process.env.HOST || DEFAULT_HOST);
  const app = createApp(options);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port: bound } = server.address() as AddressInfo;
  console.log(`Segmentation studio: http://${displayHost(host)}:${bound}/`);
  return server;
}

/** Closes the server on SIGINT/SIGTERM; resolves once it is closed. */
export function closeOnSignals(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
