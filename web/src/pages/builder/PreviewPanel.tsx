/**
 * The Preview region: a paged table of the qualifying profiles of the current preview (primary
 * identity and chosen attributes); a row opens the profile's identities, attributes and, when
 * the server sends them, its recent events.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Dialog, Heading, Input, Label, Modal, TextField } from 'react-aria-components';
import { api } from '../../api/endpoints.ts';
import type { PreviewResult } from '../../api/types.ts';
import { DataTable, Truncated, type Column } from '../../components/DataTable.tsx';
import { Pager } from '../../components/Pager.tsx';

export const PREVIEW_PAGE_SIZE = 10;

/** A value at a dotted path of an object. */
export function valueAt(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Dotted paths of the scalar values of an object, depth first. */
export function leafPaths(obj: unknown, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return prefix ? [prefix] : [];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? leafPaths(v, p)
      : Array.isArray(v)
        ? []
        : [p];
  });
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The primary identity of a result: `primaryIdentity`, else the documented entity-keyed shape. */
export function identityOf(r: PreviewResult): { namespace: string; id: string } {
  return r.primaryIdentity ?? { namespace: '', id: r.objectId };
}

/** Recent events of a result, when the server sends them (not part of the API today). */
function eventsOf(r: PreviewResult): Record<string, unknown>[] | undefined {
  const e = (r as PreviewResult & { events?: unknown }).events;
  return Array.isArray(e) ? (e as Record<string, unknown>[]) : undefined;
}

/**
 * The preview's columns: the primary identity (opens the profile) and the chosen attributes.
 * Attribute paths and values can be long and there can be many: each is kept on one line and
 * truncated, with the whole value in its tooltip, and the table scrolls inside the panel.
 */
function previewColumns(
  attributes: string[],
  onOpen: (r: PreviewResult) => void,
): Column<PreviewResult>[] {
  return [
    {
      key: 'identity',
      header: 'Primary identity',
      cell: (r) => {
        const ident = identityOf(r);
        return (
          <Button
            className="link-button"
            aria-label={`Open profile ${ident.id}`}
            onPress={() => onOpen(r)}
          >
            <Truncated text={`${ident.namespace ? `${ident.namespace}: ` : ''}${ident.id}`} />
          </Button>
        );
      },
    },
    // `attr:` keeps an attribute named like the identity column apart from it
    ...attributes.map((c): Column<PreviewResult> => ({
      key: `attr:${c}`,
      header: <Truncated text={c} />,
      cell: (r) => <Truncated text={show(valueAt(r.entity, c))} />,
    })),
  ];
}

