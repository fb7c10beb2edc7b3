/**
 * `npm run bench -- [parse|engine|api] [options]`: every benchmark, or the one named.
 * Each prints a table and writes its figures to bench/out/<name>.json.
 */
import { benchApi } from './api.ts';
import { benchEngine } from './engine.ts';
import { benchParse } from './parse.ts';
import { writeFigures } from './report.ts';

const [which, ...rest] = process.argv.slice(2);
if (!which || which === 'parse') console.log(`figures: ${writeFigures('parse', await benchParse())}`);
if (!which || which === 'engine') console.log(`figures: ${writeFigures('engine', await benchEngine(rest))}`);
if (!which || which === 'api') console.log(`figures: ${writeFigures('api', await benchApi(rest))}`);
