/**
 * API schemas of segment definitions (segmentation-api.md §2.1–2.3, §3): the definition object,
 * create/overwrite bodies, list query and envelope, bulk-get, delete, conversion, and the 400
 * body for PQL diagnostics. Used by the server for validation and by clients for types.
 *
 * Extensions (not in Adobe's API, ignored by its clients):
 *   - `folder`: optional slash-separated folder path ("Marketing/Email") for /search folders;
 *   - `eligibility`: the server's evaluation-method classification with reasons;
 *   - `warnings`: PQL warnings of the stored expression (create / overwrite responses).
 */
import { z } from 'zod';
import { PqlExpression } from './expression.js';
import { ApiErrorBody, SandboxRef } from './foundation.js';

export const PROFILE_SCHEMA_NAME = '_xdm.context.profile';

export const DefinitionSchemaRef = z
  .object({ name: z.string().min(1).optional(), id: z.string().min(1).optional() })
  .refine((s) => s.name !== undefined || s.id !== undefined, { message: 'schema needs a name (e.g. _xdm.context.profile) or an id' })
  .meta({ id: 'DefinitionSchemaRef' });

const Enabled = z.object({ enabled: z.boolean() });
export const EvaluationInfo = z
  .object({ batch: Enabled.optional(), continuous: Enabled.optional(), synchronous: Enabled.optional() })
  .meta({ id: 'EvaluationInfo', description: 'batch; continuous = streaming; synchronous = edge (§2.3)' });
export type EvaluationInfo = z.infer<typeof EvaluationInfo>;

export const EvaluationInfoComputed = z
  .object({ batch: Enabled, continuous: Enabled, synchronous: Enabled })
  .meta({ id: 'EvaluationInfoComputed' });
export type EvaluationInfoComputed = z.infer<typeof EvaluationInfoComputed>;

export const DefinitionEligibility = z
  .object({
    method: z.enum(['batch', 'streaming', 'edge']),
    streaming: z.boolean(),
    edge: z.boolean(),
    profileOnly: z.boolean(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'DefinitionEligibility', description: 'Extension: what the query qualifies for, and why' });
export type DefinitionEligibility = z.infer<typeof DefinitionEligibility>;

export const PqlDiagnosticBody = z
  .object({
    severity: z.enum(['error', 'warning']).optional(),
    message: z.string(),
    code: z.string(),
    line: z.number().int(),
    column: z.number().int(),
    endLine: z.number().int(),
    endColumn: z.number().int(),
  })
  .meta({ id: 'PqlDiagnostic', description: '1-based positions; end exclusive' });
export type PqlDiagnosticBody = z.infer<typeof PqlDiagnosticBody>;

export const FOLDER_PATTERN = /^[^/]+(\/[^/]+)*$/;

/** Create (POST) and overwrite (PATCH) body. Unknown fields are ignored; server fields too. */
export const SegmentDefinitionInput = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(512),
    description: z.string().max(10_000).nullish(),
    schema: DefinitionSchemaRef,
    expression: PqlExpression,
    evaluationInfo: EvaluationInfo.optional(),
    profileInstanceId: z.string().max(256).optional(),
    payloadSchema: z.string().max(10_000).optional(),
    mergePolicyId: z.string().max(256).optional(),
    ttlInDays: z.number().int().min(0).optional(),
    folder: z
      .string()
      .trim()
      .max(1024)
      .regex(FOLDER_PATTERN, 'folder is a slash-separated path such as "Marketing/Email"')
      .nullish(),
    // read-only fields clients send back (PATCH examples); ignored
    id: z.string().optional(),
    creationTime: z.number().optional(),
    updateTime: z.number().optional(),
    updateEpoch: z.number().optional(),
  })
  .meta({ id: 'SegmentDefinitionInput' });
export type SegmentDefinitionInput = z.infer<typeof SegmentDefinitionInput>;

export const SegmentDefinition = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    schema: z.object({ name: z.string().optional(), id: z.string().optional() }),
    expression: PqlExpression,
    evaluationInfo: EvaluationInfoComputed,
    profileInstanceId: z.string(),
    payloadSchema: z.string().optional(),
    mergePolicyId: z.string().optional(),
    ttlInDays: z.number().int().optional(),
    dataGovernancePolicy: z.object({ excludeOptOut: z.boolean() }),
    imsOrgId: z.string(),
    sandbox: SandboxRef,
    creationTime: z.number().int(),
    updateTime: z.number().int(),
    updateEpoch: z.number().int(),
    baselineTime: z.number().int(),
    folder: z.string().optional(),
    eligibility: DefinitionEligibility,
  })
  .meta({ id: 'SegmentDefinition' });
