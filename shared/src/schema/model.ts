/**
 * The profile/event schema model: what fields a sandbox's data has and their
 * PQL types (data-contract.md §Types). The checker types paths against it and
 * the editor completes and explains fields from it. The engine infers it from
 * the loaded data; `inferSchema` (infer.ts) infers it from JSON values.
 */
import type { PqlType } from '../pql/types.js';

export type ObjectType = Extract<PqlType, { kind: 'object' }>;

export interface DataSchema {
  /** Profile attributes (the scope of a bare name at the top of a query). */
  readonly profile: ObjectType;
  /** Fields of one experience event (the element type of `xEvent`). */
  readonly event: ObjectType;
}

/** One field path with its type, for completions, hover and the schema browser. */
export interface FieldInfo {
  readonly path: string;
  readonly type: PqlType;
}

/** Every field path below an object type, depth first, objects included. */
export function listFields(type: ObjectType, prefix = ''): FieldInfo[] {
  const out: FieldInfo[] = [];
  for (const name of Object.keys(type.fields).sort()) {
    const fieldType = type.fields[name]!;
    const path = prefix ? `${prefix}.${name}` : name;
    out.push({ path, type: fieldType });
    if (fieldType.kind === 'object') out.push(...listFields(fieldType, path));
    else if (fieldType.kind === 'list' && fieldType.element.kind === 'object')
      out.push(...listFields(fieldType.element, path));
  }
  return out;
}
