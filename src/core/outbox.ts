import { z } from 'zod';
import { JOB_STATUSES, WebhookEventSchema } from './job-schema.js';

/**
 * What a job's state change still has to do on other hash slots, written by the same
 * script as the change into its target's outbox (src/core/scripts/transition.lua) and
 * carried out by the OutboxRelay. Each effect is idempotent, so carrying one out twice
 * (a relay that died before deleting the entry) changes nothing.
 */
/** A step's route's job (see ParentRef in job-record.ts). */
const ParentSchema = z.object({ id: z.string(), route: z.string(), step: z.number().int().min(0) });

export const OutboxEntrySchema = z.discriminatedUnion('kind', [
  z.object({
    /** The job ended: free its tenant's in-flight slot, and queue its webhook when `webhook` is set. */
    kind: z.literal('ended'),
    id: z.string(),
    tenant: z.string(),
    status: z.enum(JOB_STATUSES.filter((s) => s !== 'queued' && s !== 'running') as ['succeeded', 'failed', 'canceled']),
    /** The end's time: part of the webhook's stable message id. */
    at: z.number(),
    /** For the logs of the effects. */
    correlationId: z.string(),
    webhook: WebhookEventSchema.optional(),
    /** The job's batch: its end is taken off the batch's pending set (the last one completes it). */
    batch: z.string().optional(),
    /** A route's step: its route's job hears of the end (step-changed.lua), and moves on. */
    parent: ParentSchema.optional(),
  }),
  z.object({
    /** A route's step made its first attempt (start-attempt.lua): its route's job hears of it. */
    kind: z.literal('stepStarted'),
    id: z.string(),
    parent: ParentSchema,
    at: z.number(),
  }),
  z.object({
    /** In a route's outbox (step-changed.lua): one of its steps changed, so the route's job moves on (RouteConductor). */
    kind: z.literal('advance'),
    id: z.string(),
    at: z.number(),
  }),
  z.object({
    /** A finished job runs again (an admin replay): it takes an in-flight slot of its tenant again. */
    kind: z.literal('reopened'),
    id: z.string(),
    tenant: z.string(),
    at: z.number(),
    /** A route's step: its route's job hears that it runs again (and re-opens when that repairs it). */
    parent: ParentSchema.optional(),
  }),
]);

export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

/**
 * The webhook message id of a job's end: stable across retries of that message (BullMQ
 * ignores a second enqueue of it while it is pending), new when a replayed job ends again.
 */
export function webhookMessageId(jobId: string, endedAtMs: number): string {
  return `msg_${jobId.slice(4)}_${endedAtMs.toString(36)}`;
}
