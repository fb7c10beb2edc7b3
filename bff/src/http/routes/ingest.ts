/**
 * Batch ingestion (`/data/foundation/import`, the platform's Batch Ingestion API in the part the
 * studio needs; shared/src/api/ingest.ts): create a batch for a dataset, PUT its files
 * (application/octet-stream, streamed to disk, size-limited), COMPLETE to load them into the
 * sandbox (estimates and jobs then see the new data), or ABORT. Mounted behind
 * authenticate(services, {sandbox: 'required'}).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { IngestBatch, IngestBatchCreate, IngestBatchList, IngestSummary } from '@seg/shared';
import { getDataset } from '../../control/datasets.js';
import { Ingest, IngestError, kindOfSchema } from '../../data/ingest.js';
import type { Services } from '../../services.js';
import { requestContext } from '../context.js';
import { ApiError, badRequest, notFound } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

export const IMPORT_BASE = '/data/foundation/import';
const TAGS = ['Batch Ingestion'];

registerRoute({
  method: 'post',
  path: `${IMPORT_BASE}/batches`,
  summary: 'Create a batch to ingest files into a dataset (json = NDJSON, or parquet)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(IngestBatchCreate) },
  responses: { 201: jsonResponse('The batch', IngestBatch), ...errorResponses(400, 404) },
});
registerRoute({
  method: 'put',
  path: `${IMPORT_BASE}/batches/{batchId}/datasets/{datasetId}/files/{fileName}`,
  summary: 'Upload a file of the batch (application/octet-stream; SEG_INGEST_MAX_BYTES)',
  tags: TAGS,
  request: {
    headers: DATA_HEADERS,
    params: z.object({ batchId: z.string(), datasetId: z.string(), fileName: z.string() }),
  },
  responses: { 200: { description: 'Stored' }, ...errorResponses(400, 404, 409, 413) },
});
registerRoute({
  method: 'post',
  path: `${IMPORT_BASE}/batches/{batchId}`,
  summary: 'COMPLETE (load the files into the sandbox, atomically) or ABORT a batch',
  tags: TAGS,
  request: {
    headers: DATA_HEADERS,
    params: z.object({ batchId: z.string() }),
    query: z.object({ action: z.enum(['COMPLETE', 'ABORT']) }),
  },
  responses: { 200: jsonResponse('The batch', IngestBatch), ...errorResponses(400, 404, 409) },
});
registerRoute({
  method: 'get',
  path: `${IMPORT_BASE}/batches/{batchId}`,
  summary: 'A batch of ingestion (status, files, errors)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: z.object({ batchId: z.string() }) },
  responses: { 200: jsonResponse('The batch', IngestBatch), ...errorResponses(404) },
});

registerRoute({
  method: 'get',
  path: `${IMPORT_BASE}/batches`,
  summary: 'The batches of the sandbox, newest first',
  tags: TAGS,
  request: { headers: DATA_HEADERS },
  responses: { 200: jsonResponse('The batches', IngestBatchList) },
});
registerRoute({
  method: 'get',
  path: `${IMPORT_BASE}/summary`,
  summary: "The sandbox's profile and event counts",
  tags: TAGS,
  request: { headers: DATA_HEADERS },
  responses: { 200: jsonResponse('Counts', IngestSummary), ...errorResponses(503) },
});

function toApiError(err: unknown): unknown {
  if (!(err instanceof IngestError)) return err;
  if (err.status === 404) return notFound(err.message);
  if (err.status === 400) return badRequest(err.message);
  return new ApiError(err.status, err.message);
}

export function ingestRouter(services: Services): Router {
  const router = Router();
  const ingest = new Ingest(services.config.stateDir, services.dataPlane, services.config.ingestMaxBytes);
  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
      fn(req, res).catch((err: unknown) => next(toApiError(err)));
    };
  const user = (res: Response) => {
    const p = requestContext(res).principal;
    return p.kind === 'client' ? p.clientId : p.user;
  };

  router.post(
    '/batches',
    express.json({ limit: '64kb' }),
    wrap(async (req, res) => {
      const ctx = requestContext(res);
      const body = IngestBatchCreate.parse(req.body);
      const ds = getDataset(services.db, { orgId: ctx.orgId, sandboxId: ctx.sandbox.id }, body.datasetId);
      if (!ds) throw notFound(`Dataset ${body.datasetId} not found in sandbox ${ctx.sandbox.name}`);
      const batch = await ingest.create(ctx.orgId, ctx.sandbox.name, {
        datasetId: ds.id,
        format: body.inputFormat.format,
        kind: kindOfSchema(ds.schemaRef.id),
        user: user(res),
        now: services.now(),
      });
      res.status(201).json(batch);
    }),
  );

  router.put(
    '/batches/:batchId/datasets/:datasetId/files/:fileName',
    wrap(async (req, res) => {
      const ctx = requestContext(res);
      const type = req.get('content-type') ?? 'application/octet-stream';
      if (!/^application\/octet-stream\b/i.test(type))
        throw badRequest(`Upload the file as application/octet-stream (got ${type}).`);
      const declared = Number(req.get('content-length'));
      const limit = services.config.ingestMaxBytes;
      if (Number.isFinite(declared) && declared > limit)
        throw new ApiError(413, `The file is larger than the limit of ${limit} bytes (SEG_INGEST_MAX_BYTES).`);
      await ingest.upload(
        ctx.orgId,
        ctx.sandbox.name,
        String(req.params.batchId),
        String(req.params.datasetId),
        String(req.params.fileName),
        req,
        services.now(),
      );
      res.status(200).end();
    }),
  );

  router.post(
    '/batches/:batchId',
    wrap(async (req, res) => {
      const ctx = requestContext(res);
      const action = String(req.query.action ?? '').toUpperCase();
      const id = String(req.params.batchId);
      if (action === 'COMPLETE') res.json(await ingest.complete(ctx.orgId, ctx.sandbox.name, id, () => services.now()));
      else if (action === 'ABORT') res.json(await ingest.abort(ctx.orgId, ctx.sandbox.name, id, services.now()));
      else throw badRequest('action must be COMPLETE or ABORT.');
    }),
  );

  router.get(
    '/batches',
    wrap(async (_req, res) => {
      const ctx = requestContext(res);
      res.json({ batches: ingest.list(ctx.orgId, ctx.sandbox.name) });
    }),
  );

  router.get(
    '/summary',
    wrap(async (_req, res) => {
      const ctx = requestContext(res);
      const data = await services.dataPlane.forSandbox(ctx.orgId, ctx.sandbox.name);
      res.set('Cache-Control', 'no-store');
      res.json({
        sandboxName: ctx.sandbox.name,
        profiles: data.profileCount,
        events: data.report?.counts.events ?? 0,
        ...(data.report?.loadedAt ? { loadedAt: data.report.loadedAt } : {}),
      });
    }),
  );

  router.get(
    '/batches/:batchId',
    wrap(async (req, res) => {
      const ctx = requestContext(res);
      res.json(ingest.get(ctx.orgId, ctx.sandbox.name, String(req.params.batchId)));
    }),
  );

  return router;
}
