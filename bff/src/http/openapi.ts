/**
 * CONTRACT — the OpenAPI 3.1 document at `/openapi.json`, generated from zod schemas
 * (@asteasolutions/zod-to-openapi 8, zod 4).
 *
 * Each route file registers its paths at module top level:
 *
 *   registerRoute({
 *     method: 'get', path: '/data/core/ups/segment/definitions/{id}',   // full path, {param} style
 *     summary: 'Get a segment definition', tags: ['Segment definitions'],
 *     request: { headers: DATA_HEADERS, params: z.object({ id: z.string() }) },
 *     responses: { 200: jsonResponse('The definition', SegmentDefinition), ...errorResponses(404) },
 *   });
 *
 * Routes are keyed by method + path (registering again replaces). Named schemas: give them
 * `.meta({ id: 'Name' })` in shared/src/api (they become components). Security: every /data route
 * gets the bearer + x-api-key requirement unless it sets `security` itself.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { ApiErrorBody, GatewayErrorBody } from '@seg/shared';
import { z, type ZodType } from 'zod';

export type { RouteConfig } from '@asteasolutions/zod-to-openapi';
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const routes = new Map<string, RouteConfig>();

export function registerRoute(route: RouteConfig): void {
  routes.set(`${route.method} ${route.path}`, route);
}

/** Headers of every `/data/core/ups` request (Authorization and x-api-key come from `security`). */
export const DATA_HEADERS = z.object({
  'x-gw-ims-org-id': z.string().meta({ description: 'Organization ID, e.g. XXXX@AdobeOrg' }),
  'x-sandbox-name': z.string().meta({ description: 'Sandbox name (lowercase), e.g. prod' }),
});

/** Headers of sandbox-management requests (x-sandbox-name optional). */
export const ORG_HEADERS = z.object({
  'x-gw-ims-org-id': z.string().meta({ description: 'Organization ID' }),
});

export function jsonResponse(description: string, schema: ZodType, headers?: Record<string, string>) {
  return {
    description,
    content: { 'application/json': { schema } },
    ...(headers
      ? { headers: Object.fromEntries(Object.entries(headers).map(([k, d]) => [k, { description: d, schema: { type: 'string' as const } }])) }
      : {}),
  };
}

export function jsonBody(schema: ZodType, description?: string) {
  return { body: { required: true, ...(description ? { description } : {}), content: { 'application/json': { schema } } } };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (shape 2), or a missing org/sandbox header (shape 1)',
  401: 'Access token not valid (shape 1, 401013)',
  403: 'Forbidden: missing token or API key, wrong org or sandbox (shape 1), CSRF (shape 2)',
  404: 'Not found (shape 2)',
  409: 'Conflict (shape 2)',
  413: 'Request body too large (shape 2)',
  422: 'Unprocessable (shape 2)',
  429: 'Too many requests (shape 2, Retry-After)',
  500: 'Internal error (shape 2)',
  503: 'Unavailable: data loading or query timeout (shape 2)',
};

/** Error responses for the given statuses (401/403/429/503 always added on /data routes). */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: ZodType } } }> = {};
  for (const s of statuses) {
    const schema = s === 401 || s === 403 || s === 400 ? z.union([ApiErrorBody, GatewayErrorBody]) : ApiErrorBody;
    out[s] = { description: ERROR_DESCRIPTIONS[s] ?? 'Error', content: { 'application/json': { schema } } };
  }
  return out;
}

export function buildOpenApiDocument(serverUrl?: string): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Access token from POST /ims/token/v3',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'The API client id',
  });
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'seg_session',
    description: 'Studio session (POST /api/session); mutations also need x-csrf-token',
  });
  const sorted = [...routes.values()].sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
  for (const r of sorted) {
    const isData = r.path.startsWith('/data/');
    registry.registerPath({
      ...r,
      ...(isData && !r.security ? { security: [{ bearerAuth: [], apiKey: [] }, { session: [] }] } : {}),
      responses: isData ? { ...errorResponses(401, 403, 429, 503), ...r.responses } : r.responses,
    });
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Segmentation Service',
      version: '1.0.0',
      description:
        'Self-hosted, Adobe Experience Platform compatible Segmentation Service. Base path /data/core/ups; ' +
        'authenticate with POST /ims/token/v3 and send Authorization, x-api-key, x-gw-ims-org-id and x-sandbox-name.',
    },
    servers: [{ url: serverUrl ?? '/' }],
  });
}
