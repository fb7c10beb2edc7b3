/**
 * The live estimate: whenever the text checks clean, after a pause in typing, start a preview
 * (POST /preview) and poll its estimate (GET /estimate/{id}) until RESULT_READY or FAILED. A newer
 * text cancels the older request (DELETE /preview/{id}); the last result stays visible, marked
 * stale, until the new one arrives.
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints.ts';
import type { Estimate } from '../../api/types.ts';

export interface LiveEstimate {
  /** The PQL text the shown result belongs to. */
  text: string | null;
  previewId: string | null;
  estimate: Estimate | null;
  status: 'idle' | 'waiting' | 'running' | 'ready' | 'failed';
  error: string | null;
  /** The in-flight estimate's partial result (progress), while one runs. */
  progress: Estimate | null;
}

export const IDLE: LiveEstimate = {
  text: null,
  previewId: null,
  estimate: null,
  status: 'idle',
  error: null,
  progress: null,
};

export interface LiveEstimateOptions {
  debounceMs?: number;
  pollMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

/** `clean`: the text when it checks without errors, else null (nothing is requested). */
export function useLiveEstimate(
  clean: string | null,
  sandbox: string,
  options: LiveEstimateOptions = {},
): LiveEstimate {
  const { debounceMs = 500, pollMs = 400 } = options;
  const [state, setState] = useState<LiveEstimate>(IDLE);
  const lastId = useRef<string | null>(null);
  const latest = useRef(state);
  latest.current = state;

  useEffect(() => {
    if (clean === null || clean.trim() === '') return;
    // back to the text of the shown result (an undo): nothing to ask
    if (latest.current.text === clean && latest.current.status === 'ready') return;
    const controller = new AbortController();
    const { signal } = controller;
    let createdId: string | null = null;
    let finished = false;
    setState((s) => ({ ...s, status: 'waiting', progress: null }));
    void (async () => {
      try {
        await sleep(debounceMs, signal);
        const created = await api.createPreview(clean, signal);
        createdId = created.previewId;
        // the previous preview is no longer shown once this one reports: drop it on the server
        const previous = lastId.current;
        lastId.current = createdId;
        if (previous && previous !== createdId) void api.deletePreview(previous).catch(() => {});
        setState((s) => ({ ...s, status: 'running', error: null, progress: null }));
        for (;;) {
          const est = await api.getEstimate(createdId, signal);
          if (est.state === 'RESULT_READY') {
            finished = true;
            setState({
              text: clean,
              previewId: createdId,
              estimate: est,
              status: 'ready',
              error: null,
              progress: null,
            });
            return;
          }
          if (est.state === 'FAILED') {
            finished = true;
            setState({
              text: clean,
              previewId: createdId,
              estimate: est,
              status: 'failed',
              error: est.error?.description || 'The estimate failed.',
              progress: null,
            });
            return;
          }
          setState((s) => ({ ...s, status: 'running', progress: est }));
          await sleep(pollMs, signal);
        }
      } catch (e) {
        if (signal.aborted) return;
        setState((s) => ({
          ...s,
          text: clean,
          previewId: null,
          estimate: null,
          status: 'failed',
          error: e instanceof Error ? e.message : String(e),
          progress: null,
        }));
      }
    })();
    return () => {
      controller.abort();
      // cancel a request that a newer text supersedes while it still runs
      if (createdId && !finished) void api.deletePreview(createdId).catch(() => {});
    };
  }, [clean, sandbox, debounceMs, pollMs]);

  return state;
}
