/** inSegment in a preview reads the membership of the latest successful segment job (issue 6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { call, createDefinition, createJob, waitJob } from './support/jobs.js';
import { readCases } from './support/conformance.js';

const cases = readCases();
let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv?.stop());

async function previewMembers(pql: string): Promise<string[]> {
  const created = await call<{ previewId: string }>(srv, 'POST', '/preview', { predicateExpression: pql, predicateType: 'pql/text' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.previewId;
  for (;;) {
    const page = await call<{ state: string; results: { primaryIdentity: { id: string } }[] }>(srv, 'GET', `/preview/${id}?limit=1000`);
    if (page.body.state === 'RESULT_READY') return page.body.results.map((r) => r.primaryIdentity.id).sort();
    expect(page.body.state).not.toBe('FAILED');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('inSegment in previews', () => {
  it('is empty before any job, then the definition’s members once a job has run', async () => {
    const c = cases.valid.find((v) => v.pql === 'person.gender = "female"')!;
    const id = await createDefinition(srv, 'Women', c.pql);
    expect(await previewMembers(`inSegment("${id}")`)).toEqual([]);
    const job = await createJob(srv, [id]);
    expect((await waitJob(srv, job.id as string)).status).toBe('SUCCEEDED');
    expect(await previewMembers(`inSegment("${id}")`)).toEqual(c.members);
    const notMembers = await previewMembers(`not inSegment("${id}")`);
    expect(notMembers.length).toBe(80 - c.members.length);
  });

  it('rejects an id that is no definition of the sandbox, with its position', async () => {
    const r = await call<{ report: { errors: { line: number; column: number }[] } }>(srv, 'POST', '/preview', {
      predicateExpression: 'inSegment("no-such-segment")',
      predicateType: 'pql/text',
    });
    expect(r.status).toBe(400);
    expect(r.body.report.errors[0]).toMatchObject({ line: 1 });
  });
});
