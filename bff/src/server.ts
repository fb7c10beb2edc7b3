import { closeOnSignals, startServer } from './http/start.js';

try {
  const running = await startServer();
  await closeOnSignals(running);
} catch (err) {
  console.error(`Failed to start the server: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
