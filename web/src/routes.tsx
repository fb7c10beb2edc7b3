import type { RouteObject } from 'react-router';
import { Layout } from './Layout.tsx';
import { HomePage } from './pages/HomePage.tsx';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    children: [{ index: true, element: <HomePage /> }],
  },
];
