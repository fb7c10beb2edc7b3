import { parseArgs } from 'node:util';
import { closeOnSignals, startServer } from '../http/start.js';

const USAGE = `Usage: seg serve [--port <port>] [--host <host>]

Starts the Segmentation Service and the studio (defaults: PORT or 8080, HOST or 127.0.0.1;
the other settings come from the environment: SEG_STATE_DIR, SEG_DATA_DIR, ... — see bff/src/config.ts).`;

export async function main(argv: string[]): Promise<number> {
  let values: { port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`seg serve: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`seg serve: invalid --port: ${values.port}`);
      return 2;
    }
  }
  try {
    const running = await startServer({ port, host: values.host });
    await closeOnSignals(running);
    return 0;
  } catch (err) {
    console.error(`seg serve: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
