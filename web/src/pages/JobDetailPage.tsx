/**
 * One segment job: status (live while running), timings, the real errors, and per-segment counts
 * (realized / existing / exited, from `metrics.segmentedProfileByStatusCounter`) as a table and a
 * stacked bar chart. A separate chunk (recharts), loaded on /jobs/:id only.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../api/endpoints.ts';
import { allDefinitionsQuery, FINAL_JOB_STATES, jobQuery, keys } from '../api/queries.ts';
import { useSandbox } from '../app/session.tsx';
import { formatDuration, formatNumber, formatTime, statusClass } from './dashboards/format.ts';
import { jobDuration, JobProgress } from './JobsPage.tsx';

export const STATUS_COLORS = { realized: '#2d7d46', existing: '#3b6fb6', exited: '#c2552b' };

export default function JobDetailPage() {
  const { id = '' } = useParams();
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const q = useQuery(jobQuery(sandbox, id));
  const defs = useQuery(allDefinitionsQuery(sandbox));
  const cancel = useMutation({
    mutationFn: () => api.cancelJob(id),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.jobs(sandbox) }),
  });
  const names = new Map((defs.data?.segments ?? []).map((d) => [d.id, d.name]));
  const job = q.data;
  if (q.isError)
    return (
      <section className="page" aria-labelledby="job-title">
        <h2 id="job-title">Job {id}</h2>
        <p role="alert" className="error">
          {q.error.message}
        </p>
        <Link to="/jobs">All jobs</Link>
      </section>
    );
  if (!job)
    return (
      <section className="page" aria-labelledby="job-title">
        <h2 id="job-title">Job {id}</h2>
        <p role="status">Loading…</p>
      </section>
    );
  const m = job.metrics;
  const byStatus = m.segmentedProfileByStatusCounter ?? {};
  const segIds = Array.from(
    new Set([...job.segments.map((s) => s.segmentId), ...Object.keys(byStatus)]),
  ).filter((s) => s !== '*');
  const rows = segIds.map((sid) => {
    const c = byStatus[sid];
    return {
      id: sid,
      name: names.get(sid) ?? sid,
      realized: c?.realized ?? 0,
      existing: c?.existing ?? 0,
      exited: c?.exited ?? 0,
      qualified: m.segmentedProfileCounter?.[sid] ?? (c ? c.realized + c.existing : undefined),
      hasCounts: !!c,
    };
  });
  rows.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const timings: [string, { startTimeInMs?: number; endTimeInMs?: number; totalTimeInMs?: number }][] = [
    ['Total', m.totalTime],
    ['Profile segmentation', m.profileSegmentationTime],
  ];
  return (
    <section aria-labelledby="job-title" className="page">
      <p className="small">
        <Link to="/jobs">← All jobs</Link>
      </p>
      <div className="page-head">
        <h2 id="job-title">
          Job <span className="mono">{job.id}</span>
        </h2>
        {!FINAL_JOB_STATES.has(job.status) && job.status !== 'CANCELLING' && (
          <button type="button" className="btn btn-danger" onClick={() => cancel.mutate()}>
            Cancel job
          </button>
        )}
      </div>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={statusClass(job.status)} data-testid="job-status">
            {job.status}
          </span>
          <JobProgress job={job} />
        </dd>
        <dt>Source</dt>
        <dd>
          {job.source}
          {typeof job.properties.scheduleId === 'string' && (
            <> (schedule {job.properties.scheduleId})</>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(job.creationTime)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(jobDuration(job))}</dd>
        <dt>Profiles</dt>
        <dd>{formatNumber(m.totalProfiles)}</dd>
      </dl>
      {job.errors.length > 0 && (
        <div role="alert" className="error">
          <h3>Errors</h3>
          <ul>
            {job.errors.map((e, i) => (
              <li key={i}>
                <code>{e.code}</code> {e.msg}
                {e.segmentId ? ` (segment ${names.get(e.segmentId) ?? e.segmentId})` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
      {cancel.isError && (
        <p role="alert" className="error">
          {cancel.error.message}
        </p>
      )}
      <h3 id="counts-title">Per-segment counts</h3>
      <table className="grid" aria-labelledby="counts-title">
        <thead>
          <tr>
            <th scope="col">Segment</th>
            <th scope="col" className="num">Qualified</th>
            <th scope="col" className="num">Realized</th>
            <th scope="col" className="num">Existing</th>
            <th scope="col" className="num">Exited</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/segments/${encodeURIComponent(r.id)}`}>{r.name}</Link>
              </td>
              <td className="num">{r.hasCounts ? formatNumber(r.qualified) : '—'}</td>
              <td className="num">{r.hasCounts ? formatNumber(r.realized) : '—'}</td>
              <td className="num">{r.hasCounts ? formatNumber(r.existing) : '—'}</td>
              <td className="num">{r.hasCounts ? formatNumber(r.exited) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.some((r) => r.hasCounts) && (
        <figure className="chart" aria-label="Per-segment counts chart">
          <ResponsiveContainer width="100%" height={Math.max(200, rows.length * 36 + 80)}>
            <BarChart data={rows} layout="vertical" margin={{ left: 24, right: 24 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" allowDecimals={false} />
              <YAxis type="category" dataKey="name" width={180} />
              <Tooltip />
              <Legend />
              <Bar dataKey="realized" stackId="q" fill={STATUS_COLORS.realized} name="Realized" />
              <Bar dataKey="existing" stackId="q" fill={STATUS_COLORS.existing} name="Existing" />
              <Bar dataKey="exited" fill={STATUS_COLORS.exited} name="Exited" />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      )}
      <h3 id="timings-title">Timings</h3>
      <table className="grid" aria-labelledby="timings-title">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Started</th>
            <th scope="col">Ended</th>
            <th scope="col" className="num">Duration</th>
          </tr>
        </thead>
        <tbody>
          {timings.map(([label, t]) => (
            <tr key={label}>
              <td>{label}</td>
              <td>{formatTime(t.startTimeInMs)}</td>
              <td>{formatTime(t.endTimeInMs)}</td>
              <td className="num">
                {formatDuration(
                  t.totalTimeInMs ??
                    (t.startTimeInMs !== undefined && t.endTimeInMs !== undefined
                      ? t.endTimeInMs - t.startTimeInMs
                      : undefined),
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
