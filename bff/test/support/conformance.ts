/** The shared conformance corpus (../shared/conformance beside the repository). */
import { readFileSync } from 'node:fs';

export const CONFORMANCE_DIR = new URL('../../../../shared/conformance/', import.meta.url);

export interface ValidCase {
  readonly id: string;
  readonly pql: string;
  readonly members: string[];
  readonly count: number;
  readonly covers: string;
}
export interface InvalidCase {
  readonly id: string;
  readonly pql: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly why: string;
  readonly covers: string;
}
export interface Cases {
  readonly now: string;
  readonly valid: ValidCase[];
  readonly invalid: InvalidCase[];
}

export function readCases(): Cases {
  return JSON.parse(readFileSync(new URL('cases.json', CONFORMANCE_DIR), 'utf8')) as Cases;
}
