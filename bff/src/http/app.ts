/**
 * CONTRACT — the Express app. `createApp(services): Express`.
 *
 * Mount points (in this order):
 *   GET  /healthz                              200 {status:'ok', engine} once the prod data is loaded; 503 before / on failure
 *   GET  /openapi.json                         OpenAPI 3.1 (http/openapi.ts registry)
 *   /ims/token/v3                              routes/ims.ts
 *   /api/session                               routes/session.ts (studio login)
 *   /data/foundation/sandbox-management        auth (sandbox header optional) → routes/sandboxes.ts
 *   /data/core/ups                             auth → rate limit → JSON body → the routers below
 *   /data/*                                    auth, then the "No route" 404
 *   everything else                            the SPA (web/dist), index.html fallback for GET
 *
 * Adding endpoints under /data/core/ups: edit YOUR file in routes/ (definitions, search,
 * previews, jobs, exports, schedules), exporting `<name>Router(services): Router` with paths
 * relative to /data/core/ups. Everything before your router already ran: auth + sandbox
 * (`requestContext(res)`), rate limit, Content-Type check, JSON body (limit SEG_BODY_LIMIT).
 * Throw ApiError helpers (http/errors.ts); unknown paths answer 404 `{type:
 * 'urn:seg:errors:no-route', status:404, title:'NotFound', detail:'No route for …'}`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import { Health } from '@seg/shared';
import { pinoHttp } from 'pino-http';
import type { Services } from '../services.js';
import { authenticate, requireJsonBody } from './auth.js';
import { principalKey, requestContext } from './context.js';
import { errorMiddleware, noRoute, sendApiError, ApiError } from './errors.js';
import { RateLimiter, rateLimit } from './limits.js';
import { buildOpenApiDocument, jsonResponse, registerRoute } from './openapi.js';
import { CATALOG_MOUNTS, catalogRouter } from './routes/catalog.js';
import { definitionsRouter } from './routes/definitions.js';
import { exportsRouter } from './routes/exports.js';
import { imsRouter } from './routes/ims.js';
import { IMPORT_BASE, ingestRouter } from './routes/ingest.js';
import { jobsRouter } from './routes/jobs.js';
import { previewsRouter } from './routes/previews.js';
import { sandboxesRouter, SANDBOX_BASE } from './routes/sandboxes.js';
import { schedulesRouter } from './routes/schedules.js';
import { searchRouter } from './routes/search.js';
import { schemaRouter } from './routes/schema.js';
import { sessionRouter } from './routes/session.js';

/** Path prefixes served by the API; everything else is the SPA. */
export const API_PREFIXES = ['/data', '/ims', '/healthz', '/api', '/openapi.json'] as const;
export const UPS_BASE = '/data/core/ups';

export function isApiPath(urlPath: string): boolean {
  return API_PREFIXES.some((p) => urlPath === p || urlPath.startsWith(`${p}/`));
}

registerRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Readiness: 200 once the data is loaded',
  tags: ['Health'],
  responses: { 200: jsonResponse('Ready', Health), 503: jsonResponse('Starting, or the data failed to load', Health) },
});

/** Strips secrets from logged URLs (client_secret in IMS query strings). */
function redactUrl(url: string): string {
  return url.replace(/(client_secret|password)=[^&]*/gi, '$1=[REDACTED]');
}

export function createApp(services: Services): Express {
  const { config } = services;
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) {
    const t = config.trustProxy;
    app.set('trust proxy', t === 'true' ? true : /^\d+$/.test(t) ? Number(t) : t);
  }
  app.use(
    pinoHttp({
      logger: services.log,
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      redact: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'req.query.client_secret',
        'res.headers["set-cookie"]',
      ],
      serializers: {
        req: (req: { url?: string; [k: string]: unknown }) => ({ ...req, url: req.url ? redactUrl(req.url) : req.url }),
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    const s = services.dataPlane.status();
    const engine = services.config.engine.engine ?? 'duckdb';
    res.set('Cache-Control', 'no-store');
    if (s.state === 'ready') {
      res.json({ status: 'ok', engine });
    } else if (s.state === 'failed') {
      res.status(503).json({ status: 'failed', engine, progress: { state: s.state, stage: s.stage }, error: s.error });
    } else {
      res.status(503).json({ status: 'starting', engine, progress: { state: s.state, stage: s.stage, elapsedMs: s.elapsedMs } });
    }
  });

  app.get('/openapi.json', (_req, res) => {
    res.json(buildOpenApiDocument());
  });

  app.use('/ims', imsRouter(services));
  app.use('/api/session', sessionRouter(services));
  app.use('/api/schema', authenticate(services, { sandbox: 'required' }), schemaRouter(services));

  const limiter = new RateLimiter(config.rateLimit);
  const perPrincipal = rateLimit(limiter, (_req, res) => principalKey(requestContext(res).principal));
  const jsonBody = express.json({ limit: config.bodyLimit, type: 'application/json' });

  app.use(
    SANDBOX_BASE,
    authenticate(services, { sandbox: 'optional' }),
    perPrincipal,
    requireJsonBody,
    jsonBody,
    sandboxesRouter(services),
  );

  const ups = Router();
  ups.use(definitionsRouter(services));
  ups.use(searchRouter(services));
  ups.use(previewsRouter(services));
  ups.use(jobsRouter(services));
  ups.use(exportsRouter(services));
  ups.use(schedulesRouter(services));
  app.use(UPS_BASE, authenticate(services, { sandbox: 'required' }), perPrincipal, requireJsonBody, jsonBody, ups);
  app.use(CATALOG_MOUNTS, authenticate(services, { sandbox: 'required' }), perPrincipal, requireJsonBody, jsonBody, catalogRouter(services));
  app.use(IMPORT_BASE, authenticate(services, { sandbox: 'required' }), perPrincipal, ingestRouter(services));

  // Any other /data path: authenticate first (no route discovery without credentials).
  app.use('/data', authenticate(services, { sandbox: 'optional' }));

  // Unknown API routes: JSON 404 (never the SPA).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (isApiPath(req.path)) {
      sendApiError(res, noRoute(req.method, req.path));
      return;
    }
    next();
  });

  // Static SPA: hashed assets are immutable; index.html is always revalidated.
  app.use(
    express.static(config.webDist, {
      index: false,
      setHeaders(res, filePath) {
        if (filePath.includes(`${path.sep}assets${path.sep}`)) {
          res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        }
      },
    }),
  );

  // SPA fallback for client-side routes.
  const indexHtml = path.join(config.webDist, 'index.html');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    if (!existsSync(indexHtml)) {
      sendApiError(res, new ApiError(503, 'The web app is not built (run: npm start).'));
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  });

  app.use((req: Request, res: Response) => {
    sendApiError(res, noRoute(req.method, req.path));
  });

  app.use(errorMiddleware(services.log));
  return app;
}
