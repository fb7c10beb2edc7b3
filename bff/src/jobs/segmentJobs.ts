/**
 * Segment jobs (segmentation-api.md §4): creation, the API resource, cancellation, waiting.
 *
 * For other modules (export jobs, the scheduler):
 *
 *   createSegmentJob(services, { orgId, sandbox }, { segmentIds: string[] | '*', source, properties? })
 *       → SegmentJobRecord (status NEW). Throws ApiError 400 for unknown ids or an empty sandbox
 *         (`*` with no definitions), 429 when SEG_MAX_QUEUED_JOBS (100) jobs of the sandbox wait.
 *   waitForSegmentJob(services, orgId, sandboxId, jobId, signal?) → the record at a terminal state
 *       (SUCCEEDED, FAILED, CANCELLED); rejects with signal.reason when aborted.
 *
 * Behaviour (documented decisions):
 *  - The definitions referenced with inSegment (transitively) are pulled into the job and evaluated
 *    in the same pass; `segments` lists requested and pulled-in definitions (a snapshot of their
 *    expressions at creation, which is what the job evaluates).
 *  - A definition that does not check against the sandbox's schema, that is part of an inSegment
 *    cycle, or that depends on such a definition does NOT sink the job: the others are evaluated
 *    and written, each failure is an entry of `errors` ({code, msg, segmentId}) and that
 *    definition's previous membership stays. The job FAILS when no definition could be evaluated
 *    (or on an engine/IO error), with the real error in `errors`.
 *  - `*` lists every definition of the sandbox at creation; with more than 1500 the resource shows
 *    `segments: [{segmentId: '*'}]` (§4.1).
 */
import { randomUUID } from 'node:crypto';
import type { SegmentJob } from '@seg/shared';
import { getDefinitions, listAllDefinitions, type DefinitionRecord } from '../control/definitions.js';
import {
  getJob,
  insertJob,
  TERMINAL,
  transition,
  type JobRow,
  type JobSegmentSnapshot,
  type Scope,
} from '../control/jobs.js';
import { getSandbox, sandboxRef, type SandboxRecord } from '../control/sandboxes.js';
import { badRequest, notFound, tooMany } from '../http/errors.js';
import type { Services } from '../services.js';
import { getRunner } from './runner.js';

export type SegmentJobRecord = SegmentJob;

export const DEFAULT_MERGE_POLICY_ID = 'default';
const MAX_LISTED_SEGMENTS = 1500;
const UPS = '/data/core/ups';

function snapshot(d: DefinitionRecord, requested: boolean): JobSegmentSnapshot {
  const mergePolicyId = d.body.mergePolicyId ?? DEFAULT_MERGE_POLICY_ID;
  return {
    segmentId: d.id,
    segment: {
      id: d.id,
      version: 1,
      expression: { type: d.body.expression.type ?? 'PQL', format: d.body.expression.format, value: d.body.expression.value },
      mergePolicyId,
      mergePolicy: { id: mergePolicyId, version: 1 },
    },
    requested,
    segmentRefs: d.segmentRefs,
  };
}

/** The API resource of a job row. */
export function toResource(job: JobRow, sandbox: SandboxRecord): SegmentJobRecord {
  const segments =
    job.segments.length > MAX_LISTED_SEGMENTS
      ? [{ segmentId: '*' }]
      : job.segments.map((s) => ({ segmentId: s.segmentId, segment: s.segment }));
  return {
    id: job.id,
    imsOrgId: job.orgId,
    sandbox: sandboxRef(sandbox),
    profileInstanceId: 'ups',
    source: job.source,
    status: job.status,
    segments,
    metrics: { totalTime: {}, profileSegmentationTime: {}, ...job.metrics } as SegmentJobRecord['metrics'],
    errors: job.errors,
    requestId: job.requestId,
    schema: { name: '_xdm.context.profile' },
    properties: job.properties,
    _links: {
      cancel: { href: `${UPS}/segment/jobs/${job.id}`, method: 'DELETE' },
      checkStatus: { href: `${UPS}/segment/jobs/${job.id}`, method: 'GET' },
    },
    creationTime: job.createdAt,
    updateTime: job.updatedAt,
    updateEpoch: Math.floor(job.updatedAt / 1000),
  };
}

