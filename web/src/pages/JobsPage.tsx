/**
 * Segment jobs of the sandbox (segmentation-api.md §4), newest first, filterable by status. The
 * list polls while any job is on its way (NEW, QUEUED, PROCESSING, CANCELLING) and stops by itself
 * when all are final. "Run job" starts a job for chosen definitions or all (`*`); Cancel DELETEs.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Button,
  Checkbox,
  CheckboxGroup,
  Dialog,
  Heading,
  Label,
  Modal,
  Radio,
  RadioGroup,
} from 'react-aria-components';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/endpoints.ts';
import { allDefinitionsQuery, FINAL_JOB_STATES, jobsQuery, keys } from '../api/queries.ts';
import type { SegmentJob } from '../api/types.ts';
import { useSandbox } from '../app/session.tsx';
import { DataTable, HiddenHeader, type Column } from '../components/DataTable.tsx';
import { formatDuration, formatTime, statusClass } from './dashboards/format.ts';

export const JOB_STATES = [
  'NEW',
  'QUEUED',
  'PROCESSING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLING',
  'CANCELLED',
] as const;

/** Elapsed time of a job: the recorded total, or the time since it started while running. */
export function jobDuration(j: SegmentJob, now = Date.now()): number | undefined {
  const t = j.metrics.totalTime;
  if (t.totalTimeInMs !== undefined) return t.totalTimeInMs;
  if (t.startTimeInMs !== undefined)
    return (t.endTimeInMs ?? (FINAL_JOB_STATES.has(j.status) ? j.updateTime : now)) - t.startTimeInMs;
  return undefined;
}

export function JobProgress({ job }: { job: SegmentJob }) {
  const p = job.metrics.progress;
  if (job.status !== 'PROCESSING') return null;
  const total = p?.totalProfiles ?? 0;
  const done = p?.profilesDone ?? 0;
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : undefined;
  return (
    <div className="progress-cell">
      <progress
        aria-label={`Progress of job ${job.id}`}
        max={100}
        {...(pct !== undefined ? { value: pct } : {})}
      />
      <span className="small muted">
        {pct !== undefined ? `${pct}%` : 'starting'}
        {p?.stage ? ` · ${p.stage}` : ''}
      </span>
    </div>
  );
}

function JobErrors({ job }: { job: SegmentJob }) {
  if (!job.errors.length) return null;
  return (
    <ul className="job-errors">
      {job.errors.map((e, i) => (
        <li key={i} className="error small">
          <code>{e.code}</code> {e.msg}
          {e.segmentId ? ` (segment ${e.segmentId})` : ''}
        </li>
      ))}
    </ul>
  );
}

function RunJobDialog({ onClose }: { onClose: () => void }) {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const defs = useQuery(allDefinitionsQuery(sandbox));
  const [scope, setScope] = useState<'all' | 'chosen'>('chosen');
  const [chosen, setChosen] = useState<string[]>([]);
  const run = useMutation({
    mutationFn: () => api.createJob(scope === 'all' ? ['*'] : chosen),
    onSuccess: (job) => {
      void qc.invalidateQueries({ queryKey: keys.jobs(sandbox) });
      onClose();
      void navigate(`/jobs/${encodeURIComponent(job.id)}`);
    },
  });
  const segments = defs.data?.segments ?? [];
  return (
    <Dialog className="dialog dialog-wide" aria-labelledby="run-job-title">
      <Heading slot="title" id="run-job-title">
        Run a segment job
      </Heading>
      <RadioGroup value={scope} onChange={(v) => setScope(v as 'all' | 'chosen')} className="radios">
        <Label>Segments to evaluate</Label>
        <Radio value="chosen">Chosen segments</Radio>
        <Radio value="all">All segments of the sandbox</Radio>
      </RadioGroup>
      {scope === 'chosen' && (
        <CheckboxGroup value={chosen} onChange={setChosen} className="checklist">
          <Label>Segments</Label>
          {defs.isPending && <p className="muted">Loading segments…</p>}
          {segments.map((d) => (
            <Checkbox key={d.id} value={d.id}>
              {d.name}
            </Checkbox>
          ))}
          {defs.data && segments.length === 0 && <p className="muted">No segments yet.</p>}
        </CheckboxGroup>
      )}
      {run.isError && (
        <p role="alert" className="error">
          {run.error.message}
        </p>
      )}
      <div className="dialog-actions">
        <Button className="btn" onPress={onClose}>
          Close
        </Button>
        <Button
          className="btn btn-primary"
          isDisabled={run.isPending || (scope === 'chosen' && chosen.length === 0)}
          onPress={() => run.mutate()}
        >
          Start job
        </Button>
      </div>
    </Dialog>
  );
}

