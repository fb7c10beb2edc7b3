/**
 * Runs the shared PQL checker in a Web Worker (typing never waits for it); where workers do not
 * exist (tests), it runs in a macrotask on the main thread instead.
 */
import type { DataSchema } from '@seg/shared';
import type { OffsetDiagnostic } from './diagnosticsTypes.ts';
import { analyse, type EligibilitySummary } from './pqlAdapter.ts';

export interface CheckResult {
  readonly text: string;
  readonly diagnostics: OffsetDiagnostic[];
  readonly eligibility?: EligibilitySummary;
}

export interface Checker {
  setSchema(schema: DataSchema | null): void;
  check(text: string): Promise<CheckResult>;
  dispose(): void;
}

export function createChecker(): Checker {
  if (typeof Worker === 'undefined') return inlineChecker();
  const worker = new Worker(new URL('./pql.worker.ts', import.meta.url), {
    type: 'module',
    name: 'pql-checker',
  });
  let next = 0;
  const pending = new Map<number, (r: CheckResult) => void>();
  worker.onmessage = (e: MessageEvent<CheckResult & { id: number }>) => {
    const resolve = pending.get(e.data.id);
    pending.delete(e.data.id);
    resolve?.({
      text: e.data.text,
      diagnostics: e.data.diagnostics,
      ...(e.data.eligibility ? { eligibility: e.data.eligibility } : {}),
    });
  };
  return {
    setSchema: (schema) => worker.postMessage({ type: 'schema', schema }),
    check: (text) =>
      new Promise((resolve) => {
        const id = ++next;
        pending.set(id, resolve);
        worker.postMessage({ type: 'check', id, text });
      }),
    dispose: () => worker.terminate(),
  };
}

function inlineChecker(): Checker {
  let schema: DataSchema | undefined;
  return {
    setSchema: (s) => {
      schema = s ?? undefined;
    },
    check: async (text) => {
      await new Promise((r) => setTimeout(r, 0));
      return { text, ...analyse(text, schema) };
    },
    dispose: () => {},
  };
}
