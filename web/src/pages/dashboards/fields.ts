/** Field paths of the sandbox's inferred schema (the DataSchema of GET /api/schema). */
import type { DataSchema } from '../../api/types.ts';

type FieldType = DataSchema['profile']['fields'][string];

export interface FieldPath {
  path: string;
  type: string;
  depth: number;
}

function typeName(t: FieldType): string {
  if (t.kind === 'list') return `list<${typeName(t.element)}>`;
  if (t.kind === 'map') return `map<${typeName(t.value)}>`;
  return t.kind;
}

/** Every path below an object, depth first (objects included, list elements not entered). */
export function fieldPaths(
  fields: Readonly<Record<string, FieldType>>,
  prefix = '',
  depth = 0,
): FieldPath[] {
  const out: FieldPath[] = [];
  for (const name of Object.keys(fields).sort()) {
    const t = fields[name]!;
    const path = prefix ? `${prefix}.${name}` : name;
    out.push({ path, type: typeName(t), depth });
    if (t.kind === 'object') out.push(...fieldPaths(t.fields, path, depth + 1));
  }
  return out;
}
