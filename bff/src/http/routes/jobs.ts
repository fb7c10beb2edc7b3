/**
 * Segment jobs under /data/core/ups (segmentation-api.md §4; behaviour in jobs/segmentJobs.ts):
 *
 *   GET    /segment/jobs                 start, limit (default 100, max 1000), status, sort=attr:asc|desc
 *                                        (creationTime, updateTime, updateEpoch, status, id; default
 *                                        creationTime:desc), property=path==value (source, status, id,
 *                                        properties.<key>) or segments~segmentId==<id>; snapshot.name
 *                                        accepted and ignored → {_page, children, _links.next}
 *   POST   /segment/jobs                 [{segmentId}] or {schema, segments:[{segmentId}]}; `*` = all → 200 NEW
 *   GET    /segment/jobs/{id}            200 | 404
 *   POST   /segment/jobs/bulk-get        {ids:[{id}]} → 207 {results:{id: job | {id, status:404, detail}}}
 *   DELETE /segment/jobs/{id}            204: CANCELLING → CANCELLED (interrupts the running query);
 *                                        a terminal job is left alone (204)
 */
import { Router } from 'express';
import { z } from 'zod';
import {
  SegmentJob,
  SegmentJobBulkGetRequest,
  SegmentJobBulkGetResponse,
  SegmentJobCreate,
  SegmentJobList,
  SegmentJobStatus,
} from '@seg/shared';
import { getJob, listJobs, type JobListOptions, type JobStatus } from '../../control/jobs.js';
import { cancelSegmentJob, createSegmentJob, getSegmentJob, toResource } from '../../jobs/segmentJobs.js';
import { getRunner } from '../../jobs/runner.js';
import { getScheduler } from '../../jobs/scheduler.js';
import type { Services } from '../../services.js';
import { requestContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

const BASE = '/data/core/ups';
const TAGS = ['Segment jobs'];
const IdParams = z.object({ SEGMENT_JOB_ID: z.string() });

const ListQuery = z.object({
  start: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  status: SegmentJobStatus.optional(),
  sort: z.string().optional(),
  property: z.string().optional(),
  'snapshot.name': z.string().optional(),
});

registerRoute({
  method: 'get',
  path: `${BASE}/segment/jobs`,
  summary: 'List segment jobs',
  tags: TAGS,
  request: { headers: DATA_HEADERS, query: ListQuery },
  responses: { 200: jsonResponse('A page of jobs', SegmentJobList), ...errorResponses(400) },
});
registerRoute({
  method: 'post',
  path: `${BASE}/segment/jobs`,
  summary: 'Create a segment job (explicit ids, or * for every definition)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(SegmentJobCreate) },
  responses: { 200: jsonResponse('The job (status NEW)', SegmentJob), ...errorResponses(400, 429) },
});
registerRoute({
  method: 'get',
  path: `${BASE}/segment/jobs/{SEGMENT_JOB_ID}`,
  summary: 'Get a segment job',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams },
  responses: { 200: jsonResponse('The job', SegmentJob), ...errorResponses(404) },
});
registerRoute({
  method: 'post',
  path: `${BASE}/segment/jobs/bulk-get`,
  summary: 'Get several segment jobs',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(SegmentJobBulkGetRequest) },
  responses: { 207: jsonResponse('The jobs by id (unknown ids: {id, status: 404, detail})', SegmentJobBulkGetResponse), ...errorResponses(400) },
});
registerRoute({
  method: 'delete',
  path: `${BASE}/segment/jobs/{SEGMENT_JOB_ID}`,
  summary: 'Cancel a segment job (CANCELLING → CANCELLED)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams },
  responses: { 204: { description: 'Marked for cancelling (or already terminal)' }, ...errorResponses(404) },
});

const SORT_COLUMNS: Record<string, JobListOptions['sort']['column']> = {
  creationTime: 'created_at',
  updateTime: 'updated_at',
  updateEpoch: 'updated_at',
  status: 'status',
  id: 'id',
};

function parseSort(raw: string | undefined): JobListOptions['sort'] {
  if (!raw) return { column: 'created_at', dir: 'DESC' };
  const m = /^([A-Za-z]+)(?::(asc|desc))?$/i.exec(raw.trim());
  const column = m ? SORT_COLUMNS[m[1]!] : undefined;
  if (!m || !column) throw badRequest(`Invalid sort "${raw}": expected attr:asc|desc with attr one of ${Object.keys(SORT_COLUMNS).join(', ')}.`);
  return { column, dir: (m[2] ?? 'asc').toLowerCase() === 'desc' ? 'DESC' : 'ASC' };
}

