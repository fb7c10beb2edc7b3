/**
 * Batch ingestion, compatible with the platform's Batch Ingestion API in the part the studio
 * needs (`/data/foundation/import`):
 *
 *   POST /batches                                          {datasetId, inputFormat:{format}} → 201 IngestBatch
 *   PUT  /batches/{batchId}/datasets/{datasetId}/files/{fileName}   application/octet-stream → 200
 *   POST /batches/{batchId}?action=COMPLETE                load into the sandbox → 200 IngestBatch
 *   POST /batches/{batchId}?action=ABORT                   drop the files → 200 IngestBatch
 *   GET  /batches/{batchId}                                → IngestBatch (extension)
 *   GET  /batches                                          → {batches: IngestBatch[]} newest first (extension)
 *   GET  /summary                                          → IngestSummary: the sandbox's counts (extension)
 *
 * `json` files are NDJSON (one JSON object a line). A dataset whose `schemaRef.id` names the
 * ExperienceEvent class receives events; any other dataset receives profiles (data-contract.md).
 * COMPLETE loads the sandbox's data again (its earlier data plus the batch) atomically: a bad file
 * fails the batch with the file and line at fault and leaves the sandbox's data as it was.
 */
import { z } from 'zod';

export const IngestFormat = z.enum(['json', 'parquet']).meta({ id: 'IngestFormat' });
export type IngestFormat = z.infer<typeof IngestFormat>;

export const IngestBatchCreate = z
  .object({
    datasetId: z.string().min(1, 'datasetId is required'),
    inputFormat: z.object({ format: IngestFormat }),
  })
  .loose()
  .meta({ id: 'IngestBatchCreate' });
export type IngestBatchCreate = z.infer<typeof IngestBatchCreate>;

export const IngestBatchStatus = z.enum(['loading', 'staged', 'processing', 'success', 'failed', 'aborted']);

export const IngestBatch = z
  .object({
    id: z.string(),
    imsOrg: z.string(),
    sandboxName: z.string(),
    status: IngestBatchStatus,
    created: z.number().int(),
    updated: z.number().int(),
    createdUser: z.string(),
    relatedObjects: z.array(z.object({ type: z.string(), id: z.string() })),
    inputFormat: z.object({ format: IngestFormat }),
    /** What the dataset receives: `profiles` or `events`. */
    kind: z.enum(['profiles', 'events']),
    files: z.array(z.object({ name: z.string(), bytes: z.number().int() })),
    metrics: z
      .object({
        inputByteSize: z.number().int(),
        inputFileCount: z.number().int(),
        /** The sandbox's counts after the batch was loaded. */
        profiles: z.number().int().optional(),
        events: z.number().int().optional(),
      }),
    errors: z.array(z.object({ code: z.string(), description: z.string() })),
  })
  .meta({ id: 'IngestBatch' });
export type IngestBatch = z.infer<typeof IngestBatch>;

export const IngestBatchList = z.object({ batches: z.array(IngestBatch) }).meta({ id: 'IngestBatchList' });
export type IngestBatchList = z.infer<typeof IngestBatchList>;

export const IngestSummary = z
  .object({
    sandboxName: z.string(),
    profiles: z.number().int(),
    events: z.number().int(),
    /** When the sandbox's data was last loaded (RFC 3339), if known. */
    loadedAt: z.string().optional(),
  })
  .meta({ id: 'IngestSummary' });
export type IngestSummary = z.infer<typeof IngestSummary>;
