import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { GatewayConfig } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import { isJobId } from '../../core/ids.js';
import { HttpResultSchema, JOB_STATUSES, SubmitRequestSchema, isTerminal, type JobStatus } from '../../core/job-schema.js';
import type { JobRecord } from '../../core/job-record.js';
import type { ListFilter } from '../../core/tenant-job-list.js';
import type { JobService } from '../../jobs/job-service.js';
import { zodToFieldErrors } from '../../jobs/field-errors.js';
import { baseUrl } from '../base-url.js';
import { toDocument } from '../../core/job-view.js';
import type { HeldRequests } from '../held-requests.js';
import { jsonBody } from '../middleware/json-body.js';
import { requireWholeRequest } from '../middleware/whole-request.js';
import { clientGone, respondToSubmit } from '../respond-job.js';
import { streamJobEvents } from '../job-events-stream.js';
import type { JobDeferrals } from '../../jobs/job-deferrals.js';

/** Room for the envelope (target, metadata, ...) around the largest input any target accepts. */
const ENVELOPE_BYTES = 64 * 1024;

export function jobsRouter(config: GatewayConfig, service: JobService, idempotency: RequestHandler, held: HeldRequests, deferrals: JobDeferrals): Router {
  const router = Router();
  const settings = config.server;
  const maxInput = Math.max(...[...config.targets.values()].map((t) => t.maxBodyBytes));
  const base = (req: Request) => baseUrl(req, settings.publicUrl);

  const load = (req: Request): Promise<JobRecord> => {
    const id = String(req.params.id);
    // Ids are checked before Redis is asked: a path trick or a key pattern is a plain 404.
    if (!isJobId(id)) throw new ApiError('job_not_found', 'no such job');
    return service.get(req.ctx.tenant, id);
  };

  router.post('/v1/jobs', jsonBody(maxInput + ENVELOPE_BYTES), requireWholeRequest, idempotency, async (req, res) => {
    refusePrototypeKeys(req.body);
    const parsed = SubmitRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'the job request is invalid', { errors: zodToFieldErrors(parsed.error.issues) });
    }
    const admitted = await service.submit(await service.commandFor(req.ctx, parsed.data));
    await respondToSubmit(req, res, service, settings, admitted, held);
  });

  router.get('/v1/jobs', async (req, res) => {
    const { limit, cursor, filter } = parseListQuery(req.query);
    const page = await service.list(req.ctx.tenant, limit, cursor, filter);
    const deferred = await deferrals.many(page.records);
    res.json({ items: page.records.map((r, i) => toDocument(r, base(req), deferred[i])), nextCursor: page.nextCursor });
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    const waitSeconds = parseWait(req.query.wait);
    let record = await load(req);
    // A finished job answers at once: no hold, so a tenant at its limit can still read it.
    if (waitSeconds > 0 && !isTerminal(record.status)) {
      const id = record.id;
      record = await held.around(req.ctx.tenant, 'long_poll', () => service.waitForEnd(req.ctx.tenant, id, waitSeconds, clientGone(res)));
    }
    if (!isTerminal(record.status)) res.setHeader('Retry-After', String(settings.pollAfterSeconds));
    res.json(toDocument(record, base(req), await deferrals.of(record)));
  });

  router.get('/v1/jobs/:id/result', async (req, res) => {
    sendResult(res, await load(req), config, settings.pollAfterSeconds);
  });

  router.get('/v1/jobs/:id/deliveries', async (req, res) => {
    const record = await load(req);
    res.json({ items: await service.deliveries(record.id) });
  });

  router.get('/v1/jobs/:id/events', async (req, res) => {
    const record = await load(req);
    const stream = () => streamJobEvents(req, res, service, record, base(req), settings.eventsHeartbeatSeconds * 1_000);
    if (isTerminal(record.status)) return stream();
    await held.around(req.ctx.tenant, 'events', stream);
  });

  const cancel = async (req: Request, res: Response) => {
    const record = await service.cancel(req.ctx.tenant, (await load(req)).id);
    res.status(isTerminal(record.status) ? 200 : 202).json(toDocument(record, base(req)));
  };
  router.post('/v1/jobs/:id/cancel', cancel);
  router.delete('/v1/jobs/:id', cancel);

  return router;
}

