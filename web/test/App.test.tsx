import { render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppProviders, createQueryClient } from '../src/app/providers.tsx';
import { routes } from '../src/app/routes.tsx';
import { mockApi, SESSION } from './support/mockApi.ts';

function renderAt(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(
    <AppProviders queryClient={createQueryClient()}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return router;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('app shell', () => {
  it('sends a visitor without a session to the login page with Username, Password and Sign in', async () => {
    mockApi({
      '/api/session': () => ({
        status: 401,
        body: { type: 'x', status: 401, title: 'UnauthorizedError', detail: 'Not logged in.' },
      }),
    });
    const router = renderAt('/segments');
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeDefined();
    expect(screen.getByRole('textbox', { name: 'Username' })).toBeDefined();
    expect(screen.getByLabelText('Password')).toBeDefined();
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('?next=%2Fsegments');
  });

  it('renders the header with the main navigation and the sandbox switcher for a session', { timeout: 20_000 }, async () => {
    mockApi({
      '/api/session': () => ({ body: SESSION }),
      '/data/foundation/sandbox-management/sandboxes': () => ({
        body: {
          sandboxes: [
            {
              id: '1',
              name: 'prod',
              title: 'Production',
              state: 'active',
              type: 'production',
              region: 'local',
              isDefault: true,
              eTag: 1,
              createdDate: '',
              lastModifiedDate: '',
              createdBy: '',
              lastModifiedBy: '',
            },
            {
              id: '2',
              name: 'dev',
              title: 'Development',
              state: 'active',
              type: 'development',
              region: 'local',
              isDefault: false,
              eTag: 1,
              createdDate: '',
              lastModifiedDate: '',
              createdBy: '',
              lastModifiedBy: '',
            },
          ],
          _page: { limit: 500, count: 2, totalCount: 2, offset: 0 },
          _links: { next: {}, prev: {} },
        },
      }),
      '/data/core/ups/segment/definitions': () => ({
        body: {
          segments: [],
          page: { totalCount: 0, totalPages: 0, pageSize: 0, limit: 20 },
          link: {},
        },
      }),
    });
    renderAt('/jobs');
    expect(
      await screen.findByRole('heading', { level: 1, name: 'Segmentation Studio' }),
    ).toBeDefined();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const label of ['Segments', 'Jobs', 'Exports', 'Schedules', 'Search', 'Datasets']) {
      expect(nav.textContent).toContain(label);
    }
    const sandbox = screen.getByRole('combobox', { name: 'Sandbox' }) as HTMLSelectElement;
    expect(sandbox.value).toBe('prod');
    expect(await screen.findByRole('option', { name: 'Development (dev)' })).toBeDefined();
    // the Jobs page is its own chunk
    expect(
      await screen.findByRole('heading', { level: 2, name: 'Jobs' }, { timeout: 10_000 }),
    ).toBeDefined();
  });
});