export type SegmentDefinition = z.infer<typeof SegmentDefinition>;

/** Create / overwrite response: the stored definition, plus the expression's warnings. */
export const SegmentDefinitionWritten = SegmentDefinition.extend({ warnings: z.array(PqlDiagnosticBody) }).meta({
  id: 'SegmentDefinitionWritten',
});
export type SegmentDefinitionWritten = z.infer<typeof SegmentDefinitionWritten>;

export const DEFINITION_SORT_FIELDS = ['creationTime', 'updateTime', 'name', 'id', 'description', 'updateEpoch'] as const;

const BoolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const DefinitionListQuery = z.object({
  start: z.coerce.number().int().min(0).optional().meta({ description: 'Offset (rows), ordered by the sort' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  page: z.coerce.number().int().min(0).optional().meta({ description: '0-based page of `limit` rows, added to start' }),
  sort: z
    .string()
    .max(512)
    .optional()
    .meta({ description: `attr:asc|desc, comma-separated; attr one of ${DEFINITION_SORT_FIELDS.join(', ')}` }),
  'evaluationInfo.batch.enabled': BoolParam.optional(),
  'evaluationInfo.continuous.enabled': BoolParam.optional(),
  'evaluationInfo.synchronous.enabled': BoolParam.optional(),
});
export type DefinitionListQuery = z.infer<typeof DefinitionListQuery>;

const Href = z.object({ href: z.string() });

export const DefinitionList = z
  .object({
    segments: z.array(SegmentDefinition),
    page: z.object({
      totalCount: z.number().int(),
      totalPages: z.number().int(),
      sortField: z.string(),
      sort: z.string(),
      pageSize: z.number().int(),
      limit: z.number().int(),
    }),
    link: z.object({ next: Href.optional() }),
  })
  .meta({ id: 'SegmentDefinitionList' });
export type DefinitionList = z.infer<typeof DefinitionList>;

export const BulkGetRequest = z
  .object({ ids: z.array(z.object({ id: z.string().min(1) })).min(1).max(1000) })
  .meta({ id: 'DefinitionBulkGetRequest' });
export type BulkGetRequest = z.infer<typeof BulkGetRequest>;

export const BulkGetMissing = z.object({
  id: z.string(),
  error: z.object({ status: z.literal(404), title: z.literal('NotFound') }),
});
export const BulkGetResponse = z
  .object({ results: z.record(z.string(), z.union([SegmentDefinition, BulkGetMissing])) })
  .meta({ id: 'DefinitionBulkGetResponse' });
export type BulkGetResponse = z.infer<typeof BulkGetResponse>;

export const MessageResponse = z
  .object({ status: z.boolean(), message: z.string() })
  .meta({ id: 'MessageResponse' });
export type MessageResponse = z.infer<typeof MessageResponse>;

export const ConversionRequest = z
  .object({
    name: z.string().optional(),
    description: z.string().nullish(),
    schema: DefinitionSchemaRef.optional(),
    expression: PqlExpression,
    profileInstanceId: z.string().optional(),
    payloadSchema: z.string().optional(),
  })
  .meta({ id: 'ConversionRequest' });
export type ConversionRequest = z.infer<typeof ConversionRequest>;

export const ConversionResponse = z
  .object({
    imsOrgId: z.string(),
    sandbox: SandboxRef,
    description: z.string().optional(),
    schema: z.object({ name: z.string().optional(), id: z.string().optional() }).optional(),
    expression: PqlExpression,
    profileInstanceId: z.string().optional(),
    payloadSchema: z.string().optional(),
  })
  .meta({ id: 'ConversionResponse' });
export type ConversionResponse = z.infer<typeof ConversionResponse>;

/** 400 for an expression that does not parse or check: every diagnostic. */
export const PqlErrorBody = ApiErrorBody.extend({
  errors: z.array(PqlDiagnosticBody),
  warnings: z.array(PqlDiagnosticBody).optional(),
}).meta({ id: 'PqlError' });
export type PqlErrorBody = z.infer<typeof PqlErrorBody>;

/** 409 for a delete blocked by inSegment references. */
export const DependentsErrorBody = ApiErrorBody.extend({
  dependents: z.array(z.object({ id: z.string(), name: z.string() })),
}).meta({ id: 'DependentsError' });
