import { useQueryClient } from '@tanstack/react-query';
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
                <NavLink to={to}>{label}</NavLink>
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
