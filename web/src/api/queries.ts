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
};

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
