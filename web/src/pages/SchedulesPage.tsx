/**
 * Schedules (segmentation-api.md §7): list; create and edit (the cron expression, in words, with
 * the next five firings in UTC and local time, computed in the browser; the server's validation
 * errors shown at the field); toggle active (JSON Patch on /state); run now (§7.8 trigger); delete
 * with confirmation. A separate chunk (croner, cronstrue).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import {
  Button,
  Checkbox,
  CheckboxGroup,
  Dialog,
  FieldError,
  Heading,
  Input,
  Label,
  Modal,
  Radio,
  RadioGroup,
  Switch,
  TextField,
} from 'react-aria-components';
import { Link } from 'react-router';
import { api } from '../api/endpoints.ts';
import { ApiError } from '../api/http.ts';
import { allDefinitionsQuery, keys, schedulesQuery } from '../api/queries.ts';
import type { Schedule } from '../api/types.ts';
import { useSandbox } from '../app/session.tsx';
import { DataTable, HiddenHeader, type Column } from '../components/DataTable.tsx';
import { formatUtc, previewCron } from './dashboards/cron.ts';
import { formatTime } from './dashboards/format.ts';

/** Field errors of a 400: `{field: 'schedule'}`, zod `issues` paths, or JSON Patch operations. */
export function fieldErrorsOf(e: unknown): { schedule?: string; name?: string; segments?: string; other?: string } {
  if (!(e instanceof ApiError)) return e ? { other: String(e) } : {};
  const body = (typeof e.body === 'object' && e.body !== null ? e.body : {}) as Record<string, unknown>;
  const field = typeof body.field === 'string' ? body.field : undefined;
  const issues = Array.isArray(body.issues) ? (body.issues as { path?: unknown[]; message?: string }[]) : [];
  const paths = [field, ...issues.map((i) => (Array.isArray(i.path) ? i.path.join('.') : ''))];
  if (paths.some((p) => p === 'schedule' || p?.endsWith('.value'))) return { schedule: e.message };
  if (paths.some((p) => p === 'name')) return { name: e.message };
  if (paths.some((p) => p?.startsWith('properties'))) return { segments: e.message };
  return { other: e.message };
}

/** The next firings of a cron expression: in UTC, the schedule's time zone, and in local time. */
const FIRING_COLUMNS: Column<Date>[] = [
  { key: 'utc', header: 'UTC', cell: (d) => <span className="mono">{formatUtc(d)}</span> },
  { key: 'local', header: 'Local time', cell: (d) => d.toLocaleString() },
];

function CronPreviewBox({ expression }: { expression: string }) {
  const p = useMemo(() => previewCron(expression), [expression]);
  if (!expression.trim()) return null;
  return (
    <div className="cron-preview" aria-live="polite">
      {p.ok ? (
        <>
          {p.words && <p className="cron-words">{p.words}</p>}
          <DataTable
            label="Next firing times"
            className="compact"
            columns={FIRING_COLUMNS}
            rows={p.next}
            rowKey={(d) => d.getTime()}
            empty="Never fires after now."
          />
        </>
      ) : (
        <p className="muted small">{p.error}</p>
      )}
    </div>
  );
}

