/**
 * Pages of the next issue (jobs, exports, schedules, search, datasets dashboards). They say what
 * will be there; they never show invented data.
 */
import { useParams } from 'react-router';

const PAGES = {
  jobs: {
    title: 'Jobs',
    text: 'Segment jobs (on-demand batch evaluation of definitions) will be listed here with their status, progress, per-segment counts and a way to cancel them.',
  },
  exports: {
    title: 'Exports',
    text: 'Export jobs that write segment members to a dataset will be listed here, with their status, the files they produced and a way to cancel them.',
  },
  schedules: {
    title: 'Schedules',
    text: 'Scheduled segmentation (Quartz cron expressions) will be managed here: create, enable, disable and see the recent firings.',
  },
  search: {
    title: 'Search',
    text: 'Search over this sandbox’s segment definitions (terms, AND/OR/NOT, wildcards and phrases) will be available here.',
  },
  datasets: {
    title: 'Datasets',
    text: 'This sandbox’s datasets will be shown here with their profile and event counts and the inferred schema, with uploads of NDJSON or Parquet files.',
  },
} as const;

export function PlaceholderPage({ page }: { page: keyof typeof PAGES }) {
  const p = PAGES[page];
  return (
    <section aria-labelledby={`${page}-title`} className="page">
      <h2 id={`${page}-title`}>{p.title}</h2>
      <p>{p.text}</p>
      <p className="muted">
        This page is not built yet: it arrives with the studio’s dashboards (issue 7).
      </p>
    </section>
  );
}

export function JobPage() {
  const { id } = useParams();
  return (
    <section aria-labelledby="job-title" className="page">
      <h2 id="job-title">Job {id}</h2>
      <p>
        The details of segment job {id} (status, progress, metrics and errors) will be shown here.
      </p>
      <p className="muted">
        This page is not built yet: it arrives with the studio’s dashboards (issue 7).
      </p>
    </section>
  );
}
