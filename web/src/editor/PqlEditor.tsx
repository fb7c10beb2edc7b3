/**
 * The Monaco PQL editor (the lazily loaded chunk). Markers come from diagnostics computed off the
 * keystroke path (the checker worker) and from the server's answer to a save; both are mapped
 * from offsets with model.getPositionAt so columns are Monaco's UTF-16 units.
 */
import Editor, { type OnMount } from '@monaco-editor/react';
import type { DataSchema } from '@seg/shared';
import { useEffect, useRef } from 'react';
import type { OffsetDiagnostic } from './diagnosticsTypes.ts';
import { monaco, PQL, registerPql, setPqlSchema } from './monacoSetup.ts';
import { toMarkers } from './pqlAdapter.ts';

registerPql();

export interface PqlEditorHandle {
  /** Inserts text at the cursor (replacing the selection) and focuses the editor. */
  insertAtCursor(text: string): void;
  /** The offset of the cursor. */
  cursorOffset(): number;
  formatDocument(): void;
  focus(): void;
}

export interface PqlEditorProps {
  value: string;
  onChange: (value: string) => void;
  schema: DataSchema | undefined;
  /** Diagnostics of the checker, valid for `diagnosticsText`. */
  diagnostics: readonly OffsetDiagnostic[];
  diagnosticsText: string | null;
  /** Diagnostics of the server's last answer, valid for `serverText`. */
  serverDiagnostics: readonly OffsetDiagnostic[];
  serverText: string | null;
  onSave: () => void;
  onReady?: (handle: PqlEditorHandle) => void;
  ariaLabel?: string;
}

const SEVERITY = { error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning };

export default function PqlEditor(props: PqlEditorProps) {
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const saveRef = useRef(props.onSave);
  saveRef.current = props.onSave;

  useEffect(() => {
    setPqlSchema(props.schema);
  }, [props.schema]);

  const { diagnostics, diagnosticsText, serverDiagnostics, serverText } = props;
  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model) return;
    const text = model.getValue();
    const positionAt = (o: number) => model.getPositionAt(o);
    if (diagnosticsText === text) {
      monaco.editor.setModelMarkers(
        model,
        'pql',
        toMarkers(diagnostics, text.length, positionAt, SEVERITY, 'PQL checker'),
      );
    }
    monaco.editor.setModelMarkers(
      model,
      'server',
      serverText === text
        ? toMarkers(serverDiagnostics, text.length, positionAt, SEVERITY, 'server')
        : [],
    );
  }, [diagnostics, diagnosticsText, serverDiagnostics, serverText]);

  const onMount: OnMount = (editor) => {
    editorRef.current = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => saveRef.current());
    props.onReady?.({
      insertAtCursor: (text) => {
        const sel = editor.getSelection();
        if (!sel) return;
        editor.executeEdits('schema-browser', [{ range: sel, text, forceMoveMarkers: true }]);
        editor.focus();
      },
      cursorOffset: () => {
        const pos = editor.getPosition();
        const model = editor.getModel();
        return pos && model ? model.getOffsetAt(pos) : 0;
      },
      formatDocument: () => void editor.getAction('editor.action.formatDocument')?.run(),
      focus: () => editor.focus(),
    });
  };

  return (
    <Editor
      language={PQL}
      theme="pql-light"
      value={props.value}
      onChange={(v) => props.onChange(v ?? '')}
      onMount={onMount}
      loading={<p role="status">Loading the editor…</p>}
      options={{
        ariaLabel: props.ariaLabel ?? 'PQL expression',
        minimap: { enabled: false },
        fontSize: 14,
        lineNumbers: 'on',
        wordWrap: 'on',
        scrollBeyondLastLine: false,
        automaticLayout: true,
        quickSuggestions: { other: true, strings: false, comments: false },
        suggestOnTriggerCharacters: true,
        tabCompletion: 'on',
        fixedOverflowWidgets: true,
        renderValidationDecorations: 'on',
        padding: { top: 8 },
      }}
    />
  );
}
