/**
 * Search over the sandbox's segment definitions (segmentation-api.md §8): the `s` syntax of the
 * API (terms, "phrases", AND/OR/NOT, wildcards, field:term), the namespace counts and the results,
 * each a link to the builder. The query lives in the URL (`?s=`), so results can be shared.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Input, Label, SearchField } from 'react-aria-components';
import { Link, useSearchParams } from 'react-router';
import { searchQuery } from '../api/queries.ts';
import { useSandbox } from '../app/session.tsx';
import { Pager } from '../components/Pager.tsx';

export function SearchPage() {
  const sandbox = useSandbox();
  const [params, setParams] = useSearchParams();
  const committed = params.get('s') ?? '';
  const [text, setText] = useState(committed);
  const [page, setPage] = useState(0);

  // debounce typing into the URL
  useEffect(() => {
    const t = setTimeout(() => {
      if (text !== committed) {
        setPage(0);
        setParams(text ? { s: text } : {}, { replace: true });
      }
    }, 250);
    return () => clearTimeout(t);
  }, [text, committed, setParams]);

  const q = useQuery({ ...searchQuery(sandbox, committed.trim(), page), enabled: true });
  const entities = q.data?.entities.entities.filter((e) => !e.isFolder) ?? [];
  const pageInfo = q.data?.entities.page;

  return (
    <section aria-labelledby="search-title" className="page">
      <div className="page-head">
        <h2 id="search-title">Search</h2>
      </div>
      <SearchField
        value={text}
        onChange={setText}
        onSubmit={(v) => setParams(v ? { s: v } : {}, { replace: true })}
        className="search search-wide"
        autoFocus
      >
        <Label>Search segments</Label>
        <Input placeholder='e.g. loyalty AND gold, "high value", segmentName:vip*' />
      </SearchField>
      <p className="muted small">
        Terms, &quot;phrases&quot;, AND / OR / NOT, wildcards * and ?, and field:term on
        segmentName, segmentDescription, segmentId or folderLocation.
      </p>
      {q.isError && (
        <p role="alert" className="error">
          {q.error.message}
        </p>
      )}
      {q.data && (
        <ul className="namespaces" aria-label="Namespaces">
          {q.data.namespaces.namespaces.map((n) => (
            <li key={n.namespace}>
              <strong>{n.displayName}</strong> <span className="badge">{n.count}</span>
            </li>
          ))}
        </ul>
      )}
      <p role="status" className="status">
        {q.isFetching
          ? 'Searching…'
          : pageInfo
            ? `${pageInfo.totalCount} segment${pageInfo.totalCount === 1 ? '' : 's'} found`
            : ''}
      </p>
      <ul className="results" aria-label="Search results">
        {entities.map((e) => (
          <li key={e.id}>
            <Link to={`/segments/${encodeURIComponent(e.sourceId)}`}>{e.name}</Link>
            {e.folderLocation && <span className="muted small"> · {e.folderLocation}</span>}
            {e.description && <div className="muted small">{e.description}</div>}
          </li>
        ))}
      </ul>
      {pageInfo && pageInfo.totalPages > 1 && (
        <Pager
          label="Pages"
          position={`Page ${page + 1} of ${pageInfo.totalPages}`}
          previousLabel="Previous"
          nextLabel="Next"
          hasPrevious={page > 0}
          hasNext={page + 1 < pageInfo.totalPages}
          onPrevious={() => setPage((p) => p - 1)}
          onNext={() => setPage((p) => p + 1)}
        />
      )}
    </section>
  );
}
export default SearchPage;
