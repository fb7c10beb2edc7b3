/**
 * Schedules (segmentation-api.md §7): `GET/POST /config/schedules`, `GET/PATCH/DELETE
 * /config/schedules/{id}`, and the §7.8 extension `POST /config/schedules/trigger`.
 *
 * Beside the documented fields a schedule carries `frequency` (§7.8), `nextRunTime` (RFC 3339, the
 * next firing when active) and `lastRun` (the last recorded firing: scheduled time, job id, error).
 */
import { z } from 'zod';
import { SandboxRef } from './foundation.js';

export const ScheduleType = z.enum(['batch_segmentation', 'export']);
export const ScheduleState = z.enum(['active', 'inactive']);

export const ScheduleCreate = z
  .object({
    name: z.string().trim().min(1, 'name must not be empty'),
    type: ScheduleType,
    properties: z.record(z.string(), z.unknown()),
    schedule: z.string().trim().min(1, 'schedule must not be empty'),
    state: ScheduleState.optional(),
    description: z.string().optional(),
  })
  .meta({ id: 'ScheduleCreate' });
export type ScheduleCreate = z.infer<typeof ScheduleCreate>;

export const SchedulePatch = z
  .array(z.object({ op: z.string(), path: z.string(), value: z.unknown().optional() }))
  .min(1, 'the JSON Patch must not be empty')
  .meta({ id: 'SchedulePatch' });

export const ScheduleFiring = z.object({
  scheduledTime: z.string(),
  firedTime: z.string(),
  trigger: z.enum(['cron', 'manual']),
  jobId: z.string().optional(),
  error: z.string().optional(),
});

export const Schedule = z
  .object({
    id: z.string(),
    imsOrgId: z.string(),
    sandbox: SandboxRef,
    name: z.string(),
    description: z.string().optional(),
    type: ScheduleType,
    schedule: z.string(),
    state: ScheduleState,
    properties: z.record(z.string(), z.unknown()),
    frequency: z.string(),
    nextRunTime: z.string().optional(),
    lastRun: ScheduleFiring.optional(),
    createEpoch: z.number().int(),
    updateEpoch: z.number().int(),
  })
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof Schedule>;

export const ScheduleList = z
  .object({
    _page: z.object({ totalCount: z.number().int(), pageSize: z.number().int(), next: z.string().optional() }),
    children: z.array(Schedule),
    _links: z.object({ next: z.object({ href: z.string() }).partial() }),
  })
  .meta({ id: 'ScheduleList' });

export const ScheduleTrigger = z.object({ id: z.string().min(1) }).meta({ id: 'ScheduleTrigger' });
