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
} from '@seg/shared';
