/**
 * Studio session under `/api/session`:
 *   POST   {username, password} → 200 SessionInfo + Set-Cookie seg_session (httpOnly, SameSite=Strict,
 *          Secure when the request is https); 401 UnauthorizedError on a wrong login.
 *   GET    → 200 SessionInfo (user, org, csrfToken, sandboxes) or 401.
 *   DELETE → 204, clears the cookie (needs x-csrf-token).
 * The cookie is the only credential the browser holds; no secret is ever returned.
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { SessionInfo, SessionLogin } from '@seg/shared';
import { authenticateUser } from '../../control/clients.js';
import { listSandboxes, sandboxRef } from '../../control/sandboxes.js';
import { createSession, deleteSession, type SessionRecord } from '../../control/sessions.js';
import type { Services } from '../../services.js';
import { checkCsrf, CSRF_HEADER, SESSION_COOKIE, sessionOf } from '../auth.js';
import { unauthorized } from '../errors.js';
import { RateLimiter, rateLimit } from '../limits.js';
import { errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

registerRoute({
  method: 'post',
  path: '/api/session',
  summary: 'Log in to the studio',
  tags: ['Studio session'],
  request: jsonBody(SessionLogin),
  responses: { 200: jsonResponse('Logged in; sets the seg_session cookie', SessionInfo), ...errorResponses(400, 401, 429) },
});
registerRoute({
  method: 'get',
  path: '/api/session',
  summary: 'The current studio session',
  tags: ['Studio session'],
  responses: { 200: jsonResponse('The session', SessionInfo), ...errorResponses(401) },
});
registerRoute({
  method: 'delete',
  path: '/api/session',
  summary: 'Log out',
  tags: ['Studio session'],
  request: { headers: z.object({ [CSRF_HEADER]: z.string() }) },
  responses: { 204: { description: 'Logged out' }, ...errorResponses(403) },
});

function info(services: Services, s: SessionRecord): SessionInfo {
  const { items } = listSandboxes(services.db, s.orgId, { limit: 500, offset: 0 });
  return {
    user: s.username,
    orgId: s.orgId,
    csrfToken: s.csrfToken,
    expiresAt: s.expiresAt,
    sandboxes: items.map((sb) => ({ ...sandboxRef(sb), title: sb.title })),
  };
}

function cookie(req: Request, value: string, maxAgeSeconds: number): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (req.secure) parts.push('Secure');
  return parts.join('; ');
}

export function sessionRouter(services: Services): Router {
  const router = Router();
  const limiter = new RateLimiter(Math.max(services.config.rateLimit, 0));
  router.use(express.json({ limit: '16kb' }));

  router.post(
    '/',
    rateLimit(limiter, (req) => `login:${req.ip ?? ''}`),
    (req: Request, res: Response) => {
      const body = SessionLogin.parse(req.body ?? {});
      const user = authenticateUser(services.db, body.username, body.password);
      if (!user) throw unauthorized('Invalid username or password.');
      const { id, session } = createSession(services.db, user, services.config.sessionTtlSeconds);
      res.set('Set-Cookie', cookie(req, id, services.config.sessionTtlSeconds));
      res.set('Cache-Control', 'no-store');
      res.json(info(services, session));
    },
  );

  router.get('/', (req: Request, res: Response) => {
    const s = sessionOf(services, req);
    if (!s) throw unauthorized('Not logged in.');
    res.set('Cache-Control', 'no-store');
    res.json(info(services, s.session));
  });

  router.delete('/', (req: Request, res: Response) => {
    const s = sessionOf(services, req);
    if (s) {
      checkCsrf(req, s.session);
      deleteSession(services.db, s.id);
    }
    res.set('Set-Cookie', cookie(req, '', 0));
    res.status(204).end();
  });

  return router;
}
