/**
 * The segment builder (/segments/new, /segments/:id): name, description, evaluation method, the
 * Monaco PQL editor with the schema browser beside it, and the live Estimate and Preview regions.
 * This module is its own chunk; Monaco is a further chunk loaded by the editor.
 */
import { useQuery } from '@tanstack/react-query';
import { listFields, type DataSchema } from '@seg/shared';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  Button,
  Input,
  Label,
  Radio,
  RadioGroup,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/http.ts';
import { definitionQuery, schemaQuery, useSaveDefinition } from '../api/queries.ts';
import type { EvaluationInfo, SegmentDefinition } from '../api/types.ts';
import { useSandbox } from '../app/session.tsx';
import type { OffsetDiagnostic } from '../editor/diagnosticsTypes.ts';
import type { PqlEditorHandle } from '../editor/PqlEditor.tsx';
import { lineColumnToOffsets, type EligibilitySummary } from '../editor/pqlAdapter.ts';
import { EstimatePanel, estimateFacts } from './builder/EstimatePanel.tsx';
import { PreviewPanel } from './builder/PreviewPanel.tsx';
import { SchemaBrowser, type FieldNode } from './builder/SchemaBrowser.tsx';
import { useDiagnostics } from './builder/useDiagnostics.ts';
import { useLiveEstimate } from './builder/useLiveEstimate.ts';

const PqlEditor = lazy(() => import('../editor/PqlEditor.tsx'));
const SegmentHistory = lazy(() => import('./builder/SegmentHistory.tsx'));

type Method = 'batch' | 'streaming' | 'edge';

function methodOf(info: EvaluationInfo | undefined): Method {
  if (info?.synchronous?.enabled) return 'edge';
  if (info?.continuous?.enabled) return 'streaming';
  return 'batch';
}

function evaluationInfoFor(m: Method): EvaluationInfo {
  return {
    batch: { enabled: m === 'batch' },
    continuous: { enabled: m === 'streaming' },
    synchronous: { enabled: m === 'edge' },
  };
}

/**
 * Why the definition is (or would be) evaluated as it is: the shared classifier's reasons for the
 * text being edited (pql.md §5.3–5.6), and the server's decision for the saved definition.
 */
function methodHint(
  requested: Method,
  live: EligibilitySummary | undefined,
  saved: SegmentDefinition | undefined,
  savedCurrent: boolean,
): string {
  const parts: string[] = [];
  if (live) {
    const allowed =
      requested === 'batch' || (requested === 'streaming' ? live.streaming : live.edge);
    parts.push(
      allowed
        ? requested === 'batch'
          ? `Batch evaluation. This query is also ${live.edge ? 'streaming- and edge-eligible' : live.streaming ? 'streaming-eligible' : 'batch-only'}.`
          : `This query is ${requested}-eligible.`
        : `This query is not ${requested}-eligible: saving evaluates it in batch.`,
    );
    parts.push(...live.reasons);
  } else {
    parts.push(
      'Eligibility for streaming and edge is shown once the expression checks without errors.',
    );
  }
  if (saved && savedCurrent) {
    const got = methodOf(saved.evaluationInfo);
    parts.push(`Saved: the server evaluates it in ${got}.`);
  }
  return parts.join(' ');
}

function defaultColumns(schema: DataSchema | null | undefined): string[] {
  if (!schema) return [];
  const leaves = listFields(schema.profile).filter(
    (f) =>
      f.path !== 'identityMap' &&
      !f.path.startsWith('identityMap.') &&
      ['string', 'int', 'double', 'date', 'datetime', 'boolean'].includes(f.type.kind),
  );
  const prefer = [
    'person.name.firstName',
    'person.name.lastName',
    'homeAddress.city',
    'loyalty.tier',
  ];
  const chosen = prefer.filter((p) => leaves.some((l) => l.path === p));
  for (const l of leaves) if (chosen.length < 3 && !chosen.includes(l.path)) chosen.push(l.path);
  return chosen.slice(0, 4);
}

