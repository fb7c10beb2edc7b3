/**
 * Previews and estimates under /data/core/ups (segmentation-api.md §5):
 *
 *   POST   /preview {predicateExpression, predicateType?: 'pql/text', predicateModel?, graphType?}
 *          → 201 {state:'NEW', previewQueryId, previewQueryStatus:'NEW', previewId, previewExecutionId:0}
 *            with X-Location; 400 with every PQL diagnostic (line/column) for an invalid expression
 *   GET    /preview/{id}?offset=0&limit=1000
 *          → 200 {results, state, previewQueryStatus, totalCount?, page:{offset,size}, links:{_self,next,prev}}
 *            (results [] until RESULT_READY; `error` when FAILED)
 *   DELETE /preview/{id} → 200 {status:true, message:'KILLED'}: interrupts the running query and
 *          forgets the preview and its estimate (later GETs 404)
 *   GET    /estimate/{id} → 200 the estimate (§5.5 fields + confidenceIntervalLow/High, exact,
 *          sampleFraction), refined while RUNNING
 *
 * Unknown ids, expired ones and those of another organisation or sandbox answer 404.
 * The evaluation itself: data/previews.ts.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  Estimate,
  PreviewCreate,
  PreviewCreated,
  PreviewKilled,
  PreviewPage,
  PreviewPageQuery,
} from '@seg/shared';
import { namespaceId, previewManager, type PreviewRecord, type Scope } from '../../data/previews.js';
import type { Services } from '../../services.js';
import { requestContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

const BASE = '/data/core/ups';
const TAGS = ['Previews and estimates'];
const ID_PARAMS = z.object({ id: z.string().meta({ description: 'The previewId (also the estimate id)' }) });

registerRoute({
  method: 'post',
  path: `${BASE}/preview`,
  summary: 'Create a preview (and its estimate): an asynchronous evaluation of a PQL predicate',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(PreviewCreate) },
  responses: {
    201: jsonResponse('The preview was created', PreviewCreated, { 'X-Location': 'The preview resource' }),
    ...errorResponses(400),
  },
});
registerRoute({
  method: 'get',
  path: `${BASE}/preview/{id}`,
  summary: 'Get a page of preview results',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: ID_PARAMS, query: PreviewPageQuery },
  responses: { 200: jsonResponse('The page (results [] until RESULT_READY)', PreviewPage), ...errorResponses(400, 404) },
});
registerRoute({
  method: 'delete',
  path: `${BASE}/preview/{id}`,
  summary: 'Cancel and delete a preview and its estimate',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: ID_PARAMS },
  responses: { 200: jsonResponse('Killed', PreviewKilled), ...errorResponses(404) },
});
registerRoute({
  method: 'get',
  path: `${BASE}/estimate/{id}`,
  summary: 'Get the estimate of a preview',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: ID_PARAMS },
  responses: { 200: jsonResponse('The estimate', Estimate), ...errorResponses(404) },
});

const ACCEPTED_TYPES = new Set(['pql/text']);
const ACCEPTED_MODELS = new Set(['_xdm.context.profile', 'xdm.model.profile']);

function scopeOf(res: Response): Scope {
  const ctx = requestContext(res);
  return { orgId: ctx.orgId, sandbox: { id: ctx.sandbox.id, name: ctx.sandbox.name } };
}

function previewHref(id: string): string {
  return `${BASE}/preview/${encodeURIComponent(id)}`;
}

export function estimateBody(rec: PreviewRecord): Estimate {
  const { plan, progress, state, error } = rec.estimate;
  const figures = progress?.figures;
  const totalRows = plan?.totalRows ?? 0;
  const read = progress?.read ?? 0;
  return {
    estimatedSize: figures?.estimatedSize ?? 0,
    numRowsToRead: plan?.numRowsToRead ?? 0,
    totalRows,
    profilesReadSoFar: read,
    profilesMatchedSoFar: progress?.matched ?? 0,
    estimatedNamespaceDistribution: [...(progress?.namespaces ?? new Map<string, number>())]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([code, n]) => ({ namespaceId: namespaceId(code), namespaceCode: code, profilesMatchedSoFar: n })),
    standardError: figures?.standardError ?? 0,
    confidenceInterval: '95%',
    confidenceIntervalLow: figures?.low ?? 0,
    confidenceIntervalHigh: figures?.high ?? totalRows,
    exact: (figures?.exact ?? false) && state === 'RESULT_READY',
    sampleFraction: totalRows > 0 ? read / totalRows : progress ? 1 : 0,
    state,
    error: { description: error, traceback: '' },
    _links: {
      preview: state === 'RESULT_READY' ? `${previewHref(rec.id)}?previewQueryId=${rec.queryId}` : '',
    },
  };
}

export function previewsRouter(services: Services): Router {
  const router = Router();
  const previews = previewManager(services);

  router.post('/preview', async (req: Request, res: Response) => {
    const body = PreviewCreate.parse(req.body);
    if (body.predicateType !== undefined && !ACCEPTED_TYPES.has(body.predicateType)) {
      throw badRequest(`predicateType must be pql/text, not ${JSON.stringify(body.predicateType)}.`);
    }
    if (body.predicateModel !== undefined && !ACCEPTED_MODELS.has(body.predicateModel)) {
      throw badRequest(`predicateModel must be _xdm.context.profile (the profile class), not ${JSON.stringify(body.predicateModel)}.`);
    }
    const rec = await previews.create(scopeOf(res), body.predicateExpression);
    const created: PreviewCreated = {
      state: 'NEW',
      previewQueryId: rec.queryId,
      previewQueryStatus: 'NEW',
      previewId: rec.id,
      previewExecutionId: rec.executionId,
    };
    res.status(201).set('X-Location', previewHref(rec.id)).json(created);
  });

  router.get('/preview/:id', async (req: Request, res: Response) => {
    const scope = scopeOf(res);
    const id = String(req.params.id);
    const rec = previews.get(scope, id);
    if (!rec) throw notFound(`Preview ${id} not found`);
    const { offset, limit } = PreviewPageQuery.parse(req.query);
    const state = rec.state;
    const results = await previews.page(scope, rec, offset, limit);
    const total = state === 'RESULT_READY' ? (rec.members?.length ?? 0) : undefined;
    const link = (o: number) => `${previewHref(id)}?offset=${o}&limit=${limit}`;
    const body: PreviewPage = {
      results,
      state,
      previewQueryStatus: state,
      ...(total !== undefined ? { totalCount: total } : {}),
      page: { offset, size: results.length },
      links: {
        _self: link(offset),
        next: total !== undefined && offset + limit < total ? link(offset + limit) : '',
        prev: total !== undefined && offset > 0 ? link(Math.max(0, offset - limit)) : '',
      },
      ...(state === 'FAILED' ? { error: { description: rec.error, traceback: '' } } : {}),
    };
    res.set('Cache-Control', 'no-store').json(body);
  });

  router.delete('/preview/:id', (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!previews.delete(scopeOf(res), id)) throw notFound(`Preview ${id} not found`);
    const body: PreviewKilled = { status: true, message: 'KILLED' };
    res.json(body);
  });

  router.get('/estimate/:id', (req: Request, res: Response) => {
    const id = String(req.params.id);
    const rec = previews.get(scopeOf(res), id);
    if (!rec) throw notFound(`Estimate ${id} not found`);
    res.set('Cache-Control', 'no-store').json(estimateBody(rec));
  });

  return router;
}
