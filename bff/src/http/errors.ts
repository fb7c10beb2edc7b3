/**
 * CONTRACT — API errors (segmentation-api.md §1.6). Stable; extend by adding helpers, never by
 * changing the shapes.
 *
 *   throw badRequest('detail', { report })      // → 400 {type, status, title, detail, report}
 *   throw notFound('Segment definition x not found')
 *   throw conflict(...), unprocessable(...), tooMany(detail, retryAfterSeconds), unavailable(...)
 *   throw gatewayError('403010')                 // → 403 {error_code, message} (shape 1)
 *
 * Shapes:
 *   shape 1 (gateway / header errors): `{error_code, message}` — thrown as `GatewayError`.
 *   shape 2 (every service error):     `{type, status, title, detail, ...extra}` — `ApiError`.
 *     `type` is `urn:seg:errors:<kebab-title>`; a missing ROUTE has type `urn:seg:errors:no-route`
 *     and a detail starting with "No route", a missing RESOURCE `urn:seg:errors:not-found`; both
 *     are 404 with title "NotFound".
 *
 * `errorMiddleware(log)` maps everything thrown (sync or async) to one of these shapes:
 *   - ApiError / GatewayError → their shape;
 *   - ZodError → 400 BadRequestError, `detail` lists the issues, `issues: [{path, message, code}]`;
 *   - body-parser errors → 400 (malformed JSON) / 413 (body too large) / 415 (charset);
 *   - anything else → 500 InternalServerError with a generic detail; the real error (stack, SQL)
 *     goes to the log only.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';

export const ERROR_TYPE_PREFIX = 'urn:seg:errors:';
export const NO_ROUTE_TYPE = `${ERROR_TYPE_PREFIX}no-route`;

const TITLES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'UnauthorizedError',
  403: 'ForbiddenError',
  404: 'NotFound',
  405: 'MethodNotAllowedError',
  409: 'ConflictError',
  413: 'PayloadTooLargeError',
  415: 'UnsupportedMediaTypeError',
  422: 'UnprocessableEntityError',
  429: 'TooManyRequestsError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
  504: 'GatewayTimeoutError',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError');
}

function kebab(title: string): string {
  return title
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/** Shape 2 body. */
export interface ApiErrorBody {
  type: string;
  status: number;
  title: string;
  detail: string;
  [extra: string]: unknown;
}

/** A service error answered with shape 2 `{type, status, title, detail, ...extra}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  /** Extra top-level fields of the body (e.g. `report`, `dependents`). */
  readonly extra: Record<string, unknown> | undefined;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    detail: string,
    options: {
      title?: string;
      type?: string;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ApiError';
    this.status = status;
    this.title = options.title ?? titleFor(status);
    this.detail = detail;
    this.type = options.type ?? `${ERROR_TYPE_PREFIX}${kebab(this.title)}`;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  body(): ApiErrorBody {
    return { type: this.type, status: this.status, title: this.title, detail: this.detail, ...this.extra };
  }
}

export const badRequest = (detail: string, extra?: Record<string, unknown>): ApiError =>
  new ApiError(400, detail, { extra });
export const unauthorized = (detail: string): ApiError => new ApiError(401, detail);
export const forbidden = (detail: string): ApiError => new ApiError(403, detail);
export const notFound = (detail: string, extra?: Record<string, unknown>): ApiError =>
  new ApiError(404, detail, { extra });
export const conflict = (detail: string, extra?: Record<string, unknown>): ApiError =>
  new ApiError(409, detail, { extra });
export const payloadTooLarge = (detail: string): ApiError => new ApiError(413, detail);
export const unprocessable = (detail: string, extra?: Record<string, unknown>): ApiError =>
  new ApiError(422, detail, { extra });
export const tooMany = (detail: string, retryAfterSeconds = 1): ApiError =>
  new ApiError(429, detail, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });
export const unavailable = (detail: string, retryAfterSeconds?: number): ApiError =>
  new ApiError(503, detail, retryAfterSeconds ? { headers: { 'Retry-After': String(retryAfterSeconds) } } : {});
export const noRoute = (method: string, path: string): ApiError =>
  new ApiError(404, `No route for ${method} ${path}`, { type: NO_ROUTE_TYPE, title: 'NotFound' });

// ------------------------------------------------------------------ shape 1: gateway errors

/** The documented gateway codes (troubleshooting guide) plus the sandbox-header codes we chose. */
export const GATEWAY_ERRORS = {
  '403010': { status: 403, message: 'Oauth token is missing.' },
  '401013': { status: 401, message: 'Oauth token is not valid' },
  '403000': { status: 403, message: 'Api Key is required' },
  '403003': { status: 403, message: 'Api Key is invalid' },
  '400003': { status: 400, message: 'Missing header' },
  '403025': { status: 403, message: 'Profile is not valid' },
  /** [decision] §11.27: missing x-sandbox-name → 400 in the gateway shape. */
  '400004': { status: 400, message: 'Missing header x-sandbox-name' },
  /** [decision] §11.27: unknown (or wrongly cased) sandbox → 403 in the gateway shape. */
  '403026': { status: 403, message: 'Sandbox is not valid' },
} as const;
export type GatewayCode = keyof typeof GATEWAY_ERRORS;

/** A gateway/header error answered with shape 1 `{error_code, message}`. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = status;
  }
  body(): { error_code: string; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

/** Shape 1 error; `message` defaults to the documented one for the code. */
export function gatewayError(code: GatewayCode, message?: string): GatewayError {
  const known = GATEWAY_ERRORS[code];
  return new GatewayError(code, message ?? known.message, known.status);
}

// ------------------------------------------------------------------ middleware

export function sendApiError(res: Response, err: ApiError | GatewayError): void {
  if (err instanceof ApiError && err.headers) res.set(err.headers);
  res.status(err.status).type('application/json').json(err.body());
}

function zodDetail(err: ZodError): { detail: string; issues: { path: string; message: string; code: string }[] } {
  const issues = err.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
    code: i.code,
  }));
  const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return { detail: `Invalid request: ${detail}`, issues };
}

/** Maps an unknown thrown value to the error we answer with. */
export function toHttpError(err: unknown): ApiError | GatewayError {
  if (err instanceof ApiError || err instanceof GatewayError) return err;
  if (err instanceof ZodError) {
    const { detail, issues } = zodDetail(err);
    return badRequest(detail, { issues });
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as { type?: unknown; status?: unknown };
  // body-parser (express.json / urlencoded) errors
  switch (e.type) {
    case 'entity.parse.failed':
      return badRequest('The request body is not valid JSON.');
    case 'entity.too.large':
      return payloadTooLarge('The request body is larger than the limit.');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError(415, 'Unsupported request body encoding.');
    case 'request.aborted':
      return badRequest('The request was aborted.');
    default:
      break;
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ApiError(e.status, 'The request could not be processed.');
  }
  return new ApiError(500, 'An internal error occurred. It has been logged.');
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const mapped = toHttpError(err);
    if (mapped.status >= 500) {
      const l = req.log ?? log;
      if (mapped === err) l.warn({ status: mapped.status, detail: mapped.message }, 'request answered with a server error');
      else l.error({ err }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendApiError(res, mapped);
  };
}
