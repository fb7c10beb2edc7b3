import { lazy, Suspense } from 'react';
import { Navigate, type RouteObject } from 'react-router';
import { JobPage, PlaceholderPage } from '../pages/PlaceholderPage.tsx';
import { LoginPage } from '../pages/LoginPage.tsx';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { SegmentsPage } from '../pages/SegmentsPage.tsx';
import { Layout } from './Layout.tsx';
import { RequireSession } from './session.tsx';

// The builder (and with it Monaco and the PQL checker) is a separate chunk, loaded on its routes only.
const BuilderPage = lazy(() => import('../pages/BuilderPage.tsx'));

function Builder() {
  return (
    <Suspense fallback={<p role="status">Loading the segment builder…</p>}>
      <BuilderPage />
    </Suspense>
  );
}

export const routes: RouteObject[] = [
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: (
      <RequireSession>
        <Layout />
      </RequireSession>
    ),
    children: [
      { index: true, element: <Navigate to="/segments" replace /> },
      { path: 'segments', element: <SegmentsPage /> },
      { path: 'segments/new', element: <Builder /> },
      { path: 'segments/:id', element: <Builder /> },
      { path: 'jobs', element: <PlaceholderPage page="jobs" /> },
      { path: 'jobs/:id', element: <JobPage /> },
      { path: 'exports', element: <PlaceholderPage page="exports" /> },
      { path: 'schedules', element: <PlaceholderPage page="schedules" /> },
      { path: 'search', element: <PlaceholderPage page="search" /> },
      { path: 'datasets', element: <PlaceholderPage page="datasets" /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
