import { inferSchema, type Estimate, type PreviewResult } from '@seg/shared';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EstimatePanel, estimateFacts } from '../../src/pages/builder/EstimatePanel.tsx';
import { PreviewPanel } from '../../src/pages/builder/PreviewPanel.tsx';
import { SchemaBrowser } from '../../src/pages/builder/SchemaBrowser.tsx';
import { IDLE, type LiveEstimate } from '../../src/pages/builder/useLiveEstimate.ts';
import { mockApi } from '../support/mockApi.ts';

afterEach(() => vi.unstubAllGlobals());

const estimate = (over: Partial<Estimate> = {}): Estimate => ({
  estimatedSize: 23,
  numRowsToRead: 80,
  totalRows: 80,
  profilesReadSoFar: 80,
  profilesMatchedSoFar: 23,
  estimatedNamespaceDistribution: [],
  standardError: 0,
  confidenceInterval: '95%',
  confidenceIntervalLow: 23,
  confidenceIntervalHigh: 23,
  exact: true,
  sampleFraction: 1,
  state: 'RESULT_READY',
  error: { description: '', traceback: '' },
  _links: { preview: '' },
  ...over,
});

const ready = (e: Estimate, text = 'a = 1'): LiveEstimate => ({
  ...IDLE,
  text,
  previewId: 'p1',
  estimate: e,
  status: 'ready',
});

describe('EstimatePanel', () => {
  it('shows the size as digits, the share of all profiles and "exact"', () => {
    render(<EstimatePanel live={ready(estimate())} currentText="a = 1" checksClean />);
    const region = screen.getByRole('region', { name: 'Estimate' });
    expect(within(region).getByTestId('estimated-size').textContent).toBe('23');
    expect(region.textContent).toContain('28.7% of 80');
    expect(region.textContent).toContain('exact');
    expect(region.textContent).not.toContain('Stale');
  });

  it('shows the 95% interval of a sampled estimate', () => {
    const e = estimate({
      estimatedSize: 250_000,
      totalRows: 2_000_000,
      numRowsToRead: 1_000_000,
      exact: false,
      confidenceIntervalLow: 249_000,
      confidenceIntervalHigh: 251_000,
    });
    render(<EstimatePanel live={ready(e)} currentText="a = 1" checksClean />);
    expect(screen.getByTestId('estimated-size').textContent).toBe('250000');
    expect(screen.getByRole('region', { name: 'Estimate' }).textContent).toContain(
      '95% interval 249000 – 251000 (sampled)',
    );
    expect(estimateFacts(e).share).toBe(0.125);
  });

  it('marks a result stale when the text changed or has errors', () => {
    const { rerender } = render(
      <EstimatePanel live={ready(estimate())} currentText="a = 2" checksClean />,
    );
    expect(screen.getByText(/Stale: the expression changed/)).toBeDefined();
    rerender(<EstimatePanel live={ready(estimate())} currentText="a = = 2" checksClean={false} />);
    expect(screen.getByText(/Stale: the expression has errors/)).toBeDefined();
  });

  it('shows progress while running', () => {
    const live: LiveEstimate = {
      ...ready(estimate()),
      status: 'running',
      progress: estimate({
        state: 'RUNNING',
        profilesReadSoFar: 40,
        profilesMatchedSoFar: 11,
        estimatedSize: 22,
        exact: false,
      }),
    };
    render(<EstimatePanel live={live} currentText="b = 1" checksClean />);
    const bar = screen.getByRole('progressbar', { name: 'Estimating…' });
    expect(bar.getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getByText(/40 of 80 profiles read, 11 matched so far/)).toBeDefined();
  });

  it('shows a failure as an alert', () => {
    render(
      <EstimatePanel
        live={{ ...IDLE, text: 'x', status: 'failed', error: 'Query timed out' }}
        currentText="x"
        checksClean
      />,
    );
    expect(screen.getByRole('alert').textContent).toBe('Query timed out');
  });
});

function profile(i: number): PreviewResult {
  const id = `p${String(i).padStart(2, '0')}@example.com`;
  return {
    objectId: id,
    _href: '',
    relatedObjects: [],
    primaryIdentity: { namespace: 'Email', id },
    identityMap: { Email: [{ id, primary: true }] },
    entity: { person: { name: { firstName: `F${i}` }, gender: 'female' } },
  };
}

