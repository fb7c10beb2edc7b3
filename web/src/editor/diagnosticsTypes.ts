/** Diagnostic shapes shared by the API client and the editor (no runtime code). */

/** A diagnostic positioned by 1-based line/column (code points), as the server's 400 answers carry it. */
export interface LineColumnDiagnostic {
  readonly severity?: 'error' | 'warning';
  readonly code?: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

/** A diagnostic with UTF-16 offsets into the text (what the checker worker sends to the editor). */
export interface OffsetDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly start: number;
  readonly end: number;
}
