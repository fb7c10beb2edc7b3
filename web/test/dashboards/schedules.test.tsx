import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { previewCron } from '../../src/pages/dashboards/cron.ts';
import { definitionList, renderApp } from '../support/app.tsx';

afterEach(() => vi.unstubAllGlobals());

const schedule = (over: Record<string, unknown> = {}) => ({
  id: 'sch-1',
  imsOrgId: 'ORG@AdobeOrg',
  sandbox: { sandboxId: '1', sandboxName: 'prod', type: 'production', default: true },
  name: 'Nightly',
  type: 'batch_segmentation',
  schedule: '0 0 2 * * ?',
  state: 'active',
  properties: { segments: ['*'] },
  frequency: 'daily',
  nextRunTime: '2026-06-16T02:00:00Z',
  createEpoch: 1,
  updateEpoch: 1,
  ...over,
});

describe('Quartz cron in the browser', () => {
  const from = new Date('2025-03-15T10:20:30Z');
  it('matches Quartz (stack.md §9 examples)', () => {
    expect(previewCron('0 0 1 * * ?', from).next[0]!.toISOString()).toBe('2025-03-16T01:00:00.000Z');
    expect(previewCron('0 15 10 ? * 6L', from).next[0]!.toISOString()).toBe('2025-03-28T10:15:00.000Z');
    expect(previewCron('0 0 12 ? * 2#1', from).next[0]!.toISOString()).toBe('2025-04-07T12:00:00.000Z');
    expect(previewCron('0 0 0 1 1 ? 2030', from).next[0]!.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(previewCron('0 0/5 14 * * ?', from).next[0]!.toISOString()).toBe('2025-03-15T14:00:00.000Z');
    expect(previewCron('0 0 12 ? * 2-6', from).next[0]!.toISOString()).toBe('2025-03-17T12:00:00.000Z');
  });
  it('gives five firings and words; rejects 5-field expressions', () => {
    const p = previewCron('0 30 6 ? * MON-FRI', from);
    expect(p.ok).toBe(true);
    expect(p.next).toHaveLength(5);
    expect(p.words).toMatch(/06:30/);
    expect(p.words).toMatch(/Monday through Friday/);
    expect(previewCron('0 15 10 ? * 6L', from).words).toMatch(/last Friday/);
    const bad = previewCron('*/5 * * * *', from);
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/6 or 7 fields/);
  });
});

describe('schedules page', () => {
  it('creates a schedule with a live preview, and shows the server error at the cron field', { timeout: 30_000 }, async () => {
    let posts = 0;
    const { calls } = renderApp('/schedules', {
      '/data/core/ups/config/schedules': (req) => {
        if (req.method === 'POST') {
          posts++;
          if (posts === 1)
            return {
              status: 400,
              body: {
                type: 'urn:seg:errors:bad-request',
                status: 400,
                title: 'BadRequest',
                detail: 'Invalid schedule: fires every 1 minute(s); the minimum interval between firings is 15 minutes',
                field: 'schedule',
              },
            };
          return { body: schedule({ name: 'Morning' }) };
        }
        return { body: { _page: { totalCount: 0, pageSize: 0 }, children: [], _links: { next: {} } } };
      },
      '/data/core/ups/segment/definitions': () => ({ body: definitionList([]) }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'New schedule' }, { timeout: 10_000 }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Morning');
    const cron = within(dialog).getByRole('textbox', { name: 'Cron expression' });
    await userEvent.clear(cron);
    await userEvent.type(cron, '0 * * * * ?');
    const next = within(dialog).getByRole('table', { name: 'Next firing times' });
    expect(within(next).getAllByRole('row')).toHaveLength(6);
    expect(dialog.textContent).toMatch(/Every minute/);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(cron.getAttribute('aria-invalid')).toBe('true'));
    expect(dialog.textContent).toContain('minimum interval between firings is 15 minutes');
    await userEvent.clear(cron);
    await userEvent.type(cron, '0 0 6 * * ?');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const post = calls.filter((c) => c.method === 'POST').at(-1)!;
    expect(post.body).toEqual({
      name: 'Morning',
      type: 'batch_segmentation',
      schedule: '0 0 6 * * ?',
      state: 'inactive',
      properties: { segments: ['*'] },
    });
  });

  it('toggles, runs now, edits the cron and deletes after confirmation', { timeout: 30_000 }, async () => {
    const { calls } = renderApp('/schedules', {
      '/data/core/ups/config/schedules/trigger': () => ({ status: 200 }),
      '/data/core/ups/config/schedules': (req) =>
        req.method === 'GET'
          ? { body: { _page: { totalCount: 1, pageSize: 1 }, children: [schedule()], _links: { next: {} } } }
          : { status: 204 },
    });
    const table = await screen.findByRole('table', { name: 'Schedules' }, { timeout: 10_000 });
    await within(table).findByText('Nightly');
    expect(table.textContent).toMatch(/At 02:00/);
    await userEvent.click(screen.getByRole('button', { name: 'Deactivate Nightly' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual([
      { op: 'replace', path: '/state', value: 'inactive' },
    ]);
    await userEvent.click(screen.getByRole('button', { name: 'Run Nightly now' }));
    await waitFor(() =>
      expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/config/schedules/trigger'))).toBe(true),
    );
    expect(calls.find((c) => c.url.endsWith('/trigger'))!.body).toEqual({ id: 'sch-1' });

    await userEvent.click(screen.getByRole('button', { name: 'Edit Nightly' }));
    const dialog = await screen.findByRole('dialog');
    const cron = within(dialog).getByRole('textbox', { name: 'Cron expression' });
    await userEvent.clear(cron);
    await userEvent.type(cron, '0 30 3 * * ?');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.filter((c) => c.method === 'PATCH').at(-1)!.body).toEqual([
      { op: 'replace', path: '/schedule', value: '0 30 3 * * ?' },
    ]);

    await userEvent.click(screen.getByRole('button', { name: 'Delete Nightly' }));
    const confirm = await screen.findByRole('alertdialog');
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    await userEvent.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.url.endsWith('/sch-1'))).toBe(true));
  });
});
