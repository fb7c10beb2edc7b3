#!/usr/bin/env node
/**
 * Performance budget of the production build (issue 5), run after `vite build`:
 *  - the JavaScript loaded before the builder route — the entry chunk and its static imports,
 *    i.e. everything /login and /segments load — stays under 250 KB gzipped;
 *  - Monaco's chunk is not among them: only the builder's dynamic imports reach it.
 * Reads the chunk graph from dist/.vite/manifest.json; prints the sizes; exits 1 on a breach.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_GZIP_BYTES = 250 * 1024;
const dist =
  process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export function analyse(distDir) {
  const manifest = JSON.parse(readFileSync(path.join(distDir, '.vite', 'manifest.json'), 'utf8'));
  const gz = (file) => gzipSync(readFileSync(path.join(distDir, file)), { level: 9 }).length;
  const raw = (file) => readFileSync(path.join(distDir, file)).length;
  const entries = Object.entries(manifest).filter(([, c]) => c.isEntry);
  if (entries.length !== 1) throw new Error(`expected one entry chunk, found ${entries.length}`);
  const closure = (keys) => {
    const seen = new Set();
    const go = (k) => {
      if (seen.has(k)) return;
      seen.add(k);
      for (const i of manifest[k]?.imports ?? []) go(i);
    };
    keys.forEach(go);
    return seen;
  };
  const firstPage = closure([entries[0][0]]);
  const monacoKey = Object.keys(manifest).find((k) => k.endsWith('src/editor/PqlEditor.tsx'));
  const builderKey = Object.keys(manifest).find((k) => k.endsWith('src/pages/BuilderPage.tsx'));
  const files = [...firstPage].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
  const firstPageGzip = files.reduce((n, f) => n + gz(f), 0);
  const firstPageRaw = files.reduce((n, f) => n + raw(f), 0);
  const builderDynamic = builderKey ? (manifest[builderKey].dynamicImports ?? []) : [];
  return {
    firstPage: { files, raw: firstPageRaw, gzip: firstPageGzip },
    monaco: monacoKey
      ? {
          file: manifest[monacoKey].file,
          gzip: gz(manifest[monacoKey].file),
          inFirstPage: firstPage.has(monacoKey),
        }
      : undefined,
    builder: builderKey
      ? {
          file: manifest[builderKey].file,
          gzip: gz(manifest[builderKey].file),
          inFirstPage: firstPage.has(builderKey),
        }
      : undefined,
    monacoOnlyFromBuilder:
      monacoKey !== undefined &&
      builderDynamic.includes(monacoKey) &&
      Object.entries(manifest).every(
        ([k, c]) => k === builderKey || !(c.dynamicImports ?? []).includes(monacoKey),
      ),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = analyse(dist);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `first page JS (before the builder): ${r.firstPage.files.join(', ')}: ${kb(r.firstPage.raw)} raw, ${kb(r.firstPage.gzip)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)})`,
  );
  if (r.builder) console.log(`builder chunk: ${r.builder.file}: ${kb(r.builder.gzip)} gzipped`);
  if (r.monaco) console.log(`Monaco chunk: ${r.monaco.file}: ${kb(r.monaco.gzip)} gzipped`);
  const failures = [];
  if (r.firstPage.gzip >= BUDGET_GZIP_BYTES)
    failures.push('the first page JavaScript is over budget');
  if (!r.monaco) failures.push('no Monaco chunk (src/editor/PqlEditor.tsx) in the build');
  else if (r.monaco.inFirstPage) failures.push('Monaco is loaded before the builder route');
  if (!r.builder || r.builder.inFirstPage)
    failures.push('the builder page is not a separate chunk');
  if (!r.monacoOnlyFromBuilder)
    failures.push('Monaco is reachable from somewhere other than the builder');
  if (failures.length) {
    console.error(`budget check failed: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log('budget check passed');
}
