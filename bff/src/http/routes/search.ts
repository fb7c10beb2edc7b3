/**
 * Segment search under /data/core/ups (segmentation-api.md §8), over the sandbox's definitions.
 *
 *   GET /search/namespaces?schema.name&s          → 200 {namespaces:[{namespace,displayName,count}], totalCount, status}
 *   GET /search/entities?schema.name&namespace&s&entityId&limit&page
 *                                                 → 200 {entities, page:{totalCount,totalPages,pageOffset,pageSize}, status}
 *   GET /search/taxonomy?schema.name&namespace&entityId
 *                                                 → 200 {taxonomy, status}
 *
 * Decisions:
 *   - our definitions are the namespace `SegmentationService` (displayName "Segmentation Service");
 *     another namespace or folder/entity id (including another sandbox's) answers 404;
 *   - `schema.name` (or the spec's `schemaClass`) is required and must be _xdm.context.segmentdefinition;
 *   - `x-ups-search-version` may be omitted; any value but 1.0 answers 400;
 *   - folders come from the definitions' optional `folder` path; without `s`, entities lists the
 *     folders first, then the definitions; with `s`, only matching definitions; `entityId`
 *     restricts to the direct children of that folder (`root` = top level);
 *   - namespaces' `totalCount` is the number of namespaces (a number);
 *   - taxonomy runs from the top-level folder down to the entity itself.
 * The `s` syntax and its compilation to FTS5: control/search.ts. Bad syntax answers 400.
 */
import { Router, type Request, type Response } from 'express';
import {
  SEARCH_SCHEMA_NAME,
  SearchEntities,
  SearchEntitiesQuery,
  SearchNamespaces,
  SearchNamespacesQuery,
  SearchTaxonomy,
  SearchTaxonomyQuery,
  SEGMENTATION_NAMESPACE,
  type SearchEntity,
} from '@seg/shared';
import { z } from 'zod';
import { folderId, folderPrefixes, getDefinitions, listAllDefinitions, ROOT_FOLDER, type Scope } from '../../control/definitions.js';
import { searchDefinitionIds, SearchSyntaxError } from '../../control/search.js';
import type { Services } from '../../services.js';
import { requestContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonResponse, registerRoute } from '../openapi.js';
import { UPS_BASE } from './definitions.js';

const TAGS = ['Segment search'];
const SEARCH_HEADERS = DATA_HEADERS.extend({
  'x-ups-search-version': z.string().optional().meta({ description: '1.0 (the only version; optional here)' }),
});

