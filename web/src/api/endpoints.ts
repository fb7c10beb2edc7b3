/**
 * The API, one function per endpoint (paths of segmentation-api.md and the studio session).
 */
import { request } from './http.ts';
import type {
  DataSchema,
  DefinitionList,
  Estimate,
  MessageResponse,
  PreviewCreated,
  PreviewPage,
  SandboxList,
  SegmentDefinition,
  SegmentDefinitionInput,
  SessionInfo,
  SearchNamespaces,
  SearchEntities,
  SegmentJob,
  SegmentJobList,
  Schedule,
  ScheduleCreate,
  ScheduleList,
  ExportJob,
  ExportJobCreate,
  ExportJobList,
  Dataset,
  DatasetCreate,
  Batch,
  BatchFiles,
  IngestBatch,
  IngestBatchList,
  IngestSummary,
} from './types.ts';

export const UPS = '/data/core/ups';
export const CATALOG = '/data/foundation/catalog';
export const EXPORT = '/data/foundation/export';
export const IMPORT = '/data/foundation/import';
export const SEARCH_SCHEMA = '_xdm.context.segmentdefinition';
export const SEARCH_NAMESPACE = 'SegmentationService';
const SEARCH_HEADERS = { 'x-ups-search-version': '1.0' };
const enc = encodeURIComponent;
export const SANDBOXES = '/data/foundation/sandbox-management/sandboxes';

