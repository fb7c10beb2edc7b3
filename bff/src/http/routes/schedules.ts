/**
 * Schedules under /data/core/ups (segmentation-api.md §7; firing rules in jobs/scheduler.ts):
 *
 *   GET    /config/schedules            start (default 0), limit (default 100) → {_page, children, _links}
 *   POST   /config/schedules            {name, type, properties, schedule, state?} → 200
 *          batch_segmentation: properties.segments ["*"] or definition ids (unknown → 400);
 *          export: properties.exportJob = the body of POST /export/jobs ([decision] §11.16).
 *          schedule: Quartz cron, 6–7 fields, UTC; 400 naming the field when invalid, when it never
 *          fires, or when it fires more often than every SEG_SCHEDULE_MIN_INTERVAL_MINUTES (15).
 *   GET    /config/schedules/{id}       200 | 404
 *   PATCH  /config/schedules/{id}       JSON Patch: op add|replace on /state or /schedule only → 204
 *   DELETE /config/schedules/{id}       204 | 404
 *   POST   /config/schedules/trigger    {id} (§7.8): fire now → 200, no content
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { Schedule, ScheduleCreate, ScheduleList, SchedulePatch, ScheduleTrigger } from '@seg/shared';
import { getDefinitions } from '../../control/definitions.js';
import { sandboxRef } from '../../control/sandboxes.js';
import {
  deleteSchedule,
  getSchedule,
  insertSchedule,
  lastFiring,
  listSchedules,
  updateSchedule,
  type ScheduleRow,
} from '../../control/schedules.js';
import { CronError, frequencyOf, minIntervalMs, parseQuartz } from '../../jobs/cron.js';
import { getScheduler } from '../../jobs/scheduler.js';
import type { Services } from '../../services.js';
import { requestContext, type RequestContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { DATA_HEADERS, errorResponses, jsonBody, jsonResponse, registerRoute } from '../openapi.js';

const BASE = '/data/core/ups';
const TAGS = ['Schedules'];
const IdParams = z.object({ SCHEDULE_ID: z.string() });
const ListQuery = z.object({
  start: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1, 'limit must be positive').max(1000).optional(),
});

registerRoute({
  method: 'get',
  path: `${BASE}/config/schedules`,
  summary: 'List schedules',
  tags: TAGS,
  request: { headers: DATA_HEADERS, query: ListQuery },
  responses: { 200: jsonResponse('A page of schedules', ScheduleList), ...errorResponses(400) },
});
registerRoute({
  method: 'post',
  path: `${BASE}/config/schedules`,
  summary: 'Create a schedule (Quartz cron, UTC)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(ScheduleCreate) },
  responses: { 200: jsonResponse('The schedule', Schedule), ...errorResponses(400) },
});
registerRoute({
  method: 'get',
  path: `${BASE}/config/schedules/{SCHEDULE_ID}`,
  summary: 'Get a schedule',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams },
  responses: { 200: jsonResponse('The schedule', Schedule), ...errorResponses(404) },
});
registerRoute({
  method: 'patch',
  path: `${BASE}/config/schedules/{SCHEDULE_ID}`,
  summary: 'Update a schedule (JSON Patch add/replace on /state and /schedule)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams, ...jsonBody(SchedulePatch) },
  responses: { 204: { description: 'Updated' }, ...errorResponses(400, 404) },
});
registerRoute({
  method: 'delete',
  path: `${BASE}/config/schedules/{SCHEDULE_ID}`,
  summary: 'Delete a schedule',
  tags: TAGS,
  request: { headers: DATA_HEADERS, params: IdParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(404) },
});
registerRoute({
  method: 'post',
  path: `${BASE}/config/schedules/trigger`,
  summary: 'Run a schedule now (Flexible Batch Schedules extension, §7.8)',
  tags: TAGS,
  request: { headers: DATA_HEADERS, ...jsonBody(ScheduleTrigger) },
  responses: { 200: { description: 'Fired (the job is listed with property=properties.scheduleId==<id>)' }, ...errorResponses(400, 404, 409) },
});

/**
 * Validates a cron expression for a schedule; 400 naming the field. `minIntervalMinutes` is
 * config.scheduleMinIntervalMinutes (SEG_SCHEDULE_MIN_INTERVAL_MINUTES).
 */
