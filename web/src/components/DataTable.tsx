/**
 * The studio's one data table: a semantic `<table className="grid">` built from a column
 * definition, with its accessible name, a full-width empty-state row and, where a table can be
 * wider than its container (the builder's Preview), a keyboard-scrollable frame around it.
 * Plain HTML on purpose: a `<table>` already has the roles (table, row, columnheader, cell) the
 * tests and screen readers use, and costs nothing in the first page's bundle.
 */
import type { ReactNode } from 'react';

export interface Column<Row> {
  /** Unique among the columns: the React key of the header and the cells. */
  key: string;
  /** The header's content (its accessible name). */
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** Class of the header and the cells of this column, e.g. `num` or `actions`. */
  className?: string;
  /** The header's aria-sort, for the column the rows are sorted by. */
  sort?: 'ascending' | 'descending';
}

/** The table's accessible name: a label, or the id of an element (a heading) that names it. */
export type TableName =
  { label: string; labelledBy?: never } | { labelledBy: string; label?: never };

export type DataTableProps<Row> = TableName & {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => string | number;
  /** Shown in one row across all columns when there are no rows. */
  empty?: ReactNode;
  /** While the rows are not known yet, "no rows" is not true: the empty row waits. */
  loading?: boolean;
  /** Extra classes besides `grid` (e.g. `compact`, `is-stale`). */
  className?: string;
  /**
   * Set where the table may be wider than its container: it then scrolls sideways inside a
   * focusable region of this name (keyboard users scroll it with the arrow keys) instead of
   * overflowing the page. Not set on the list pages, where a focus stop would only be in the way.
   */
  scrollLabel?: string;
};

export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  empty,
  loading = false,
  className,
  scrollLabel,
  label,
  labelledBy,
}: DataTableProps<Row>) {
  const table = (
    <table
      className={className ? `grid ${className}` : 'grid'}
      aria-label={label}
      aria-labelledby={labelledBy}
    >
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} scope="col" className={c.className} aria-sort={c.sort}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={rowKey(r)}>
            {columns.map((c) => (
              <td key={c.key} className={c.className}>
                {c.cell(r)}
              </td>
            ))}
          </tr>
        ))}
        {!loading && rows.length === 0 && empty !== undefined && (
          <tr>
            <td colSpan={columns.length} className="empty">
              {empty}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
  if (scrollLabel === undefined) return table;
  return (
    // tabIndex: a scroll container must be focusable for keyboard scrolling (WCAG 2.1.1)
    <div className="table-scroll" role="region" aria-label={scrollLabel} tabIndex={0}>
      {table}
    </div>
  );
}

/** A header of its column's name for screen readers only (e.g. the Actions column). */
export function HiddenHeader({ children }: { children: string }) {
  return <span className="visually-hidden">{children}</span>;
}

/**
 * A value kept on one line and cut with an ellipsis when longer than its cell; the whole value
 * stays in the DOM (screen readers read it) and shows as a tooltip (title) on hover.
 */
export function Truncated({ text }: { text: string }) {
  return (
    <span className="truncate" title={text}>
      {text}
    </span>
  );
}
