/**
 * Datasets, batches and files: the Catalog and Data Access subset that export jobs write to.
 * Mounted (app.ts) at /data/foundation/catalog and /data/foundation/export behind the same auth
 * as /data/core/ups (sandbox required). Everything is sandbox-scoped: another sandbox's ids 404.
 *
 *   POST /data/foundation/catalog/dataSets        DatasetCreate → 201 ["@/dataSets/<id>"]
 *   GET  /data/foundation/catalog/dataSets        ?limit=50(≤100)&start=0&name= → {"<id>": Dataset}
 *   GET  /data/foundation/catalog/dataSets/{id}   → {"<id>": Dataset}
 *   GET  /data/foundation/catalog/batches/{id}    → {"<id>": Batch} (status, relatedObjects, metrics.recordCount)
 *   GET  /data/foundation/export/batches/{id}/files → {data:[{dataSetFileId, …, _links.self.href}], _page}
 *   GET  /data/foundation/export/files/{id}       a file id → the bytes (Content-Type by format, Range);
 *                                                  a batch id → the listing {data:[{name, length, _links}]};
 *                                                  ?path=<name> → that file of the batch / file id
 * A batch exists only once complete (export jobs commit it with their success).
 */
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  Batch,
  BatchFiles,
  BatchMap,
  Dataset,
  DatasetCreate,
  DatasetListQuery,
  DatasetMap,
  FileListing,
} from '@seg/shared';
import {
  createDataset,
  datasetDir,
  getBatch,
  getDataset,
  getFile,
  lastBatch,
  listBatchFiles,
  listDatasets,
  type BatchRecord,
  type DatasetRecord,
  type FileRecord,
  type Scope,
} from '../../control/datasets.js';
import type { Services } from '../../services.js';
import { requestContext, type RequestContext } from '../context.js';
import { notFound, noRoute } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

export const CATALOG_BASE = '/data/foundation/catalog';
export const EXPORT_BASE = '/data/foundation/export';
/** Where app.ts mounts `catalogRouter`. */
export const CATALOG_MOUNTS = [CATALOG_BASE, EXPORT_BASE];

const CATALOG_TAGS = ['Catalog'];
const ACCESS_TAGS = ['Data Access'];
const ID = (d: string) => z.object({ id: z.string().meta({ description: d }) });

registerRoute({
  method: 'post',
  path: `${CATALOG_BASE}/dataSets`,
  summary: 'Create a dataset',
  tags: CATALOG_TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(DatasetCreate) },
  responses: { 201: jsonResponse('["@/dataSets/<id>"]', z.array(z.string())), ...errorResponses(400) },
});
registerRoute({
  method: 'get',
  path: `${CATALOG_BASE}/dataSets`,
  summary: 'List datasets (oldest first), keyed by id',
  tags: CATALOG_TAGS,
  request: { headers: DATA_HEADERS, query: DatasetListQuery },
  responses: { 200: jsonResponse('Datasets keyed by id', DatasetMap), ...errorResponses(400) },
});
registerRoute({
  method: 'get',
  path: `${CATALOG_BASE}/dataSets/{id}`,
  summary: 'Get a dataset',
  tags: CATALOG_TAGS,
  request: { headers: DATA_HEADERS, params: ID('Dataset id') },
  responses: { 200: jsonResponse('The dataset keyed by its id', DatasetMap), ...errorResponses(404) },
});
registerRoute({
  method: 'get',
  path: `${CATALOG_BASE}/batches/{id}`,
  summary: 'Get a batch',
  tags: CATALOG_TAGS,
  request: { headers: DATA_HEADERS, params: ID('Batch id') },
  responses: { 200: jsonResponse('The batch keyed by its id', BatchMap), ...errorResponses(404) },
});
registerRoute({
  method: 'get',
  path: `${EXPORT_BASE}/batches/{id}/files`,
  summary: "List a batch's files",
  tags: ACCESS_TAGS,
  request: { headers: DATA_HEADERS, params: ID('Batch id') },
  responses: { 200: jsonResponse('The files', BatchFiles), ...errorResponses(404) },
});
registerRoute({
  method: 'get',
  path: `${EXPORT_BASE}/files/{id}`,
  summary: "Download a file (a file id), or list a batch's files (a batch id)",
  tags: ACCESS_TAGS,
  request: {
    headers: DATA_HEADERS,
    params: ID('dataSetFileId, or a batch id'),
    query: z.object({ path: z.string().optional().meta({ description: 'A file name in the batch' }) }),
  },
  responses: {
    200: {
      description: 'The bytes (application/vnd.apache.parquet, application/x-ndjson or text/csv; Range supported), or a listing (JSON)',
      content: {
        'application/json': { schema: FileListing },
        'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) },
      },
    },
    206: { description: 'Partial content (Range)' },
    ...errorResponses(404),
  },
});

