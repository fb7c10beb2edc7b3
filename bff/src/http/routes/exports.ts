/**
 * Export jobs under /data/core/ups (segmentation-api.md §6; the work: jobs/exportJobs.ts):
 *
 *   GET    /export/jobs?limit=100&offset=<ms>_<id>&status=NEW|PROCESSING|SUCCEEDED|FAILED
 *          → 200 {records, page:{sortField:'createdTime', sort:'desc', pageOffset, pageSize},
 *                 link:{next?: '/export/jobs/?limit=…&offset=…'}}   newest first
 *   POST   /export/jobs  ExportJobCreate → 200 the job (status NEW), X-Location; 400 on a missing
 *          datasetId/schema.name, an unknown dataset or segment, or an unknown field path
 *   GET    /export/jobs/{id} → 200 the job; 404 (also for another sandbox's id)
 *   DELETE /export/jobs/{id} → 200 {status:true, message}: a running or queued job is marked for
 *          cancelling (its query is interrupted; it ends FAILED with error code CANCELLED and no
 *          batch); a finished job is deleted (its batch stays in the dataset)
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  ExportJob,
  ExportJobCancelled,
  ExportJobCreate,
  ExportJobList,
  ExportJobListQuery,
} from '@seg/shared';
import { listExportJobs, getExportJob, type ExportJobRecord } from '../../control/exports.js';
import { sandboxRef, type SandboxRecord } from '../../control/sandboxes.js';
import {
  cancelExportJob,
  checkFieldsAgainstData,
  createExportJob,
  exportRunner,
  validateExportRequest,
} from '../../jobs/exportJobs.js';
import type { Services } from '../../services.js';
import { requestContext, type RequestContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

const BASE = '/data/core/ups';
const TAGS = ['Export jobs'];
const ID_PARAMS = z.object({ id: z.string().meta({ description: 'The export job id (an integer)' }) });

registerRoute({
  method: 'get',
  path: `${BASE}/export/jobs`,
  summary: 'List export jobs, newest first',
  tags: TAGS,
  request: { headers: DATA_HEADERS, query: ExportJobListQuery },
  responses: { 200: jsonResponse('A page of export jobs', ExportJobList), ...errorResponses(400) },
});
registerRoute({
  method: 'post',
  path: `${BASE}/export/jobs`,
  summary: 'Create an export job: write segment members (or every profile) into a new batch of a dataset',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(ExportJobCreate) },
  responses: {
    200: jsonResponse('The job (status NEW)', ExportJob, { 'X-Location': 'The export job resource' }),
    ...errorResponses(400),
  },
});
registerRoute({
  method: 'get',
  path: `${BASE}/export/jobs/{id}`,
  summary: 'Get an export job',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: ID_PARAMS },
  responses: { 200: jsonResponse('The job', ExportJob), ...errorResponses(404) },
});
registerRoute({
  method: 'delete',
  path: `${BASE}/export/jobs/{id}`,
  summary: 'Cancel a queued or running export job, or delete a finished one',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: ID_PARAMS },
  responses: { 200: jsonResponse('Marked for cancelling, or deleted', ExportJobCancelled), ...errorResponses(404) },
});

export function jobHref(id: number): string {
  return `${BASE}/export/jobs/${id}`;
}

/** The API resource of a job record. */
export function exportJobBody(job: ExportJobRecord, sandbox: SandboxRecord): ExportJob {
  const r = job.request;
  return {
    id: job.id,
    jobType: 'BATCH',
    status: job.status,
    imsOrgId: job.orgId,
    sandbox: sandboxRef(sandbox),
    profileInstanceId: 'ups',
    source: job.source,
    ...(job.properties ? { properties: job.properties } : {}),
    ...(r.fields !== undefined ? { fields: r.fields } : {}),
    schema: r.schema,
    ...(r.filter ? { filter: r.filter as Record<string, unknown> } : {}),
    ...(r.additionalFields ? { additionalFields: r.additionalFields as Record<string, unknown> } : {}),
    ...(r.mergePolicy ? { mergePolicy: r.mergePolicy } : {}),
    evaluationInfo: {
      segmentation: r.evaluationInfo?.segmentation ?? false,
      ...(job.segmentJobId ? { segmentJobId: job.segmentJobId } : {}),
    },
    destination: {
      datasetId: job.datasetId,
      segmentPerBatch: r.destination.segmentPerBatch,
      format: job.format,
      ...(job.batchId ? { batchId: job.batchId } : {}),
      ...(job.batches ? { batches: job.batches } : {}),
    },
    ...(job.errors.length ? { errors: job.errors } : {}),
    metrics: job.metrics,
    requestId: job.requestId,
    creationTime: job.createdAt,
    updateTime: job.updatedAt,
  };
}

