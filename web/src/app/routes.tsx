import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, type RouteObject } from 'react-router';
import { LoginPage } from '../pages/LoginPage.tsx';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { SegmentsPage } from '../pages/SegmentsPage.tsx';
import { Layout } from './Layout.tsx';
import { RequireSession } from './session.tsx';

// The builder (and with it Monaco and the PQL checker) is a separate chunk, loaded on its routes only.
const BuilderPage = lazy(() => import('../pages/BuilderPage.tsx'));

// The dashboards: each its own chunk (charts and cron libraries stay off the first page).
const JobsPage = lazy(() => import('../pages/JobsPage.tsx'));
const JobDetailPage = lazy(() => import('../pages/JobDetailPage.tsx'));
const SchedulesPage = lazy(() => import('../pages/SchedulesPage.tsx'));
const ExportsPage = lazy(() => import('../pages/ExportsPage.tsx'));
const SearchPage = lazy(() => import('../pages/SearchPage.tsx'));
const DatasetsPage = lazy(() => import('../pages/DatasetsPage.tsx'));

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p role="status">Loading…</p>}>{children}</Suspense>;
}

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
      { path: 'jobs', element: <Page><JobsPage /></Page> },
      { path: 'jobs/:id', element: <Page><JobDetailPage /></Page> },
      { path: 'exports', element: <Page><ExportsPage /></Page> },
      { path: 'schedules', element: <Page><SchedulesPage /></Page> },
      { path: 'search', element: <Page><SearchPage /></Page> },
      { path: 'datasets', element: <Page><DatasetsPage /></Page> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