export function PreviewPanel({
  previewId,
  ready,
  stale,
  total,
  defaultColumns,
}: {
  previewId: string | null;
  /** The estimate of this preview is RESULT_READY. */
  ready: boolean;
  stale: boolean;
  /** The number of qualifying profiles, when the estimate knows it exactly. */
  total: number | undefined;
  defaultColumns: string[];
}) {
  const [page, setPage] = useState<{ id: string | null; offset: number }>({
    id: previewId,
    offset: 0,
  });
  const offset = page.id === previewId ? page.offset : 0;
  const [columnsText, setColumnsText] = useState<string | null>(null);
  const [open, setOpen] = useState<PreviewResult | null>(null);

  const query = useQuery({
    queryKey: ['preview', previewId, offset],
    queryFn: ({ signal }) => api.getPreview(previewId!, offset, PREVIEW_PAGE_SIZE, signal),
    enabled: previewId !== null && ready,
    refetchInterval: (q) =>
      q.state.data && q.state.data.state !== 'RESULT_READY' && q.state.data.state !== 'FAILED'
        ? 500
        : false,
    staleTime: Infinity,
    retry: false,
  });
  const results = query.data?.state === 'RESULT_READY' ? query.data.results : [];
  const count = query.data?.totalCount ?? total;
  // without a schema, the first profile's attributes suggest the columns
  const suggested = defaultColumns.length
    ? defaultColumns
    : results[0]
      ? leafPaths(results[0].entity).slice(0, 3)
      : [];
  const columns = (columnsText ?? suggested.join(', '))
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const hasNext = query.data ? query.data.links.next !== '' && results.length > 0 : false;
  const from = results.length ? offset + 1 : 0;
  const to = offset + results.length;

  return (
    <section aria-labelledby="preview-title" className="panel preview">
      <h3 id="preview-title">Preview</h3>
      {!previewId && (
        <p className="muted">Qualifying profiles appear here once the estimate has run.</p>
      )}
      {previewId && (
        <>
          <TextField
            value={columnsText ?? suggested.join(', ')}
            onChange={setColumnsText}
            className="columns-field"
          >
            <Label>Attribute columns</Label>
            <Input placeholder="person.name.lastName, homeAddress.city" />
          </TextField>
          {stale && (
            <p className="stale-badge">Stale: these profiles belong to the previous expression.</p>
          )}
          {query.error && (
            <p role="alert" className="error">
              Could not load the preview: {query.error.message}
            </p>
          )}
          {(!ready || query.isPending || (query.data && query.data.state !== 'RESULT_READY')) &&
            !query.error && (
              <p role="status" className="muted">
                Loading the profiles…
              </p>
            )}
          <DataTable
            label="Qualifying profiles"
            scrollLabel="Qualifying profiles, scrollable"
            className={stale ? 'is-stale' : undefined}
            columns={previewColumns(columns, setOpen)}
            rows={results}
            rowKey={(r) => {
              const ident = identityOf(r);
              return `${ident.namespace}:${ident.id}`;
            }}
            loading={!ready || query.data?.state !== 'RESULT_READY'}
            empty="No profile qualifies."
          />
          <Pager
            label="Preview pages"
            position={
              results.length
                ? `Profiles ${from}–${to}${count !== undefined ? ` of ${count}` : ''}`
                : ''
            }
            previousLabel="Previous profiles"
            nextLabel="Next profiles"
            hasPrevious={offset > 0}
            hasNext={hasNext}
            onPrevious={() =>
              setPage({ id: previewId, offset: Math.max(0, offset - PREVIEW_PAGE_SIZE) })
            }
            onNext={() => setPage({ id: previewId, offset: offset + PREVIEW_PAGE_SIZE })}
          />
        </>
      )}
      <Modal
        isOpen={open !== null}
        onOpenChange={(o) => !o && setOpen(null)}
        isDismissable
        className="modal"
      >
        <Dialog className="dialog wide">
          {open && <ProfileDetails result={open} onClose={() => setOpen(null)} />}
        </Dialog>
      </Modal>
    </section>
  );
}

function ProfileDetails({ result, onClose }: { result: PreviewResult; onClose: () => void }) {
  const ident = identityOf(result);
  const events = eventsOf(result);
  return (
    <>
      <Heading slot="title">Profile {ident.id}</Heading>
      <h4>Identities</h4>
      {result.identityMap ? (
        <ul className="identities">
          {Object.entries(result.identityMap).flatMap(([ns, ids]) =>
            ids.map((i) => (
              <li key={`${ns}:${i.id}`}>
                <strong>{ns}</strong>: {i.id}
                {i.primary ? ' (primary)' : ''}
              </li>
            )),
          )}
        </ul>
      ) : (
        <p className="muted">
          {ident.namespace}: {ident.id}
        </p>
      )}
      <h4>Attributes</h4>
      {result.entity ? (
        <pre className="json" aria-label="Profile attributes">
          {JSON.stringify(result.entity, null, 2)}
        </pre>
      ) : (
        <p className="muted">The server sent no attributes for this profile.</p>
      )}
      <h4>Recent events</h4>
      {events ? (
        events.length ? (
          <ol className="events" aria-label="Recent events">
            {events.map((e, i) => (
              <li key={i}>
                <code>{show(e.timestamp)}</code> {show(e.eventType)}
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted">No events.</p>
        )
      ) : (
        <p className="muted">The preview does not include this profile’s events.</p>
      )}
      <div className="dialog-actions">
        <Button className="btn" onPress={onClose} autoFocus>
          Close
        </Button>
      </div>
    </>
  );
}
