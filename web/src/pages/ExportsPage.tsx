/**
 * Export jobs (segmentation-api.md §6): the list with status and progress (polling while any runs),
 * a form to export chosen segments (membership status filter, fields picked from the schema,
 * format) to a dataset (or a new one created inline), the finished batch's files to download, and
 * cancel.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Button,
  Checkbox,
  CheckboxGroup,
  Dialog,
  Heading,
  Input,
  Label,
  Modal,
  TextField,
} from 'react-aria-components';
import { api, fileUrl } from '../api/endpoints.ts';
import { downloadFile } from '../api/http.ts';
import {
  allDefinitionsQuery,
  datasetsQuery,
  exportsQuery,
  keys,
  schemaQuery,
} from '../api/queries.ts';
import type { BatchFiles, ExportFormat, ExportJob, ExportJobCreate } from '../api/types.ts';
import { useSandbox } from '../app/session.tsx';
import { DataTable, HiddenHeader, type Column } from '../components/DataTable.tsx';
import { fieldPaths } from './dashboards/fields.ts';
import { formatBytes, formatDuration, formatNumber, formatTime, statusClass } from './dashboards/format.ts';

const STATUSES = ['realized', 'existing', 'exited'] as const;
const FORMATS: ExportFormat[] = ['parquet', 'ndjson', 'csv'];

/** The batches an export wrote (one, or one per segment). */
export function batchIdsOf(job: ExportJob): string[] {
  const d = job.destination;
  const ids = d.batches?.map((b) => b.batchId) ?? [];
  if (d.batchId && !ids.includes(d.batchId)) ids.unshift(d.batchId);
  return ids;
}

function ExportForm({ onDone }: { onDone: (job: ExportJob) => void }) {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const defs = useQuery(allDefinitionsQuery(sandbox));
  const schema = useQuery(schemaQuery(sandbox));
  const datasets = useQuery(datasetsQuery(sandbox));
  const [segments, setSegments] = useState<string[]>([]);
  const [statuses, setStatuses] = useState<string[]>(['realized', 'existing']);
  const [fields, setFields] = useState<string[]>([]);
  const [format, setFormat] = useState<ExportFormat>('ndjson');
  const [datasetId, setDatasetId] = useState('');
  const [newDataset, setNewDataset] = useState('');
  const [segmentation, setSegmentation] = useState(true);
  const paths = schema.data ? fieldPaths(schema.data.profile.fields) : [];
  const dsList = Object.values(datasets.data ?? {}).sort((a, b) => b.created - a.created);

  const createDataset = useMutation({
    mutationFn: () => api.createDataset({ name: newDataset.trim(), fileDescription: { format } }),
    onSuccess: (r) => {
      const id = (r[0] ?? '').replace(/^@\/dataSets\//, '');
      setDatasetId(id);
      setNewDataset('');
      void qc.invalidateQueries({ queryKey: keys.datasets(sandbox) });
    },
  });
  const run = useMutation({
    mutationFn: () => {
      const body: ExportJobCreate = {
        schema: { name: '_xdm.context.profile' },
        destination: { datasetId, segmentPerBatch: false, format },
        ...(fields.length ? { fields: fields.join(',') } : {}),
        ...(segments.length
          ? {
              filter: {
                segments: segments.map((segmentId) => ({
                  segmentId,
                  segmentNs: 'ups',
                  status: statuses as ('realized' | 'existing' | 'exited')[],
                })),
              },
              evaluationInfo: { segmentation },
            }
          : {}),
      };
      return api.createExport(body);
    },
    onSuccess: (job) => {
      void qc.invalidateQueries({ queryKey: keys.exports(sandbox) });
      onDone(job);
    },
  });

  return (
    <form
      className="export-form"
      aria-label="New export"
      onSubmit={(e) => {
        e.preventDefault();
        run.mutate();
      }}
    >
      <div className="form-columns">
        <CheckboxGroup value={segments} onChange={setSegments} className="checklist">
          <Label>Segments</Label>
          <span className="muted small">None chosen: every profile.</span>
          {(defs.data?.segments ?? []).map((d) => (
            <Checkbox key={d.id} value={d.id}>
              {d.name}
            </Checkbox>
          ))}
        </CheckboxGroup>
        <div>
          <CheckboxGroup value={statuses} onChange={setStatuses} className="checklist">
            <Label>Membership status</Label>
            {STATUSES.map((s) => (
              <Checkbox key={s} value={s} isDisabled={segments.length === 0}>
                {s}
              </Checkbox>
            ))}
          </CheckboxGroup>
          <Checkbox
            isSelected={segmentation}
            onChange={setSegmentation}
            isDisabled={segments.length === 0}
          >
            Evaluate the segments first (segment job)
          </Checkbox>
          <label className="field">
            <span>Format</span>
            <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
              {FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f === 'ndjson' ? 'NDJSON' : f === 'csv' ? 'CSV' : 'Parquet'}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Dataset</span>
            <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)} required>
              <option value="">Choose a dataset…</option>
              {dsList.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <div className="inline-create">
            <TextField value={newDataset} onChange={setNewDataset} className="field">
              <Label>New dataset name</Label>
              <Input />
            </TextField>
            <Button
              className="btn"
              isDisabled={!newDataset.trim() || createDataset.isPending}
              onPress={() => createDataset.mutate()}
            >
              Create dataset
            </Button>
          </div>
          {createDataset.isError && (
            <p role="alert" className="error">
              {createDataset.error.message}
            </p>
          )}
        </div>
        <CheckboxGroup value={fields} onChange={setFields} className="checklist fields-list">
          <Label>Fields</Label>
          <span className="muted small">None chosen: all fields.</span>
          {paths.map((p) => (
            <Checkbox key={p.path} value={p.path} style={{ paddingLeft: `${p.depth}em` }}>
              <span className="mono">{p.path}</span> <span className="muted small">{p.type}</span>
            </Checkbox>
          ))}
        </CheckboxGroup>
      </div>
      {run.isError && (
        <p role="alert" className="error">
          {run.error.message}
        </p>
      )}
      <div className="dialog-actions">
        <Button
          type="submit"
          className="btn btn-primary"
          isDisabled={!datasetId || run.isPending || (segments.length > 0 && statuses.length === 0)}
        >
          Start export
        </Button>
      </div>
    </form>
  );
}

