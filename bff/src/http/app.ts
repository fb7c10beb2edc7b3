import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, {
  type ErrorRequestHandler,
  type Express,
  type NextFunction,
  type Request,
  type Response,
} from 'express';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Path prefixes served by the API; everything else is the SPA. */
export const API_PREFIXES = ['/data', '/ims', '/healthz', '/api'] as const;

export interface AppOptions {
  /** Directory holding the built SPA (index.html + assets). Defaults to web/dist. */
  webDist?: string;
  /** Logger; defaults to pino at LOG_LEVEL (default "info"). */
  logger?: Logger;
}

const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export function isApiPath(urlPath: string): boolean {
  return API_PREFIXES.some((p) => urlPath === p || urlPath.startsWith(`${p}/`));
}

/** JSON error body. Never includes a stack trace. */
export interface ErrorBody {
  status: number;
  title: string;
  detail?: string;
}

export function sendError(res: Response, status: number, title: string, detail?: string): void {
  const body: ErrorBody = detail === undefined ? { status, title } : { status, title, detail };
  res.status(status).type('application/json').json(body);
}

export function createApp(options: AppOptions = {}): Express {
  const webDist = options.webDist ?? process.env.WEB_DIST ?? DEFAULT_WEB_DIST;
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });

  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger }));
  app.use(express.json({ limit: '10mb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Unknown API routes: JSON 404 (never the SPA).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (isApiPath(req.path)) {
      sendError(res, 404, 'Not Found', `No route for ${req.method} ${req.path}`);
      return;
    }
    next();
  });

  // Static SPA: hashed assets are immutable; index.html is always revalidated.
  app.use(
    express.static(webDist, {
      index: false,
      setHeaders(res, filePath) {
        if (filePath.includes(`${path.sep}assets${path.sep}`)) {
          res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        }
      },
    }),
  );

  // SPA fallback for client-side routes.
  const indexHtml = path.join(webDist, 'index.html');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    if (!existsSync(indexHtml)) {
      sendError(res, 503, 'Service Unavailable', 'The web app is not built (run: npm start).');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  });

  app.use((req: Request, res: Response) => {
    sendError(res, 404, 'Not Found', `No route for ${req.method} ${req.path}`);
  });

  const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const e = (typeof err === 'object' && err !== null ? err : {}) as {
      status?: unknown;
      statusCode?: unknown;
      message?: unknown;
      expose?: unknown;
    };
    const raw = typeof e.status === 'number' ? e.status : e.statusCode;
    const status = typeof raw === 'number' && raw >= 400 && raw < 600 ? raw : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    const detail =
      status < 500 && e.expose !== false && typeof e.message === 'string' ? e.message : undefined;
    sendError(res, status, status >= 500 ? 'Internal Server Error' : 'Bad Request', detail);
  };
  app.use(errorHandler);

  return app;
}
