/**
 * CONTRACT — the authenticated request context, set by the auth middleware (http/auth.ts) on
 * every `/data/...` request before any router runs:
 *
 *   const ctx = requestContext(res);
 *   ctx.orgId      // the caller's organisation (x-gw-ims-org-id, checked against the token/session)
 *   ctx.sandbox    // SandboxRecord of x-sandbox-name in that org (exists; other orgs never visible)
 *   ctx.principal  // {kind:'client', clientId} | {kind:'session', user}
 *
 * Scope every query by (ctx.orgId, ctx.sandbox.id); echo `sandboxRef(ctx.sandbox)` (control/sandboxes.ts).
 */
import type { Response } from 'express';
import type { SandboxRecord } from '../control/sandboxes.js';

export type { SandboxRecord } from '../control/sandboxes.js';

export type Principal = { kind: 'client'; clientId: string } | { kind: 'session'; user: string };

export interface RequestContext {
  orgId: string;
  sandbox: SandboxRecord;
  principal: Principal;
}

const KEY = 'segContext';

export function setRequestContext(res: Response, ctx: RequestContext): void {
  (res.locals as Record<string, unknown>)[KEY] = ctx;
}

/** The context of an authenticated request; throws if the auth middleware did not run. */
export function requestContext(res: Response): RequestContext {
  const ctx = (res.locals as Record<string, unknown>)[KEY] as RequestContext | undefined;
  if (!ctx) throw new Error('requestContext() called on a route without the auth middleware');
  return ctx;
}

export function hasRequestContext(res: Response): boolean {
  return (res.locals as Record<string, unknown>)[KEY] !== undefined;
}

/** A stable key for per-principal limits. */
export function principalKey(p: Principal): string {
  return p.kind === 'client' ? `client:${p.clientId}` : `session:${p.user}`;
}