export function validateSchedule(expression: unknown, fromMs: number, minIntervalMinutes: number): string {
  if (typeof expression !== 'string' || expression.trim() === '') throw badRequest('schedule must be a non-empty Quartz cron expression.', { field: 'schedule' });
  let cron;
  try {
    cron = parseQuartz(expression);
  } catch (err) {
    if (err instanceof CronError) throw badRequest(`Invalid schedule: ${err.message}`, { field: 'schedule', cronField: err.field ?? null });
    throw err;
  }
  if (cron.next(fromMs) === undefined) throw badRequest(`Invalid schedule: "${expression}" never fires after now.`, { field: 'schedule' });
  const min = minIntervalMinutes;
  const gap = minIntervalMs(cron, fromMs);
  if (gap !== undefined && gap < min * 60_000) {
    throw badRequest(
      `Invalid schedule: "${expression}" fires every ${gap / 60_000} minute(s); the minimum interval between firings is ${min} minutes (SEG_SCHEDULE_MIN_INTERVAL_MINUTES).`,
      { field: 'schedule' },
    );
  }
  return cron.expression;
}

function toResource(services: Services, s: ScheduleRow, ctx: RequestContext, clock: number) {
  let frequency = 'custom';
  let nextRunTime: string | undefined;
  try {
    const cron = parseQuartz(s.schedule);
    frequency = frequencyOf(cron, clock);
    const n = s.state === 'active' ? cron.next(clock) : undefined;
    if (n !== undefined) nextRunTime = new Date(n).toISOString();
  } catch {
    /* stored expressions are valid */
  }
  const last = lastFiring(services.db, s.id);
  return {
    id: s.id,
    imsOrgId: s.orgId,
    sandbox: sandboxRef(ctx.sandbox),
    name: s.name,
    ...(s.description !== undefined ? { description: s.description } : {}),
    type: s.type,
    schedule: s.schedule,
    state: s.state,
    properties: s.properties,
    frequency,
    ...(nextRunTime ? { nextRunTime } : {}),
    ...(last
      ? {
          lastRun: {
            scheduledTime: new Date(last.scheduledTime).toISOString(),
            firedTime: new Date(last.firedAt).toISOString(),
            trigger: last.trigger,
            ...(last.jobId ? { jobId: last.jobId } : {}),
            ...(last.error ? { error: last.error } : {}),
          },
        }
      : {}),
    createEpoch: Math.floor(s.createdAt / 1000),
    updateEpoch: Math.floor(s.updatedAt / 1000),
  };
}

function validateProperties(services: Services, ctx: RequestContext, type: ScheduleRow['type'], properties: Record<string, unknown>): void {
  if (type === 'batch_segmentation') {
    const segs = properties.segments;
    if (!Array.isArray(segs) || segs.length === 0 || !segs.every((x) => typeof x === 'string' && x.length > 0)) {
      throw badRequest('properties.segments is required for a batch_segmentation schedule: ["*"] or a list of segment definition ids.', {
        field: 'properties.segments',
      });
    }
    const ids = segs as string[];
    if (ids.includes('*')) {
      if (ids.length > 1) throw badRequest('properties.segments: "*" cannot be combined with ids.', { field: 'properties.segments' });
      return;
    }
    const found = getDefinitions(services.db, { orgId: ctx.orgId, sandboxId: ctx.sandbox.id }, ids);
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length) throw badRequest(`properties.segments: unknown segment definition id(s): ${unknown.join(', ')}`, { field: 'properties.segments' });
  } else {
    const body = properties.exportJob;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('properties.exportJob is required for an export schedule: the body of POST /export/jobs.', { field: 'properties.exportJob' });
    }
  }
}

