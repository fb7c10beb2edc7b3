/**
 * The OpenAPI 3.1 document at /openapi.json validates with a real validator
 * (@readme/openapi-parser) and lists the foundation's routes.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

describe('/openapi.json', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${srv.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);

    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/ims/token/v3',
        '/api/session',
        '/healthz',
        '/data/foundation/sandbox-management/sandboxes',
        '/data/foundation/sandbox-management/sandboxes/{name}',
      ]),
    );
    expect(Object.keys(doc.paths['/data/foundation/sandbox-management/sandboxes']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.components.schemas!)).toEqual(expect.arrayContaining(['ApiError', 'GatewayError', 'Sandbox', 'TokenResponse']));
    expect(Object.keys(doc.components.securitySchemes!)).toEqual(expect.arrayContaining(['bearerAuth', 'apiKey', 'session']));
  });
});
