/**
 * Export jobs on the conformance fixture: every profile (Parquet, read back with DuckDB), selected
 * fields (NDJSON), CSV with events, a segment filter (membership from a segment job run by the
 * export itself), validation, paging, delete, sandbox isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { ACCESS, CATALOG, UPS, call, createDataset, downloadBatch, readBack, waitJob, type Json } from './support/exports.js';

let srv: TestServer;
let datasetId: string;
let profiles: Json[];

beforeAll(async () => {
  srv = await startTestServer();
  datasetId = await createDataset(srv, 'Exports');
  const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
  profiles = await data.store.query(
    `SELECT pk, primary_ns, primary_id, attrs.homeAddress.countryCode AS country, attrs.person.name.firstName AS first FROM profiles ORDER BY pk`,
  );
});
afterAll(async () => {
  await srv?.stop();
});

const SCHEMA = { name: '_xdm.context.profile' };

async function runExport(body: Record<string, unknown>): Promise<Json> {
  const r = await call(srv, 'POST', `${UPS}/export/jobs`, { schema: SCHEMA, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body).toMatchObject({ id: expect.any(Number), status: 'NEW', jobType: 'BATCH' });
  expect(r.headers.get('x-location')).toBe(`${UPS}/export/jobs/${r.body.id}`);
  const job = await waitJob(srv, r.body.id);
  expect(job.status, JSON.stringify(job.errors)).toBe('SUCCEEDED');
  return job;
}

describe('export jobs', () => {
  it('exports every profile with every attribute as Parquet', async () => {
    const job = await runExport({ destination: { datasetId } });
    expect(job.destination).toMatchObject({ datasetId, segmentPerBatch: false, format: 'parquet', batchId: expect.any(String) });
    expect(job.metrics.totalExportedProfileCounter).toBe(profiles.length);
    const byNs: Record<string, number> = {};
    for (const p of profiles) byNs[p.primary_ns] = (byNs[p.primary_ns] ?? 0) + 1;
    expect(job.metrics.exportedProfileByNamespaceCounter).toEqual(byNs);
    expect(job.metrics.totalTime.totalTimeInMs).toBeGreaterThanOrEqual(0);
    expect(job.metrics.progress).toBeUndefined();

    const batch = await call(srv, 'GET', `${CATALOG}/batches/${job.destination.batchId}`);
    expect(batch.status).toBe(200);
    expect(batch.body[job.destination.batchId]).toMatchObject({
      status: 'success',
      relatedObjects: expect.arrayContaining([{ type: 'dataSet', id: datasetId }]),
      metrics: { recordCount: profiles.length },
    });
    const ds = await call(srv, 'GET', `${CATALOG}/dataSets/${datasetId}`);
    expect(ds.body[datasetId]).toMatchObject({ lastBatchId: job.destination.batchId, lastBatchStatus: 'success' });

    const files = await call(srv, 'GET', `${ACCESS}/batches/${job.destination.batchId}/files`);
    expect(files.body.data).toHaveLength(1);
    expect(files.body.data[0]).toMatchObject({ dataSetFileId: expect.any(String), isValid: true, _links: { self: { href: expect.stringContaining('/data/foundation/export/files/') } } });
    const res = await fetch(`${srv.url}${files.body.data[0]._links.self.href}`, { headers: srv.headers() });
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    // Range
    const part = await fetch(`${srv.url}${files.body.data[0]._links.self.href}`, { headers: { ...srv.headers(), range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).toString('latin1')).toBe('PAR1');
    // a batch id lists its files
    const listing = await call(srv, 'GET', `${ACCESS}/files/${job.destination.batchId}`);
    expect(listing.body.data).toEqual([expect.objectContaining({ name: 'profiles.parquet' })]);

    const local = await downloadBatch(srv, job.destination.batchId);
    const { rows, columns } = await readBack(local['profiles.parquet']!);
    expect(columns).toEqual(['primaryIdentity', 'identityMap', 'person', 'homeAddress', 'personalEmail', 'mobilePhone', 'loyalty', 'preferences', 'interests', 'consents']);
    expect(rows.map((r: Json) => r.primaryIdentity.id)).toEqual(profiles.map((p) => p.primary_id));
    expect(rows.map((r: Json) => r.person?.name?.firstName ?? null)).toEqual(profiles.map((p) => p.first));
  });

  it('exports selected fields as NDJSON', async () => {
    const job = await runExport({ destination: { datasetId, format: 'ndjson' }, fields: 'person.name.firstName, homeAddress.countryCode,identityMap' });
    const local = await downloadBatch(srv, job.destination.batchId);
    const lines = (await import('node:fs')).readFileSync(local['profiles.ndjson']!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(lines).toHaveLength(profiles.length);
    for (const [i, l] of lines.entries()) {
      expect(Object.keys(l)).toEqual(['primaryIdentity', 'identityMap', 'person', 'homeAddress']);
      expect(l.person).toEqual({ name: { firstName: profiles[i].first } });
      expect(l.homeAddress).toEqual({ countryCode: profiles[i].country });
      expect(l.primaryIdentity).toEqual({ namespace: profiles[i].primary_ns, id: profiles[i].primary_id });
      expect(l.identityMap[profiles[i].primary_ns]).toEqual(expect.arrayContaining([{ id: profiles[i].primary_id, primary: true }]));
    }
  });

  it('exports CSV with events (flattened columns) and honours the dataset default format', async () => {
    const csvDataset = await createDataset(srv, 'CSV', { fileDescription: { format: 'csv' } });
    const job = await runExport({
      destination: { datasetId: csvDataset },
      fields: 'person.name',
      additionalFields: { eventList: { fields: 'eventType,commerce.order.priceTotal' } },
    });
    expect(job.destination.format).toBe('csv');
    const local = await downloadBatch(srv, job.destination.batchId);
    const p = await readBack(local['profiles.csv']!);
    expect(p.columns).toEqual(['primaryIdentity.namespace', 'primaryIdentity.id', 'identityMap', 'person.name.firstName', 'person.name.lastName']);
    expect(p.rows).toHaveLength(profiles.length);
    expect(p.rows.map((r: Json) => r['primaryIdentity.id'])).toEqual(profiles.map((x) => x.primary_id));
    const e = await readBack(local['events.csv']!);
    expect(e.columns).toEqual(['primaryIdentity.namespace', 'primaryIdentity.id', 'timestamp', 'eventType', 'commerce.order.priceTotal']);
    const data = await srv.running.services.dataPlane.forSandbox(srv.orgId, 'prod');
    const n = await data.store.query('SELECT count(*)::INTEGER AS n FROM events e JOIN profiles p USING (pk)');
    expect(e.rows).toHaveLength(Number(n[0]!.n));
    expect(job.metrics.exportedEventCounter).toBe(Number(n[0]!.n));
    const batch = await call(srv, 'GET', `${CATALOG}/batches/${job.destination.batchId}`);
    expect(batch.body[job.destination.batchId].metrics.recordCount).toBe(profiles.length + Number(n[0]!.n));
  });

  it('exports the members of a segment (segment job run first) with their segmentMembership', async () => {
    const def = await call(srv, 'POST', `${UPS}/segment/definitions`, {
      name: 'US residents',
      schema: SCHEMA,
      expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' },
    });
    expect(def.status, JSON.stringify(def.body)).toBe(200);
    const segId = def.body.id as string;
    const job = await runExport({
      destination: { datasetId },
      fields: 'homeAddress.countryCode',
      filter: { segments: [{ segmentId: segId, segmentNs: 'ups', status: ['realized'] }] },
      evaluationInfo: { segmentation: true },
    });
    expect(job.evaluationInfo).toMatchObject({ segmentation: true, segmentJobId: expect.any(String) });
    const expected = profiles.filter((p) => p.country === 'US').map((p) => p.primary_id);
    expect(expected.length).toBeGreaterThan(0);
    expect(job.metrics.totalExportedProfileCounter).toBe(expected.length);
    const local = await downloadBatch(srv, job.destination.batchId);
    const { rows, columns } = await readBack(local['profiles.parquet']!);
    expect(columns).toEqual(['primaryIdentity', 'identityMap', 'homeAddress', 'segmentMembership']);
    expect(rows.map((r: Json) => r.primaryIdentity.id)).toEqual(expected);
    for (const r of rows) {
      expect(r.homeAddress).toEqual({ countryCode: 'US' });
      const ups = r.segmentMembership.find((e: Json) => e.key === 'ups').value;
      expect(ups).toEqual([{ key: segId, value: { status: 'realized', lastQualificationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) } }]);
    }

    // Again from the stored membership (no segmentation), with a qualification window that excludes it.
    const again = await runExport({ destination: { datasetId }, filter: { segments: [{ segmentId: segId }] } });
    expect(again.metrics.totalExportedProfileCounter).toBe(expected.length);
    const none = await runExport({
      destination: { datasetId },
      filter: { segments: [{ segmentId: segId }], segmentQualificationTime: { startTime: '2099-01-01T00:00:00Z' } },
    });
    expect(none.metrics.totalExportedProfileCounter).toBe(0);
    const exited = await runExport({ destination: { datasetId }, filter: { segments: [{ segmentId: segId, status: ['exited'] }] } });
    expect(exited.metrics.totalExportedProfileCounter).toBe(0);
    // one batch per segment
    const per = await runExport({ destination: { datasetId, segmentPerBatch: true }, filter: { segments: [{ segmentId: segId }] } });
    expect(per.destination.batches).toEqual([{ segmentId: segId, segmentNs: 'ups', status: ['realized'], batchId: expect.any(String) }]);
    const b = await call(srv, 'GET', `${CATALOG}/batches/${per.destination.batches[0].batchId}`);
    expect(b.body[per.destination.batches[0].batchId].metrics.recordCount).toBe(expected.length);
  });

  it('rejects invalid requests with 400', async () => {
    const bad = async (body: Record<string, unknown>) => (await call(srv, 'POST', `${UPS}/export/jobs`, body)).status;
    expect(await bad({ schema: SCHEMA })).toBe(400);
    expect(await bad({ destination: { datasetId } })).toBe(400);
    expect(await bad({ destination: { datasetId: 'nope' }, schema: SCHEMA })).toBe(400);
    expect(await bad({ destination: { datasetId }, schema: SCHEMA, filter: { segments: [{ segmentId: 'unknown' }] } })).toBe(400);
    expect(await bad({ destination: { datasetId }, schema: SCHEMA, fields: 'person.nope' })).toBe(400);
    expect(await bad({ destination: { datasetId }, schema: SCHEMA, fields: 'interests.x' })).toBe(400);
    expect(await bad({ destination: { datasetId, format: 'xml' }, schema: SCHEMA })).toBe(400);
    expect(await bad({ destination: { datasetId, segmentPerBatch: true }, schema: SCHEMA })).toBe(400);
    const other = await createDataset(srv, 'Other schema', { schemaRef: { id: 'https://ns.adobe.com/xdm/context/experienceevent__union' } });
    expect(await bad({ destination: { datasetId: other }, schema: SCHEMA })).toBe(400);
    // the misspelling dataSetId (§11.19) is accepted
    const ok = await call(srv, 'POST', `${UPS}/export/jobs`, { destination: { dataSetId: datasetId }, schema: SCHEMA });
    expect(ok.status).toBe(200);
    await waitJob(srv, ok.body.id);
  });

  it('lists newest first with the {ms}_{id} offset token, filters by status, deletes, isolates sandboxes', async () => {
    const all = await call(srv, 'GET', `${UPS}/export/jobs?limit=1000`);
    expect(all.status).toBe(200);
    const ids = (all.body.records as Json[]).map((r) => r.id as number);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(all.body.link).toEqual({});
    const seen: number[] = [];
    let url = `${UPS}/export/jobs?limit=3`;
    for (let i = 0; i < 20; i++) {
      const page = await call(srv, 'GET', url);
      expect(page.status).toBe(200);
      expect(page.body.page).toMatchObject({ sortField: 'createdTime', sort: 'desc', pageSize: page.body.records.length });
      seen.push(...(page.body.records as Json[]).map((r) => r.id as number));
      const last = page.body.records.at(-1);
      if (last) expect(page.body.page.pageOffset).toBe(`${last.creationTime}_${last.id}`);
      if (!page.body.link.next) break;
      expect(page.body.link.next).toMatch(/^\/export\/jobs\/\?limit=3&offset=\d+_\d+$/);
      url = `${UPS}${page.body.link.next}`;
    }
    expect(seen).toEqual(ids);
    const ok = await call(srv, 'GET', `${UPS}/export/jobs?status=SUCCEEDED&limit=1000`);
    expect((ok.body.records as Json[]).every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expect((await call(srv, 'GET', `${UPS}/export/jobs?offset=garbage`)).status).toBe(400);

    await srv.createSandbox('dev2');
    expect((await call(srv, 'GET', `${UPS}/export/jobs/${ids[0]}`, undefined, 'dev2')).status).toBe(404);
    expect((await call(srv, 'DELETE', `${UPS}/export/jobs/${ids[0]}`, undefined, 'dev2')).status).toBe(404);
    expect((await call(srv, 'GET', `${UPS}/export/jobs`, undefined, 'dev2')).body.records).toEqual([]);
    expect((await call(srv, 'GET', `${UPS}/export/jobs/abc`)).status).toBe(404);

    // DELETE on a finished job deletes the job; its batch stays
    const job = (await call(srv, 'GET', `${UPS}/export/jobs/${ids.at(-1)}`)).body;
    const del = await call(srv, 'DELETE', `${UPS}/export/jobs/${job.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ status: true });
    expect((await call(srv, 'GET', `${UPS}/export/jobs/${job.id}`)).status).toBe(404);
    expect((await call(srv, 'GET', `${CATALOG}/batches/${job.destination.batchId}`)).status).toBe(200);
  });
});
