/**
 * Previews and estimates (segmentation-api.md §5): `POST /preview`, `GET /preview/{id}`,
 * `DELETE /preview/{id}`, `GET /estimate/{id}`.
 *
 * Beside the documented fields, each preview result carries `primaryIdentity`, the profile's
 * `identityMap` and its attributes as `entity`; an estimate carries its 95% interval bounds
 * (`confidenceIntervalLow/High`), `exact` (true when the whole population was read) and
 * `sampleFraction`.
 */
import { z } from 'zod';

export const PreviewState = z.enum(['NEW', 'RUNNING', 'RESULT_READY', 'FAILED']);
export type PreviewState = z.infer<typeof PreviewState>;

export const EstimateState = z.enum(['RUNNING', 'RESULT_READY', 'FAILED']);
export type EstimateState = z.infer<typeof EstimateState>;

export const PreviewCreate = z
  .object({
    predicateExpression: z.string().min(1, 'predicateExpression must not be empty'),
    /** Only `pql/text` is accepted; the spec's default "PQL" means the same. */
    predicateType: z.string().optional(),
    predicateModel: z.string().optional(),
    graphType: z.enum(['none', 'pdg']).optional(),
  })
  .meta({ id: 'PreviewCreate' });
export type PreviewCreate = z.infer<typeof PreviewCreate>;

export const PreviewCreated = z
  .object({
    state: PreviewState,
    previewQueryId: z.string(),
    previewQueryStatus: PreviewState,
    previewId: z.string(),
    previewExecutionId: z.number().int(),
  })
  .meta({ id: 'PreviewCreated' });
export type PreviewCreated = z.infer<typeof PreviewCreated>;

export const PreviewIdentityMap = z.record(z.string(), z.array(z.object({ id: z.string(), primary: z.boolean().optional() })));
export type PreviewIdentityMap = z.infer<typeof PreviewIdentityMap>;

export const PreviewResult = z
  .object({
    /** The profile's primary identity id. */
    objectId: z.string(),
    _href: z.string(),
    /** The profile's other identities. */
    relatedObjects: z.array(z.object({ objectId: z.string(), namespace: z.string(), _href: z.string() })),
    primaryIdentity: z.object({ namespace: z.string(), id: z.string() }),
    identityMap: PreviewIdentityMap,
    /** The profile's attributes (everything but identityMap). */
    entity: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'PreviewResult' });
export type PreviewResult = z.infer<typeof PreviewResult>;

export const PreviewPageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
export type PreviewPageQuery = z.infer<typeof PreviewPageQuery>;

export const PreviewPage = z
  .object({
    results: z.array(PreviewResult),
    state: PreviewState,
    previewQueryStatus: PreviewState,
    /** Members in all (present once RESULT_READY). */
    totalCount: z.number().int().optional(),
    page: z.object({ offset: z.number().int(), size: z.number().int() }),
    links: z.object({ _self: z.string(), next: z.string(), prev: z.string() }),
    error: z.object({ description: z.string(), traceback: z.string() }).optional(),
  })
  .meta({ id: 'PreviewPage' });
export type PreviewPage = z.infer<typeof PreviewPage>;

/** DELETE /preview/{id}: the spec's MessageResponse `{status: true, message: 'KILLED'}`. */
export const PreviewKilled = z
  .object({ status: z.boolean(), message: z.string() })
  .meta({ id: 'PreviewKilled' });
export type PreviewKilled = z.infer<typeof PreviewKilled>;

export const Estimate = z
  .object({
    estimatedSize: z.number().int(),
    numRowsToRead: z.number().int(),
    totalRows: z.number().int(),
    profilesReadSoFar: z.number().int(),
    profilesMatchedSoFar: z.number().int(),
    estimatedNamespaceDistribution: z.array(
      z.object({ namespaceId: z.string(), namespaceCode: z.string(), profilesMatchedSoFar: z.number().int() }),
    ),
    standardError: z.number().int(),
    confidenceInterval: z.literal('95%'),
    /** Bounds of the 95% interval of the audience size (equal to estimatedSize when exact). */
    confidenceIntervalLow: z.number().int(),
    confidenceIntervalHigh: z.number().int(),
    /** True when the whole population was read: estimatedSize is the exact count. */
    exact: z.boolean(),
    /** Fraction of the population read so far. */
    sampleFraction: z.number(),
    state: EstimateState,
    error: z.object({ description: z.string(), traceback: z.string() }),
    _links: z.object({ preview: z.string() }),
  })
  .meta({ id: 'Estimate' });
export type Estimate = z.infer<typeof Estimate>;
