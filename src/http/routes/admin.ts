import { Router, type Request } from 'express';
import { z } from 'zod';
import type { GatewayConfig } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import { isJobId, JOB_ID } from '../../core/ids.js';
import type { AdminService } from '../../jobs/admin-service.js';
import { zodToFieldErrors } from '../../jobs/field-errors.js';
import { baseUrl } from '../base-url.js';
import { toDocument } from '../../core/job-view.js';
import { jsonBody } from '../middleware/json-body.js';

const BulkSchema = z
  .strictObject({
    ids: z.array(z.string().regex(JOB_ID, 'not a job id')).min(1).max(1_000).optional(),
    all: z.literal(true).optional(),
    target: z.string().optional(),
  })
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), { message: 'give either ids or all: true', path: ['ids'] });

const CircuitRequestSchema = z.strictObject({ state: z.enum(['open', 'closed']) });

/**
 * Operator endpoints. Open while the gateway runs without API keys; the admin
 * role guards them once keys are configured.
 */
export function adminRouter(config: GatewayConfig, admin: AdminService): Router {
  const router = Router();
  const base = (req: Request) => baseUrl(req, config.server.publicUrl);
  const deadLetterId = (req: Request) => {
    const id = String(req.params.id);
    if (!isJobId(id)) throw new ApiError('dead_letter_not_found', 'no such dead letter');
    return id;
  };

  router.get('/v1/admin/targets', async (_req, res) => {
    res.json({ items: await admin.targets() });
  });
  router.get('/v1/admin/targets/:target', async (req, res) => {
    res.json(await admin.targetView(String(req.params.target)));
  });
  router.post('/v1/admin/targets/:target/pause', async (req, res) => {
    res.json(await admin.setPaused(String(req.params.target), true));
  });
  router.post('/v1/admin/targets/:target/resume', async (req, res) => {
    res.json(await admin.setPaused(String(req.params.target), false));
  });

  router.post('/v1/admin/targets/:target/circuit', jsonBody(1_024), async (req, res) => {
    const parsed = CircuitRequestSchema.safeParse(req.body);
    if (!parsed.success) throw new ApiError('validation_failed', 'the circuit request is invalid', { errors: zodToFieldErrors(parsed.error.issues) });
    res.json(await admin.setCircuit(String(req.params.target), parsed.data.state));
  });

  router.get('/v1/admin/targets/:target/jobs', async (req, res) => {
    const view = req.query.view ?? 'live';
    if (view !== 'live' && view !== 'recent') throw new ApiError('invalid_parameter', 'view is live or recent');
    const limit = intParam(req.query.limit, 50, 1, 200, 'limit');
    const records = await admin.targetJobs(String(req.params.target), view, limit);
    res.json({ items: records.map((r) => toDocument(r, base(req))) });
  });
  router.get('/v1/admin/jobs/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!isJobId(id)) throw new ApiError('job_not_found', `no job ${id}`);
    const timeline = await admin.job(id);
    const job = toDocument(timeline.record, base(req));
    const viewer = config.tracing.viewerUrl;
    const traceUrl = viewer ? viewer.replaceAll('{traceId}', job.traceId) : null;
    res.json({ job, tenant: timeline.record.tenant, attempts: timeline.attempts, deliveries: timeline.deliveries, traceUrl });
  });
  router.get('/v1/admin/activity', async (req, res) => {
    const minutes = intParam(req.query.minutes, 60, 1, 1_440, 'minutes');
    res.json({ bucketSeconds: 60, targets: await admin.activitySeries(minutes) });
  });

  router.get('/v1/admin/dead-letters', async (req, res) => {
    const limit = intParam(req.query.limit, 50, 1, 500, 'limit');
    const offset = intParam(req.query.offset, 0, 0, 1_000_000, 'offset');
    const target = typeof req.query.target === 'string' ? req.query.target : undefined;
    const page = await admin.listDeadLetters(offset, limit, target);
    res.json({ items: page.items.map((r) => toDocument(r, base(req))), total: page.total });
  });
  router.get('/v1/admin/dead-letters/:id', async (req, res) => {
    const dl = await admin.deadLetter(deadLetterId(req));
    res.json({ job: toDocument(dl.record, base(req)), attempts: dl.attempts });
  });
  router.post('/v1/admin/dead-letters/:id/replay', async (req, res) => {
    const record = await admin.replay(deadLetterId(req));
    res.status(202).json(toDocument(record, base(req)));
  });
  router.delete('/v1/admin/dead-letters/:id', async (req, res) => {
    await admin.purge(deadLetterId(req));
    res.status(204).end();
  });
  router.get('/v1/admin/webhook-dead-letters', async (req, res) => {
    const limit = intParam(req.query.limit, 50, 1, 500, 'limit');
    const offset = intParam(req.query.offset, 0, 0, 1_000_000, 'offset');
    const page = await admin.listWebhookDeadLetters(offset, limit);
    res.json({ items: page.items.map((r) => toDocument(r, base(req))), total: page.total });
  });
  router.post('/v1/admin/webhook-dead-letters/:id/redeliver', async (req, res) => {
    const record = await admin.redeliver(deadLetterId(req));
    res.status(202).json(toDocument(record, base(req)));
  });
  router.delete('/v1/admin/webhook-dead-letters/:id', async (req, res) => {
    await admin.purgeWebhook(deadLetterId(req));
    res.status(204).end();
  });

  for (const action of ['replay', 'purge'] as const) {
    router.post(`/v1/admin/dead-letters/${action}`, jsonBody(256 * 1024), async (req, res) => {
      const parsed = BulkSchema.safeParse(req.body);
      if (!parsed.success) throw new ApiError('validation_failed', 'invalid bulk request', { errors: zodToFieldErrors(parsed.error.issues) });
      const result = await admin.bulk(action, parsed.data.ids, parsed.data.target);
      res.json(action === 'replay' ? { replayed: result.done, notFound: result.notFound } : { purged: result.done, notFound: result.notFound });
    });
  }
  return router;
}

function intParam(raw: unknown, dflt: number, min: number, max: number, name: string): number {
  if (raw === undefined) return dflt;
  if (typeof raw !== 'string' || !/^\d{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ApiError('invalid_parameter', `${name} must be an integer from ${min} to ${max}`);
  }
  return Number(raw);
}
