/**
 * `seg run --data DIR --segments FILE [--now ISO]`: evaluates every definition
 * of FILE over the dataset in one pass and prints one JSON line per
 * definition, in the file's order. Exit 0 when it could evaluate (even if
 * some definitions have errors), 2 on bad usage or unreadable data.
 */
import { parseArgs } from 'node:util';
import { analyzeExpression, clockFrom, SourceText, type Analysis } from '@seg/shared';
import { CompileError } from '../engine/compiler/compile.js';
import { engineOptionsFromEnv, openDataset } from '../engine/dataset.js';
import { evaluateBatch, type Definition } from '../engine/evaluate.js';
import { reachable } from '../engine/dependencies.js';
import { printJsonLine, readSegmentsFile } from './segmentsFile.js';

const USAGE = `Usage: seg run --data DIR --segments FILE [--now ISO-8601]

Prints one JSON line per definition: {"id", "count", "members": [...]} or {"id", "error": {...}}.
--now (or the SEG_NOW environment variable) fixes the evaluation's clock.`;

export async function main(argv: string[]): Promise<number> {
  let values: { data?: string; segments?: string; now?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        segments: { type: 'string' },
        now: { type: 'string' },
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
  if (!values.data || !values.segments) {
    console.error(`Both --data and --segments are required.\n\n${USAGE}`);
    return 2;
  }
  let now: number;
  try {
    now = values.now !== undefined ? clockFrom(values.now) : clockFrom(process.env.SEG_NOW);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }

  let dataset: Awaited<ReturnType<typeof openDataset>> | undefined;
  try {
    const entries = await readSegmentsFile(values.segments);
    dataset = await openDataset(values.data, engineOptionsFromEnv());
    const ids = new Set(entries.map((e) => e.id));
    const analyses = new Map<string, Analysis>();
    for (const entry of entries) {
      analyses.set(entry.id, analyzeExpression(entry.expression, { schema: dataset.schema, knownSegmentIds: ids }));
    }
    // a definition that needs a broken one cannot be evaluated either
    const graph = entries.map((e) => ({ id: e.id, segmentRefs: analyses.get(e.id)!.checked.segmentRefs }));
    const output = new Map<string, unknown>();
    const runnable: Definition[] = [];
    for (const entry of entries) {
      const analysis = analyses.get(entry.id)!;
      const first = analysis.errors[0];
      if (first) {
        output.set(entry.id, errorLine(entry.id, first));
        continue;
      }
      const broken = [...reachable(graph, entry.id)].find((ref) => analyses.get(ref)!.errors.length > 0);
      if (broken) {
        const source = new SourceText(analysis.text);
        output.set(
          entry.id,
          errorLine(entry.id, {
            message: `This definition uses inSegment("${broken}"), which has errors`,
            code: 'PQL207',
            ...source.position(analysis.text.indexOf(broken)),
          }),
        );
        continue;
      }
      runnable.push({ id: entry.id, query: analysis.checked });
    }
    const batch = await evaluateBatch(dataset.target, runnable, { now });
    for (const [id, result] of batch.results) {
      if ('error' in result) {
        const analysis = analyses.get(id)!;
        const source = new SourceText(analysis.text);
        output.set(id, errorLine(id, compileErrorPosition(result.error, source)));
      } else {
        const members = result.members.map((m) => m.id).sort();
        output.set(id, { id, count: members.length, members });
      }
    }
    for (const entry of entries) printJsonLine(output.get(entry.id));
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  } finally {
    dataset?.close();
  }
}

function compileErrorPosition(error: CompileError, source: SourceText) {
  const position = error.node ? source.position(error.node.span.start) : { line: 1, column: 1 };
  return { message: error.message, code: 'PQL205', ...position };
}

function errorLine(id: string, e: { message: string; code: string; line: number; column: number }) {
  return { id, error: { message: e.message, code: e.code, line: e.line, column: e.column } };
}
