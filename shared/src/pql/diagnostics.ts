/**
 * Diagnostics: what every layer (lexer, parser, checker, compiler) reports to
 * a user. Positions are 1-based, columns count Unicode code points from the
 * start of the line, and the end is exclusive (endColumn is one past the last
 * character), which is what Monaco markers and the API expect.
 */
import type { Span } from './ast.js';

export type Severity = 'error' | 'warning';

/** Stable codes: the API, the CLI and the editor all show them. */
export type DiagnosticCode =
  // lexical
  | 'PQL001' // unexpected character
  | 'PQL002' // unterminated string
  | 'PQL003' // invalid escape in a string
  | 'PQL004' // invalid number
  | 'PQL005' // comments are not part of PQL
  // syntax
  | 'PQL101' // unexpected token
  | 'PQL102' // unexpected end of expression
  | 'PQL103' // comparison operators do not chain
  | 'PQL104' // invalid time specification
  | 'PQL105' // invalid chain
  | 'PQL106' // invalid literal (date, integer overflow)
  | 'PQL107' // unexpected text after the expression
  // names and types
  | 'PQL201' // unknown field
  | 'PQL202' // unknown function or method
  | 'PQL203' // unknown variable / nothing in scope for ^
  | 'PQL204' // wrong number of arguments
  | 'PQL205' // wrong argument or operand type
  | 'PQL206' // a segment must be a condition (boolean)
  | 'PQL207' // inSegment cycle or unknown segment
  | 'PQL208' // guardrail exceeded (chain steps, depth)
  // warnings
  | 'PQL301' // method name written in another case
  | 'PQL302' // a list compared with a scalar (existential)
  | 'PQL303'; // shadowed name

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly span: Span;
}

/** A diagnostic as the API, the CLI and the editor carry it. */
export interface PositionedDiagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** Maps UTF-16 offsets in a source text to 1-based line and code-point columns. */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }

  position(offset: number): { line: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.lineStarts[lo]!;
    let column = 1;
    for (let i = lineStart; i < clamped; i++) {
      const c = this.text.charCodeAt(i);
      // a surrogate pair is one character
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < clamped) i++;
      column++;
    }
    return { line: lo + 1, column };
  }

  /** The offset of a 1-based line/column (the inverse of `position`). */
  offset(line: number, column: number): number {
    const start = this.lineStarts[Math.max(0, Math.min(line - 1, this.lineStarts.length - 1))]!;
    let i = start;
    for (let c = 1; c < column && i < this.text.length; c++) {
      const code = this.text.charCodeAt(i);
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    }
    return i;
  }

  positioned(d: Diagnostic): PositionedDiagnostic {
    const start = this.position(d.span.start);
    const end = this.position(Math.max(d.span.end, d.span.start));
    return {
      severity: d.severity,
      code: d.code,
      message: d.message,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
    };
  }
}

export function error(code: DiagnosticCode, message: string, span: Span): Diagnostic {
  return { severity: 'error', code, message, span };
}
export function warning(code: DiagnosticCode, message: string, span: Span): Diagnostic {
  return { severity: 'warning', code, message, span };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
