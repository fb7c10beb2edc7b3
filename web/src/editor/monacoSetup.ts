/**
 * Monaco, bundled locally (no CDN): the editor API with the contributions the PQL editor uses,
 * the editor worker, and the PQL language registered from the shared language core. Imported
 * only by PqlEditor.tsx, which the builder page loads lazily, so none of this is in the first
 * page's JavaScript.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/editor/browser/coreCommands';
import 'monaco-editor/editor/browser/widget/codeEditor/codeEditorWidget';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/editor/contrib/snippet/browser/snippetController2';
import 'monaco-editor/editor/contrib/hover/browser/hoverContribution';
import 'monaco-editor/editor/contrib/gotoError/browser/gotoError';
import 'monaco-editor/editor/contrib/format/browser/formatActions';
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/contextmenu/browser/contextmenu';
import 'monaco-editor/editor/contrib/linesOperations/browser/linesOperations';
import 'monaco-editor/editor/contrib/wordOperations/browser/wordOperations';
import 'monaco-editor/editor/contrib/cursorUndo/browser/cursorUndo';
import 'monaco-editor/editor/contrib/multicursor/browser/multicursor';
import 'monaco-editor/editor/standalone/browser/quickAccess/standaloneCommandsQuickAccess';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { loader } from '@monaco-editor/react';
import type { DataSchema } from '@seg/shared';
import {
  completionsAt,
  formatText,
  hoverAt,
  tokenizeLine,
  type LineState,
  type SuggestionKind,
} from './pqlAdapter.ts';

export const PQL = 'pql';

self.MonacoEnvironment = { getWorker: () => new EditorWorker() };
loader.config({ monaco });

let currentSchema: DataSchema | undefined;
/** The schema completions and hover use (the current sandbox's). */
export function setPqlSchema(schema: DataSchema | undefined): void {
  currentSchema = schema;
}

class PqlState implements monaco.languages.IState {
  constructor(readonly inner: LineState) {}
  clone(): monaco.languages.IState {
    return new PqlState(this.inner);
  }
  equals(other: monaco.languages.IState): boolean {
    return other instanceof PqlState && other.inner.inComment === this.inner.inComment;
  }
}

const KIND: Record<SuggestionKind, monaco.languages.CompletionItemKind> = {
  field: monaco.languages.CompletionItemKind.Field,
  method: monaco.languages.CompletionItemKind.Method,
  function: monaco.languages.CompletionItemKind.Function,
  keyword: monaco.languages.CompletionItemKind.Keyword,
  unit: monaco.languages.CompletionItemKind.Unit,
  operator: monaco.languages.CompletionItemKind.Operator,
  snippet: monaco.languages.CompletionItemKind.Snippet,
};

let registered = false;

export function registerPql(): typeof monaco {
  if (registered) return monaco;
  registered = true;
  monaco.languages.register({ id: PQL, aliases: ['PQL', 'Profile Query Language'] });
  monaco.languages.setLanguageConfiguration(PQL, {
    brackets: [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ],
    autoClosingPairs: [
      { open: '(', close: ')' },
      { open: '[', close: ']' },
      { open: '{', close: '}' },
      { open: '"', close: '"', notIn: ['string'] },
    ],
    surroundingPairs: [
      { open: '(', close: ')' },
      { open: '[', close: ']' },
      { open: '"', close: '"' },
    ],
    wordPattern: /[\p{L}_][\p{L}\p{Nd}_]*|-?\d+(?:\.\d+)?/u,
  });

  // highlighting: the shared lexer's tokens, line by line
  monaco.languages.setTokensProvider(PQL, {
    getInitialState: () => new PqlState({ inComment: false }),
    tokenize: (line, state) => {
      const { tokens, endState } = tokenizeLine(line, (state as PqlState).inner);
      return {
        tokens: tokens.map((t) => ({ startIndex: t.startIndex, scopes: `${t.scopes}.pql` })),
        endState: new PqlState(endState),
      };
    },
  });

  monaco.languages.registerCompletionItemProvider(PQL, {
    triggerCharacters: ['.', ' ', '[', '('],
    provideCompletionItems: (model, position) => {
      const text = model.getValue();
      const offset = model.getOffsetAt(position);
      const { items, replace } = completionsAt(text, offset, currentSchema);
      const s = model.getPositionAt(replace.start);
      const e = model.getPositionAt(replace.end);
      const range = new monaco.Range(s.lineNumber, s.column, e.lineNumber, e.column);
      return {
        suggestions: items.map((i) => ({
          label: i.label,
          kind: KIND[i.kind],
          insertText: i.insertText,
          range,
          ...(i.detail ? { detail: i.detail } : {}),
          ...(i.documentation ? { documentation: { value: i.documentation } } : {}),
          ...(i.sortText ? { sortText: `${i.sortText}${i.label}` } : {}),
          ...(i.isSnippet
            ? { insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet }
            : {}),
        })),
      };
    },
  });

  monaco.languages.registerHoverProvider(PQL, {
    provideHover: (model, position) => {
      const text = model.getValue();
      const h = hoverAt(text, model.getOffsetAt(position), currentSchema);
      if (!h) return null;
      const s = model.getPositionAt(h.start);
      const e = model.getPositionAt(h.end);
      return {
        contents: h.contents.map((value) => ({ value })),
        range: new monaco.Range(s.lineNumber, s.column, e.lineNumber, e.column),
      };
    },
  });

  monaco.languages.registerDocumentFormattingEditProvider(PQL, {
    provideDocumentFormattingEdits: (model) => {
      const formatted = formatText(model.getValue());
      if (formatted === null) return [];
      return [{ range: model.getFullModelRange(), text: formatted }];
    },
  });

  monaco.editor.defineTheme('pql-light', {
    base: 'vs',
    inherit: true,
    rules: [
      { token: 'keyword.pql', foreground: '7c3aed', fontStyle: 'bold' },
      { token: 'function.pql', foreground: '0f62fe' },
      { token: 'type.pql', foreground: 'b45309' },
      { token: 'string.pql', foreground: '15803d' },
      { token: 'number.pql', foreground: 'c2410c' },
      { token: 'operator.pql', foreground: '374151' },
      { token: 'comment.pql', foreground: '6b7280', fontStyle: 'italic' },
      { token: 'invalid.pql', foreground: 'dc2626', fontStyle: 'underline' },
      { token: 'variable.pql', foreground: '9333ea' },
    ],
    colors: {},
  });
  return monaco;
}

export { monaco };
