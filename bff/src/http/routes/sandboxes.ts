/**
 * Sandbox management under `/data/foundation/sandbox-management` (Adobe Sandbox API shape):
 *   GET  /sandboxes?limit&offset → {sandboxes, _page, _links}
 *   GET  /sandboxes/{name}       → the sandbox, or 404 (also for another org's sandbox)
 *   POST /sandboxes {name, title, type:'development'} → 201 the sandbox; 409 when the name exists
 * `prod` (production, default) exists from the start. x-sandbox-name is optional here.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { Sandbox, SandboxCreate, SandboxList, SandboxListQuery } from '@seg/shared';
import { createSandbox, getSandbox, listSandboxes, type SandboxRecord } from '../../control/sandboxes.js';
import type { Services } from '../../services.js';
import { requestContext } from '../context.js';
import { conflict, notFound } from '../errors.js';
import { errorResponses, jsonBody, jsonResponse, ORG_HEADERS, registerRoute } from '../openapi.js';

export const SANDBOX_BASE = '/data/foundation/sandbox-management';
const TAGS = ['Sandboxes'];

registerRoute({
  method: 'get',
  path: `${SANDBOX_BASE}/sandboxes`,
  summary: 'List sandboxes of the organization',
  tags: TAGS,
  request: { headers: ORG_HEADERS, query: SandboxListQuery },
  responses: { 200: jsonResponse('Sandboxes', SandboxList), ...errorResponses(400) },
});
registerRoute({
  method: 'post',
  path: `${SANDBOX_BASE}/sandboxes`,
  summary: 'Create a development sandbox',
  tags: TAGS,
  request: { headers: ORG_HEADERS, ...jsonBody(SandboxCreate) },
  responses: { 201: jsonResponse('The new sandbox', Sandbox), ...errorResponses(400, 409) },
});
registerRoute({
  method: 'get',
  path: `${SANDBOX_BASE}/sandboxes/{name}`,
  summary: 'Get a sandbox',
  tags: TAGS,
  request: { headers: ORG_HEADERS, params: z.object({ name: z.string() }) },
  responses: { 200: jsonResponse('The sandbox', Sandbox), ...errorResponses(404) },
});

export function sandboxResource(s: SandboxRecord): Sandbox {
  return {
    id: s.id,
    name: s.name,
    title: s.title,
    state: 'active',
    type: s.type,
    region: 'local',
    isDefault: s.isDefault,
    eTag: 1,
    createdDate: new Date(s.createdAt).toISOString(),
    lastModifiedDate: new Date(s.updatedAt).toISOString(),
    createdBy: s.createdBy,
    lastModifiedBy: s.createdBy,
  };
}

export function sandboxesRouter(services: Services): Router {
  const router = Router();

  router.get('/sandboxes', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = SandboxListQuery.parse(req.query);
    const { items, total } = listSandboxes(services.db, ctx.orgId, q);
    const link = (offset: number) => ({ href: `${SANDBOX_BASE}/sandboxes?limit=${q.limit}&offset=${offset}` });
    const body: SandboxList = {
      sandboxes: items.map(sandboxResource),
      _page: { limit: q.limit, count: items.length, totalCount: total, offset: q.offset },
      _links: {
        next: q.offset + items.length < total ? link(q.offset + q.limit) : {},
        prev: q.offset > 0 ? link(Math.max(0, q.offset - q.limit)) : {},
      },
    };
    res.json(body);
  });

  router.get('/sandboxes/:name', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const name = String(req.params.name);
    const s = getSandbox(services.db, ctx.orgId, name);
    if (!s) throw notFound(`Sandbox ${JSON.stringify(name)} not found.`);
    res.json(sandboxResource(s));
  });

  router.post('/sandboxes', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const body = SandboxCreate.parse(req.body ?? {});
    const createdBy = ctx.principal.kind === 'client' ? ctx.principal.clientId : ctx.principal.user;
    const s = createSandbox(services.db, {
      orgId: ctx.orgId,
      name: body.name,
      title: body.title,
      type: body.type,
      createdBy,
      now: services.now(),
    });
    if (!s) throw conflict(`A sandbox named ${JSON.stringify(body.name)} already exists in this organization.`);
    res.status(201).json(sandboxResource(s));
  });

  return router;
}
