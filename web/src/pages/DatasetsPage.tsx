/**
 * The sandbox's data: profile and event counts, the datasets (Catalog) with what they receive,
 * the inferred schema, and uploads of NDJSON or Parquet files through batch ingestion
 * (`/data/foundation/import`: create a batch, PUT the file with a progress bar, COMPLETE), after
 * which estimates and jobs see the new data. A bad file is rejected with the line at fault.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Button, Input, Label, Radio, RadioGroup, TextField } from 'react-aria-components';
import { api, IMPORT } from '../api/endpoints.ts';
import { uploadFile } from '../api/http.ts';
import {
  datasetsQuery,
  ingestBatchesQuery,
  ingestSummaryQuery,
  schemaQuery,
} from '../api/queries.ts';
import type { Dataset } from '../api/types.ts';
import { useSandbox } from '../app/session.tsx';
import { fieldPaths } from './dashboards/fields.ts';
import { formatBytes, formatNumber, formatTime, statusClass } from './dashboards/format.ts';

export const EVENT_SCHEMA = 'https://ns.adobe.com/xdm/context/experienceevent';
const receives = (d: Dataset) => (/experienceevent/i.test(d.schemaRef.id) ? 'events' : 'profiles');

type Phase =
  | { step: 'idle' }
  | { step: 'uploading'; loaded: number; total: number }
  | { step: 'loading' }
  | { step: 'done'; message: string }
  | { step: 'failed'; message: string };

function UploadForm({ datasets }: { datasets: Dataset[] }) {
  const sandbox = useSandbox();
  const qc = useQueryClient();
  const [datasetId, setDatasetId] = useState('');
  const [newName, setNewName] = useState('');
  const [newKind, setNewKind] = useState<'profiles' | 'events'>('profiles');
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [createError, setCreateError] = useState('');
  const fileRef = useRef<HTMLInputElement>(null);
  const busy = phase.step === 'uploading' || phase.step === 'loading';

  const createDataset = async () => {
    setCreateError('');
    try {
      const r = await api.createDataset({
        name: newName.trim(),
        ...(newKind === 'events' ? { schemaRef: { id: EVENT_SCHEMA } } : {}),
      });
      setDatasetId((r[0] ?? '').replace(/^@\/dataSets\//, ''));
      setNewName('');
      await qc.invalidateQueries({ queryKey: [...datasetsQuery(sandbox).queryKey] });
    } catch (e) {
      setCreateError(e instanceof Error ? e.message : String(e));
    }
  };

  const upload = async () => {
    if (!file || !datasetId) return;
    const format = /\.parquet$/i.test(file.name) ? 'parquet' : 'json';
    const name = file.name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'upload';
    try {
      setPhase({ step: 'uploading', loaded: 0, total: file.size });
      const batch = await api.createIngestBatch(datasetId, format);
      await uploadFile(
        `${IMPORT}/batches/${encodeURIComponent(batch.id)}/datasets/${encodeURIComponent(datasetId)}/files/${encodeURIComponent(name)}`,
        file,
        (loaded, total) => setPhase({ step: 'uploading', loaded, total }),
      );
      setPhase({ step: 'loading' });
      const done = await api.completeIngestBatch(batch.id);
      setPhase({
        step: 'done',
        message: `Loaded ${file.name}: the sandbox now has ${formatNumber(done.metrics.profiles)} profiles and ${formatNumber(done.metrics.events)} events.`,
      });
      setFile(null);
      if (fileRef.current) fileRef.current.value = '';
    } catch (e) {
      setPhase({ step: 'failed', message: e instanceof Error ? e.message : String(e) });
    } finally {
      // counts, schema, batches, estimates: everything of this sandbox may have changed
      await qc.invalidateQueries({ queryKey: [sandbox] });
    }
  };

  const pct =
    phase.step === 'uploading' && phase.total > 0
      ? Math.round((phase.loaded / phase.total) * 100)
      : phase.step === 'loading' || phase.step === 'done'
        ? 100
        : 0;
  return (
    <form
      className="upload-form"
      aria-labelledby="upload-title"
      onSubmit={(e) => {
        e.preventDefault();
        void upload();
      }}
    >
      <h3 id="upload-title">Upload data</h3>
      <p className="muted small">
        NDJSON (one JSON object a line) or Parquet, in the format of the data contract: a profiles
        dataset receives profile records, an events dataset experience events.
      </p>
      <div className="form-row">
        <label className="field">
          <span>Dataset</span>
          <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)} required>
            <option value="">Choose a dataset…</option>
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({receives(d)})
              </option>
            ))}
          </select>
        </label>
        <div className="inline-create">
          <TextField value={newName} onChange={setNewName} className="field">
            <Label>New dataset name</Label>
            <Input />
          </TextField>
          <RadioGroup
            value={newKind}
            onChange={(v) => setNewKind(v as 'profiles' | 'events')}
            orientation="horizontal"
            className="radios"
          >
            <Label>Receives</Label>
            <Radio value="profiles">Profiles</Radio>
            <Radio value="events">Events</Radio>
          </RadioGroup>
          <Button className="btn" isDisabled={!newName.trim()} onPress={() => void createDataset()}>
            Create dataset
          </Button>
        </div>
      </div>
      {createError && (
        <p role="alert" className="error">
          {createError}
        </p>
      )}
      <div className="form-row">
        <label className="field">
          <span>File</span>
          <input
            ref={fileRef}
            type="file"
            accept=".ndjson,.jsonl,.json,.parquet"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
        {file && <span className="muted small">{formatBytes(file.size)}</span>}
        <Button type="submit" className="btn btn-primary" isDisabled={!file || !datasetId || busy}>
          Upload
        </Button>
      </div>
      {phase.step !== 'idle' && phase.step !== 'failed' && (
        <div className="progress-cell">
          <progress aria-label="Upload progress" max={100} value={pct} />
          <span className="small muted">
            {phase.step === 'uploading'
              ? `Uploading… ${pct}%`
              : phase.step === 'loading'
                ? 'Loading into the sandbox…'
                : 'Done'}
          </span>
        </div>
      )}
      <p role="status" className="status">
        {phase.step === 'done' ? phase.message : ''}
      </p>
      {phase.step === 'failed' && (
        <p role="alert" className="error">
          {phase.message}
        </p>
      )}
    </form>
  );
}

export default function DatasetsPage() {
  const sandbox = useSandbox();
  const summary = useQuery(ingestSummaryQuery(sandbox));
  const datasets = useQuery(datasetsQuery(sandbox));
  const batches = useQuery(ingestBatchesQuery(sandbox));
  const schema = useQuery(schemaQuery(sandbox));
  const list = Object.values(datasets.data ?? {}).sort((a, b) => b.created - a.created);
  const names = new Map(list.map((d) => [d.id, d.name]));
  const profileFields = schema.data ? fieldPaths(schema.data.profile.fields) : [];
  const eventFields = schema.data ? fieldPaths(schema.data.event.fields) : [];
  return (
    <section aria-labelledby="datasets-title" className="page">
      <div className="page-head">
        <h2 id="datasets-title">Datasets</h2>
      </div>
      {summary.isError && (
        <p role="alert" className="error">
          {summary.error.message}
        </p>
      )}
      <dl className="facts counts" aria-label="Sandbox data">
        <dt>Profiles</dt>
        <dd data-testid="profile-count">{formatNumber(summary.data?.profiles)}</dd>
        <dt>Events</dt>
        <dd data-testid="event-count">{formatNumber(summary.data?.events)}</dd>
        <dt>Loaded</dt>
        <dd>{formatTime(summary.data?.loadedAt)}</dd>
      </dl>
      <UploadForm datasets={list} />
      <h3 id="ds-title">Datasets of the sandbox</h3>
      <table className="grid" aria-labelledby="ds-title">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Receives</th>
            <th scope="col">Export format</th>
            <th scope="col">Created</th>
            <th scope="col">Last export batch</th>
          </tr>
        </thead>
        <tbody>
          {list.map((d) => (
            <tr key={d.id}>
              <td>
                {d.name}
                <div className="muted small mono">{d.id}</div>
              </td>
              <td>{receives(d)}</td>
              <td>{d.fileDescription.format}</td>
              <td>{formatTime(d.created)}</td>
              <td>{d.lastBatchStatus ?? '—'}</td>
            </tr>
          ))}
          {datasets.data && list.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No datasets yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h3 id="batches-title">Ingested batches</h3>
      <table className="grid" aria-labelledby="batches-title">
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Dataset</th>
            <th scope="col">Status</th>
            <th scope="col">Files</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(batches.data?.batches ?? []).map((b) => (
            <tr key={b.id}>
              <td className="mono">{b.id.slice(0, 8)}</td>
              <td>{names.get(b.relatedObjects[0]?.id ?? '') ?? b.relatedObjects[0]?.id}</td>
              <td>
                <span className={statusClass(b.status)}>{b.status}</span>
                {b.errors.map((e, i) => (
                  <div key={i} className="error small">
                    {e.description}
                  </div>
                ))}
              </td>
              <td>
                {b.files.map((f) => `${f.name} (${formatBytes(f.bytes)})`).join(', ') || '—'}
              </td>
              <td>{formatTime(b.created)}</td>
            </tr>
          ))}
          {batches.data && batches.data.batches.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                Nothing uploaded yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h3>Inferred schema</h3>
      <div className="schema-columns">
        {(
          [
            ['Profile fields', profileFields],
            ['Event fields', eventFields],
          ] as const
        ).map(([title, fields]) => (
          <table key={title} className="grid compact" aria-label={title}>
            <thead>
              <tr>
                <th scope="col">{title}</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <tr key={f.path}>
                  <td className="mono" style={{ paddingLeft: `${0.5 + f.depth}em` }}>
                    {f.path}
                  </td>
                  <td className="muted">{f.type}</td>
                </tr>
              ))}
              {schema.data && fields.length === 0 && (
                <tr>
                  <td colSpan={2} className="empty">
                    No fields.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        ))}
      </div>
    </section>
  );
}