/** Resolves the requested definitions and everything they reference with inSegment. */
function resolveSegments(services: Services, scope: Scope, segmentIds: string[] | '*'): JobSegmentSnapshot[] {
  let requested: DefinitionRecord[];
  if (segmentIds === '*') {
    requested = listAllDefinitions(services.db, scope);
    if (requested.length === 0) throw badRequest('The sandbox has no segment definitions to evaluate.');
  } else {
    const ids = [...new Set(segmentIds)];
    if (ids.length === 0) throw badRequest('At least one segmentId is required.');
    const found = getDefinitions(services.db, scope, ids);
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length) throw badRequest(`Unknown segment definition id(s): ${unknown.join(', ')}`, { unknownSegmentIds: unknown });
    requested = ids.map((id) => found.get(id)!);
  }
  const out = new Map<string, JobSegmentSnapshot>();
  for (const d of requested) out.set(d.id, snapshot(d, true));
  let frontier = requested.flatMap((d) => d.segmentRefs).filter((id) => !out.has(id));
  while (frontier.length) {
    const found = getDefinitions(services.db, scope, frontier);
    const next: string[] = [];
    for (const id of new Set(frontier)) {
      const d = found.get(id);
      if (!d || out.has(id)) continue;
      out.set(id, snapshot(d, false));
      next.push(...d.segmentRefs.filter((r) => !out.has(r)));
    }
    frontier = next;
  }
  return [...out.values()];
}

export interface CreateJobContext {
  orgId: string;
  sandbox: SandboxRecord;
}

export interface CreateJobRequest {
  segmentIds: string[] | '*';
  source: 'api' | 'scheduler' | 'export';
  properties?: Record<string, unknown>;
  requestId?: string;
}

/** Creates a job (status NEW) and wakes the runner. Synchronous: safe inside a SQLite transaction. */
export function createSegmentJob(services: Services, ctx: CreateJobContext, request: CreateJobRequest): SegmentJobRecord {
  const scope = { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
  const segments = resolveSegments(services, scope, request.segmentIds);
  const { n } = services.db
    .prepare(`SELECT count(*) AS n FROM segment_jobs WHERE org_id = ? AND sandbox_id = ? AND status IN ('NEW', 'QUEUED')`)
    .get(scope.orgId, scope.sandboxId) as { n: number };
  if (n >= services.config.maxQueuedJobs) throw tooMany(`Too many segment jobs are waiting in this sandbox (${n}); try again later.`, 30);
  const now = services.now();
  const job: Omit<JobRow, 'seq' | 'commitState'> = {
    id: randomUUID(),
    orgId: ctx.orgId,
    sandboxId: ctx.sandbox.id,
    sandboxName: ctx.sandbox.name,
    status: 'NEW',
    source: request.source,
    requested: request.segmentIds === '*' ? '*' : [...new Set(request.segmentIds)],
    segments,
    properties: request.properties ?? {},
    metrics: { totalTime: {}, profileSegmentationTime: {} },
    errors: [],
    requestId: request.requestId ?? randomUUID(),
    createdAt: now,
    updatedAt: now,
  };
  insertJob(services.db, job);
  const row = getJob(services.db, scope, job.id)!;
  // after the caller's transaction (if any) commits
  setImmediate(() => getRunner(services).wake());
  return toResource(row, ctx.sandbox);
}

/** DELETE: a non-terminal job moves to CANCELLING (then CANCELLED); a terminal one is left alone. */
export function cancelSegmentJob(services: Services, ctx: CreateJobContext, jobId: string): void {
  const scope = { orgId: ctx.orgId, sandboxId: ctx.sandbox.id };
  const job = getJob(services.db, scope, jobId);
  if (!job) throw notFound(`Segment job ${jobId} not found`);
  if (TERMINAL.has(job.status) || job.status === 'CANCELLING') return;
  if (transition(services.db, jobId, ['NEW', 'QUEUED', 'PROCESSING'], 'CANCELLING', services.now())) {
    getRunner(services).cancel(jobId);
  }
}

export function getSegmentJob(services: Services, ctx: CreateJobContext, jobId: string): SegmentJobRecord | undefined {
  const job = getJob(services.db, { orgId: ctx.orgId, sandboxId: ctx.sandbox.id }, jobId);
  return job && toResource(job, ctx.sandbox);
}

/** Resolves with the job once it is SUCCEEDED, FAILED or CANCELLED. */
export async function waitForSegmentJob(
  services: Services,
  orgId: string,
  sandboxId: string,
  jobId: string,
  signal?: AbortSignal,
): Promise<SegmentJobRecord> {
  const runner = getRunner(services);
  for (;;) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    const job = getJob(services.db, { orgId, sandboxId }, jobId);
    if (!job) throw notFound(`Segment job ${jobId} not found`);
    if (TERMINAL.has(job.status)) {
      return toResource(job, jobSandbox(services, job));
    }
    await runner.changed(500, signal);
  }
}

/** The sandbox record of a job (a deleted sandbox is described from the job's own fields). */
export function jobSandbox(services: Services, job: JobRow): SandboxRecord {
  return (
    getSandbox(services.db, job.orgId, job.sandboxName) ?? {
      id: job.sandboxId,
      orgId: job.orgId,
      name: job.sandboxName,
      title: job.sandboxName,
      type: 'development',
      isDefault: false,
      createdAt: 0,
      updatedAt: 0,
      createdBy: '',
    }
  );
}