function withQuery(ui: ReactNode) {
  return (
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      {ui}
    </QueryClientProvider>
  );
}

describe('PreviewPanel', () => {
  it('pages through the qualifying profiles and opens one', async () => {
    const all = Array.from({ length: 23 }, (_, i) => profile(i + 1));
    const calls = mockApi({
      '/data/core/ups/preview': (req) => {
        const u = new URL(req.url, 'http://x');
        const offset = Number(u.searchParams.get('offset'));
        const limit = Number(u.searchParams.get('limit'));
        const results = all.slice(offset, offset + limit);
        return {
          body: {
            results,
            state: 'RESULT_READY',
            previewQueryStatus: 'RESULT_READY',
            totalCount: 23,
            page: { offset, size: results.length },
            links: { _self: '', next: offset + limit < 23 ? 'next' : '', prev: '' },
          },
        };
      },
    });
    render(
      withQuery(
        <PreviewPanel
          previewId="p1"
          ready
          stale={false}
          total={23}
          defaultColumns={['person.name.firstName']}
        />,
      ),
    );
    const region = screen.getByRole('region', { name: 'Preview' });
    expect(await within(region).findByText('Profiles 1–10 of 23')).toBeDefined();
    expect(within(region).getAllByRole('row')).toHaveLength(11);
    expect(within(region).getByRole('cell', { name: 'F1' })).toBeDefined();
    // a wide table scrolls in a focusable, named frame; a truncated value keeps its whole text
    const frame = within(region).getByRole('region', { name: 'Qualifying profiles, scrollable' });
    expect(frame.tabIndex).toBe(0);
    expect(within(frame).getByRole('table', { name: 'Qualifying profiles' })).toBeDefined();
    expect(within(region).getByTitle('F1').textContent).toBe('F1');
    const next = within(region).getByRole('button', { name: 'Next profiles' });
    fireEvent.click(next);
    expect(await within(region).findByText('Profiles 11–20 of 23')).toBeDefined();
    fireEvent.click(next);
    expect(await within(region).findByText('Profiles 21–23 of 23')).toBeDefined();
    expect(
      (within(region).getByRole('button', { name: 'Next profiles' }) as HTMLButtonElement).disabled,
    ).toBe(true);
    expect(calls.map((c) => c.url)).toContain('/data/core/ups/preview/p1?offset=20&limit=10');

    await userEvent.click(
      within(region).getByRole('button', { name: 'Open profile p21@example.com' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Profile p21@example.com' })).toBeDefined();
    expect(within(dialog).getByLabelText('Profile attributes').textContent).toContain(
      '"gender": "female"',
    );
    expect(dialog.textContent).toContain('Email: p21@example.com (primary)');
  });

  it('marks stale profiles', () => {
    mockApi({});
    render(
      withQuery(
        <PreviewPanel previewId="p1" ready={false} stale total={undefined} defaultColumns={[]} />,
      ),
    );
    expect(
      screen.getByText(/Stale: these profiles belong to the previous expression/),
    ).toBeDefined();
  });
});

describe('SchemaBrowser', () => {
  const schema = inferSchema(
    [
      {
        identityMap: {},
        person: { gender: 'female', name: { firstName: 'Ada' } },
        loyalty: { points: 5 },
      },
    ],
    [
      {
        _id: '1',
        timestamp: '2026-01-01T00:00:00Z',
        identityMap: {},
        eventType: 'x',
        commerce: { order: { priceTotal: 1.5 } },
      },
    ],
  );

  it('lists profile and event fields with types, filters by search, inserts a field on activation', async () => {
    const onInsert = vi.fn();
    render(<SchemaBrowser schema={schema} onInsert={onInsert} />);
    const tree = screen.getByRole('treegrid', { name: 'Profile and event fields' });
    expect(within(tree).getByRole('row', { name: 'person' }).textContent).toContain('object');
    expect(within(tree).getByRole('row', { name: 'eventType' }).textContent).toContain('string');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search fields' }), 'price');
    expect(within(tree).queryByRole('row', { name: 'person' })).toBeNull();
    const price = within(tree).getByRole('row', { name: 'commerce.order.priceTotal' });
    expect(price.textContent).toContain('decimal');
    await userEvent.click(price);
    expect(onInsert).toHaveBeenCalledWith(
      expect.objectContaining({ path: 'commerce.order.priceTotal', scope: 'event' }),
    );
  });
});
