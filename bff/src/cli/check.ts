/**
 * `seg check --pql '<expression>'` | `seg check --segments FILE [--data DIR]`:
 * one JSON line per expression, exit 0 when all are valid, 1 when any is not,
 * 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { analyzeExpression, analyzeText, type DataSchema } from '@seg/shared';
import { openDataset } from '../engine/dataset.js';
import { printJsonLine, readSegmentsFile } from './segmentsFile.js';

const USAGE = `Usage: seg check --pql '<expression>' [--data DIR]
       seg check --segments FILE [--data DIR]

Prints one JSON line per expression: {"id", "ok": true} or {"id", "ok": false, "errors": [...]}.
With --data, field paths are checked against the dataset's inferred schema.`;

export async function main(argv: string[]): Promise<number> {
  let values: { pql?: string; segments?: string; data?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        pql: { type: 'string' },
        segments: { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.pql === undefined) === (values.segments === undefined)) {
    console.error(`Give exactly one of --pql and --segments.\n\n${USAGE}`);
    return 2;
  }
  try {
    let schema: DataSchema | undefined;
    if (values.data) {
      const dataset = await openDataset(values.data);
      schema = dataset.schema;
      dataset.close();
    }
    if (values.pql !== undefined) {
      const analysis = analyzeText(values.pql, schema ? { schema } : {});
      printJsonLine(result(null, analysis.errors));
      return analysis.errors.length ? 1 : 0;
    }
    const entries = await readSegmentsFile(values.segments!);
    const ids = new Set(entries.map((e) => e.id));
    let failed = false;
    for (const entry of entries) {
      const analysis = analyzeExpression(entry.expression, { ...(schema ? { schema } : {}), knownSegmentIds: ids });
      failed ||= analysis.errors.length > 0;
      printJsonLine(result(entry.id, analysis.errors));
    }
    return failed ? 1 : 0;
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
}

function result(id: string | null, errors: ReturnType<typeof analyzeText>['errors']) {
  if (errors.length === 0) return { id, ok: true };
  return {
    id,
    ok: false,
    errors: errors.map(({ message, code, line, column, endLine, endColumn }) => ({ message, code, line, column, endLine, endColumn })),
  };
}