export const api = {
  getSession: (signal?: AbortSignal) => request<SessionInfo>('GET', '/api/session', { signal }),
  login: (username: string, password: string) =>
    request<SessionInfo>('POST', '/api/session', { body: { username, password } }),
  logout: () => request<void>('DELETE', '/api/session'),

  listSandboxes: (signal?: AbortSignal) =>
    request<SandboxList>('GET', SANDBOXES, { query: { limit: 500 }, signal }),

  listDefinitions: (params: { page: number; limit: number; sort: string }, signal?: AbortSignal) =>
    request<DefinitionList>('GET', `${UPS}/segment/definitions`, {
      query: { start: params.page * params.limit, limit: params.limit, sort: params.sort },
      signal,
    }),
  getDefinition: (id: string, signal?: AbortSignal) =>
    request<SegmentDefinition>('GET', `${UPS}/segment/definitions/${encodeURIComponent(id)}`, {
      signal,
    }),
  createDefinition: (body: SegmentDefinitionInput) =>
    request<SegmentDefinition>('POST', `${UPS}/segment/definitions`, { body }),
  updateDefinition: (id: string, body: SegmentDefinitionInput) =>
    request<SegmentDefinition>('PATCH', `${UPS}/segment/definitions/${encodeURIComponent(id)}`, {
      body,
    }),
  deleteDefinition: (id: string) =>
    request<MessageResponse>('DELETE', `${UPS}/segment/definitions/${encodeURIComponent(id)}`),

  createPreview: (pql: string, signal?: AbortSignal) =>
    request<PreviewCreated>('POST', `${UPS}/preview`, {
      body: {
        predicateExpression: pql,
        predicateType: 'pql/text',
        predicateModel: '_xdm.context.profile',
        graphType: 'none',
      },
      signal,
    }),
  getPreview: (id: string, offset: number, limit: number, signal?: AbortSignal) =>
    request<PreviewPage>('GET', `${UPS}/preview/${encodeURIComponent(id)}`, {
      query: { offset, limit },
      signal,
    }),
  deletePreview: (id: string) =>
    request<MessageResponse>('DELETE', `${UPS}/preview/${encodeURIComponent(id)}`),
  getEstimate: (id: string, signal?: AbortSignal) =>
    request<Estimate>('GET', `${UPS}/estimate/${encodeURIComponent(id)}`, { signal }),

  /** The sandbox's inferred profile/event schema (studio endpoint). */
  getSchema: (signal?: AbortSignal) =>
    request<DataSchema>('GET', '/api/schema', { signal, headers: {} }),

  // search (§8)
  searchNamespaces: (s: string, signal?: AbortSignal) =>
    request<SearchNamespaces>('GET', `${UPS}/search/namespaces`, {
      query: { 'schema.name': SEARCH_SCHEMA, s },
      headers: SEARCH_HEADERS,
      signal,
    }),
  searchEntities: (s: string, page: number, signal?: AbortSignal) =>
    request<SearchEntities>('GET', `${UPS}/search/entities`, {
      query: { 'schema.name': SEARCH_SCHEMA, namespace: SEARCH_NAMESPACE, s, page, limit: 50 },
      headers: SEARCH_HEADERS,
      signal,
    }),

  // segment jobs (§4)
  listJobs: (
    params: { status?: string; segmentId?: string; limit?: number; start?: number },
    signal?: AbortSignal,
  ) =>
    request<SegmentJobList>('GET', `${UPS}/segment/jobs`, {
      query: {
        status: params.status,
        limit: params.limit ?? 100,
        start: params.start,
        sort: 'creationTime:desc',
        property: params.segmentId ? `segments~segmentId==${params.segmentId}` : undefined,
      },
      signal,
    }),
  getJob: (id: string, signal?: AbortSignal) =>
    request<SegmentJob>('GET', `${UPS}/segment/jobs/${enc(id)}`, { signal }),
  createJob: (segmentIds: string[]) =>
    request<SegmentJob>('POST', `${UPS}/segment/jobs`, {
      body: segmentIds.map((segmentId) => ({ segmentId })),
    }),
  cancelJob: (id: string) => request<void>('DELETE', `${UPS}/segment/jobs/${enc(id)}`),

  // schedules (§7)
  listSchedules: (signal?: AbortSignal) =>
    request<ScheduleList>('GET', `${UPS}/config/schedules`, { query: { limit: 100 }, signal }),
  createSchedule: (body: ScheduleCreate) =>
    request<Schedule>('POST', `${UPS}/config/schedules`, { body }),
  patchSchedule: (id: string, ops: { op: 'add' | 'replace'; path: string; value: unknown }[]) =>
    request<void>('PATCH', `${UPS}/config/schedules/${enc(id)}`, { body: ops }),
  deleteSchedule: (id: string) => request<void>('DELETE', `${UPS}/config/schedules/${enc(id)}`),
  triggerSchedule: (id: string) =>
    request<void>('POST', `${UPS}/config/schedules/trigger`, { body: { id } }),

  // export jobs (§6), datasets and files
  listExports: (signal?: AbortSignal) =>
    request<ExportJobList>('GET', `${UPS}/export/jobs`, { query: { limit: 100 }, signal }),
  createExport: (body: ExportJobCreate) =>
    request<ExportJob>('POST', `${UPS}/export/jobs`, { body }),
  cancelExport: (id: number) => request<unknown>('DELETE', `${UPS}/export/jobs/${id}`),
  listDatasets: (signal?: AbortSignal) =>
    request<Record<string, Dataset>>('GET', `${CATALOG}/dataSets`, { query: { limit: 100 }, signal }),
  createDataset: (body: DatasetCreate) =>
    request<string[]>('POST', `${CATALOG}/dataSets`, { body }),
  getBatch: (id: string, signal?: AbortSignal) =>
    request<Record<string, Batch>>('GET', `${CATALOG}/batches/${enc(id)}`, { signal }),
  listBatchFiles: (batchId: string, signal?: AbortSignal) =>
    request<BatchFiles>('GET', `${EXPORT}/batches/${enc(batchId)}/files`, { signal }),

  // batch ingestion
  ingestSummary: (signal?: AbortSignal) =>
    request<IngestSummary>('GET', `${IMPORT}/summary`, { signal }),
  listIngestBatches: (signal?: AbortSignal) =>
    request<IngestBatchList>('GET', `${IMPORT}/batches`, { signal }),
  createIngestBatch: (datasetId: string, format: 'json' | 'parquet') =>
    request<IngestBatch>('POST', `${IMPORT}/batches`, {
      body: { datasetId, inputFormat: { format } },
    }),
  completeIngestBatch: (batchId: string) =>
    request<IngestBatch>('POST', `${IMPORT}/batches/${enc(batchId)}`, {
      query: { action: 'COMPLETE' },
    }),
};

/** The download URL of an exported file (served with the session cookie; no extra header needed). */
export const fileUrl = (fileId: string) => `${EXPORT}/files/${enc(fileId)}`;
