import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, devices } from '@playwright/test';

const PORT = 8181;
const baseURL = `http://127.0.0.1:${PORT}`;
const here = path.dirname(fileURLToPath(import.meta.url));

/** The conformance fixture: ../shared/conformance beside the repository (CI), or SEG_E2E_DATA_DIR. */
const dataDir =
  process.env.SEG_E2E_DATA_DIR ?? path.resolve(here, '..', '..', 'shared', 'conformance');
// One fresh state directory per run; workers inherit it from the runner's environment.
process.env.SEG_E2E_STATE_DIR ??= mkdtempSync(path.join(tmpdir(), 'seg-e2e-'));

// Browsers are never downloaded: tests run in Debian's chromium (scripts/ensure-chromium.mjs).
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  // one server, one DuckDB: tests share it one at a time
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: './playwright-report' }]],
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1440, height: 900 },
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  // Serves the built SPA (web/dist): run the web build first (the root test:all does).
  webServer: {
    command: 'node_modules/.bin/tsx ../bff/src/server.ts',
    url: `${baseURL}/healthz`,
    // a server with other state or data would make the counts meaningless
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SEG_DATA_DIR: dataDir,
      SEG_NOW: '2026-06-15T12:00:00Z',
      SEG_STATE_DIR: process.env.SEG_E2E_STATE_DIR,
      SEG_ADMIN_PASSWORD: 'e2e-admin-password',
      SEG_RATE_LIMIT: '0',
    },
  },
});
