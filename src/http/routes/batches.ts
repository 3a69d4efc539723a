import { Router, type Request, type RequestHandler } from 'express';
import type { GatewayConfig } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import { isBatchId } from '../../core/ids.js';
import { BatchRequestSchema } from '../../core/job-schema.js';
import type { BatchService } from '../../jobs/batch-service.js';
import { toBatchDocument } from '../../core/batch-view.js';
import { zodToFieldErrors } from '../../jobs/field-errors.js';
import { baseUrl } from '../base-url.js';
import type { HeldRequests } from '../held-requests.js';
import { jsonBody } from '../middleware/json-body.js';
import { requireWholeRequest } from '../middleware/whole-request.js';
import { setRateLimitHeaders } from '../rate-limit-headers.js';
import { clientGone } from '../respond-job.js';
import { parseWait, refusePrototypeKeys } from './jobs.js';

/** POST /v1/batches (several submits, all or none) and GET /v1/batches/{id} (with ?wait=). */
export function batchesRouter(config: GatewayConfig, service: BatchService, idempotency: RequestHandler, held: HeldRequests): Router {
  const router = Router();
  const settings = config.server;
  const base = (req: Request) => baseUrl(req, settings.publicUrl);

  router.post('/v1/batches', jsonBody(settings.maxBatchBytes), requireWholeRequest, idempotency, async (req, res) => {
    const items: unknown = (req.body as { jobs?: unknown } | null)?.jobs;
    if (Array.isArray(items)) items.forEach((item, i) => refusePrototypeKeys(item, `/jobs/${i}`));
    const parsed = BatchRequestSchema.safeParse(req.body);
    if (!parsed.success) throw new ApiError('validation_failed', 'the batch request is invalid', { errors: zodToFieldErrors(parsed.error.issues) });
    const { view, last } = await service.submit({ tenant: req.ctx.tenant, correlationId: req.ctx.correlationId, trace: req.ctx.trace }, parsed.data);
    const doc = toBatchDocument(view, base(req));
    setRateLimitHeaders(res, last.rateLimit);
    res.setHeader('Location', doc.links.self);
    res.setHeader('Retry-After', String(settings.pollAfterSeconds));
    res.status(202).json(doc);
  });

  router.get('/v1/batches/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!isBatchId(id)) throw new ApiError('batch_not_found', 'no such batch');
    const waitSeconds = parseWait(req.query.wait);
    let view = await service.get(req.ctx.tenant, id);
    const doc = toBatchDocument(view, base(req));
    if (waitSeconds > 0 && doc.status !== 'completed') {
      view = await held.around(req.ctx.tenant, 'long_poll', () => service.waitForEnd(req.ctx.tenant, id, waitSeconds, clientGone(res)));
    }
    const answer = toBatchDocument(view, base(req));
    if (answer.status !== 'completed') res.setHeader('Retry-After', String(settings.pollAfterSeconds));
    res.json(answer);
  });

  return router;
}
