/**
 * The studio session and the current sandbox. The session is an httpOnly cookie the browser
 * cannot read; GET /api/session tells whether it is live and returns the CSRF token that
 * mutations send. The sandbox chosen in the header is kept in localStorage and sent as
 * `x-sandbox-name` with every request.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { apiState, unauthorizedListeners } from '../api/http.ts';
import { keys, sandboxesQuery, sessionQuery } from '../api/queries.ts';
import type { SessionInfo } from '../api/types.ts';

const SANDBOX_KEY = 'seg.sandbox';

export interface SandboxOption {
  name: string;
  title: string;
  isDefault: boolean;
}

interface SessionContextValue {
  session: SessionInfo;
  sandbox: string;
  sandboxes: SandboxOption[];
  setSandbox: (name: string) => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside RequireSession');
  return v;
}

/** The current sandbox name (for query keys). */
export function useSandbox(): string {
  return useSession().sandbox;
}

function readStoredSandbox(): string | null {
  try {
    return localStorage.getItem(SANDBOX_KEY);
  } catch {
    return null;
  }
}

function initialSandbox(session: SessionInfo): string {
  const stored = readStoredSandbox();
  if (stored && session.sandboxes.some((s) => s.sandboxName === stored)) return stored;
  return (
    session.sandboxes.find((s) => s.default)?.sandboxName ??
    session.sandboxes[0]?.sandboxName ??
    'prod'
  );
}

function SessionScope({ session, children }: { session: SessionInfo; children: ReactNode }) {
  const [sandbox, setSandboxState] = useState(() => initialSandbox(session));
  // module state read by every request: set during render so the first queries carry it
  apiState.csrfToken = session.csrfToken;
  apiState.sandbox = sandbox;
  const list = useQuery(sandboxesQuery);
  const sandboxes = useMemo<SandboxOption[]>(() => {
    if (list.data)
      return list.data.sandboxes.map((s) => ({
        name: s.name,
        title: s.title,
        isDefault: s.isDefault,
      }));
    return session.sandboxes.map((s) => ({
      name: s.sandboxName,
      title: s.title,
      isDefault: s.default,
    }));
  }, [list.data, session.sandboxes]);
  const navigate = useNavigate();
  const location = useLocation();
  const setSandbox = useCallback(
    (name: string) => {
      apiState.sandbox = name;
      try {
        localStorage.setItem(SANDBOX_KEY, name);
      } catch {
        /* private mode */
      }
      setSandboxState(name);
      // a resource id belongs to one sandbox: leave its page
      if (
        /^\/(segments|jobs)\/[^/]+$/.test(location.pathname) &&
        location.pathname !== '/segments/new'
      ) {
        void navigate(location.pathname.startsWith('/jobs') ? '/jobs' : '/segments');
      }
    },
    [location.pathname, navigate],
  );
  const value = useMemo(
    () => ({ session, sandbox, sandboxes, setSandbox }),
    [session, sandbox, sandboxes, setSandbox],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** Renders its children only with a live session; otherwise sends the user to /login. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { data: session, isPending, error } = useQuery(sessionQuery);
  const location = useLocation();
  const qc = useQueryClient();
  useEffect(() => {
    const onUnauthorized = () => qc.setQueryData(keys.session, null);
    unauthorizedListeners.add(onUnauthorized);
    return () => {
      unauthorizedListeners.delete(onUnauthorized);
    };
  }, [qc]);
  if (isPending)
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  if (error) return <p role="alert">Could not reach the server: {error.message}</p>;
  if (!session) {
    const next = location.pathname + location.search;
    return (
      <Navigate
        to={`/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}
        replace
      />
    );
  }
  return <SessionScope session={session}>{children}</SessionScope>;
}
