/**
 * Data plane without SEG_DATA_DIR: demo data is generated into the state dir (SEG_DEMO_PROFILES),
 * loaded into prod, and neither generated nor loaded again on restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './support/server.js';

describe('demo data', () => {
  it('generates, loads, and reuses the demo dataset', async () => {
    let srv = await startTestServer({ dataDir: null, env: { SEG_DEMO_PROFILES: '300' } });
    const demo = path.join(srv.stateDir, 'demo-data');
    expect(JSON.parse(readFileSync(path.join(demo, 'generated.json'), 'utf8'))).toEqual({ profiles: 300 });
    expect(existsSync(path.join(demo, 'profiles.ndjson'))).toBe(true);
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    expect(data.profileCount).toBeGreaterThanOrEqual(300);
    expect(Object.keys((data.schema.profile as { fields: object }).fields).length).toBeGreaterThan(3);
    const loadedAt = data.report!.loadedAt;
    srv = await srv.restart();
    const again = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    expect(again.report!.loadedAt).toBe(loadedAt);
    await srv.stop();
  });
});