/** An export on its way: it shows its progress and can be cancelled. */
const isRunning = (j: ExportJob) => j.status === 'NEW' || j.status === 'PROCESSING';

/** The columns of the exports list; names of segments and datasets come from their own lists. */
function exportColumns({
  segmentName,
  datasetName,
  onFiles,
  onCancel,
}: {
  segmentName: (id: string) => string;
  datasetName: (id: string) => string;
  onFiles: (job: ExportJob) => void;
  onCancel: (id: number) => void;
}): Column<ExportJob>[] {
  return [
    { key: 'export', header: 'Export', cell: (j) => <span className="mono">{j.id}</span> },
    { key: 'status', header: 'Status', cell: (j) => <ExportStatus job={j} /> },
    {
      key: 'segments',
      header: 'Segments',
      cell: (j) => {
        const segs = ((j.filter?.segments ?? []) as { segmentId: string }[]).map((s) =>
          segmentName(s.segmentId),
        );
        return segs.length ? segs.join(', ') : <span className="muted">all profiles</span>;
      },
    },
    { key: 'dataset', header: 'Dataset', cell: (j) => datasetName(j.destination.datasetId) },
    { key: 'format', header: 'Format', cell: (j) => j.destination.format },
    {
      key: 'profiles',
      header: 'Profiles',
      className: 'num',
      cell: (j) => formatNumber(j.metrics.totalExportedProfileCounter),
    },
    { key: 'created', header: 'Created', cell: (j) => formatTime(j.creationTime) },
    {
      key: 'duration',
      header: 'Duration',
      cell: (j) => formatDuration(j.metrics.totalTime.totalTimeInMs),
    },
    {
      key: 'actions',
      header: <HiddenHeader>Actions</HiddenHeader>,
      className: 'actions',
      cell: (j) => (
        <>
          {j.status === 'SUCCEEDED' && batchIdsOf(j).length > 0 && (
            <button
              type="button"
              className="btn btn-small"
              aria-label={`Files of export ${j.id}`}
              onClick={() => onFiles(j)}
            >
              Files
            </button>
          )}
          {isRunning(j) && (
            <button
              type="button"
              className="btn btn-small btn-danger"
              aria-label={`Cancel export ${j.id}`}
              onClick={() => onCancel(j.id)}
            >
              Cancel
            </button>
          )}
        </>
      ),
    },
  ];
}

