/**
 * TanStack Query options per feature. Every key of sandbox-scoped data starts with the sandbox
 * name, so switching the sandbox in the header shows (and fetches) that sandbox's data only.
 */
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from './endpoints.ts';
import { ApiError } from './http.ts';
import type { SegmentDefinitionInput } from './types.ts';

export const keys = {
  session: ['session'] as const,
  sandboxes: ['sandboxes'] as const,
  definitions: (sandbox: string) => [sandbox, 'definitions'] as const,
  definition: (sandbox: string, id: string) => [sandbox, 'definitions', 'one', id] as const,
  schema: (sandbox: string) => [sandbox, 'schema'] as const,
  search: (sandbox: string) => [sandbox, 'search'] as const,
  jobs: (sandbox: string) => [sandbox, 'jobs'] as const,
  job: (sandbox: string, id: string) => [sandbox, 'jobs', 'one', id] as const,
  schedules: (sandbox: string) => [sandbox, 'schedules'] as const,
  exports: (sandbox: string) => [sandbox, 'exports'] as const,
  datasets: (sandbox: string) => [sandbox, 'datasets'] as const,
};

/** Job states after which nothing changes any more. */
export const FINAL_JOB_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** How often lists and pages poll while something is running. */
export const POLL_MS = 1000;

export const searchQuery = (sandbox: string, s: string, page: number) =>
  queryOptions({
    queryKey: [...keys.search(sandbox), s, page] as const,
    queryFn: async ({ signal }) => {
      const [namespaces, entities] = await Promise.all([
        api.searchNamespaces(s, signal),
        api.searchEntities(s, page, signal),
      ]);
      return { namespaces, entities };
    },
    placeholderData: keepPreviousData,
  });

export const jobsQuery = (sandbox: string, params: { status?: string; segmentId?: string }) =>
  queryOptions({
    queryKey: [...keys.jobs(sandbox), 'list', params] as const,
    queryFn: ({ signal }) => api.listJobs(params, signal),
    placeholderData: keepPreviousData,
    // live while any job is still on its way; stops by itself when all are final
    refetchInterval: (q) =>
      q.state.data?.children.some((j) => !FINAL_JOB_STATES.has(j.status)) ? POLL_MS : false,
  });

export const jobQuery = (sandbox: string, id: string) =>
  queryOptions({
    queryKey: keys.job(sandbox, id),
    queryFn: ({ signal }) => api.getJob(id, signal),
    refetchInterval: (q) =>
      q.state.data && !FINAL_JOB_STATES.has(q.state.data.status) ? POLL_MS : false,
    retry: (count, e) => !(e instanceof ApiError && e.status < 500) && count < 1,
  });

export const schedulesQuery = (sandbox: string) =>
  queryOptions({
    queryKey: [...keys.schedules(sandbox), 'list'] as const,
    queryFn: ({ signal }) => api.listSchedules(signal),
  });

export const exportsQuery = (sandbox: string) =>
  queryOptions({
    queryKey: [...keys.exports(sandbox), 'list'] as const,
    queryFn: ({ signal }) => api.listExports(signal),
    refetchInterval: (q) =>
      q.state.data?.records.some((j) => j.status === 'NEW' || j.status === 'PROCESSING')
        ? POLL_MS
        : false,
  });

export const datasetsQuery = (sandbox: string) =>
  queryOptions({
    queryKey: [...keys.datasets(sandbox), 'list'] as const,
    queryFn: ({ signal }) => api.listDatasets(signal),
  });

export const ingestSummaryQuery = (sandbox: string) =>
  queryOptions({
    queryKey: [...keys.datasets(sandbox), 'summary'] as const,
    queryFn: ({ signal }) => api.ingestSummary(signal),
  });

export const ingestBatchesQuery = (sandbox: string) =>
  queryOptions({
    queryKey: [...keys.datasets(sandbox), 'batches'] as const,
    queryFn: ({ signal }) => api.listIngestBatches(signal),
  });

/** Every definition of the sandbox (for pickers), up to 500. */
export const allDefinitionsQuery = (sandbox: string) =>
  queryOptions({
    queryKey: [...keys.definitions(sandbox), 'all'] as const,
    queryFn: ({ signal }) => api.listDefinitions({ page: 0, limit: 500, sort: 'name:asc' }, signal),
    staleTime: 30_000,
  });

export const sessionQuery = queryOptions({
  queryKey: keys.session,
  queryFn: async ({ signal }) => {
    try {
      return await api.getSession(signal);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  staleTime: 60_000,
  retry: false,
});

export const sandboxesQuery = queryOptions({
  queryKey: keys.sandboxes,
  queryFn: ({ signal }) => api.listSandboxes(signal),
  staleTime: 60_000,
});

export interface DefinitionListParams {
  page: number;
  limit: number;
  sort: string;
}

export const definitionsQuery = (sandbox: string, params: DefinitionListParams) =>
  queryOptions({
    queryKey: [...keys.definitions(sandbox), 'list', params] as const,
    queryFn: ({ signal }) => api.listDefinitions(params, signal),
    placeholderData: keepPreviousData,
  });

export const definitionQuery = (sandbox: string, id: string) =>
  queryOptions({
    queryKey: keys.definition(sandbox, id),
    queryFn: ({ signal }) => api.getDefinition(id, signal),
    retry: (count, e) => !(e instanceof ApiError && e.status < 500) && count < 1,
  });

export const schemaQuery = (sandbox: string) =>
  queryOptions({
    queryKey: keys.schema(sandbox),
    queryFn: async ({ signal }) => {
      try {
        return await api.getSchema(signal);
      } catch (e) {
        // no schema endpoint (yet): the editor still works, with untyped fields
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
    staleTime: 5 * 60_000,
    retry: false,
  });

export function useSaveDefinition(sandbox: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: SegmentDefinitionInput }) =>
      id ? api.updateDefinition(id, body) : api.createDefinition(body),
    onSuccess: (def) => {
      qc.setQueryData(keys.definition(sandbox, def.id), def);
      void qc.invalidateQueries({ queryKey: [...keys.definitions(sandbox), 'list'] });
    },
  });
}

export function useDeleteDefinition(sandbox: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.deleteDefinition(id),
    onSuccess: (_r, id) => {
      qc.removeQueries({ queryKey: keys.definition(sandbox, id) });
      void qc.invalidateQueries({ queryKey: [...keys.definitions(sandbox), 'list'] });
    },
  });
}
