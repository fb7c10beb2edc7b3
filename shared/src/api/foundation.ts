/**
 * API schemas of the foundation: error bodies (segmentation-api.md §1.6), the sandbox object
 * resources echo (§1.3), tokens, sandboxes (Adobe Sandbox API shape) and the studio session.
 */
import { z } from 'zod';

/** Shape 1: gateway and header errors. */
export const GatewayErrorBody = z
  .object({ error_code: z.string(), message: z.string() })
  .meta({ id: 'GatewayError', description: 'Gateway/header error (§1.6 shape 1)' });
export type GatewayErrorBody = z.infer<typeof GatewayErrorBody>;

/** Shape 2: every service error; extra fields (e.g. `report`, `issues`) may follow. */
export const ApiErrorBody = z
  .looseObject({
    type: z.string(),
    status: z.number().int(),
    title: z.string(),
    detail: z.string(),
  })
  .meta({ id: 'ApiError', description: 'Service error (§1.6 shape 2)' });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export const SandboxType = z.enum(['production', 'development']);
export type SandboxType = z.infer<typeof SandboxType>;

/** The sandbox object echoed by resources (§1.3). */
export const SandboxRef = z
  .object({ sandboxId: z.string(), sandboxName: z.string(), type: SandboxType, default: z.boolean() })
  .meta({ id: 'SandboxRef' });
export type SandboxRef = z.infer<typeof SandboxRef>;

// ------------------------------------------------------------------ IMS token

export const TokenRequest = z
  .object({
    grant_type: z.literal('client_credentials'),
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
    scope: z.string().optional(),
  })
  .meta({ id: 'TokenRequest' });

export const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    /** Seconds, as Adobe IMS v3 (OAuth server-to-server) answers. */
    expires_in: z.number().int(),
  })
  .meta({ id: 'TokenResponse' });
export type TokenResponse = z.infer<typeof TokenResponse>;

export const ImsErrorBody = z
  .object({ error: z.string(), error_description: z.string().optional() })
  .meta({ id: 'ImsError' });

// ------------------------------------------------------------------ sandboxes

export const SANDBOX_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,254}$/;

export const Sandbox = z
  .object({
    id: z.string(),
    name: z.string(),
    title: z.string(),
    state: z.literal('active'),
    type: SandboxType,
    region: z.string(),
    isDefault: z.boolean(),
    eTag: z.number().int(),
    createdDate: z.string(),
    lastModifiedDate: z.string(),
    createdBy: z.string(),
    lastModifiedBy: z.string(),
  })
  .meta({ id: 'Sandbox' });
export type Sandbox = z.infer<typeof Sandbox>;

export const SandboxCreate = z
  .object({
    name: z
      .string()
      .regex(SANDBOX_NAME_PATTERN, 'name must be lowercase letters, digits and hyphens, starting with a letter or digit (at most 255)'),
    title: z.string().trim().min(1).max(256),
    type: z.literal('development', { message: 'only development sandboxes can be created (prod exists already)' }),
  })
  .meta({ id: 'SandboxCreate' });
export type SandboxCreate = z.infer<typeof SandboxCreate>;

export const SandboxListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const Href = z.object({ href: z.string() });

export const SandboxList = z
  .object({
    sandboxes: z.array(Sandbox),
    _page: z.object({ limit: z.number().int(), count: z.number().int(), totalCount: z.number().int(), offset: z.number().int() }),
    _links: z.object({ next: z.union([Href, z.object({})]), prev: z.union([Href, z.object({})]) }),
  })
  .meta({ id: 'SandboxList' });
export type SandboxList = z.infer<typeof SandboxList>;

// ------------------------------------------------------------------ studio session

export const SessionLogin = z
  .object({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) })
  .meta({ id: 'SessionLogin' });

export const SessionInfo = z
  .object({
    user: z.string(),
    orgId: z.string(),
    csrfToken: z.string(),
    expiresAt: z.number().int(),
    sandboxes: z.array(SandboxRef.extend({ title: z.string() })),
  })
  .meta({ id: 'SessionInfo' });
export type SessionInfo = z.infer<typeof SessionInfo>;

// ------------------------------------------------------------------ health

export const Health = z
  .object({
    status: z.enum(['ok', 'starting', 'failed']),
    /** Where segments are evaluated: the embedded DuckDB or PostgreSQL (SEG_ENGINE). */
    engine: z.enum(['duckdb', 'postgres']),
    progress: z.object({ state: z.string(), stage: z.string().optional(), elapsedMs: z.number().optional() }).optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'Health' });
