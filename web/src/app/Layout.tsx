import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { Button } from 'react-aria-components';
import { api } from '../api/endpoints.ts';
import { keys } from '../api/queries.ts';
import { useSession } from './session.tsx';

const NAV = [
  ['/segments', 'Segments'],
  ['/jobs', 'Jobs'],
  ['/exports', 'Exports'],
  ['/schedules', 'Schedules'],
  ['/search', 'Search'],
  ['/datasets', 'Datasets'],
] as const;

export function Layout() {
  const { session, sandbox, sandboxes, setSandbox } = useSession();
  const qc = useQueryClient();
  const navigate = useNavigate();
  // "/" (outside a text field) or Ctrl/⌘+K opens the search
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing =
        !!t &&
        (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || !!t.closest?.('.monaco-editor'));
      const ctrlK = (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k';
      if (ctrlK || (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey)) {
        e.preventDefault();
        void navigate('/search');
        // the page may be there already: focus its box
        setTimeout(() => document.querySelector<HTMLInputElement>('.search-wide input')?.focus(), 0);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);
  const logout = async () => {
    try {
      await api.logout();
    } finally {
      qc.clear();
      qc.setQueryData(keys.session, null);
      void navigate('/login');
    }
  };
  return (
    <div className="app">
      <header className="app-header">
        <h1>Segmentation Studio</h1>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to} {...(to === '/search' ? { 'aria-keyshortcuts': '/ Control+K', title: 'Search (/ or Ctrl+K)' } : {})}>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="header-tools">
          <label className="sandbox-switcher">
            <span>Sandbox</span>
            <select
              value={sandbox}
              onChange={(e) => setSandbox(e.target.value)}
              aria-label="Sandbox"
            >
              {sandboxes.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.title && s.title !== s.name ? `${s.title} (${s.name})` : s.name}
                </option>
              ))}
            </select>
          </label>
          <span className="user" title={`Organization ${session.orgId}`}>
            {session.user}
          </span>
          <Button className="btn btn-quiet" onPress={() => void logout()}>
            Sign out
          </Button>
        </div>
      </header>
      <main className="app-main" key={sandbox}>
        <Outlet />
      </main>
    </div>
  );
}
