/**
 * Types of the API resources the studio reads, from the shared zod schemas (type-only imports:
 * zod itself stays out of the browser bundle).
 */
export type {
  DataSchema,
  DefinitionEligibility,
  DefinitionList,
  DependentsErrorBody,
  Estimate,
  EvaluationInfo,
  MessageResponse,
  PreviewCreated,
  PreviewPage,
  PreviewResult,
  Sandbox,
  SandboxList,
  SandboxRef,
  SegmentDefinition,
  SegmentDefinitionInput,
  SegmentDefinitionWritten,
  SessionInfo,
  SearchNamespaces,
  SearchEntities,
  SearchEntity,
  SegmentJob,
  SegmentJobStatus,
  Schedule,
  ScheduleCreate,
  ExportJob,
  ExportJobCreate,
  ExportJobList,
  ExportJobStatus,
  ExportFormat,
  Dataset,
  DatasetCreate,
  Batch,
  BatchFiles,
  IngestBatch,
  IngestBatchList,
  IngestSummary,
} from '@seg/shared';

import type { SegmentJob as Job, Schedule as Sched } from '@seg/shared';
export interface SegmentJobList {
  _page: { totalCount: number; pageSize: number };
  children: Job[];
  _links: { next: { href?: string } };
}
export interface ScheduleList {
  _page: { totalCount: number; pageSize: number; next?: string };
  children: Sched[];
  _links: { next: { href?: string } };
}
