/**
 * Schedules under /data/core/ups — PLACEHOLDER, to be replaced by its owner.
 *
 * Pattern: export `schedulesRouter(services): Router` with paths relative to /data/core/ups (e.g.
 * `router.get('/segment/definitions', ...)`); app.ts mounts it after the auth middleware, so
 * `requestContext(res)` (http/context.ts) is available. Register OpenAPI paths at module top level
 * with `registerRoute` (http/openapi.ts). Unmatched requests fall through to the "No route" 404.
 */
import { Router } from 'express';
import type { Services } from '../../services.js';

export function schedulesRouter(_services: Services): Router {
  return Router();
}
