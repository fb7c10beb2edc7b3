/**
 * `POST /ims/token/v3` — client-credentials token endpoint, as Adobe IMS (OAuth server-to-server):
 * form-encoded `grant_type=client_credentials`, `client_id`, `client_secret` (query parameters
 * accepted too, as IMS does) → 200 `{access_token, token_type: 'bearer', expires_in}`.
 * `expires_in` is in SECONDS (IMS v3 and RFC 6749; the old v1/v2 JWT exchange used ms).
 * Errors as IMS answers them: 400 `{error, error_description}` with `invalid_request`,
 * `unsupported_grant_type` or `invalid_client` (unknown client or wrong secret, indistinguishable).
 */
import express, { Router, type Request, type Response } from 'express';
import { ImsErrorBody, TokenRequest, TokenResponse } from '@seg/shared';
import { authenticateClient } from '../../control/clients.js';
import type { Services } from '../../services.js';
import { issueToken } from '../auth.js';
import { RateLimiter } from '../limits.js';
import { jsonResponse, registerRoute } from '../openapi.js';

registerRoute({
  method: 'post',
  path: '/ims/token/v3',
  summary: 'Issue an access token (client credentials)',
  tags: ['Authentication'],
  request: {
    body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: TokenRequest } } },
  },
  responses: {
    200: jsonResponse('The access token', TokenResponse),
    400: jsonResponse('invalid_request, unsupported_grant_type or invalid_client', ImsErrorBody),
    429: jsonResponse('Too many token requests', ImsErrorBody),
  },
});

function imsError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}

function param(req: Request, name: string): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const v = body[name] ?? (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function imsRouter(services: Services): Router {
  const router = Router();
  const limiter = new RateLimiter(Math.max(services.config.rateLimit, 0));
  router.post(
    '/token/v3',
    express.urlencoded({ extended: false, limit: '16kb' }),
    express.json({ limit: '16kb' }),
    (req, res) => {
      res.set('Cache-Control', 'no-store');
      const wait = limiter.take(`ims:${req.ip ?? ''}`);
      if (wait > 0) {
        res.set('Retry-After', String(Math.ceil(wait)));
        imsError(res, 429, 'too_many_requests', 'Too many token requests; retry later.');
        return;
      }
      const grantType = param(req, 'grant_type');
      const clientId = param(req, 'client_id');
      const clientSecret = param(req, 'client_secret');
      if (!clientId) return imsError(res, 400, 'invalid_request', 'missing client_id parameter');
      if (!grantType) return imsError(res, 400, 'invalid_request', 'missing grant_type parameter');
      if (grantType !== 'client_credentials') {
        return imsError(res, 400, 'unsupported_grant_type', `grant_type ${grantType} is not supported; use client_credentials`);
      }
      if (!clientSecret) return imsError(res, 400, 'invalid_request', 'missing client_secret parameter');
      const client = authenticateClient(services.db, clientId, clientSecret);
      if (!client) return imsError(res, 400, 'invalid_client', 'invalid client_id or client_secret');
      void issueToken(services, { clientId: client.clientId, orgId: client.orgId }).then(
        ({ token, expiresIn }) => res.json({ access_token: token, token_type: 'bearer', expires_in: expiresIn }),
        (err: unknown) => {
          services.log.error({ err }, 'token signing failed');
          imsError(res, 500, 'server_error', 'The token could not be issued.');
        },
      );
    },
  );
  return router;
}
