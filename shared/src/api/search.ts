/**
 * API schemas of segment search (segmentation-api.md §8): `/search/namespaces`,
 * `/search/entities`, `/search/taxonomy`.
 *
 * Our own definitions live in the namespace `SegmentationService`; their folders come from the
 * definitions' optional `folder` path (extension). `schema.name` must be
 * `_xdm.context.segmentdefinition` (the spec's spelling `schemaClass` is accepted too).
 */
import { z } from 'zod';

export const SEARCH_SCHEMA_NAME = '_xdm.context.segmentdefinition';
/** The namespace of the definitions created through this service. */
export const SEGMENTATION_NAMESPACE = 'SegmentationService';
export const SEARCH_FIELDS = ['segmentName', 'segmentDescription', 'segmentId', 'folderId', 'parentFolderId', 'folderLocation'] as const;

const SDesc = `Lucene-like query: terms, "phrases", AND/OR/NOT (also && || ! + -), wildcards * and ?, "a b"~N proximity, field:term on ${SEARCH_FIELDS.join(', ')}; juxtaposed terms combine with OR.`;

const SchemaName = z.string().optional().meta({ description: `Must be ${SEARCH_SCHEMA_NAME}` });

export const SearchNamespacesQuery = z.object({
  'schema.name': SchemaName,
  schemaClass: SchemaName,
  s: z.string().max(2000).optional().meta({ description: SDesc }),
});

export const SearchStatus = z.object({ message: z.string() });

export const SearchNamespaces = z
  .object({
    namespaces: z.array(z.object({ namespace: z.string(), displayName: z.string(), count: z.number().int() })),
    totalCount: z.number().int(),
    status: SearchStatus,
  })
  .meta({ id: 'SearchNamespaces' });
export type SearchNamespaces = z.infer<typeof SearchNamespaces>;

export const SearchEntitiesQuery = z.object({
  'schema.name': SchemaName,
  schemaClass: SchemaName,
  namespace: z.string().min(1).meta({ description: `e.g. ${SEGMENTATION_NAMESPACE}` }),
  s: z.string().max(2000).optional().meta({ description: SDesc }),
  entityId: z.string().max(256).optional().meta({ description: 'A folder id (or root): only its direct children' }),
  limit: z.coerce.number().int().min(1).max(50).default(50),
  page: z.coerce.number().int().min(0).default(0),
});

export const SearchEntity = z
  .object({
    id: z.string(),
    base64EncodedSourceId: z.string(),
    sourceId: z.string(),
    isFolder: z.boolean(),
    parentFolderId: z.string(),
    name: z.string(),
    description: z.string().optional(),
    folderLocation: z.string().optional(),
  })
  .meta({ id: 'SearchEntity' });
export type SearchEntity = z.infer<typeof SearchEntity>;

export const SearchEntities = z
  .object({
    entities: z.array(SearchEntity),
    page: z.object({
      totalCount: z.number().int(),
      totalPages: z.number().int(),
      pageOffset: z.number().int(),
      pageSize: z.number().int(),
    }),
    status: SearchStatus,
  })
  .meta({ id: 'SearchEntities' });
export type SearchEntities = z.infer<typeof SearchEntities>;

export const SearchTaxonomyQuery = z.object({
  'schema.name': SchemaName,
  schemaClass: SchemaName,
  namespace: z.string().min(1),
  entityId: z.string().min(1).max(256),
});

export const SearchTaxonomy = z
  .object({
    taxonomy: z.array(
      z.object({ id: z.string(), base64EncodedSourceId: z.string(), name: z.string(), parentFolderId: z.string() }),
    ),
    status: SearchStatus,
  })
  .meta({ id: 'SearchTaxonomy' });
export type SearchTaxonomy = z.infer<typeof SearchTaxonomy>;
