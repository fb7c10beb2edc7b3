/**
 * Segment jobs (segmentation-api.md §4): `GET/POST /segment/jobs`, `GET/DELETE /segment/jobs/{id}`,
 * `POST /segment/jobs/bulk-get`.
 *
 * Beside the documented fields, a job carries `metrics.progress` ({profilesDone, totalProfiles},
 * updated at stage boundaries while PROCESSING) and `metrics.totalProfiles`.
 */
import { z } from 'zod';
import { SandboxRef } from './foundation.js';

export const SegmentJobStatus = z.enum(['NEW', 'QUEUED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED']);
export type SegmentJobStatus = z.infer<typeof SegmentJobStatus>;

export const SegmentJobSegmentRef = z.object({ segmentId: z.string().min(1) });

/** Body of POST /segment/jobs: `[{segmentId}]`, or `{schema?, segments:[{segmentId}]}` (`*` = all). */
export const SegmentJobCreate = z
  .union([
    z.array(SegmentJobSegmentRef).min(1, 'at least one segmentId is required'),
    z.object({
      schema: z.object({ name: z.string() }).optional(),
      segments: z.array(SegmentJobSegmentRef).min(1, 'at least one segmentId is required'),
    }),
  ])
  .meta({ id: 'SegmentJobCreate' });
export type SegmentJobCreate = z.infer<typeof SegmentJobCreate>;

const Timing = z.object({
  startTimeInMs: z.number().int().optional(),
  endTimeInMs: z.number().int().optional(),
  totalTimeInMs: z.number().int().optional(),
});

export const SegmentJobMetrics = z
  .object({
    totalTime: Timing,
    profileSegmentationTime: Timing,
    totalProfiles: z.number().int().optional(),
    segmentedProfileCounter: z.record(z.string(), z.number().int()).optional(),
    segmentedProfileByNamespaceCounter: z.record(z.string(), z.record(z.string(), z.number().int())).optional(),
    segmentedProfileByStatusCounter: z
      .record(z.string(), z.object({ realized: z.number().int(), existing: z.number().int(), exited: z.number().int() }))
      .optional(),
    totalProfilesByMergePolicy: z.record(z.string(), z.number().int()).optional(),
    progress: z.object({ profilesDone: z.number().int(), totalProfiles: z.number().int(), stage: z.string().optional() }).optional(),
  })
  .meta({ id: 'SegmentJobMetrics' });

export const SegmentJobError = z.object({ code: z.string(), msg: z.string(), callStack: z.string().optional(), segmentId: z.string().optional() });

export const SegmentJob = z
  .object({
    id: z.string(),
    imsOrgId: z.string(),
    sandbox: SandboxRef,
    profileInstanceId: z.string(),
    source: z.enum(['api', 'scheduler', 'export']),
    status: SegmentJobStatus,
    segments: z.array(
      z.object({
        segmentId: z.string(),
        segment: z
          .object({
            id: z.string(),
            version: z.number().int(),
            expression: z.object({ type: z.string(), format: z.string(), value: z.string() }),
            mergePolicyId: z.string(),
            mergePolicy: z.object({ id: z.string(), version: z.number().int() }),
          })
          .optional(),
      }),
    ),
    metrics: SegmentJobMetrics,
    errors: z.array(SegmentJobError),
    requestId: z.string(),
    schema: z.object({ name: z.string() }),
    properties: z.record(z.string(), z.unknown()),
    _links: z.object({
      cancel: z.object({ href: z.string(), method: z.string() }),
      checkStatus: z.object({ href: z.string(), method: z.string() }),
    }),
    creationTime: z.number().int(),
    updateTime: z.number().int(),
    updateEpoch: z.number().int(),
  })
  .meta({ id: 'SegmentJob' });
export type SegmentJob = z.infer<typeof SegmentJob>;

export const SegmentJobList = z
  .object({
    _page: z.object({ totalCount: z.number().int(), pageSize: z.number().int() }),
    children: z.array(SegmentJob),
    _links: z.object({ next: z.object({ href: z.string() }).partial() }),
  })
  .meta({ id: 'SegmentJobList' });

export const SegmentJobBulkGetRequest = z
  .object({ ids: z.array(z.object({ id: z.string() })).min(1, 'ids must not be empty') })
  .meta({ id: 'SegmentJobBulkGetRequest' });

export const SegmentJobBulkGetResponse = z
  .object({ results: z.record(z.string(), z.union([SegmentJob, z.object({ id: z.string(), status: z.number(), detail: z.string() })])) })
  .meta({ id: 'SegmentJobBulkGetResponse' });
