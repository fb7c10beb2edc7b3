/**
 * `GET /api/schema`: the sandbox's inferred profile/event schema (the shared
 * DataSchema), for the studio's completions, hover and schema browser.
 * Not part of Adobe's API: the platform serves schemas from its Schema Registry.
 */
import { Router } from 'express';
import type { Services } from '../../services.js';
import { requestContext } from '../context.js';

export function schemaRouter(services: Services): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const ctx = requestContext(res);
    const data = await services.dataPlane.forSandbox(ctx.orgId, ctx.sandbox.name);
    res.set('Cache-Control', 'no-store');
    res.json(data.schema);
  });
  return router;
}