registerRoute({
  method: 'get',
  path: `${UPS_BASE}/search/namespaces`,
  summary: 'Count matching segment definitions per namespace',
  tags: TAGS,
  request: { headers: SEARCH_HEADERS, query: SearchNamespacesQuery },
  responses: { 200: jsonResponse('Namespaces', SearchNamespaces), ...errorResponses(400) },
});
registerRoute({
  method: 'get',
  path: `${UPS_BASE}/search/entities`,
  summary: 'Search segment definitions and folders of a namespace',
  tags: TAGS,
  request: { headers: SEARCH_HEADERS, query: SearchEntitiesQuery },
  responses: { 200: jsonResponse('Entities', SearchEntities), ...errorResponses(400, 404) },
});
registerRoute({
  method: 'get',
  path: `${UPS_BASE}/search/taxonomy`,
  summary: 'The folder path of a segment definition or folder',
  tags: TAGS,
  request: { headers: SEARCH_HEADERS, query: SearchTaxonomyQuery },
  responses: { 200: jsonResponse('Taxonomy', SearchTaxonomy), ...errorResponses(400, 404) },
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function checkCommon(req: Request, q: { 'schema.name'?: string | undefined; schemaClass?: string | undefined }): void {
  const version = req.get('x-ups-search-version');
  if (version !== undefined && version.trim() !== '1.0')
    throw badRequest(`Unsupported x-ups-search-version "${version}": the only version is 1.0.`);
  const schema = q['schema.name'] ?? q.schemaClass;
  if (schema === undefined)
    throw badRequest(`The query parameter schema.name is required (${SEARCH_SCHEMA_NAME}).`, {
      issues: [{ path: 'schema.name', message: 'Required', code: 'invalid_type' }],
    });
  if (schema !== SEARCH_SCHEMA_NAME)
    throw badRequest(`Unsupported schema.name "${schema}": only ${SEARCH_SCHEMA_NAME} is supported.`, {
      issues: [{ path: 'schema.name', message: `must be ${SEARCH_SCHEMA_NAME}`, code: 'invalid_value' }],
    });
}

function checkNamespace(namespace: string): void {
  if (namespace !== SEGMENTATION_NAMESPACE)
    throw notFound(`Unknown namespace "${namespace}"; this sandbox has ${SEGMENTATION_NAMESPACE}.`);
}

function search(services: Services, scope: Scope, s: string | undefined): string[] {
  try {
    return searchDefinitionIds(services.db, scope, s);
  } catch (err) {
    if (err instanceof SearchSyntaxError)
      throw badRequest(`Invalid search expression s: ${err.message}`, { issues: [{ path: 's', message: err.message, code: 'custom' }] });
    throw err;
  }
}

interface Folder {
  id: string;
  path: string;
  name: string;
  parentFolderId: string;
}

function foldersOf(paths: Iterable<string>): Map<string, Folder> {
  const out = new Map<string, Folder>();
  for (const p of paths) {
    for (const prefix of folderPrefixes(p)) {
      const id = folderId(prefix);
      if (out.has(id)) continue;
      const cut = prefix.lastIndexOf('/');
      out.set(id, {
        id,
        path: prefix,
        name: cut < 0 ? prefix : prefix.slice(cut + 1),
        parentFolderId: cut < 0 ? ROOT_FOLDER : folderId(prefix.slice(0, cut)),
      });
    }
  }
  return out;
}

export function searchRouter(services: Services): Router {
  const router = Router();
  const { db } = services;

  router.get('/search/namespaces', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = SearchNamespacesQuery.parse(req.query);
    checkCommon(req, q);
    const ids = search(services, { orgId: ctx.orgId, sandboxId: ctx.sandbox.id }, q.s);
    const body: SearchNamespaces = {
      namespaces: [{ namespace: SEGMENTATION_NAMESPACE, displayName: 'Segmentation Service', count: ids.length }],
      totalCount: 1,
      status: { message: 'Success' },
    };
    res.json(body);
  });

  router.get('/search/entities', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = SearchEntitiesQuery.parse(req.query);
    checkCommon(req, q);
    checkNamespace(q.namespace);
    const scope = { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
    const all = listAllDefinitions(db, scope);
    const folders = foldersOf(all.flatMap((d) => (d.folder ? [d.folder] : [])));
    if (q.entityId !== undefined && q.entityId !== ROOT_FOLDER && !folders.has(q.entityId))
      throw notFound(`Cannot find entityId ${q.entityId} (a folder of namespace ${SEGMENTATION_NAMESPACE}).`);
    const hasS = q.s !== undefined && q.s.trim() !== '';
    const matched = hasS ? new Set(search(services, scope, q.s)) : undefined;
    const inFolder = (parent: string) => q.entityId === undefined || parent === q.entityId;

    const folderEntities: SearchEntity[] = hasS
      ? []
      : [...folders.values()]
          .filter((f) => inFolder(f.parentFolderId))
          .sort((a, b) => a.path.localeCompare(b.path))
          .map((f) => ({
            id: f.id,
            base64EncodedSourceId: b64(f.id),
            sourceId: f.id,
            isFolder: true,
            parentFolderId: f.parentFolderId,
            name: f.name,
            folderLocation: f.path,
          }));
    const segmentEntities: SearchEntity[] = all
      .filter((d) => (matched ? matched.has(d.id) : true))
      .filter((d) => inFolder(d.folder ? folderId(d.folder) : ROOT_FOLDER))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id.localeCompare(b.id))
      .map((d) => ({
        id: d.id,
        base64EncodedSourceId: b64(d.id),
        sourceId: d.id,
        isFolder: false,
        parentFolderId: d.folder ? folderId(d.folder) : ROOT_FOLDER,
        name: d.name,
        ...(d.description ? { description: d.description } : {}),
        ...(d.folder ? { folderLocation: d.folder } : {}),
      }));
    const entities = [...folderEntities, ...segmentEntities];
    const pageItems = entities.slice(q.page * q.limit, (q.page + 1) * q.limit);
    const body: SearchEntities = {
      entities: pageItems,
      page: {
        totalCount: entities.length,
        totalPages: Math.ceil(entities.length / q.limit),
        pageOffset: q.page,
        pageSize: pageItems.length,
      },
      status: { message: 'Success' },
    };
    res.json(body);
  });

  router.get('/search/taxonomy', (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const q = SearchTaxonomyQuery.parse(req.query);
    checkCommon(req, q);
    checkNamespace(q.namespace);
    const scope = { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
    const def = getDefinitions(db, scope, [q.entityId]).get(q.entityId);
    let folderPath: string | undefined;
    let self: SearchTaxonomy['taxonomy'][number];
    if (def) {
      folderPath = def.folder;
      self = { id: def.id, base64EncodedSourceId: b64(def.id), name: def.name, parentFolderId: def.folder ? folderId(def.folder) : ROOT_FOLDER };
    } else {
      const folders = foldersOf(listAllDefinitions(db, scope).flatMap((d) => (d.folder ? [d.folder] : [])));
      const f = folders.get(q.entityId);
      if (!f) throw notFound(`Cannot find entityId ${q.entityId}.`);
      const cut = f.path.lastIndexOf('/');
      folderPath = cut < 0 ? undefined : f.path.slice(0, cut);
      self = { id: f.id, base64EncodedSourceId: b64(f.id), name: f.name, parentFolderId: f.parentFolderId };
    }
    const chain = folderPath
      ? [...foldersOf([folderPath]).values()]
          .filter((f) => folderPrefixes(folderPath!).includes(f.path))
          .sort((a, b) => a.path.length - b.path.length)
          .map((f) => ({ id: f.id, base64EncodedSourceId: b64(f.id), name: f.name, parentFolderId: f.parentFolderId }))
      : [];
    const body: SearchTaxonomy = { taxonomy: [...chain, self], status: { message: 'Success' } };
    res.json(body);
  });

  return router;
}
