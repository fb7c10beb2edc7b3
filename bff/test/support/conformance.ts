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

/**
 * Why an estimate of the fixture is not the exact one for `count` members (the fixture is small,
 * so estimates read every profile), or undefined when it is.
 */
export function inexactEstimate(estimate: Record<string, unknown>, count: number): string | undefined {
  const want = {
    state: 'RESULT_READY',
    estimatedSize: count,
    profilesMatchedSoFar: count,
    confidenceIntervalLow: count,
    confidenceIntervalHigh: count,
    standardError: 0,
    exact: true,
    totalRows: 80,
    numRowsToRead: 80,
    profilesReadSoFar: 80,
    confidenceInterval: '95%',
  };
  const got = Object.fromEntries(Object.keys(want).map((k) => [k, estimate[k]]));
  return JSON.stringify(got) === JSON.stringify(want) ? undefined : `${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`;
}
