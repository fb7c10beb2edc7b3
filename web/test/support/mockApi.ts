/** A fetch stub answering by path, recording every request (method, url, headers, body). */
import { vi } from 'vitest';

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Handler = (
  req: Recorded,
) => { status?: number; body?: unknown } | Promise<{ status?: number; body?: unknown }>;

export const SESSION = {
  user: 'admin',
  orgId: 'ORG@AdobeOrg',
  csrfToken: 'csrf-123',
  expiresAt: 0,
  sandboxes: [
    { sandboxId: '1', sandboxName: 'prod', type: 'production', default: true, title: 'Production' },
    {
      sandboxId: '2',
      sandboxName: 'dev',
      type: 'development',
      default: false,
      title: 'Development',
    },
  ],
};

export function mockApi(routes: Record<string, Handler>): Recorded[] {
  const calls: Recorded[] = [];
  const keys = Object.keys(routes).sort((a, b) => b.length - a.length);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const url = String(input);
      const path = url.split('?')[0]!;
      const req: Recorded = {
        method: init.method ?? 'GET',
        url,
        headers: (init.headers as Record<string, string>) ?? {},
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      };
      calls.push(req);
      const key = keys.find(
        (k) =>
          path === k ||
          path.startsWith(`${k}/`) ||
          (k.endsWith('*') && path.startsWith(k.slice(0, -1))),
      );
      const res = key
        ? await routes[key]!(req)
        : {
            status: 404,
            body: {
              type: 'urn:seg:errors:no-route',
              status: 404,
              title: 'NotFound',
              detail: `No route for ${req.method} ${path}`,
            },
          };
      const status = res.status ?? 200;
      return new Response(res.body === undefined ? null : JSON.stringify(res.body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });
    }),
  );
  return calls;
}