function scopeOf(ctx: RequestContext): Scope {
  return { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
}

function datasetBody(db: Services['db'], d: DatasetRecord): Dataset {
  const last = lastBatch(db, { orgId: d.orgId, sandboxId: d.sandboxId }, d.id);
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    imsOrg: d.orgId,
    sandboxId: d.sandboxId,
    version: '1.0.0',
    tags: d.tags,
    schemaRef: d.schemaRef,
    fileDescription: { persisted: true, containerFormat: d.format, format: d.format },
    created: d.created,
    updated: d.updated,
    createdClient: d.createdClient,
    createdUser: d.createdClient,
    updatedUser: d.createdClient,
    viewId: d.id,
    files: `@/dataSets/${d.id}/views/${d.id}/files`,
    ...(last ? { lastBatchId: last.id, lastBatchStatus: last.status } : {}),
  };
}

function batchBody(b: BatchRecord, fileCount: number): Batch {
  return {
    id: b.id,
    imsOrg: b.orgId,
    sandboxId: b.sandboxId,
    status: b.status,
    created: b.created,
    updated: b.completed,
    started: b.started,
    completed: b.completed,
    createdClient: b.createdClient,
    createdUser: b.createdClient,
    updatedUser: b.createdClient,
    version: '1.0.0',
    relatedObjects: [
      { type: 'dataSet', id: b.datasetId },
      ...(b.exportJobId !== null ? [{ type: 'exportJob', id: String(b.exportJobId) }] : []),
    ],
    inputFormat: { format: b.format },
    metrics: {
      recordCount: b.recordCount,
      profileCount: b.profileCount,
      eventCount: b.eventCount,
      outputFileCount: fileCount,
      outputByteSize: b.bytes,
    },
    errors: [],
    tags: {},
  };
}

const fileHref = (id: string, name?: string) =>
  `${EXPORT_BASE}/files/${encodeURIComponent(id)}${name !== undefined ? `?path=${encodeURIComponent(name)}` : ''}`;

function catalogRoutes(services: Services): Router {
  const r = Router();
  r.post('/dataSets', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const body = DatasetCreate.parse(req.body);
    const rec = createDataset(
      services.db,
      scopeOf(ctx),
      {
        name: body.name,
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.schemaRef ? { schemaRef: body.schemaRef } : {}),
        ...(body.tags ? { tags: body.tags } : {}),
        ...(body.fileDescription?.format ? { format: body.fileDescription.format } : {}),
        createdClient: ctx.principal.kind === 'client' ? ctx.principal.clientId : ctx.principal.user,
      },
      services.now(),
    );
    res.status(201).json([`@/dataSets/${rec.id}`]);
  });
  r.get('/dataSets', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = DatasetListQuery.parse(req.query);
    const { items, total } = listDatasets(services.db, scopeOf(ctx), q);
    res.set('X-Total-Count', String(total)).json(Object.fromEntries(items.map((d) => [d.id, datasetBody(services.db, d)])));
  });
  r.get('/dataSets/:id', (req: Request, res: Response) => {
    const id = String(req.params.id);
    const d = getDataset(services.db, scopeOf(requestContext(res)), id);
    if (!d) throw notFound(`Dataset ${id} not found`);
    res.json({ [d.id]: datasetBody(services.db, d) });
  });
  r.get('/batches/:id', (req: Request, res: Response) => {
    const id = String(req.params.id);
    const scope = scopeOf(requestContext(res));
    const b = getBatch(services.db, scope, id);
    if (!b) throw notFound(`Batch ${id} not found`);
    res.set('Cache-Control', 'no-store').json({ [b.id]: batchBody(b, listBatchFiles(services.db, scope, id).length) });
  });
  return r;
}

