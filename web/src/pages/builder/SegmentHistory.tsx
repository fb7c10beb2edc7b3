/**
 * A segment's history: the qualified-profile count across its past successful jobs (a line), with
 * the profiles that entered (realized) and exited at each run (bars), from the jobs' metrics.
 * A separate chunk (recharts), loaded under the builder of a saved segment.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { jobsQuery } from '../../api/queries.ts';
import type { SegmentJob } from '../../api/types.ts';
import { useSandbox } from '../../app/session.tsx';
import { formatNumber } from '../dashboards/format.ts';

export interface HistoryPoint {
  jobId: string;
  time: number;
  label: string;
  qualified: number;
  entered: number;
  exited: number;
}

/** The runs of `segmentId` among `jobs`, oldest first (successful jobs with counts only). */
export function historyOf(jobs: SegmentJob[], segmentId: string): HistoryPoint[] {
  return jobs
    .filter((j) => j.status === 'SUCCEEDED')
    .flatMap((j) => {
      const c = j.metrics.segmentedProfileByStatusCounter?.[segmentId];
      const total = j.metrics.segmentedProfileCounter?.[segmentId];
      if (!c && total === undefined) return [];
      const time = j.metrics.totalTime.endTimeInMs ?? j.updateTime;
      return [
        {
          jobId: j.id,
          time,
          label: new Date(time).toLocaleString(),
          qualified: total ?? (c ? c.realized + c.existing : 0),
          entered: c?.realized ?? 0,
          exited: c?.exited ?? 0,
        },
      ];
    })
    .sort((a, b) => a.time - b.time);
}

export default function SegmentHistory({ segmentId }: { segmentId: string }) {
  const sandbox = useSandbox();
  const q = useQuery(jobsQuery(sandbox, { segmentId }));
  const points = historyOf(q.data?.children ?? [], segmentId);
  return (
    <section className="panel history" aria-labelledby="history-title">
      <h3 id="history-title">History</h3>
      {q.isError && (
        <p role="alert" className="error">
          {q.error.message}
        </p>
      )}
      {q.data && points.length === 0 && (
        <p className="muted">
          No segment job has evaluated this segment yet. Run one from the{' '}
          <Link to="/jobs">Jobs</Link> page.
        </p>
      )}
      {points.length > 0 && (
        <>
          <figure className="chart" aria-label="Qualified profiles across jobs">
            <ResponsiveContainer width="100%" height={240}>
              <ComposedChart data={points} margin={{ left: 8, right: 16 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="label" tick={{ fontSize: 11 }} />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="entered" fill="#2d7d46" name="Entered" />
                <Bar dataKey="exited" fill="#c2552b" name="Exited" />
                <Line
                  type="monotone"
                  dataKey="qualified"
                  stroke="#3b6fb6"
                  strokeWidth={2}
                  name="Qualified"
                />
              </ComposedChart>
            </ResponsiveContainer>
          </figure>
          <table className="grid compact" aria-label="Runs of this segment">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col" className="num">Qualified</th>
                <th scope="col" className="num">Entered</th>
                <th scope="col" className="num">Exited</th>
              </tr>
            </thead>
            <tbody>
              {points
                .slice()
                .reverse()
                .map((p) => (
                  <tr key={p.jobId}>
                    <td>
                      <Link to={`/jobs/${encodeURIComponent(p.jobId)}`}>{p.label}</Link>
                    </td>
                    <td className="num">{formatNumber(p.qualified)}</td>
                    <td className="num">{formatNumber(p.entered)}</td>
                    <td className="num">{formatNumber(p.exited)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