/** The columns of the jobs list; Cancel is offered while a job can still be cancelled. */
function jobColumns({
  onCancel,
  cancelling,
}: {
  onCancel: (id: string) => void;
  /** The job whose cancel request is on its way (its button waits). */
  cancelling: string | undefined;
}): Column<SegmentJob>[] {
  return [
    {
      key: 'job',
      header: 'Job',
      cell: (j) => (
        <Link to={`/jobs/${encodeURIComponent(j.id)}`} className="mono">
          {j.id.slice(0, 8)}
        </Link>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      cell: (j) => (
        <>
          <span className={statusClass(j.status)}>{j.status}</span>
          <JobProgress job={j} />
          <JobErrors job={j} />
        </>
      ),
    },
    { key: 'segments', header: 'Segments', cell: (j) => j.segments.length },
    { key: 'source', header: 'Source', cell: (j) => j.source },
    { key: 'created', header: 'Created', cell: (j) => formatTime(j.creationTime) },
    { key: 'duration', header: 'Duration', cell: (j) => formatDuration(jobDuration(j)) },
    {
      key: 'actions',
      header: <HiddenHeader>Actions</HiddenHeader>,
      className: 'actions',
      cell: (j) =>
        !FINAL_JOB_STATES.has(j.status) &&
        j.status !== 'CANCELLING' && (
          <button
            type="button"
            className="btn btn-small btn-danger"
            aria-label={`Cancel job ${j.id}`}
            disabled={cancelling === j.id}
            onClick={() => onCancel(j.id)}
          >
            Cancel
          </button>
        ),
    },
  ];
}

export function JobsPage() {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const [status, setStatus] = useState('');
  const [running, setRunning] = useState(false);
  const q = useQuery(jobsQuery(sandbox, status ? { status } : {}));
  const cancel = useMutation({
    mutationFn: (id: string) => api.cancelJob(id),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.jobs(sandbox) }),
  });
  const jobs = q.data?.children ?? [];
  const active = jobs.some((j) => !FINAL_JOB_STATES.has(j.status));
  const columns = jobColumns({
    onCancel: (id) => cancel.mutate(id),
    cancelling: cancel.isPending ? cancel.variables : undefined,
  });
  return (
    <section aria-labelledby="jobs-title" className="page">
      <div className="page-head">
        <h2 id="jobs-title">Jobs</h2>
        <Button className="btn btn-primary" onPress={() => setRunning(true)}>
          Run job
        </Button>
      </div>
      <div className="toolbar">
        <label className="field-inline">
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small" aria-live="polite">
          {q.data ? `${q.data._page.totalCount} job${q.data._page.totalCount === 1 ? '' : 's'}` : ''}
          {active ? ' · updating live' : ''}
        </span>
      </div>
      {q.isError && (
        <p role="alert" className="error">
          {q.error.message}
        </p>
      )}
      {cancel.isError && (
        <p role="alert" className="error">
          {cancel.error.message}
        </p>
      )}
      <DataTable
        label="Segment jobs"
        columns={columns}
        rows={jobs}
        rowKey={(j) => j.id}
        loading={!q.data}
        empty={`No jobs${status ? ` with status ${status}` : ''} yet.`}
      />
      <Modal isOpen={running} onOpenChange={setRunning} isDismissable className="modal">
        <RunJobDialog onClose={() => setRunning(false)} />
      </Modal>
    </section>
  );
}

export default JobsPage;