function accessRoutes(services: Services): Router {
  const r = Router();
  r.get('/batches/:id/files', (req: Request, res: Response) => {
    const id = String(req.params.id);
    const scope = scopeOf(requestContext(res));
    const b = getBatch(services.db, scope, id);
    if (!b) throw notFound(`Batch ${id} not found`);
    const files = listBatchFiles(services.db, scope, id);
    const body: BatchFiles = {
      data: files.map((f) => ({
        dataSetFileId: f.id,
        dataSetViewId: b.datasetId,
        version: '1.0.0',
        created: String(f.created),
        updated: String(f.created),
        isValid: true,
        name: f.name,
        length: f.bytes,
        records: f.records,
        contentType: f.contentType,
        _links: { self: { href: fileHref(f.id) } },
      })),
      _page: { limit: 100, count: files.length },
    };
    res.json(body);
  });
  r.get('/files/:id', (req: Request, res: Response, next: NextFunction) => {
    const id = String(req.params.id);
    const ctx = requestContext(res);
    const scope = scopeOf(ctx);
    const wanted = typeof req.query.path === 'string' ? req.query.path : undefined;
    const file = getFile(services.db, scope, id);
    let batchId: string;
    let target: FileRecord | undefined;
    if (file) {
      batchId = file.batchId;
      target = wanted === undefined || wanted === file.name ? file : listBatchFiles(services.db, scope, batchId).find((f) => f.name === wanted);
      if (!target) throw notFound(`File ${wanted ?? ''} not found in ${id}`);
    } else {
      const b = getBatch(services.db, scope, id);
      if (!b) throw notFound(`File ${id} not found`);
      batchId = b.id;
      const files = listBatchFiles(services.db, scope, batchId);
      if (wanted === undefined) {
        const body: FileListing = {
          data: files.map((f) => ({ name: f.name, length: String(f.bytes), _links: { self: { href: fileHref(f.id) } } })),
          _page: { limit: 100, count: files.length },
        };
        res.json(body);
        return;
      }
      target = files.find((f) => f.name === wanted);
      if (!target) throw notFound(`File ${wanted} not found in batch ${id}`);
    }
    const abs = path.join(
      datasetDir(services.config.stateDir, ctx.orgId, ctx.sandbox.name, target.datasetId),
      encodeURIComponent(batchId),
      target.name,
    );
    res.attachment(target.name);
    res.type(target.contentType);
    res.sendFile(abs, { dotfiles: 'allow', cacheControl: false, lastModified: true, acceptRanges: true }, (err?: Error) => {
      if (err && !res.headersSent) next(notFound(`The content of file ${target.id} is missing`));
    });
  });
  return r;
}

/** One router for both mounts; dispatches on the mount point. */
export function catalogRouter(services: Services): Router {
  const catalog = catalogRoutes(services);
  const access = accessRoutes(services);
  const router = Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.baseUrl === CATALOG_BASE) catalog(req, res, next);
    else if (req.baseUrl === EXPORT_BASE) access(req, res, next);
    else next();
  });
  // Unknown paths below these mounts: the JSON "No route" 404.
  router.use((req: Request) => {
    throw noRoute(req.method, `${req.baseUrl}${req.path}`);
  });
  return router;
}
