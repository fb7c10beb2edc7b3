import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { definitionList, renderApp } from '../support/app.tsx';

afterEach(() => vi.unstubAllGlobals());

describe('search page', () => {
  it('searches with the s syntax, shows namespace counts and links results to the builder', { timeout: 20_000 }, async () => {
    const { calls } = renderApp('/search', {
      '/data/core/ups/search/namespaces': () => ({
        body: {
          namespaces: [{ namespace: 'SegmentationService', displayName: 'Segmentation Service', count: 1 }],
          totalCount: 1,
          status: { message: 'Success' },
        },
      }),
      '/data/core/ups/search/entities': () => ({
        body: {
          entities: [
            {
              id: 'seg-1',
              base64EncodedSourceId: 'x',
              sourceId: 'seg-1',
              isFolder: false,
              parentFolderId: 'root',
              name: 'Gold members',
              description: 'Loyal gold tier',
            },
          ],
          page: { totalCount: 1, totalPages: 1, pageOffset: 0, pageSize: 1 },
          status: { message: 'Success' },
        },
      }),
    });
    const box = await screen.findByRole('searchbox', { name: 'Search segments' }, { timeout: 10_000 });
    await userEvent.type(box, 'gold AND loyal');
    await waitFor(() =>
      expect(calls.some((c) => c.url.includes('/search/entities') && c.url.includes('s=gold+AND+loyal'))).toBe(true),
    );
    const e = calls.find((c) => c.url.includes('/search/entities'))!;
    expect(e.headers['x-ups-search-version']).toBe('1.0');
    expect(e.url).toContain('namespace=SegmentationService');
    expect(e.url).toContain('schema.name=_xdm.context.segmentdefinition');
    const link = await screen.findByRole('link', { name: 'Gold members' });
    expect(link.getAttribute('href')).toBe('/segments/seg-1');
    expect(screen.getByRole('list', { name: 'Namespaces' }).textContent).toContain('Segmentation Service');
  });

  it('opens from anywhere with "/"', async () => {
    const { router } = renderApp('/jobs', {
      '/data/core/ups/segment/jobs': () => ({
        body: { _page: { totalCount: 0, pageSize: 0 }, children: [], _links: { next: {} } },
      }),
      '/data/core/ups/search': () => ({ status: 500, body: { detail: 'x' } }),
    });
    await screen.findByRole('button', { name: 'Run job' });
    await userEvent.keyboard('/');
    await waitFor(() => expect(router.state.location.pathname).toBe('/search'));
  });
});

describe('exports page', () => {
  it('lists exports with progress, posts the form and offers the files', { timeout: 30_000 }, async () => {
    const job = (id: number, status: string, extra: Record<string, unknown> = {}) => ({
      id,
      jobType: 'BATCH',
      status,
      imsOrgId: 'o',
      sandbox: { sandboxId: '1', sandboxName: 'prod', type: 'production', default: true },
      profileInstanceId: 'ups',
      source: 'api',
      schema: { name: '_xdm.context.profile' },
      filter: { segments: [{ segmentId: 'seg-a', segmentNs: 'ups', status: ['realized'] }] },
      evaluationInfo: { segmentation: false },
      destination: { datasetId: 'ds1', segmentPerBatch: false, format: 'ndjson', ...extra },
      metrics: {
        totalTime: {},
        profileExportTime: {},
        aCPDatasetWriteTime: {},
        ...(status === 'PROCESSING' ? { progress: { stage: 'write', percent: 40 } } : { totalExportedProfileCounter: 3 }),
      },
      requestId: 'r',
      creationTime: id,
      updateTime: id,
    });
    const datasets: Record<string, unknown> = { ds1: { id: 'ds1', name: 'Audience', created: 1 } };
    const { calls } = renderApp('/exports', {
      '/data/core/ups/export/jobs': (req) =>
        req.method === 'POST'
          ? { body: job(3, 'NEW') }
          : req.method === 'DELETE'
            ? { body: { status: true, message: 'cancelled' } }
            : {
                body: {
                  records: [job(2, 'PROCESSING'), job(1, 'SUCCEEDED', { batchId: 'b1' })],
                  page: { sortField: 'createdTime', sort: 'desc', pageOffset: '', pageSize: 2 },
                  link: {},
                },
              },
      '/data/core/ups/segment/definitions': () => ({ body: definitionList([{ id: 'seg-a', name: 'Gold' }]) }),
      '/api/schema': () => ({
        body: {
          profile: { kind: 'object', fields: { person: { kind: 'object', fields: { name: { kind: 'string' } } }, loyalty: { kind: 'object', fields: { tier: { kind: 'string' } } } } },
          event: { kind: 'object', fields: {} },
        },
      }),
      '/data/foundation/catalog/dataSets': (req) => {
        if (req.method === 'POST') {
          datasets.ds2 = { id: 'ds2', name: 'Gold out', created: 2 };
          return { status: 201, body: ['@/dataSets/ds2'] };
        }
        return { body: datasets };
      },
      '/data/foundation/export/batches/b1/files': () => ({
        body: {
          data: [{ dataSetFileId: 'f1', name: 'part-0.ndjson', length: 120, records: 3, contentType: 'application/x-ndjson' }],
          _page: { limit: 100, count: 1 },
        },
      }),
    });
    const table = await screen.findByRole('table', { name: 'Export jobs' }, { timeout: 10_000 });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    expect(within(table).getByRole('progressbar', { name: 'Progress of export 2' })).toHaveProperty('value', 40);
    await waitFor(() => expect(table.textContent).toContain('Audience'));

    // cancel the running one
    await userEvent.click(within(table).getByRole('button', { name: 'Cancel export 2' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.url.endsWith('/export/jobs/2'))).toBe(true));

    // files of the finished one
    await userEvent.click(within(table).getByRole('button', { name: 'Files of export 1' }));
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByRole('button', { name: 'Download part-0.ndjson' })).toBeDefined();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Close' }));

    // the form, with a dataset created inline
    await userEvent.click(screen.getByRole('button', { name: 'New export' }));
    const form = screen.getByRole('form', { name: 'New export' });
    await userEvent.click(await within(form).findByRole('checkbox', { name: 'Gold' }));
    await userEvent.click(within(form).getByRole('checkbox', { name: 'exited' }));
    await userEvent.click(await within(form).findByRole('checkbox', { name: /^loyalty\.tier/ }));
    await userEvent.type(within(form).getByRole('textbox', { name: 'New dataset name' }), 'Gold out');
    await userEvent.click(within(form).getByRole('button', { name: 'Create dataset' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/dataSets'))).toBe(true));
    expect(calls.find((c) => c.method === 'POST' && c.url.endsWith('/dataSets'))!.body).toEqual({
      name: 'Gold out',
      fileDescription: { format: 'ndjson' },
    });
    await waitFor(() =>
      expect((within(form).getByRole('combobox', { name: 'Dataset' }) as HTMLSelectElement).value).toBe('ds2'),
    );
    await userEvent.click(within(form).getByRole('button', { name: 'Start export' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/export/jobs'))).toBe(true));
    expect(calls.find((c) => c.method === 'POST' && c.url.endsWith('/export/jobs'))!.body).toEqual({
      schema: { name: '_xdm.context.profile' },
      destination: { datasetId: 'ds2', segmentPerBatch: false, format: 'ndjson' },
      fields: 'loyalty.tier',
      filter: { segments: [{ segmentId: 'seg-a', segmentNs: 'ups', status: ['realized', 'existing', 'exited'] }] },
      evaluationInfo: { segmentation: true },
    });
  });
});