function ScheduleDialog({ schedule, onClose }: { schedule?: Schedule; onClose: () => void }) {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const defs = useQuery({ ...allDefinitionsQuery(sandbox), enabled: !schedule });
  const [name, setName] = useState(schedule?.name ?? '');
  const [cron, setCron] = useState(schedule?.schedule ?? '0 0 2 * * ?');
  const [scope, setScope] = useState<'all' | 'chosen'>('all');
  const [chosen, setChosen] = useState<string[]>([]);
  const [active, setActive] = useState(schedule?.state === 'active');
  const save = useMutation({
    mutationFn: async () => {
      if (schedule) {
        if (cron.trim() !== schedule.schedule)
          await api.patchSchedule(schedule.id, [{ op: 'replace', path: '/schedule', value: cron.trim() }]);
        if ((schedule.state === 'active') !== active)
          await api.patchSchedule(schedule.id, [
            { op: 'replace', path: '/state', value: active ? 'active' : 'inactive' },
          ]);
        return;
      }
      await api.createSchedule({
        name: name.trim(),
        type: 'batch_segmentation',
        schedule: cron.trim(),
        state: active ? 'active' : 'inactive',
        properties: { segments: scope === 'all' ? ['*'] : chosen },
      });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.schedules(sandbox) });
      onClose();
    },
  });
  const errors = fieldErrorsOf(save.error);
  return (
    <Dialog className="dialog dialog-wide" aria-labelledby="schedule-dialog-title">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Heading slot="title" id="schedule-dialog-title">
          {schedule ? `Edit schedule ${schedule.name}` : 'New schedule'}
        </Heading>
        <TextField
          value={name}
          onChange={(v) => {
            setName(v);
            if (save.isError) save.reset();
          }}
          validationBehavior="aria"
          isRequired
          isReadOnly={!!schedule}
          isInvalid={!!errors.name}
          className="field"
        >
          <Label>Name</Label>
          <Input />
          <FieldError>{errors.name}</FieldError>
        </TextField>
        <TextField
          value={cron}
          onChange={(v) => {
            setCron(v);
            if (save.isError) save.reset();
          }}
          validationBehavior="aria"
          isRequired
          isInvalid={!!errors.schedule}
          className="field"
        >
          <Label>Cron expression</Label>
          <Input className="mono" />
          <FieldError>{errors.schedule}</FieldError>
        </TextField>
        <p className="muted small">
          Quartz: seconds minutes hours day-of-month month day-of-week [year], in UTC; e.g.{' '}
          <code>0 0 2 * * ?</code> (every day at 02:00), <code>0 30 6 ? * MON-FRI</code>.
        </p>
        <CronPreviewBox expression={cron} />
        {!schedule && (
          <>
            <RadioGroup
              value={scope}
              onChange={(v) => setScope(v as 'all' | 'chosen')}
              className="radios"
            >
              <Label>Segments</Label>
              <Radio value="all">All segments</Radio>
              <Radio value="chosen">Chosen segments</Radio>
            </RadioGroup>
            {scope === 'chosen' && (
              <CheckboxGroup
                value={chosen}
                onChange={setChosen}
                className="checklist"
                aria-label="Chosen segments"
              >
                {(defs.data?.segments ?? []).map((d) => (
                  <Checkbox key={d.id} value={d.id}>
                    {d.name}
                  </Checkbox>
                ))}
              </CheckboxGroup>
            )}
            {errors.segments && (
              <p role="alert" className="error">
                {errors.segments}
              </p>
            )}
          </>
        )}
        <Switch isSelected={active} onChange={setActive} className="switch">
          <span className="switch-indicator" aria-hidden />
          Active
        </Switch>
        {errors.other && (
          <p role="alert" className="error">
            {errors.other}
          </p>
        )}
        <div className="dialog-actions">
          <Button className="btn" onPress={onClose}>
            Cancel
          </Button>
          <Button type="submit" className="btn btn-primary" isDisabled={save.isPending}>
            {schedule ? 'Save' : 'Create'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** The columns of the schedules list; each row's buttons name their schedule. */
function scheduleColumns({
  onToggle,
  onTrigger,
  onEdit,
  onDelete,
}: {
  onToggle: (s: Schedule) => void;
  onTrigger: (s: Schedule) => void;
  onEdit: (s: Schedule) => void;
  onDelete: (s: Schedule) => void;
}): Column<Schedule>[] {
  return [
    { key: 'name', header: 'Name', cell: (s) => s.name },
    { key: 'type', header: 'Type', cell: (s) => s.type },
    {
      key: 'cron',
      header: 'Cron expression',
      cell: (s) => (
        <>
          <code>{s.schedule}</code>
          <div className="muted small">{previewCron(s.schedule).words}</div>
        </>
      ),
    },
    {
      key: 'state',
      header: 'State',
      cell: (s) => <span className={`badge state-${s.state}`}>{s.state}</span>,
    },
    {
      key: 'next',
      header: 'Next run',
      cell: (s) => (s.state === 'active' ? formatTime(s.nextRunTime) : '—'),
    },
    { key: 'last', header: 'Last run', cell: (s) => <LastRun schedule={s} /> },
    {
      key: 'actions',
      header: <HiddenHeader>Actions</HiddenHeader>,
      className: 'actions',
      cell: (s) => (
        <>
          <button
            type="button"
            className="btn btn-small"
            aria-label={`${s.state === 'active' ? 'Deactivate' : 'Activate'} ${s.name}`}
            onClick={() => onToggle(s)}
          >
            {s.state === 'active' ? 'Deactivate' : 'Activate'}
          </button>
          <button
            type="button"
            className="btn btn-small"
            aria-label={`Run ${s.name} now`}
            onClick={() => onTrigger(s)}
          >
            Run now
          </button>
          <button
            type="button"
            className="btn btn-small"
            aria-label={`Edit ${s.name}`}
            onClick={() => onEdit(s)}
          >
            Edit
          </button>
          <button
            type="button"
            className="btn btn-small btn-danger"
            aria-label={`Delete ${s.name}`}
            onClick={() => onDelete(s)}
          >
            Delete
          </button>
        </>
      ),
    },
  ];
}

/** When the schedule last fired and how, with its job or its error. */
function LastRun({ schedule: s }: { schedule: Schedule }) {
  if (!s.lastRun) return '—';
  return (
    <>
      {formatTime(s.lastRun.firedTime)} ({s.lastRun.trigger})
      {s.lastRun.jobId && (
        <>
          {' '}
          <Link to={`/jobs/${encodeURIComponent(s.lastRun.jobId)}`}>job</Link>
        </>
      )}
      {s.lastRun.error && <div className="error small">{s.lastRun.error}</div>}
    </>
  );
}

export default function SchedulesPage() {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const q = useQuery(schedulesQuery(sandbox));
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [toDelete, setToDelete] = useState<Schedule | null>(null);
  const [message, setMessage] = useState('');
  const invalidate = () => void qc.invalidateQueries({ queryKey: keys.schedules(sandbox) });
  const toggle = useMutation({
    mutationFn: (s: Schedule) =>
      api.patchSchedule(s.id, [
        { op: 'replace', path: '/state', value: s.state === 'active' ? 'inactive' : 'active' },
      ]),
    onSuccess: (_r, s) => setMessage(`${s.name} is ${s.state === 'active' ? 'inactive' : 'active'}.`),
    onSettled: invalidate,
  });
  const trigger = useMutation({
    mutationFn: (s: Schedule) => api.triggerSchedule(s.id),
    onSuccess: (_r, s) => {
      setMessage(`${s.name} was triggered: its job is on the Jobs page.`);
      void qc.invalidateQueries({ queryKey: keys.jobs(sandbox) });
    },
    onSettled: invalidate,
  });
  const remove = useMutation({
    mutationFn: (s: Schedule) => api.deleteSchedule(s.id),
    onSuccess: (_r, s) => {
      setMessage(`Deleted ${s.name}.`);
      setToDelete(null);
    },
    onSettled: invalidate,
  });
  const error = toggle.error ?? trigger.error;
  const schedules = q.data?.children ?? [];
  return (
    <section aria-labelledby="schedules-title" className="page">
      <div className="page-head">
        <h2 id="schedules-title">Schedules</h2>
        <Button className="btn btn-primary" onPress={() => setEditing('new')}>
          New schedule
        </Button>
      </div>
      <p role="status" className="status">
        {message}
      </p>
      {(q.error ?? error) && (
        <p role="alert" className="error">
          {(q.error ?? error)?.message}
        </p>
      )}
      <DataTable
        label="Schedules"
        columns={scheduleColumns({
          onToggle: (s) => toggle.mutate(s),
          onTrigger: (s) => trigger.mutate(s),
          onEdit: setEditing,
          onDelete: setToDelete,
        })}
        rows={schedules}
        rowKey={(s) => s.id}
        loading={!q.data}
        empty="No schedules yet."
      />
      <Modal
        isOpen={editing !== null}
        onOpenChange={(o) => !o && setEditing(null)}
        isDismissable
        className="modal"
      >
        {editing !== null && (
          <ScheduleDialog
            key={editing === 'new' ? 'new' : editing.id}
            {...(editing !== 'new' ? { schedule: editing } : {})}
            onClose={() => setEditing(null)}
          />
        )}
      </Modal>
      <Modal
        isOpen={toDelete !== null}
        onOpenChange={(o) => !o && setToDelete(null)}
        isDismissable
        className="modal"
      >
        <Dialog role="alertdialog" className="dialog">
          <Heading slot="title">Delete schedule {toDelete?.name}?</Heading>
          <p>It will not fire any more. Jobs it already started stay.</p>
          {remove.isError && (
            <div role="alert" className="error">
              {remove.error.message}
            </div>
          )}
          <div className="dialog-actions">
            <Button className="btn" onPress={() => setToDelete(null)}>
              Cancel
            </Button>
            <Button
              className="btn btn-danger"
              isDisabled={remove.isPending}
              onPress={() => toDelete && remove.mutate(toDelete)}
            >
              Delete
            </Button>
          </div>
        </Dialog>
      </Modal>
    </section>
  );
}
