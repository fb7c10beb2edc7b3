/**
 * Authentication: access tokens (IMS-like, JWT HS256 signed with the installation key), the
 * `/data/...` auth middleware (API clients and studio sessions) and the session cookie.
 *
 * Checks on a token request, in order (shape 1 `{error_code, message}`, §1.6):
 *   no Authorization (and no session cookie)  → 403 403010
 *   no x-api-key                              → 403 403000
 *   token unsigned/expired/unknown client     → 401 401013
 *   x-api-key ≠ the token's client            → 403 403003
 *   no x-gw-ims-org-id                        → 400 400003 "Missing header"
 *   org ≠ the token's org                     → 403 403025
 *   no x-sandbox-name (when required)         → 400 400004 "Missing header x-sandbox-name"
 *   sandbox not in the org (any case mismatch)→ 403 403026 "Sandbox is not valid"  (§11.27)
 * Studio sessions (cookie `seg_session`): org from the session (x-gw-ims-org-id optional, must
 * match when sent), same sandbox header rules, and `x-csrf-token` equal to the session's token on
 * POST/PUT/PATCH/DELETE (else 403 ForbiddenError, shape 2); an expired session → 401 shape 2.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import { getClient } from '../control/clients.js';
import { getSandbox, PROD_SANDBOX, type SandboxRecord } from '../control/sandboxes.js';
import { getSession, type SessionRecord } from '../control/sessions.js';
import type { Services } from '../services.js';
import { hasRequestContext, setRequestContext, type Principal } from './context.js';
import { ApiError, gatewayError, unauthorized } from './errors.js';

export const SESSION_COOKIE = 'seg_session';
export const CSRF_HEADER = 'x-csrf-token';
const ISSUER = 'seg-ims';

export interface TokenClaims {
  clientId: string;
  orgId: string;
}

export async function issueToken(services: Services, claims: TokenClaims): Promise<{ token: string; expiresIn: number }> {
  const ttl = services.config.tokenTtlSeconds;
  const token = await new SignJWT({ client_id: claims.clientId, org: claims.orgId, type: 'access_token' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(claims.clientId)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .setJti(randomUUID())
    .sign(services.tokenKey);
  return { token, expiresIn: ttl };
}

/** The token's claims when it is ours, unexpired and its client still exists; else undefined. */
export async function verifyToken(services: Services, token: string): Promise<TokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, services.tokenKey, { issuer: ISSUER, algorithms: ['HS256'] });
    const clientId = payload.client_id;
    const orgId = payload.org;
    if (typeof clientId !== 'string' || typeof orgId !== 'string') return undefined;
    const client = getClient(services.db, clientId);
    if (!client || client.orgId !== orgId) return undefined;
    return { clientId, orgId };
  } catch {
    return undefined;
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (!(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

/** The live session of the request's cookie, with its id. */
export function sessionOf(services: Services, req: Request): { id: string; session: SessionRecord } | undefined {
  const id = parseCookies(req.get('cookie'))[SESSION_COOKIE];
  if (!id) return undefined;
  const session = getSession(services.db, id);
  return session ? { id, session } : undefined;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function checkCsrf(req: Request, session: SessionRecord): void {
  if (!MUTATING.has(req.method)) return;
  const sent = req.get(CSRF_HEADER);
  if (!sent || sent !== session.csrfToken) {
    throw new ApiError(403, `Missing or invalid CSRF token: send the ${CSRF_HEADER} header returned by /api/session.`);
  }
}

function resolveSandbox(services: Services, req: Request, orgId: string, required: boolean): SandboxRecord {
  const name = req.get('x-sandbox-name');
  if (name === undefined || name.trim() === '') {
    if (required) throw gatewayError('400004');
    return getSandbox(services.db, orgId, PROD_SANDBOX)!;
  }
  const sandbox = getSandbox(services.db, orgId, name.trim());
  if (!sandbox) throw gatewayError('403026', `Sandbox is not valid: no sandbox "${name.trim()}" is accessible in this organization`);
  return sandbox;
}

/**
 * The `/data/...` auth middleware. `sandbox: 'optional'` (sandbox-management API) defaults a
 * missing x-sandbox-name to `prod`.
 */
export function authenticate(services: Services, options: { sandbox: 'required' | 'optional' }) {
  const required = options.sandbox === 'required';
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (hasRequestContext(res)) return next();
    const authz = req.get('authorization');
    let orgId: string;
    let principal: Principal;
    if (authz === undefined || authz.trim() === '') {
      const hasCookie = parseCookies(req.get('cookie'))[SESSION_COOKIE] !== undefined;
      if (!hasCookie) throw gatewayError('403010');
      const s = sessionOf(services, req);
      if (!s) throw unauthorized('The studio session has expired or is not valid; log in again.');
      const orgHeader = req.get('x-gw-ims-org-id');
      if (orgHeader !== undefined && orgHeader !== s.session.orgId) throw gatewayError('403025');
      checkCsrf(req, s.session);
      orgId = s.session.orgId;
      principal = { kind: 'session', user: s.session.username };
    } else {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
      const apiKey = req.get('x-api-key');
      if (!apiKey) throw gatewayError('403000');
      const claims = m ? await verifyToken(services, m[1]!) : undefined;
      if (!claims) throw gatewayError('401013');
      if (apiKey !== claims.clientId) throw gatewayError('403003');
      const orgHeader = req.get('x-gw-ims-org-id');
      if (orgHeader === undefined || orgHeader.trim() === '') throw gatewayError('400003');
      if (orgHeader.trim() !== claims.orgId) throw gatewayError('403025');
      orgId = claims.orgId;
      principal = { kind: 'client', clientId: claims.clientId };
    }
    const sandbox = resolveSandbox(services, req, orgId, required);
    setRequestContext(res, { orgId, sandbox, principal });
    next();
  };
}

/** Requires `Content-Type: application/json` on POST/PUT/PATCH requests that carry a body (§1.6 shape 2). */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    const len = req.get('content-length');
    const hasBody = req.get('transfer-encoding') !== undefined || (len !== undefined && len !== '0');
    if (hasBody && !req.is('application/json')) {
      const got = (req.get('content-type') ?? 'none').slice(0, 100);
      throw new ApiError(400, `Content-Type must be application/json (got ${got}).`, {
        title: 'BadRequestError',
      });
    }
  }
  next();
}
