/** The `seg` command as a user runs it: a real process, real files, real DuckDB. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_DIR, readCases } from './support/conformance.js';

const root = new URL('../../', import.meta.url).pathname;
const tsx = join(root, 'bff/node_modules/.bin/tsx');
const seg = join(root, 'bff/src/cli/seg.ts');
const cases = readCases();

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(tsx, [seg, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stderr: r.stderr };
}

function segmentsFile(definitions: { id: string; pql: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'seg-cli-'));
  const file = join(dir, 'segments.json');
  writeFileSync(
    file,
    JSON.stringify(definitions.map((d) => ({ id: d.id, expression: { type: 'PQL', format: 'pql/text', value: d.pql } }))),
  );
  return file;
}

describe('seg check', () => {
  it('accepts a valid expression with exit 0', () => {
    const r = run(['check', '--pql', 'loyalty.points > 10 and xEvent[eventType = "x"].count() > 1']);
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([{ id: null, ok: true }]);
  });

  it('reports every error with its position and exits 1', () => {
    const r = run(['check', '--pql', 'person.gender = = "male"']);
    expect(r.status).toBe(1);
    expect(r.lines[0]).toMatchObject({ id: null, ok: false });
    const error = (r.lines[0]!.errors as Record<string, unknown>[])[0]!;
    expect(error).toMatchObject({ code: 'PQL101', line: 1, column: 17, endLine: 1 });
    expect(typeof error.message).toBe('string');
  });

  it('checks a segments file against a dataset schema, one line per definition', () => {
    const file = segmentsFile(cases.invalid.map((c) => ({ id: c.id, pql: c.pql })).concat([{ id: 'ok', pql: 'loyalty.tier = "gold"' }]));
    const r = run(['check', '--segments', file, '--data', CONFORMANCE_DIR.pathname]);
    expect(r.status).toBe(1);
    expect(r.lines.map((l) => l.id)).toEqual([...cases.invalid.map((c) => c.id), 'ok']);
    for (const c of cases.invalid) {
      const line = r.lines.find((l) => l.id === c.id)!;
      expect(line.ok, c.id).toBe(false);
      const first = (line.errors as { line: number; column: number }[])[0]!;
      if (c.line !== null) expect(first.line, c.id).toBe(c.line);
      if (c.column !== null) expect(first.column, c.id).toBe(c.column);
    }
    expect(r.lines.at(-1)).toEqual({ id: 'ok', ok: true });
  });

  it('exits 2 on bad usage', () => {
    expect(run(['check']).status).toBe(2);
    expect(run(['check', '--pql', 'a', '--segments', 'b']).status).toBe(2);
    expect(run(['check', '--segments', '/nonexistent/file.json']).status).toBe(2);
    expect(run(['nonsense']).status).toBe(2);
  });
});

describe('seg run', () => {
  it('evaluates every valid conformance case with the expected members', () => {
    const file = segmentsFile(cases.valid.map((c) => ({ id: c.id, pql: c.pql })));
    const r = run(['run', '--data', CONFORMANCE_DIR.pathname, '--segments', file, '--now', cases.now]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.lines.map((l) => l.id)).toEqual(cases.valid.map((c) => c.id));
    for (const c of cases.valid) {
      expect(r.lines.find((l) => l.id === c.id), c.pql).toEqual({ id: c.id, count: c.count, members: c.members });
    }
  });

  it('reports broken definitions, definitions that need them, and inSegment cycles, and still evaluates the rest', () => {
    const file = segmentsFile([
      { id: 'gold', pql: 'loyalty.tier = "gold"' },
      { id: 'goldBuyers', pql: 'inSegment("gold") and xEvent[eventType = "commerce.purchases"]' },
      { id: 'broken', pql: 'loyalty.tier = = "gold"' },
      { id: 'needsBroken', pql: 'inSegment("broken")' },
      { id: 'a', pql: 'inSegment("b")' },
      { id: 'b', pql: 'inSegment("a") or loyalty.points > 1' },
    ]);
    const r = run(['run', '--data', CONFORMANCE_DIR.pathname, '--segments', file], { SEG_NOW: cases.now });
    expect(r.status).toBe(0);
    const byId = new Map(r.lines.map((l) => [l.id, l]));
    const gold = byId.get('gold') as { members: string[] };
    const goldBuyers = byId.get('goldBuyers') as { members: string[] };
    expect(gold.members.length).toBeGreaterThan(0);
    expect(goldBuyers.members.every((m) => gold.members.includes(m))).toBe(true);
    expect(byId.get('broken')).toMatchObject({ error: { code: 'PQL101', line: 1, column: 16 } });
    expect((byId.get('needsBroken') as { error: { message: string } }).error.message).toContain('broken');
    expect((byId.get('a') as { error: { message: string } }).error.message).toMatch(/cycle: a → b → a|cycle: b → a → b/);
    expect((byId.get('b') as { error: { message: string } }).error.message).toMatch(/cycle/);
  });

  it('exits 2 on bad usage or unreadable data', () => {
    const file = segmentsFile([{ id: 'x', pql: 'loyalty.points > 1' }]);
    expect(run(['run', '--segments', file]).status).toBe(2);
    expect(run(['run', '--data', '/nonexistent/dir', '--segments', file]).status).toBe(2);
    expect(run(['run', '--data', CONFORMANCE_DIR.pathname, '--segments', file, '--now', 'yesterday-ish']).status).toBe(2);
  });
});
