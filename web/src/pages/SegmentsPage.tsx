import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button, Dialog, Heading, Input, Label, Modal, SearchField } from 'react-aria-components';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/endpoints.ts';
import { ApiError } from '../api/http.ts';
import { definitionsQuery, keys, useDeleteDefinition } from '../api/queries.ts';
import type { SegmentDefinition } from '../api/types.ts';
import { useSandbox } from '../app/session.tsx';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { Pager } from '../components/Pager.tsx';

const PAGE_SIZE = 20;

type SortField = 'name' | 'creationTime' | 'updateTime';
type Sort = { field: SortField; dir: 'asc' | 'desc' };

export function evaluationLabel(d: SegmentDefinition): string {
  const e = d.evaluationInfo;
  if (e?.synchronous?.enabled) return 'Edge';
  if (e?.continuous?.enabled) return 'Streaming';
  return 'Batch';
}

function when(ms: number | undefined): string {
  if (!ms) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Dependents named by a 409 body (`dependents: [{id, name}]`). */
function dependentsOf(e: unknown): string[] {
  if (!(e instanceof ApiError) || typeof e.body !== 'object' || e.body === null) return [];
  const deps = (e.body as Record<string, unknown>).dependents;
  if (!Array.isArray(deps)) return [];
  return deps.map((d) => {
    if (typeof d === 'string') return d;
    if (typeof d === 'object' && d !== null) {
      const o = d as Record<string, unknown>;
      return [o.name, o.id].filter((x) => typeof x === 'string').join(' — ');
    }
    return String(d);
  });
}

/** A sortable column's header: a button that sorts by the column, pressed again the other way. */
function SortHeader({
  field,
  label,
  sort,
  onSort,
}: {
  field: SortField;
  label: string;
  sort: Sort;
  onSort: (field: SortField) => void;
}) {
  return (
    <button type="button" className="sort" onClick={() => onSort(field)}>
      {label}
      {/* the direction is in the header's aria-sort; the arrow is for the eye only */}
      <span aria-hidden="true">
        {sort.field === field ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </span>
    </button>
  );
}

/** The columns of the segments list: name, created and updated sort (on the server). */
function segmentColumns({
  sort,
  onSort,
  onOpen,
  onDuplicate,
  onDelete,
}: {
  sort: Sort;
  onSort: (field: SortField) => void;
  onOpen: (d: SegmentDefinition) => void;
  onDuplicate: (d: SegmentDefinition) => void;
  onDelete: (d: SegmentDefinition) => void;
}): Column<SegmentDefinition>[] {
  const sortable = (
    field: SortField,
    label: string,
  ): Pick<Column<SegmentDefinition>, 'header' | 'sort'> => ({
    header: <SortHeader field={field} label={label} sort={sort} onSort={onSort} />,
    sort: sort.field !== field ? undefined : sort.dir === 'asc' ? 'ascending' : 'descending',
  });
  return [
    {
      key: 'name',
      ...sortable('name', 'Name'),
      cell: (d) => (
        <>
          <Link to={`/segments/${d.id}`}>{d.name}</Link>
          {d.description && <div className="muted small">{d.description}</div>}
        </>
      ),
    },
    { key: 'evaluation', header: 'Evaluation', cell: evaluationLabel },
    { key: 'created', ...sortable('creationTime', 'Created'), cell: (d) => when(d.creationTime) },
    { key: 'updated', ...sortable('updateTime', 'Updated'), cell: (d) => when(d.updateTime) },
    {
      key: 'actions',
      header: 'Actions',
      className: 'actions',
      cell: (d) => (
        <>
          <Button className="btn btn-small" aria-label={`Open ${d.name}`} onPress={() => onOpen(d)}>
            Open
          </Button>
          <Button
            className="btn btn-small"
            aria-label={`Duplicate ${d.name}`}
            onPress={() => onDuplicate(d)}
          >
            Duplicate
          </Button>
          <Button
            className="btn btn-small btn-danger"
            aria-label={`Delete ${d.name}`}
            onPress={() => onDelete(d)}
          >
            Delete
          </Button>
        </>
      ),
    },
  ];
}

export function SegmentsPage() {
  const sandbox = useSandbox();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [filter, setFilter] = useState('');
  const [name, setName] = useState('');
  const [page, setPage] = useState(0);
  const [sort, setSort] = useState<Sort>({
    field: 'creationTime',
    dir: 'desc',
  });
  const [toDelete, setToDelete] = useState<SegmentDefinition | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const del = useDeleteDefinition(sandbox);

  useEffect(() => {
    const t = setTimeout(() => {
      setName(filter);
      setPage(0);
    }, 250);
    return () => clearTimeout(t);
  }, [filter]);

  // The API has no name filter: with a filter, read up to 1000 definitions in this sort order
  // and filter and page them here; without one, the server pages.
  const filtering = name.trim() !== '';
  const sortParam = `${sort.field}:${sort.dir}`;
  const query = useQuery(
    definitionsQuery(
      sandbox,
      filtering
        ? { page: 0, limit: 1000, sort: sortParam }
        : { page, limit: PAGE_SIZE, sort: sortParam },
    ),
  );
  const needle = name.trim().toLowerCase();
  const matched = (query.data?.segments ?? []).filter(
    (d) => !filtering || d.name.toLowerCase().includes(needle),
  );
  const rows = filtering ? matched.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE) : matched;
  const total = filtering ? matched.length : (query.data?.page.totalCount ?? 0);
  const totalPages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  const toggleSort = (field: SortField) => {
    setSort((s) =>
      s.field === field ? { field, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { field, dir: 'asc' },
    );
    setPage(0);
  };

  const duplicate = async (d: SegmentDefinition) => {
    setStatus('');
    for (let n = 1; n < 20; n++) {
      const copyName = n === 1 ? `${d.name} (copy)` : `${d.name} (copy ${n})`;
      try {
        const created = await api.createDefinition({
          name: copyName,
          ...(d.description ? { description: d.description } : {}),
          schema: { name: d.schema?.name ?? '_xdm.context.profile' },
          expression: { type: 'PQL', format: 'pql/text', value: d.expression.value },
          ...(d.evaluationInfo ? { evaluationInfo: d.evaluationInfo } : {}),
        });
        void qc.invalidateQueries({ queryKey: [...keys.definitions(sandbox), 'list'] });
        setStatus(`Duplicated as “${created.name}”.`);
        return;
      } catch (e) {
        if (e instanceof ApiError && e.status === 422) continue;
        setStatus(`Could not duplicate: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
  };

  const confirmDelete = async () => {
    if (!toDelete) return;
    setDeleteError(null);
    try {
      await del.mutateAsync(toDelete.id);
      setStatus(`Deleted “${toDelete.name}”.`);
      setToDelete(null);
    } catch (e) {
      setDeleteError(e);
    }
  };

  return (
    <section aria-labelledby="segments-title" className="page">
      <div className="page-head">
        <h2 id="segments-title">Segments</h2>
        <Link to="/segments/new" className="btn btn-primary">
          Create segment
        </Link>
      </div>
      <div className="toolbar">
        <SearchField value={filter} onChange={setFilter} className="search">
          <Label>Filter by name</Label>
          <Input />
        </SearchField>
        <span className="muted" aria-live="polite">
          {query.isFetching ? 'Loading…' : `${total} definition${total === 1 ? '' : 's'}`}
        </span>
      </div>
      <p role="status" className="status">
        {status}
      </p>
      {query.error && (
        <p role="alert" className="error">
          Could not load the segments: {query.error.message}
        </p>
      )}
      <DataTable
        labelledBy="segments-title"
        columns={segmentColumns({
          sort,
          onSort: toggleSort,
          onOpen: (d) => void navigate(`/segments/${d.id}`),
          onDuplicate: (d) => void duplicate(d),
          onDelete: (d) => {
            setDeleteError(null);
            setToDelete(d);
          },
        })}
        rows={rows}
        rowKey={(d) => d.id}
        loading={query.isPending}
        empty={
          <>
            {name ? `No segment name contains “${name}”.` : 'No segments in this sandbox yet.'}{' '}
            <Link to="/segments/new">Create one</Link>.
          </>
        }
      />
      <Pager
        label="Pages"
        position={`Page ${page + 1} of ${totalPages}`}
        hasPrevious={page > 0}
        hasNext={page + 1 < totalPages}
        onPrevious={() => setPage((p) => Math.max(0, p - 1))}
        onNext={() => setPage((p) => p + 1)}
      />

      <Modal
        isOpen={toDelete !== null}
        onOpenChange={(open) => !open && setToDelete(null)}
        isDismissable
        className="modal"
      >
        <Dialog role="alertdialog" className="dialog">
          <Heading slot="title">Delete segment</Heading>
          <p>Delete “{toDelete?.name}”? This cannot be undone.</p>
          {deleteError !== null && (
            <div role="alert" className="error">
              <p>
                {deleteError instanceof ApiError && deleteError.status === 409
                  ? 'This segment cannot be deleted because other segments use it:'
                  : 'Could not delete:'}{' '}
                {deleteError instanceof Error ? deleteError.message : String(deleteError)}
              </p>
              {dependentsOf(deleteError).length > 0 && (
                <ul aria-label="Dependent segments">
                  {dependentsOf(deleteError).map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="dialog-actions">
            <Button className="btn" onPress={() => setToDelete(null)}>
              Cancel
            </Button>
            <Button
              className="btn btn-danger"
              onPress={() => void confirmDelete()}
              isDisabled={del.isPending}
            >
              Delete
            </Button>
          </div>
        </Dialog>
      </Modal>
    </section>
  );
}
