import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { DataTable, HiddenHeader, type Column } from '../../src/components/DataTable.tsx';
import { Pager } from '../../src/components/Pager.tsx';

type Row = { id: number; name: string };
const columns: Column<Row>[] = [
  { key: 'name', header: 'Name', sort: 'ascending', cell: (r) => r.name },
  { key: 'id', header: 'Id', className: 'num', cell: (r) => r.id },
  { key: 'actions', header: <HiddenHeader>Actions</HiddenHeader>, cell: () => null },
];

describe('DataTable', () => {
  it('renders a named table of the rows, with the headers and their sort order', () => {
    const rows = [
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ];
    render(<DataTable label="Things" columns={columns} rows={rows} rowKey={(r) => r.id} />);
    const table = screen.getByRole('table', { name: 'Things' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(
      within(table).getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort'),
    ).toBe('ascending');
    expect(within(table).getByRole('columnheader', { name: 'Actions' })).toBeDefined();
    expect(within(table).getByRole('cell', { name: '2' }).className).toBe('num');
    // no scroll frame unless asked for: the list pages keep their tab order
    expect(screen.queryByRole('region')).toBeNull();
  });

  it('shows the empty state across all columns once loaded, not while loading', () => {
    const { rerender } = render(
      <DataTable
        label="Things"
        columns={columns}
        rows={[]}
        rowKey={(r) => r.id}
        empty="None."
        loading
      />,
    );
    expect(screen.queryByText('None.')).toBeNull();
    rerender(
      <DataTable label="Things" columns={columns} rows={[]} rowKey={(r) => r.id} empty="None." />,
    );
    expect(screen.getByRole('cell', { name: 'None.' }).getAttribute('colspan')).toBe('3');
  });

  it('is named by a heading, and scrolls in a focusable frame when asked', () => {
    render(
      <>
        <h2 id="t">Segments</h2>
        <DataTable
          labelledBy="t"
          scrollLabel="Segments, scrollable"
          columns={columns}
          rows={[]}
          rowKey={(r) => r.id}
        />
      </>,
    );
    const frame = screen.getByRole('region', { name: 'Segments, scrollable' });
    expect(frame.tabIndex).toBe(0);
    expect(within(frame).getByRole('table', { name: 'Segments' })).toBeDefined();
  });
});

describe('Pager', () => {
  it('pages with named buttons, disabled at the ends', async () => {
    const onNext = vi.fn();
    render(
      <Pager
        label="Pages"
        position="Page 1 of 2"
        hasPrevious={false}
        hasNext
        onPrevious={() => {}}
        onNext={onNext}
      />,
    );
    const nav = screen.getByRole('navigation', { name: 'Pages' });
    expect(nav.textContent).toContain('Page 1 of 2');
    expect(
      (within(nav).getByRole('button', { name: 'Previous page' }) as HTMLButtonElement).disabled,
    ).toBe(true);
    await userEvent.click(within(nav).getByRole('button', { name: 'Next page' }));
    expect(onNext).toHaveBeenCalledOnce();
  });
});
