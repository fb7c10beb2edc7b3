/// <reference lib="webworker" />
/**
 * The PQL checker off the main thread: parse + check with the sandbox's schema, answering
 * diagnostics with UTF-16 offsets (the editor maps them with model.getPositionAt).
 */
import type { DataSchema } from '@seg/shared';
import { analyse } from './pqlAdapter.ts';

let schema: DataSchema | undefined;

export type CheckerRequest =
  { type: 'schema'; schema: DataSchema | null } | { type: 'check'; id: number; text: string };

self.onmessage = (e: MessageEvent<CheckerRequest>) => {
  const msg = e.data;
  if (msg.type === 'schema') {
    schema = msg.schema ?? undefined;
    return;
  }
  const { diagnostics, eligibility } = analyse(msg.text, schema);
  (self as unknown as Worker).postMessage({ id: msg.id, text: msg.text, diagnostics, eligibility });
};
