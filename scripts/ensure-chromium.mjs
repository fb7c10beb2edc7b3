#!/usr/bin/env node
// Makes sure Debian's chromium is at /usr/bin/chromium for the Playwright e2e tests.
// Installs it with apt-get when missing and running as root; otherwise explains what to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const HOW = 'apt-get update && apt-get install -y chromium';

if (existsSync(CHROMIUM)) process.exit(0);

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
  fail(
    `${CHROMIUM} not found and apt-get is not available. ` +
      `The e2e tests need Chromium at ${CHROMIUM} (Debian package "chromium").`,
  );
}
if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  fail(
    `${CHROMIUM} not found. Install it as root, then run the tests again:\n  sudo sh -c '${HOW}'`,
  );
}

console.log(`ensure-chromium: ${CHROMIUM} not found; installing Debian's chromium with apt-get...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', 'chromium']]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.error) fail(`apt-get ${args[0]} failed: ${r.error.message}`);
  if (r.status !== 0) fail(`apt-get ${args.join(' ')} exited with code ${r.status}`);
}
if (!existsSync(CHROMIUM)) fail(`apt-get finished but ${CHROMIUM} is still missing.`);
console.log(`ensure-chromium: installed ${CHROMIUM}`);
