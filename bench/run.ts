/**
 * `npm run bench -- [parse|engine|api] [options]`: every benchmark, or the one named.
 * Each prints a table and writes its figures to bench/out/<name>.json.
 */
import { benchApi } from './api.ts';
import { benchEngine } from './engine.ts';
import { benchExports } from './exports.ts';
import { benchJobs } from './jobs.ts';
import { benchParse } from './parse.ts';
import { writeFigures } from './report.ts';

// pnpm passes the `--` of `npm run bench -- engine` through: skip it
const args = process.argv.slice(2);
const [which, ...rest] = args[0] === '--' ? args.slice(1) : args;
const NAMES = ['parse', 'engine', 'exports', 'api', 'jobs'];
if (which && !NAMES.includes(which)) {
  console.error(`unknown benchmark "${which}": one of ${NAMES.join(', ')}, or none for all`);
  process.exit(2);
}
if (!which || which === 'parse') console.log(`figures: ${writeFigures('parse', await benchParse())}`);
if (!which || which === 'engine') console.log(`figures: ${writeFigures('engine', await benchEngine(rest))}`);
if (!which || which === 'exports') console.log(`figures: ${writeFigures('exports', await benchExports(rest))}`);
if (!which || which === 'api') console.log(`figures: ${writeFigures('api', await benchApi(rest))}`);
if (!which || which === 'jobs') console.log(`figures: ${writeFigures('jobs', await benchJobs(rest))}`);