export default function BuilderPage() {
  const { id } = useParams();
  const sandbox = useSandbox();
  const navigate = useNavigate();
  const existing = useQuery({ ...definitionQuery(sandbox, id ?? ''), enabled: id !== undefined });
  const schemaQ = useQuery(schemaQuery(sandbox));
  const schema = schemaQ.data ?? undefined;

  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [text, setText] = useState('');
  const [method, setMethod] = useState<Method>('batch');
  const [loadedId, setLoadedId] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saveStatus, setSaveStatus] = useState('');
  const [server, setServer] = useState<{ text: string; diagnostics: OffsetDiagnostic[] } | null>(
    null,
  );
  const editor = useRef<PqlEditorHandle | null>(null);
  const save = useSaveDefinition(sandbox);

  // fill the form once per loaded definition
  useEffect(() => {
    const d = existing.data;
    if (d && d.id !== loadedId) {
      setLoadedId(d.id);
      setName(d.name);
      setDescription(d.description ?? '');
      setText(d.expression.value);
      setMethod(methodOf(d.evaluationInfo));
    }
  }, [existing.data, loadedId]);

  const check = useDiagnostics(text, schema);
  const checked = check !== null && check.text === text;
  const errors = checked ? check.diagnostics.filter((d) => d.severity === 'error') : [];
  const clean = checked && errors.length === 0 && text.trim() !== '' ? text : null;
  const live = useLiveEstimate(clean, sandbox);
  const facts = live.estimate && live.status === 'ready' ? estimateFacts(live.estimate) : null;
  const estimateStale = live.text !== text || clean === null;

  const doSave = useCallback(async () => {
    setSaveError(null);
    setSaveStatus('');
    if (!name.trim()) {
      setSaveError('A segment needs a name.');
      return;
    }
    const body = {
      name: name.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      schema: { name: '_xdm.context.profile' },
      expression: { type: 'PQL' as const, format: 'pql/text' as const, value: text },
      evaluationInfo: evaluationInfoFor(method),
      profileInstanceId: 'ups',
    };
    try {
      const saved = await save.mutateAsync({ ...(id ? { id } : {}), body });
      setServer(null);
      setSaveStatus(`Saved “${saved.name}”.`);
      if (!id) {
        setLoadedId(saved.id);
        void navigate(`/segments/${saved.id}`, { replace: true });
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      setSaveError(msg);
      if (e instanceof ApiError && e.diagnostics.length) {
        setServer({ text, diagnostics: lineColumnToOffsets(text, e.diagnostics) });
      }
    }
  }, [description, id, method, name, navigate, save, text]);

  const saveRef = useRef(doSave);
  saveRef.current = doSave;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void saveRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const insertField = (n: FieldNode) => {
    const path =
      n.scope === 'profile'
        ? n.path
        : inEventScope(text, editor.current?.cursorOffset() ?? text.length)
          ? n.path
          : `xEvent.${n.path}`;
    if (editor.current) editor.current.insertAtCursor(path);
    else setText((t) => t + path);
  };

  const columns = useMemo(() => defaultColumns(schema), [schema]);
  const savedDef = save.data && save.data.id === id ? save.data : existing.data;
  const problems = [
    ...(checked ? check.diagnostics : []),
    ...(server && server.text === text ? server.diagnostics : []),
  ];

  if (id && existing.error) {
    return (
      <section className="page" aria-labelledby="builder-title">
        <h2 id="builder-title">Segment not found</h2>
        <p role="alert" className="error">
          {existing.error instanceof ApiError && existing.error.status === 404
            ? 'No segment with this id exists in this sandbox.'
            : existing.error.message}
        </p>
        <Link to="/segments">Back to the segments</Link>
      </section>
    );
  }

  return (
    <section className="page builder" aria-labelledby="builder-title">
      <div className="page-head">
        <h2 id="builder-title">
          {id ? (existing.data ? `Segment: ${existing.data.name}` : 'Segment') : 'New segment'}
        </h2>
        <div className="head-actions">
          <Button className="btn" onPress={() => editor.current?.formatDocument()}>
            Format
          </Button>
          <Button
            className="btn btn-primary"
            onPress={() => void doSave()}
            isDisabled={save.isPending || (id !== undefined && !existing.data)}
          >
            Save
          </Button>
        </div>
      </div>
      <p role="status" className="status">
        {saveStatus}
      </p>
      {saveError && (
        <p role="alert" className="error">
          {saveError}
        </p>
      )}
      <div className="meta">
        <TextField value={name} onChange={setName} isRequired className="field">
          <Label>Name</Label>
          <Input />
        </TextField>
        <TextField value={description} onChange={setDescription} className="field grow">
          <Label>Description</Label>
          <TextArea rows={1} />
        </TextField>
        <RadioGroup
          value={method}
          onChange={(v) => setMethod(v as Method)}
          orientation="horizontal"
          className="radio-group"
        >
          <Label>Evaluation method</Label>
          <div className="radios">
            <Radio value="batch">Batch</Radio>
            <Radio value="streaming">Streaming</Radio>
            <Radio value="edge">Edge</Radio>
          </div>
          <Text slot="description" className="muted small hint">
            {methodHint(
              method,
              checked ? check.eligibility : undefined,
              savedDef,
              savedDef !== undefined && savedDef.expression.value === text,
            )}
          </Text>
        </RadioGroup>
      </div>
      <div className="workspace">
        <SchemaBrowser
          schema={schemaQ.isPending ? undefined : schema}
          unavailable={
            schemaQ.isPending
              ? undefined
              : 'The server does not serve this sandbox’s schema yet: fields are not typed.'
          }
          onInsert={insertField}
        />
        <div className="editor-column">
          <div className="editor-frame" role="group" aria-label="PQL expression editor">
            <Suspense fallback={<p role="status">Loading the editor…</p>}>
              <PqlEditor
                value={text}
                onChange={setText}
                schema={schema}
                diagnostics={checked ? check.diagnostics : []}
                diagnosticsText={check?.text ?? null}
                serverDiagnostics={server?.diagnostics ?? []}
                serverText={server?.text ?? null}
                onSave={() => void saveRef.current()}
                onReady={(h) => {
                  editor.current = h;
                }}
              />
            </Suspense>
          </div>
          <div className="problems" role="region" aria-label="Problems">
            {text.trim() === '' ? (
              <p className="muted small">
                Type a PQL condition, e.g. person.gender = "female". Ctrl+Space completes; Ctrl+S
                saves.
              </p>
            ) : problems.length === 0 ? (
              <p className="ok small">{checked ? 'No problems.' : 'Checking…'}</p>
            ) : (
              <ul aria-label="Problems in the expression">
                {problems.map((d, i) => {
                  const pos = lineColumn(text, d.start);
                  return (
                    <li key={i} className={d.severity}>
                      <span className="pos">
                        Line {pos.line}, column {pos.column}
                      </span>{' '}
                      {d.message} <span className="code">{d.code}</span>
                    </li>
                  );
                })}
              </ul>
            )}
          </div>
        </div>
        <div className="side-panels">
          <EstimatePanel live={live} currentText={text} checksClean={clean !== null} />
          <PreviewPanel
            previewId={live.previewId}
            ready={live.status === 'ready'}
            stale={estimateStale}
            total={facts?.exact ? facts.size : undefined}
            defaultColumns={columns}
          />
          {id && (
            <Suspense fallback={null}>
              <SegmentHistory segmentId={id} />
            </Suspense>
          )}
        </div>
      </div>
    </section>
  );
}

/** 1-based line and column (code points, as the API reports) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lastLine = before.slice(before.lastIndexOf('\n') + 1);
  return { line, column: [...lastLine].length + 1 };
}

/** True when the cursor is inside `xEvent[…]` (event fields are then written relative). */
function inEventScope(text: string, offset: number): boolean {
  const before = text.slice(0, offset);
  const open = before.lastIndexOf('xEvent[');
  if (open < 0) return false;
  let depth = 0;
  for (let i = open + 6; i < before.length; i++) {
    if (before[i] === '[') depth++;
    else if (before[i] === ']') depth--;
  }
  return depth > 0;
}
