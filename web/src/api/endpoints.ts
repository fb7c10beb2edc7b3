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
} from './types.ts';

export const UPS = '/data/core/ups';
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
};
