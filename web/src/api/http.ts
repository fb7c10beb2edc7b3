/**
 * The one fetch wrapper of the studio. The browser holds only the httpOnly session cookie; this
 * adds the headers the API needs: `x-sandbox-name` on every API request but the session's (the sandbox
 * chosen in the header), `x-csrf-token` on mutations (the token of the session response), and
 * `Content-Type: application/json` on bodies. Errors become `ApiError` with the server's message.
 */
import type { LineColumnDiagnostic } from '../editor/diagnosticsTypes.ts';

export const apiState = {
  csrfToken: undefined as string | undefined,
  sandbox: 'prod',
};

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  /** PQL diagnostics of a 400 (line/column), when the server sent them. */
  readonly diagnostics: LineColumnDiagnostic[];
  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.diagnostics = extractDiagnostics(body);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asDiagnostic(v: unknown): LineColumnDiagnostic | undefined {
  if (!isObject(v)) return undefined;
  const line = v.line;
  const column = v.column;
  if (typeof line !== 'number' || typeof column !== 'number') return undefined;
  const message =
    typeof v.message === 'string' ? v.message : typeof v.msg === 'string' ? v.msg : 'Invalid PQL';
  return {
    message,
    line,
    column,
    ...(typeof v.endLine === 'number' ? { endLine: v.endLine } : {}),
    ...(typeof v.endColumn === 'number' ? { endColumn: v.endColumn } : {}),
    ...(typeof v.code === 'string' ? { code: v.code } : {}),
    ...(v.severity === 'warning' || v.severity === 'error' ? { severity: v.severity } : {}),
  };
}

/** Finds positioned diagnostics anywhere in an error body (`report`, `diagnostics`, `errors`, …). */
export function extractDiagnostics(body: unknown, depth = 0): LineColumnDiagnostic[] {
  if (depth > 4) return [];
  if (Array.isArray(body)) {
    const direct = body.map(asDiagnostic).filter((d): d is LineColumnDiagnostic => d !== undefined);
    if (direct.length) return direct;
    return body.flatMap((x) => extractDiagnostics(x, depth + 1));
  }
  if (!isObject(body)) return [];
  const own = asDiagnostic(body);
  if (own && depth > 0) return [own];
  const out: LineColumnDiagnostic[] = [];
  for (const v of Object.values(body))
    if (typeof v === 'object') out.push(...extractDiagnostics(v, depth + 1));
  return out;
}

/** The human message of an error body: shape 2 `detail`, shape 1 `message`, IMS `error_description`. */
export function errorMessage(status: number, body: unknown, fallback: string): string {
  if (isObject(body)) {
    for (const k of ['detail', 'message', 'error_description', 'title']) {
      const v = body[k];
      if (typeof v === 'string' && v.trim()) return v;
    }
  }
  return fallback || `Request failed (${status})`;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Overrides the current sandbox. */
  sandbox?: string;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Hook for a 401 (session expired): the app sends the user to the login page. */
export const unauthorizedListeners = new Set<() => void>();

export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  let url = path;
  if (options.query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query))
      if (v !== undefined && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (!path.startsWith('/api/session'))
    headers['x-sandbox-name'] = options.sandbox ?? apiState.sandbox;
  if (MUTATING.has(method) && apiState.csrfToken) headers['x-csrf-token'] = apiState.csrfToken;
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/session') for (const l of unauthorizedListeners) l();
    throw new ApiError(res.status, errorMessage(res.status, body, res.statusText), body);
  }
  return body as T;
}

/** Downloads a file of the API (with the sandbox header) and hands it to the browser as a file. */
export async function downloadFile(path: string, fileName: string): Promise<void> {
  const res = await fetch(path, {
    headers: { 'x-sandbox-name': apiState.sandbox },
    credentials: 'same-origin',
  });
  if (!res.ok) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, errorMessage(res.status, body, res.statusText), body);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** PUTs a file as application/octet-stream with upload progress (fetch has none). */
export function uploadFile(
  path: string,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('x-sandbox-name', apiState.sandbox);
    if (apiState.csrfToken) xhr.setRequestHeader('x-csrf-token', apiState.csrfToken);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      reject(new ApiError(xhr.status, errorMessage(xhr.status, body, xhr.statusText), body));
    };
    xhr.onerror = () => reject(new Error('The upload failed (network error).'));
    xhr.send(file);
  });
}