function parseId(raw: string): number | undefined {
  return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

function scopeOf(ctx: RequestContext) {
  return { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
}

export function exportsRouter(services: Services): Router {
  const router = Router();
  exportRunner(services); // startup recovery runs now, before any request

  router.get('/export/jobs', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = ExportJobListQuery.parse(req.query);
    const after = q.offset ? { ms: Number(q.offset.split('_')[0]), id: Number(q.offset.split('_')[1]) } : undefined;
    const rows = listExportJobs(services.db, scopeOf(ctx), {
      limit: q.limit + 1,
      ...(after ? { after } : {}),
      ...(q.status ? { status: q.status } : {}),
    });
    const records = rows.slice(0, q.limit);
    const last = records[records.length - 1];
    const token = last ? `${last.createdAt}_${last.id}` : '';
    const next =
      rows.length > q.limit
        ? `/export/jobs/?limit=${q.limit}&offset=${token}${q.status ? `&status=${q.status}` : ''}`
        : undefined;
    const body: ExportJobList = {
      records: records.map((j) => exportJobBody(j, ctx.sandbox)),
      page: { sortField: 'createdTime', sort: 'desc', pageOffset: token, pageSize: records.length },
      link: next ? { next } : {},
    };
    res.set('Cache-Control', 'no-store').json(body);
  });

  router.post('/export/jobs', async (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const { request } = validateExportRequest(services, scopeOf(ctx), req.body);
    // Field paths against the data when it is loaded (otherwise the job checks them when it runs).
    const data = await services.dataPlane.forSandbox(ctx.orgId, ctx.sandbox.name).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 503) return undefined;
      throw err;
    });
    if (data) await checkFieldsAgainstData(data, request);
    const job = createExportJob(services, { orgId: ctx.orgId, sandbox: ctx.sandbox }, req.body, {
      source: 'api',
      requestId: req.header('x-request-id') ?? '',
      createdClient: ctx.principal.kind === 'client' ? ctx.principal.clientId : ctx.principal.user,
    });
    res.status(200).set('X-Location', jobHref(job.id)).json(exportJobBody(job, ctx.sandbox));
  });

  router.get('/export/jobs/:id', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const raw = String(req.params.id);
    const id = parseId(raw);
    const job = id === undefined ? undefined : getExportJob(services.db, scopeOf(ctx), id);
    if (!job) throw notFound(`Export job ${raw} not found`);
    res.set('Cache-Control', 'no-store').json(exportJobBody(job, ctx.sandbox));
  });

  router.delete('/export/jobs/:id', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const raw = String(req.params.id);
    const id = parseId(raw);
    const out = id === undefined ? undefined : cancelExportJob(services, scopeOf(ctx), id);
    if (!out) throw notFound(`Export job ${raw} not found`);
    const body: ExportJobCancelled = {
      status: true,
      message: out.outcome === 'cancelling' ? 'Export job has been marked for cancelling' : `Export job ${raw} had finished (${out.job.status}); it has been deleted`,
    };
    res.json(body);
  });

  return router;
}