export function schedulesRouter(services: Services): Router {
  const router = Router();
  const scheduler = getScheduler(services);
  const scopeOf = (ctx: RequestContext) => ({ orgId: ctx.orgId, sandboxId: ctx.sandbox.id });

  router.get('/config/schedules', (req, res) => {
    const ctx = requestContext(res);
    const q = ListQuery.parse(req.query);
    const start = q.start ?? 0;
    const limit = q.limit ?? 100;
    const { items, total } = listSchedules(services.db, scopeOf(ctx), start, limit);
    const clock = scheduler.clock();
    const nextStart = start + items.length;
    const next = nextStart < total && items.length > 0 ? `/config/schedules?start=${nextStart}&limit=${limit}` : undefined;
    res.json({
      _page: { totalCount: total, pageSize: items.length, ...(next ? { next: String(nextStart) } : {}) },
      children: items.map((s) => toResource(services, s, ctx, clock)),
      _links: { next: next ? { href: next } : {} },
    });
  });

  router.post('/config/schedules/trigger', async (req, res) => {
    const ctx = requestContext(res);
    const body = ScheduleTrigger.parse(req.body);
    const s = getSchedule(services.db, scopeOf(ctx), body.id);
    if (!s) throw notFound(`Schedule ${body.id} not found`);
    const f = await scheduler.trigger(s);
    if (!f) throw badRequest('The schedule was triggered at this same instant already; try again.');
    res.status(200).end();
  });

  router.post('/config/schedules', (req, res) => {
    const ctx = requestContext(res);
    const body = ScheduleCreate.parse(req.body);
    const clock = scheduler.clock();
    const schedule = validateSchedule(body.schedule, clock, services.config.scheduleMinIntervalMinutes);
    validateProperties(services, ctx, body.type, body.properties);
    const now = services.now();
    const row: ScheduleRow = {
      id: randomUUID(),
      orgId: ctx.orgId,
      sandboxId: ctx.sandbox.id,
      sandboxName: ctx.sandbox.name,
      name: body.name,
      description: body.description,
      type: body.type,
      schedule,
      state: body.state ?? 'inactive',
      properties: body.properties,
      anchorMs: clock,
      createdAt: now,
      updatedAt: now,
    };
    insertSchedule(services.db, row);
    res.status(200).json(toResource(services, row, ctx, clock));
  });

  router.get('/config/schedules/:id', (req, res) => {
    const ctx = requestContext(res);
    const s = getSchedule(services.db, scopeOf(ctx), req.params.id);
    if (!s) throw notFound(`Schedule ${req.params.id} not found`);
    res.json(toResource(services, s, ctx, scheduler.clock()));
  });

  router.patch('/config/schedules/:id', (req, res) => {
    const ctx = requestContext(res);
    const s = getSchedule(services.db, scopeOf(ctx), req.params.id);
    if (!s) throw notFound(`Schedule ${req.params.id} not found`);
    const ops = SchedulePatch.parse(req.body);
    const clock = scheduler.clock();
    const patch: { state?: string; schedule?: string; anchorMs?: number } = {};
    ops.forEach((op, i) => {
      if (op.op !== 'add' && op.op !== 'replace') throw badRequest(`Operation ${i}: op "${op.op}" is not supported; use "add" or "replace".`, { field: `${i}.op` });
      if (op.path === '/state') {
        if (op.value !== 'active' && op.value !== 'inactive') throw badRequest(`Operation ${i}: /state must be "active" or "inactive".`, { field: `${i}.value` });
        patch.state = op.value;
      } else if (op.path === '/schedule') {
        patch.schedule = validateSchedule(op.value, clock, services.config.scheduleMinIntervalMinutes);
      } else {
        throw badRequest(`Operation ${i}: path "${op.path}" cannot be changed; only /state and /schedule.`, { field: `${i}.path` });
      }
    });
    const activated = patch.state === 'active' && s.state !== 'active';
    const rescheduled = patch.schedule !== undefined && patch.schedule !== s.schedule;
    if (activated || rescheduled) patch.anchorMs = clock;
    updateSchedule(services.db, scopeOf(ctx), s.id, patch, services.now());
    res.status(204).end();
  });

  router.delete('/config/schedules/:id', (req, res) => {
    const ctx = requestContext(res);
    if (!deleteSchedule(services.db, scopeOf(ctx), req.params.id)) throw notFound(`Schedule ${req.params.id} not found`);
    res.status(204).end();
  });

  return router;
}