function sendResult(res: Response, record: JobRecord, config: GatewayConfig, pollAfterSeconds: number): void {
  if (record.status === 'failed') {
    throw new ApiError('job_failed', record.error?.message ?? 'the job failed', { jobError: record.error ?? undefined });
  }
  if (record.status === 'canceled') throw new ApiError('job_canceled', 'the job was canceled; it has no result');
  if (record.status !== 'succeeded') {
    throw new ApiError('job_not_finished', `the job is ${record.status}`, { retryAfterSeconds: pollAfterSeconds });
  }
  const value: unknown = JSON.parse(record.resultJson ?? 'null');
  const http = config.targets.get(record.target)?.kind === 'http' ? HttpResultSchema.safeParse(value) : null;
  if (http?.success) {
    // Transparent replay: the upstream's own status, type and bytes.
    const r = http.data;
    // Set verbatim: res.type() would append a charset the upstream never sent.
    if (r.contentType) res.setHeader('Content-Type', r.contentType);
    res.status(r.status).send(Buffer.from(r.body, r.bodyEncoding === 'base64' ? 'base64' : 'utf8'));
    return;
  }
  res.status(200).json(value);
}

/**
 * JSON.parse makes `__proto__` an own key, which zod's record parser skips rather than
 * refuses: the envelope and its metadata must not carry one (the free-form input may).
 */
export function refusePrototypeKeys(body: unknown, at = ''): void {
  const bad = ['__proto__', 'constructor', 'prototype'];
  const check = (obj: unknown, path: string) => {
    if (obj === null || typeof obj !== 'object') return;
    const key = bad.find((k) => Object.hasOwn(obj, k));
    if (key) throw new ApiError('validation_failed', 'the job request is invalid', { errors: [{ path: `${path}/${key}`, message: 'this key is not allowed' }] });
  };
  check(body, at);
  if (body && typeof body === 'object' && Object.hasOwn(body, 'metadata')) check((body as { metadata: unknown }).metadata, `${at}/metadata`);
}

export function parseWait(raw: unknown): number {
  if (raw === undefined) return 0;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) {
    throw new ApiError('invalid_parameter', 'wait must be a whole number of seconds', { errors: [{ path: 'wait', message: 'expected an integer' }] });
  }
  return Number(raw);
}

const MAX_PAGE = 100;

function parseListQuery(q: Request['query']): { limit: number; cursor: string | undefined; filter: ListFilter } {
  const one = (k: string): string | undefined => {
    const v = q[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ApiError('invalid_parameter', `${k} given more than once`);
    return v;
  };
  const limitRaw = one('limit');
  if (limitRaw !== undefined && !/^\d{1,3}$/.test(limitRaw)) throw new ApiError('invalid_parameter', 'limit must be 1-100');
  const limit = limitRaw === undefined ? 20 : Number(limitRaw);
  if (limit < 1 || limit > MAX_PAGE) throw new ApiError('invalid_parameter', 'limit must be 1-100');
  const status = one('status');
  if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
    throw new ApiError('invalid_parameter', `status must be one of ${JOB_STATUSES.join(', ')}`);
  }
  const filter: ListFilter = {};
  if (status) filter.status = status as JobStatus;
  const target = one('target');
  if (target) filter.target = target;
  const correlationId = one('correlationId');
  if (correlationId) filter.correlationId = correlationId;
  for (const key of Object.keys(q)) {
    if (!key.startsWith('metadata.')) continue;
    filter.metadata ??= {};
    filter.metadata[key.slice('metadata.'.length)] = one(key)!;
  }
  return { limit, cursor: one('cursor'), filter };
}