function parseProperty(raw: string, o: JobListOptions): void {
  const m = /^([^=~]+?)(?:~([^=]+))?==(.*)$/.exec(raw.trim());
  if (!m) throw badRequest(`Invalid property filter "${raw}": expected path==value or arrayAttr~key==value.`);
  const [, path, sub, value] = m as unknown as [string, string, string | undefined, string];
  if (sub !== undefined) {
    if (path !== 'segments' || sub !== 'segmentId') throw badRequest(`Unsupported property filter "${raw}": only segments~segmentId==<id>.`);
    o.segmentId = value;
    return;
  }
  if (path === 'source') o.source = value;
  else if (path === 'status') {
    const s = SegmentJobStatus.safeParse(value);
    if (!s.success) throw badRequest(`Invalid status "${value}" in property filter.`);
    o.status = s.data;
  } else if (path === 'id') o.property = { key: '__id', value };
  else if (/^properties\.[A-Za-z0-9_]+$/.test(path)) o.property = { key: path.slice('properties.'.length), value };
  else throw badRequest(`Unsupported property filter path "${path}": use source, status, id, properties.<key> or segments~segmentId.`);
}

export function jobsRouter(services: Services): Router {
  const router = Router();
  getRunner(services);
  getScheduler(services);

  router.get('/segment/jobs', (req, res) => {
    const ctx = requestContext(res);
    const q = ListQuery.parse(req.query);
    const o: JobListOptions = { offset: q.start ?? 0, limit: q.limit ?? 100, sort: parseSort(q.sort), ...(q.status ? { status: q.status as JobStatus } : {}) };
    if (q.property) parseProperty(q.property, o);
    let idFilter: string | undefined;
    if (o.property?.key === '__id') {
      idFilter = o.property.value;
      delete o.property;
    }
    const scope = { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
    let { items, total } = listJobs(services.db, scope, o);
    if (idFilter !== undefined) {
      const one = getJob(services.db, scope, idFilter);
      items = one && (!o.status || one.status === o.status) ? [one] : [];
      total = items.length;
    }
    const nextStart = o.offset + items.length;
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string' && k !== 'start') next.set(k, v);
    next.set('start', String(nextStart));
    next.set('limit', String(o.limit));
    res.json({
      _page: { totalCount: total, pageSize: items.length },
      children: items.map((j) => toResource(j, ctx.sandbox)),
      _links: { next: nextStart < total && items.length > 0 ? { href: `/segment/jobs?${next.toString()}` } : {} },
    });
  });

  router.post('/segment/jobs', (req, res) => {
    const ctx = requestContext(res);
    const body = SegmentJobCreate.parse(req.body);
    const refs = Array.isArray(body) ? body : body.segments;
    const ids = refs.map((r) => r.segmentId);
    let segmentIds: string[] | '*' = ids;
    if (ids.includes('*')) {
      if (ids.length > 1) throw badRequest('segmentId "*" (every definition) cannot be combined with other ids.');
      segmentIds = '*';
    }
    const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined;
    const job = createSegmentJob(services, { orgId: ctx.orgId, sandbox: ctx.sandbox }, { segmentIds, source: 'api', ...(requestId ? { requestId } : {}) });
    res.status(200).json(job);
  });

  router.post('/segment/jobs/bulk-get', (req, res) => {
    const ctx = requestContext(res);
    const body = SegmentJobBulkGetRequest.parse(req.body);
    const results: Record<string, unknown> = {};
    for (const { id } of body.ids) {
      results[id] = getSegmentJob(services, ctx, id) ?? { id, status: 404, detail: `Segment job ${id} not found` };
    }
    res.status(207).json({ results });
  });

  router.get('/segment/jobs/:id', (req, res) => {
    const ctx = requestContext(res);
    const job = getSegmentJob(services, ctx, req.params.id);
    if (!job) throw notFound(`Segment job ${req.params.id} not found`);
    res.json(job);
  });

  router.delete('/segment/jobs/:id', (req, res) => {
    const ctx = requestContext(res);
    cancelSegmentJob(services, ctx, req.params.id);
    res.status(204).end();
  });

  return router;
}
