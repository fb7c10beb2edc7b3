/** Diagnostics of the text, computed by the shared checker in a worker after a short pause. */
import type { DataSchema } from '@seg/shared';
import { useEffect, useRef, useState } from 'react';
import { createChecker, type CheckResult, type Checker } from '../../editor/checker.ts';

export function useDiagnostics(
  text: string,
  schema: DataSchema | null | undefined,
  debounceMs = 120,
): CheckResult | null {
  const checker = useRef<Checker | null>(null);
  const [result, setResult] = useState<CheckResult | null>(null);
  useEffect(() => {
    const c = createChecker();
    checker.current = c;
    return () => {
      c.dispose();
      checker.current = null;
    };
  }, []);
  useEffect(() => {
    checker.current?.setSchema(schema ?? null);
  }, [schema]);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      void checker.current?.check(text).then((r) => {
        if (live) setResult(r);
      });
    }, debounceMs);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [text, schema, debounceMs]);
  return result;
}
