import { render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { describe, expect, it } from 'vitest';
import { AppProviders, createQueryClient } from '../src/providers.tsx';
import { routes } from '../src/routes.tsx';

function renderAt(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  return render(
    <AppProviders queryClient={createQueryClient()}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
}

describe('app shell', () => {
  it('renders the header, the main nav and the home page', async () => {
    renderAt('/');
    expect(
      await screen.findByRole('heading', { level: 1, name: 'Segmentation Studio' }),
    ).toBeDefined();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav.textContent).toContain('Home');
    expect(screen.getByRole('heading', { level: 2, name: 'Welcome' })).toBeDefined();
  });

  it('cleans up between tests (only one header)', () => {
    renderAt('/');
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
  });
});
