import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jobsQuery } from '../../src/api/queries.ts';
import { historyOf } from '../../src/pages/builder/SegmentHistory.tsx';
import { definitionList, renderApp, stubResizeObserver } from '../support/app.tsx';
import { job } from '../support/jobs.ts';

beforeEach(stubResizeObserver);
afterEach(() => vi.unstubAllGlobals());

const DEFS = definitionList([
  { id: 'seg-a', name: 'Gold members' },
  { id: 'seg-b', name: 'Lapsed' },
]);

const emptyList = { _page: { totalCount: 0, pageSize: 0 }, children: [], _links: { next: {} } };

describe('jobs page', () => {
  it('lists jobs with their status word, progress while PROCESSING, source and the real error', { timeout: 30_000 }, async () => {
    const jobs = [
      job({
        id: 'j-processing',
        status: 'PROCESSING',
        creationTime: 3000,
        metrics: {
          totalTime: { startTimeInMs: 3000 },
          profileSegmentationTime: {},
          progress: { profilesDone: 50, totalProfiles: 200, stage: 'evaluate' },
        },
      }),
      job({
        id: 'j-failed',
        status: 'FAILED',
        source: 'scheduler',
        errors: [{ code: 'QUERY_FAILED', msg: 'Out of memory in DuckDB' }],
      }),
      job({ id: 'j-ok' }),
    ];
    const { calls } = renderApp('/jobs', {
      '/data/core/ups/segment/jobs': (req) =>
        req.method === 'DELETE'
          ? { status: 204 }
          : { body: { _page: { totalCount: 3, pageSize: 3 }, children: jobs, _links: { next: {} } } },
      '/data/core/ups/segment/definitions': () => ({ body: DEFS }),
    });
    const table = await screen.findByRole('table', { name: 'Segment jobs' }, { timeout: 10_000 });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    const rows = within(table).getAllByRole('row');
    expect(rows[1]!.textContent).toContain('PROCESSING');
    expect(within(rows[1]!).getByRole('progressbar', { name: /Progress of job/ })).toHaveProperty(
      'value',
      25,
    );
    expect(rows[2]!.textContent).toContain('FAILED');
    expect(rows[2]!.textContent).toContain('Out of memory in DuckDB');
    expect(rows[2]!.textContent).toContain('scheduler');
    expect(rows[3]!.textContent).toContain('SUCCEEDED');
    expect(rows[3]!.textContent).toContain('2.5 s');
    // newest first, sorted by the server
    expect(calls.find((c) => c.url.includes('/segment/jobs'))!.url).toContain(
      'sort=creationTime%3Adesc',
    );

    // cancel the running one
    await userEvent.click(within(rows[1]!).getByRole('button', { name: /Cancel job/ }));
    await waitFor(() =>
      expect(
        calls.some((c) => c.method === 'DELETE' && c.url.endsWith('/segment/jobs/j-processing')),
      ).toBe(true),
    );

    // filter by status
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'FAILED');
    await waitFor(() => expect(calls.some((c) => c.url.includes('status=FAILED'))).toBe(true));
  });

  it('"Run job" opens a choice of segments and POSTs the chosen ones', { timeout: 30_000 }, async () => {
    const created = job({ id: 'j-new', status: 'NEW' });
    const { calls, router } = renderApp('/jobs', {
      '/data/core/ups/segment/jobs': (req) =>
        req.method === 'POST' || req.url.includes('/segment/jobs/j-new')
          ? { body: created }
          : { body: emptyList },
      '/data/core/ups/segment/definitions': () => ({ body: DEFS }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Run job' }, { timeout: 10_000 }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(await within(dialog).findByRole('checkbox', { name: 'Lapsed' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start job' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/jobs/j-new'));
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual([{ segmentId: 'seg-b' }]);
  });

  it('"All segments" posts *', { timeout: 30_000 }, async () => {
    const created = job({ id: 'j-all', status: 'QUEUED' });
    const { calls } = renderApp('/jobs', {
      '/data/core/ups/segment/jobs': (req) =>
        req.method === 'POST' || req.url.includes('j-all') ? { body: created } : { body: emptyList },
      '/data/core/ups/segment/definitions': () => ({ body: DEFS }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Run job' }, { timeout: 10_000 }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('radio', { name: 'All segments of the sandbox' }),
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start job' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual([{ segmentId: '*' }]);
  });

  it('polls while a job is active and stops when all are final', () => {
    const opts = jobsQuery('prod', {});
    const interval = opts.refetchInterval as (q: unknown) => number | false;
    const state = (children: unknown[]) => ({ state: { data: { children } } });
    expect(interval(state([job({ id: 'a', status: 'QUEUED' }), job({ id: 'b' })]))).toBe(1000);
    expect(interval(state([job({ id: 'a', status: 'CANCELLING' })]))).toBe(1000);
    expect(interval(state([job({ id: 'a' }), job({ id: 'b', status: 'CANCELLED' })]))).toBe(
      false,
    );
    expect(interval({ state: {} })).toBe(false);
  });
});

describe('job page', () => {
  it('shows per-segment counts as a table, timings and the chart', { timeout: 30_000 }, async () => {
    renderApp('/jobs/j-1', {
      '/data/core/ups/segment/jobs/j-1': () => ({
        body: job({
          id: 'j-1',
          segments: [{ segmentId: 'seg-a' }, { segmentId: 'seg-b' }],
          metrics: {
            totalTime: { startTimeInMs: 1000, endTimeInMs: 5000, totalTimeInMs: 4000 },
            profileSegmentationTime: { totalTimeInMs: 3000 },
            totalProfiles: 100,
            segmentedProfileCounter: { 'seg-a': 12, 'seg-b': 3 },
            segmentedProfileByStatusCounter: {
              'seg-a': { realized: 5, existing: 7, exited: 2 },
              'seg-b': { realized: 3, existing: 0, exited: 9 },
            },
          },
        }),
      }),
      '/data/core/ups/segment/definitions': () => ({ body: DEFS }),
    });
    const table = await screen.findByRole('table', { name: 'Per-segment counts' }, { timeout: 10_000 });
    await waitFor(() => expect(table.textContent).toContain('Gold members'));
    const rows = within(table).getAllByRole('row') as HTMLTableRowElement[];
    expect(rows.map((r) => Array.from(r.cells).map((c) => c.textContent))).toEqual([
      ['Segment', 'Qualified', 'Realized', 'Existing', 'Exited'],
      ['Gold members', '12', '5', '7', '2'],
      ['Lapsed', '3', '3', '0', '9'],
    ]);
    expect(screen.getByRole('figure', { name: 'Per-segment counts chart' })).toBeDefined();
    const timings = screen.getByRole('table', { name: 'Timings' });
    expect(timings.textContent).toContain('4.0 s');
    expect(timings.textContent).toContain('3.0 s');
    expect(screen.getByTestId('job-status').textContent).toBe('SUCCEEDED');
  });
});

describe('segment history', () => {
  it('takes the qualified, entered and exited counts of successful runs, oldest first', () => {
    const m = (end: number, total: Record<string, number>, byStatus?: Record<string, { realized: number; existing: number; exited: number }>) => ({
      totalTime: { endTimeInMs: end },
      profileSegmentationTime: {},
      segmentedProfileCounter: total,
      ...(byStatus ? { segmentedProfileByStatusCounter: byStatus } : {}),
    });
    const points = historyOf(
      [
        job({ id: 'j2', metrics: m(9000, { s: 10 }, { s: { realized: 4, existing: 6, exited: 1 } }) }),
        job({ id: 'j1', metrics: m(5000, { s: 7 }, { s: { realized: 7, existing: 0, exited: 0 } }) }),
        job({ id: 'j3', status: 'FAILED' }),
        job({ id: 'j4', metrics: m(6000, { other: 1 }) }),
      ],
      's',
    );
    expect(points.map((p) => [p.jobId, p.qualified, p.entered, p.exited])).toEqual([
      ['j1', 7, 7, 0],
      ['j2', 10, 4, 1],
    ]);
  });
});
