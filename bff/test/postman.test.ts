/**
 * Every request of Adobe's Postman collection (shared/clients/segmentation.postman_collection.json)
 * must find its route: sent with valid auth to the real server, it must not answer the
 * "No route" 404 (type urn:seg:errors:no-route). A missing resource (404 NotFound with another
 * type), a 400 on the placeholder body etc. all count as "served".
 *
 * KNOWN_MISSING lists the routes not served yet. REMOVE an entry when you implement the route:
 * the test fails when a listed route is actually served, so the list stays honest.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ROUTE_TYPE } from '../src/http/errors.js';
import { startTestServer, type TestServer } from './support/server.js';

export const KNOWN_MISSING: readonly string[] = [
];

const COLLECTION = new URL('../../../shared/clients/segmentation.postman_collection.json', import.meta.url);

interface PmRequest {
  method: string;
  header?: { key: string; value: string; disabled?: boolean }[];
  url: { raw: string; path?: string[]; variable?: { key: string }[] } | string;
  body?: { mode?: string; raw?: string };
}
interface PmItem {
  name: string;
  item?: PmItem[];
  request?: PmRequest;
}

function requests(items: PmItem[], prefix = ''): { name: string; request: PmRequest }[] {
  return items.flatMap((it) =>
    it.item ? requests(it.item, `${prefix}${it.name} / `) : it.request ? [{ name: `${prefix}${it.name}`, request: it.request }] : [],
  );
}

/** Placeholder values for path variables (`:NAME`) and `{{name}}` query variables. */
const PATH_VALUES: Record<string, string> = {
  SEGMENT_ID: '00000000-0000-4000-8000-000000000001',
  SEGMENT_JOB_ID: '00000000-0000-4000-8000-000000000002',
  SCHEDULE_ID: '00000000-0000-4000-8000-000000000003',
  EXPORT_JOB_ID: '1',
  PREVIEW_ID: 'MDpwbGFjZWhvbGRlcg',
  ESTIMATE_ID: 'MDpwbGFjZWhvbGRlcg',
};
const QUERY_VALUES: Record<string, string> = {
  limit: '10',
  start: '0',
  page: '0',
  offset: '0',
  sort: 'creationTime:desc',
  status: 'NEW',
  property: '',
  'snapshot.name': '',
  'schema.name': '_xdm.context.profile',
  schemaClass: '_xdm.context.profile',
  namespace: 'ups',
  s: 'test',
  entityId: '',
};

const collection = JSON.parse(readFileSync(COLLECTION, 'utf8')) as { item: PmItem[] };
const all = requests(collection.item);

describe('Postman collection routes', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('reads all 28 requests of the collection, and KNOWN_MISSING names only collection routes', () => {
    expect(all).toHaveLength(28);
    const keys = new Set(all.map(({ request }) => routeKey(request)));
    for (const k of KNOWN_MISSING) expect(keys.has(k), k).toBe(true);
  });

  for (const { name, request } of all) {
    const key = routeKey(request);
    it(`${key}  (${name})`, async () => {
      const vars: Record<string, string> = {
        ACCESS_TOKEN: srv.token,
        API_KEY: srv.clientId,
        IMS_ORG: srv.orgId,
        SANDBOX_NAME: 'prod',
        body: '{}',
      };
      const subst = (s: string, extra: Record<string, string> = {}) =>
        s.replace(/\{\{([^}]+)\}\}/g, (_m, v: string) => extra[v] ?? vars[v] ?? QUERY_VALUES[v] ?? '');
      const raw = typeof request.url === 'string' ? request.url : request.url.raw;
      const url = new URL(subst(raw).replace(/^https?:\/\/[^/]+/, srv.url));
      url.pathname = url.pathname.replace(/\/:([A-Za-z_]+)/g, (_m, v: string) => `/${encodeURIComponent(PATH_VALUES[v] ?? v)}`);
      for (const [k, v] of [...url.searchParams]) if (v === '') url.searchParams.delete(k);

      const headers: Record<string, string> = {};
      for (const h of request.header ?? []) if (!h.disabled) headers[h.key.toLowerCase()] = subst(h.value);
      let body: string | undefined;
      if (request.body?.mode === 'raw') {
        body = subst(request.body.raw ?? '') || '{}';
        headers['content-type'] = 'application/json'; // what Postman sends for a JSON raw body
      }
      const res = await fetch(url, { method: request.method, headers, body });
      const text = await res.text();
      expect(res.status, `${key}: ${text}`).not.toBe(401);
      expect(res.status, `${key}: ${text}`).not.toBe(403);
      let type: unknown;
      try {
        type = (JSON.parse(text) as { type?: unknown }).type;
      } catch {
        type = undefined;
      }
      const missing = res.status === 404 && type === NO_ROUTE_TYPE;
      if (KNOWN_MISSING.includes(key)) {
        expect(missing, `${key} is served now: remove it from KNOWN_MISSING in test/postman.test.ts`).toBe(true);
      } else {
        expect(missing, `${key} has no route (${text})`).toBe(false);
      }
    });
  }
});

function routeKey(r: PmRequest): string {
  const raw = typeof r.url === 'string' ? r.url : r.url.raw;
  const path = raw.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '');
  return `${r.method} ${path}`;
}
