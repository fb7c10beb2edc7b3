/**
 * Parse + check throughput on one large expression, against JSON.parse of a
 * JSON text of the same size, measured in the same run (issue 2's benchmark).
 */
import { readFileSync } from 'node:fs';
import { analyzeText, inferSchema, PqlGenerator } from '@seg/shared';
import { printTable, time, writeFigures } from './report.ts';

const fixture = new URL('../../shared/conformance/', import.meta.url);
const lines = (file: string) =>
  readFileSync(new URL(file, fixture), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

export async function benchParse(targetBytes = 256 * 1024): Promise<Record<string, unknown>> {
  const schema = inferSchema(lines('profiles.ndjson'), lines('events.ndjson'));
  const generator = new PqlGenerator(7);
  const clauses: string[] = [];
  let size = 0;
  while (size < targetBytes) {
    const clause = generator.condition();
    clauses.push(clause);
    size += clause.length + 4;
  }
  const pql = clauses.join('\nor ');
  // a JSON document of the same length: an array of records with strings and numbers
  const records: unknown[] = [];
  let json = '[]';
  for (let i = 0; json.length < pql.length; i++) {
    records.push({ id: i, name: `profile-${i}`, tier: i % 3 ? 'gold' : 'silver', points: i * 17, tags: ['a', 'b'] });
    if (i % 64 === 0) json = JSON.stringify(records);
  }
  json = JSON.stringify(records);

  // a stress input, far past the product's complexity guardrail
  const guardrails = { maxLogicalOperators: Number.MAX_SAFE_INTEGER };
  const errors = analyzeText(pql, { schema, guardrails }).errors;
  if (errors.length) throw new Error(`The generated expression does not check: ${errors[0]!.message}`);

  const ours = await time(() => analyzeText(pql, { schema, guardrails }), 7, 2);
  const baseline = await time(() => JSON.parse(json), 7, 2);
  const mbps = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);
  const figures = {
    pqlBytes: pql.length,
    jsonBytes: json.length,
    clauses: clauses.length,
    parseCheckMs: ours.medianMs,
    jsonParseMs: baseline.medianMs,
    parseCheckMBps: mbps(pql.length, ours.medianMs),
    jsonParseMBps: mbps(json.length, baseline.medianMs),
    ratio: ours.medianMs / pql.length / (baseline.medianMs / json.length),
  };
  printTable('PQL parse + check vs JSON.parse (same size, same run)', [
    { step: 'parse + check (PQL)', bytes: figures.pqlBytes, 'median ms': ours.medianMs, 'MB/s': figures.parseCheckMBps },
    { step: 'JSON.parse (baseline)', bytes: figures.jsonBytes, 'median ms': baseline.medianMs, 'MB/s': figures.jsonParseMBps },
  ]);
  console.log(`ratio (time per byte, PQL ÷ JSON.parse): ${figures.ratio.toFixed(1)}×`);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchParse();
  console.log(`figures: ${writeFigures('parse', figures)}`);
}
