/** Reading a file of segment definitions (`seg check --segments`, `seg run --segments`). */
import { readFile } from 'node:fs/promises';
import { SegmentFile, type SegmentFileEntry } from '@seg/shared';

export class UsageError extends Error {}

export async function readSegmentsFile(path: string): Promise<SegmentFileEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the segments file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`The segments file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = SegmentFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `The segments file ${path} is not a JSON array of segment definitions: at ${issue.path.join('.') || 'the top'}: ${issue.message}`,
    );
  }
  const seen = new Set<string>();
  for (const entry of parsed.data) {
    if (seen.has(entry.id)) throw new UsageError(`The segments file ${path} has the id ${entry.id} twice`);
    seen.add(entry.id);
  }
  return parsed.data;
}

export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
