/**
 * Datasets, batches and files: the small part of the platform's Catalog and Data Access APIs that
 * export jobs need (`/data/foundation/catalog`, `/data/foundation/export`).
 *
 *   POST /catalog/dataSets          DatasetCreate → 201 ["@/dataSets/<id>"]
 *   GET  /catalog/dataSets          ?limit(50, ≤100)&start(0)&name → {"<id>": Dataset, ...}
 *   GET  /catalog/dataSets/{id}     → {"<id>": Dataset}
 *   GET  /catalog/batches/{id}      → {"<id>": Batch}
 *   GET  /export/batches/{id}/files → BatchFiles
 *   GET  /export/files/{id}         a file id: the bytes (Range supported); a batch id (or a file id
 *                                   with ?path=<name>): FileListing / the named file's bytes
 *
 * Extension: `fileDescription.format` (`parquet` default, `ndjson` (alias `json`), `csv`) is the
 * default format of the exports written into the dataset.
 */
import { z } from 'zod';

export const PROFILE_UNION_SCHEMA = 'https://ns.adobe.com/xdm/context/profile__union';

export const ExportFormat = z.enum(['parquet', 'ndjson', 'csv']).meta({
  id: 'ExportFormat',
  description: 'File format of exported batches: Parquet (default), NDJSON (one JSON object a line) or CSV (header row, nested values flattened to dot-named columns, lists and maps as JSON text)',
});
export type ExportFormat = z.infer<typeof ExportFormat>;

/** `json` is accepted as an alias of `ndjson` (Catalog's name for JSON files). */
export const ExportFormatInput = z.preprocess((v) => (v === 'json' ? 'ndjson' : v), ExportFormat);

export const SchemaRef = z.object({
  id: z.string().min(1),
  contentType: z.string().optional(),
});

export const DatasetCreate = z
  .object({
    name: z.string().trim().min(1, 'name must not be empty').max(512),
    description: z.string().max(4096).optional(),
    /** Default: the XDM Individual Profile union schema (what export jobs require). */
    schemaRef: SchemaRef.optional(),
    tags: z.record(z.string(), z.array(z.string())).optional(),
    fileDescription: z.object({ format: ExportFormatInput.optional() }).loose().optional(),
  })
  .loose()
  .meta({ id: 'DatasetCreate' });
export type DatasetCreate = z.infer<typeof DatasetCreate>;

export const Dataset = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    imsOrg: z.string(),
    sandboxId: z.string(),
    version: z.string(),
    tags: z.record(z.string(), z.array(z.string())),
    schemaRef: z.object({ id: z.string(), contentType: z.string() }),
    fileDescription: z.object({ persisted: z.boolean(), containerFormat: z.string(), format: ExportFormat }),
    created: z.number().int(),
    updated: z.number().int(),
    createdClient: z.string(),
    createdUser: z.string(),
    updatedUser: z.string(),
    viewId: z.string(),
    files: z.string(),
    lastBatchId: z.string().optional(),
    lastBatchStatus: z.string().optional(),
  })
  .meta({ id: 'Dataset' });
export type Dataset = z.infer<typeof Dataset>;

export const DatasetMap = z.record(z.string(), Dataset).meta({ id: 'DatasetMap', description: 'Datasets keyed by id' });

export const DatasetListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  start: z.coerce.number().int().min(0).default(0),
  name: z.string().optional(),
});
export type DatasetListQuery = z.infer<typeof DatasetListQuery>;

export const BatchStatus = z.enum(['success', 'failed', 'aborted', 'loading']);

export const Batch = z
  .object({
    id: z.string(),
    imsOrg: z.string(),
    sandboxId: z.string(),
    status: BatchStatus,
    created: z.number().int(),
    updated: z.number().int(),
    started: z.number().int(),
    completed: z.number().int(),
    createdClient: z.string(),
    createdUser: z.string(),
    updatedUser: z.string(),
    version: z.string(),
    relatedObjects: z.array(z.object({ type: z.string(), id: z.string() })),
    inputFormat: z.object({ format: ExportFormat }),
    metrics: z.object({
      recordCount: z.number().int(),
      profileCount: z.number().int(),
      eventCount: z.number().int(),
      outputFileCount: z.number().int(),
      outputByteSize: z.number().int(),
    }),
    errors: z.array(z.object({ code: z.string(), description: z.string() })),
    tags: z.record(z.string(), z.array(z.string())),
  })
  .meta({ id: 'Batch' });
export type Batch = z.infer<typeof Batch>;

export const BatchMap = z.record(z.string(), Batch).meta({ id: 'BatchMap', description: 'The batch keyed by its id' });

export const BatchFile = z.object({
  dataSetFileId: z.string(),
  dataSetViewId: z.string(),
  version: z.string(),
  created: z.string(),
  updated: z.string(),
  isValid: z.boolean(),
  /** Extension: the file's name, size, record count and content type. */
  name: z.string(),
  length: z.number().int(),
  records: z.number().int(),
  contentType: z.string(),
  _links: z.object({ self: z.object({ href: z.string() }) }),
});

export const BatchFiles = z
  .object({
    data: z.array(BatchFile),
    _page: z.object({ limit: z.number().int(), count: z.number().int() }),
  })
  .meta({ id: 'BatchFiles' });
export type BatchFiles = z.infer<typeof BatchFiles>;

export const FileListing = z
  .object({
    data: z.array(
      z.object({ name: z.string(), length: z.string(), _links: z.object({ self: z.object({ href: z.string() }) }) }),
    ),
    _page: z.object({ limit: z.number().int(), count: z.number().int() }),
  })
  .meta({ id: 'FileListing' });
export type FileListing = z.infer<typeof FileListing>;
