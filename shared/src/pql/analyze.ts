/**
 * One call from a definition's expression to a checked query and the
 * diagnostics a user sees: what the API, the CLI and the editor all do.
 */
import type { PqlExpression } from '../api/expression.js';
import type { DataSchema } from '../schema/model.js';
import type { Expr } from './ast.js';
import { check, type Guardrails } from './checker.js';
import type { CheckedQuery } from './checked.js';
import { SourceText, type Diagnostic, type PositionedDiagnostic } from './diagnostics.js';
import { format } from './formatter.js';
import { parse } from './parser.js';
import { fromPqlJson } from './pqlJson.js';

export interface AnalyzeOptions {
  readonly schema?: DataSchema;
  readonly knownSegmentIds?: ReadonlySet<string>;
  /** Limits on complexity (the checker's defaults when absent). */
  readonly guardrails?: Guardrails;
}

export interface Analysis {
  readonly checked: CheckedQuery;
  /** The PQL text the positions refer to (for pql/json, the canonical text of the tree). */
  readonly text: string;
  readonly errors: readonly PositionedDiagnostic[];
  readonly warnings: readonly PositionedDiagnostic[];
}

export function analyzeText(text: string, options: AnalyzeOptions = {}): Analysis {
  const parsed = parse(text);
  return finish(parsed.root, parsed.diagnostics, parsed.source, options);
}

export function analyzeExpression(expression: PqlExpression, options: AnalyzeOptions = {}): Analysis {
  if (expression.format === 'pql/text') return analyzeText(expression.value, options);
  let json: unknown;
  try {
    json = JSON.parse(expression.value);
  } catch (e) {
    const source = new SourceText(expression.value);
    const diagnostic: Diagnostic = {
      severity: 'error',
      code: 'PQL101',
      message: `The pql/json value is not valid JSON: ${(e as Error).message}`,
      span: { start: 0, end: expression.value.length },
    };
    return finish({ kind: 'Error', span: diagnostic.span }, [diagnostic], source, options);
  }
  const converted = fromPqlJson(json);
  const text = converted.diagnostics.length ? expression.value : format(converted.root);
  if (converted.diagnostics.length) {
    return finish(converted.root, converted.diagnostics, new SourceText(text), options);
  }
  // positions refer to the canonical text of the tree, so re-parse it
  return analyzeText(text, options);
}

function finish(root: Expr, parseDiagnostics: readonly Diagnostic[], source: SourceText, options: AnalyzeOptions): Analysis {
  const checked = check(root, {
    ...(options.schema ? { schema: options.schema } : {}),
    ...(options.knownSegmentIds ? { knownSegmentIds: options.knownSegmentIds } : {}),
    ...(options.guardrails ? { guardrails: options.guardrails } : {}),
    parseDiagnostics,
  });
  const positioned = checked.diagnostics.map((d) => source.positioned(d));
  return {
    checked,
    text: source.text,
    errors: positioned.filter((d) => d.severity === 'error'),
    warnings: positioned.filter((d) => d.severity === 'warning'),
  };
}
