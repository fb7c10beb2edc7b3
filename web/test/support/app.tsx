/** Renders the whole app (routes, providers) at a path, with a session and two sandboxes. */
import { render } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { AppProviders, createQueryClient } from '../../src/app/providers.tsx';
import { routes } from '../../src/app/routes.tsx';
import { type Handler, mockApi, SESSION } from './mockApi.ts';

const sandbox = (id: string, name: string, title: string, type: string, isDefault: boolean) => ({
  id,
  name,
  title,
  state: 'active',
  type,
  region: 'local',
  isDefault,
  eTag: 1,
  createdDate: '',
  lastModifiedDate: '',
  createdBy: '',
  lastModifiedBy: '',
});

export const BASE_ROUTES: Record<string, Handler> = {
  '/api/session': () => ({ body: SESSION }),
  '/data/foundation/sandbox-management/sandboxes': () => ({
    body: {
      sandboxes: [
        sandbox('1', 'prod', 'Production', 'production', true),
        sandbox('2', 'dev', 'Development', 'development', false),
      ],
      _page: { limit: 500, count: 2, totalCount: 2, offset: 0 },
      _links: { next: {}, prev: {} },
    },
  }),
};

export function definitionList(defs: { id: string; name: string }[]) {
  return {
    segments: defs.map((d) => ({
      ...d,
      description: '',
      schema: { name: '_xdm.context.profile' },
      expression: { type: 'PQL', format: 'pql/text', value: 'true' },
    })),
    page: { totalCount: defs.length, totalPages: 1, pageSize: defs.length, limit: 500 },
    link: {},
  };
}

export function renderApp(path: string, routes2: Record<string, Handler>) {
  const calls = mockApi({ ...BASE_ROUTES, ...routes2 });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const queryClient = createQueryClient();
  render(
    <AppProviders queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { calls, router, queryClient };
}

/** jsdom has no ResizeObserver (recharts' ResponsiveContainer needs one). */
export function stubResizeObserver() {
  class RO {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= RO;
}