/** The status word, the progress while running, and the export's errors. */
function ExportStatus({ job: j }: { job: ExportJob }) {
  const p = j.metrics.progress;
  return (
    <>
      <span className={statusClass(j.status)}>{j.status}</span>
      {isRunning(j) && p && (
        <div className="progress-cell">
          <progress aria-label={`Progress of export ${j.id}`} max={100} value={p.percent} />
          <span className="small muted">
            {Math.round(p.percent)}% · {p.stage}
          </span>
        </div>
      )}
      {j.errors?.map((e, i) => (
        <div key={i} className="error small">
          <code>{e.code}</code> {e.msg}
        </div>
      ))}
    </>
  );
}

type ExportFile = BatchFiles['data'][number];

/** The files of an export's batches, each with its Download button. */
function fileColumns(onDownload: (f: ExportFile) => void): Column<ExportFile>[] {
  return [
    { key: 'file', header: 'File', cell: (f) => <span className="mono">{f.name}</span> },
    { key: 'records', header: 'Records', className: 'num', cell: (f) => formatNumber(f.records) },
    { key: 'size', header: 'Size', className: 'num', cell: (f) => formatBytes(f.length) },
    {
      key: 'download',
      header: <HiddenHeader>Download</HiddenHeader>,
      cell: (f) => (
        <button
          type="button"
          className="btn btn-small"
          aria-label={`Download ${f.name}`}
          onClick={() => onDownload(f)}
        >
          Download
        </button>
      ),
    },
  ];
}

function FilesDialog({ job }: { job: ExportJob }) {
  const ids = batchIdsOf(job);
  const files = useQuery({
    queryKey: ['export-files', job.id, ids],
    queryFn: async ({ signal }) => {
      const lists = await Promise.all(ids.map((b) => api.listBatchFiles(b, signal)));
      return lists.flatMap((l) => l.data);
    },
  });
  const [error, setError] = useState('');
  return (
    <Dialog className="dialog dialog-wide" aria-labelledby="files-title">
      {({ close }) => (
        <>
          <Heading slot="title" id="files-title">
            Files of export {job.id}
          </Heading>
          {files.isPending && <p role="status">Loading files…</p>}
          {files.isError && (
            <p role="alert" className="error">
              {files.error.message}
            </p>
          )}
          <DataTable
            label="Files"
            columns={fileColumns((f) => {
              setError('');
              downloadFile(fileUrl(f.dataSetFileId), f.name).catch((e: unknown) =>
                setError(e instanceof Error ? e.message : String(e)),
              );
            })}
            rows={files.data ?? []}
            rowKey={(f) => f.dataSetFileId}
          />
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <Button className="btn" onPress={close}>
              Close
            </Button>
          </div>
        </>
      )}
    </Dialog>
  );
}

export default function ExportsPage() {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const q = useQuery(exportsQuery(sandbox));
  const datasets = useQuery(datasetsQuery(sandbox));
  const names = useQuery(allDefinitionsQuery(sandbox));
  const segName = new Map((names.data?.segments ?? []).map((d) => [d.id, d.name]));
  const [showForm, setShowForm] = useState(false);
  const [filesOf, setFilesOf] = useState<ExportJob | null>(null);
  const [message, setMessage] = useState('');
  const cancel = useMutation({
    mutationFn: (id: number) => api.cancelExport(id),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.exports(sandbox) }),
  });
  const jobs = q.data?.records ?? [];
  return (
    <section aria-labelledby="exports-title" className="page">
      <div className="page-head">
        <h2 id="exports-title">Exports</h2>
        <Button className="btn btn-primary" onPress={() => setShowForm((v) => !v)}>
          {showForm ? 'Hide the export form' : 'New export'}
        </Button>
      </div>
      {showForm && (
        <ExportForm
          onDone={(job) => {
            setShowForm(false);
            setMessage(`Export ${job.id} started.`);
          }}
        />
      )}
      <p role="status" className="status">
        {message}
      </p>
      {(q.error ?? cancel.error) && (
        <p role="alert" className="error">
          {(q.error ?? cancel.error)?.message}
        </p>
      )}
      <DataTable
        label="Export jobs"
        columns={exportColumns({
          segmentName: (id) => segName.get(id) ?? id,
          datasetName: (id) => datasets.data?.[id]?.name ?? id,
          onFiles: setFilesOf,
          onCancel: (id) => cancel.mutate(id),
        })}
        rows={jobs}
        rowKey={(j) => j.id}
        loading={!q.data}
        empty="No exports yet."
      />
      <Modal
        isOpen={filesOf !== null}
        onOpenChange={(o) => !o && setFilesOf(null)}
        isDismissable
        className="modal"
      >
        {filesOf && <FilesDialog job={filesOf} />}
      </Modal>
    </section>
  );
}
