/**
 * Export jobs (segmentation-api.md §6): `GET/POST /export/jobs`, `GET/DELETE /export/jobs/{id}`.
 *
 * An export writes the members of its segments (or every profile without `filter.segments`) into
 * a new batch of the target dataset. Extensions beside the documented fields:
 * - `destination.format`: `parquet` (default: the dataset's `fileDescription.format`, else
 *   Parquet), `ndjson` (alias `json`) or `csv`;
 * - `metrics.progress` while PROCESSING, `metrics.exportedEventCounter`, `metrics.sizeInBytes`;
 * - a cancelled job ends FAILED with an error whose code is `CANCELLED` (§6.2 decision).
 * Each profile row carries `primaryIdentity` {namespace, id}, `identityMap`, the selected
 * attributes (nested as in the profile), and, with a segment filter, `segmentMembership`
 * {ups: {<segmentId>: {status, lastQualificationTime}}}. With `additionalFields.eventList` the
 * batch also holds an events file: `primaryIdentity` of the profile, `timestamp` and the selected
 * event fields.
 */
import { z } from 'zod';
import { ExportFormat, ExportFormatInput } from './datasets.js';

export const ExportJobStatus = z.enum(['NEW', 'PROCESSING', 'SUCCEEDED', 'FAILED']).meta({ id: 'ExportJobStatus' });
export type ExportJobStatus = z.infer<typeof ExportJobStatus>;

const Rfc3339 = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an RFC 3339 date-time, e.g. 2018-01-01T00:00:00Z',
  });

/** Comma-separated dot paths, e.g. `person.name.firstName,homeAddress`. */
const FieldList = z
  .string()
  .refine((s) => s.split(',').every((p) => /^[^.\s,]+(\.[^.\s,]+)*$/.test(p.trim())), {
    message: 'must be comma-separated dot paths, e.g. person.name.firstName,homeAddress.city',
  });

export const MembershipStatus = z.enum(['realized', 'existing', 'exited']);

export const ExportSegmentFilter = z.object({
  segmentId: z.string().min(1),
  segmentNs: z.string().min(1).default('ups'),
  status: z.array(MembershipStatus).min(1).default(['realized']),
});

export const ExportJobCreate = z
  .object({
    fields: FieldList.optional(),
    mergePolicy: z.object({ id: z.string(), version: z.number().int().optional() }).optional(),
    filter: z
      .object({
        segments: z.array(ExportSegmentFilter).optional(),
        segmentQualificationTime: z.object({ startTime: Rfc3339.optional(), endTime: Rfc3339.optional() }).optional(),
        fromIngestTimestamp: Rfc3339.optional(),
        emptyProfiles: z.boolean().optional(),
      })
      .optional(),
    additionalFields: z
      .object({
        eventList: z
          .object({
            fields: FieldList.optional(),
            filter: z.object({ fromIngestTimestamp: Rfc3339.optional(), toIngestTimestamp: Rfc3339.optional() }).optional(),
          })
          .optional(),
      })
      .optional(),
    destination: z.object({
      datasetId: z.string().min(1),
      segmentPerBatch: z.boolean().default(false),
      format: ExportFormatInput.optional(),
    }),
    schema: z.object({ name: z.string().min(1) }),
    evaluationInfo: z.object({ segmentation: z.boolean().default(false) }).optional(),
  })
  .meta({ id: 'ExportJobCreate' });
export type ExportJobCreate = z.infer<typeof ExportJobCreate>;

const Timing = z.object({
  startTimeInMs: z.number().int().optional(),
  endTimeInMs: z.number().int().optional(),
  totalTimeInMs: z.number().int().optional(),
});

export const ExportJobMetrics = z.object({
  totalTime: Timing,
  profileExportTime: Timing,
  aCPDatasetWriteTime: Timing,
  totalExportedProfileCounter: z.number().int().optional(),
  exportedProfileByNamespaceCounter: z.record(z.string(), z.number().int()).optional(),
  exportedEventCounter: z.number().int().optional(),
  sizeInBytes: z.number().int().optional(),
  progress: z
    .object({
      stage: z.string(),
      profilesTotal: z.number().int().optional(),
      profilesDone: z.number().int().optional(),
      percent: z.number(),
    })
    .optional(),
});

export const ExportJob = z
  .object({
    id: z.number().int(),
    jobType: z.literal('BATCH'),
    status: ExportJobStatus,
    imsOrgId: z.string(),
    sandbox: z.object({ sandboxId: z.string(), sandboxName: z.string(), type: z.string(), default: z.boolean() }),
    profileInstanceId: z.string(),
    source: z.enum(['api', 'scheduler']),
    properties: z.record(z.string(), z.unknown()).optional(),
    fields: z.string().optional(),
    schema: z.object({ name: z.string() }),
    filter: z.record(z.string(), z.unknown()).optional(),
    additionalFields: z.record(z.string(), z.unknown()).optional(),
    mergePolicy: z.object({ id: z.string(), version: z.number().int().optional() }).optional(),
    evaluationInfo: z.object({ segmentation: z.boolean(), segmentJobId: z.string().optional() }),
    destination: z.object({
      datasetId: z.string(),
      segmentPerBatch: z.boolean(),
      format: ExportFormat,
      batchId: z.string().optional(),
      batches: z
        .array(z.object({ segmentId: z.string(), segmentNs: z.string(), status: z.array(z.string()), batchId: z.string() }))
        .optional(),
    }),
    errors: z.array(z.object({ code: z.string(), msg: z.string(), callStack: z.string().optional() })).optional(),
    metrics: ExportJobMetrics,
    requestId: z.string(),
    creationTime: z.number().int(),
    updateTime: z.number().int(),
  })
  .meta({ id: 'ExportJob' });
export type ExportJob = z.infer<typeof ExportJob>;

export const ExportJobListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z
    .string()
    .regex(/^\d+_\d+$/, 'offset must be the token {creationTimeMs}_{id} of the last job of the previous page')
    .optional(),
  status: ExportJobStatus.optional(),
});
export type ExportJobListQuery = z.infer<typeof ExportJobListQuery>;

export const ExportJobList = z
  .object({
    records: z.array(ExportJob),
    page: z.object({ sortField: z.literal('createdTime'), sort: z.literal('desc'), pageOffset: z.string(), pageSize: z.number().int() }),
    link: z.object({ next: z.string().optional() }),
  })
  .meta({ id: 'ExportJobList' });
export type ExportJobList = z.infer<typeof ExportJobList>;

export const ExportJobCancelled = z
  .object({ status: z.boolean(), message: z.string() })
  .meta({ id: 'ExportJobCancelled' });
export type ExportJobCancelled = z.infer<typeof ExportJobCancelled>;
