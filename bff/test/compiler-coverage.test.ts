import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '@seg/shared';
import { CORE_RULES, FUNCTION_RULES, METHOD_RULES } from '../src/engine/compiler/compile.js';

describe('the SQL compiler covers the catalogue', () => {
  const ruled = new Set([...Object.keys(METHOD_RULES), ...Object.keys(FUNCTION_RULES), ...CORE_RULES]);

  it.each(CATALOGUE.map((e) => [e.id]))('%s has a compiler rule', (id) => {
    expect(ruled.has(id)).toBe(true);
  });

  it('has no rule for anything the catalogue does not list', () => {
    const ids = new Set(CATALOGUE.map((e) => e.id));
    expect([...ruled].filter((id) => !ids.has(id))).toEqual([]);
  });
});
