import type { Request, Response } from 'express';
import type { ServerSettings } from '../config/schema.js';
import { isTerminal } from '../core/job-schema.js';
import type { Admitted, JobService } from '../jobs/job-service.js';
import { setRateLimitHeaders } from './rate-limit-headers.js';
import { baseUrl } from './base-url.js';
import { toDocument } from '../core/job-view.js';
import { ApiError } from '../core/errors.js';
import type { HeldRequests } from './held-requests.js';
import { parsePrefer } from './prefer.js';

/** An AbortSignal that fires when the client goes away before we answer. */
export function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) ac.abort();
  });
  return ac.signal;
}

/**
 * The answer to an accepted submission: 202 with the job's URL, or, when the
 * client asked `Prefer: wait=N` and the job ended in time, 200 with the finished
 * document. `Preference-Applied` says which preferences shaped the answer. A tenant at
 * its limit of held requests gets the 202 at once: the job is admitted either way, and
 * `wait` is only a preference (RFC 7240), so it is not applied rather than refused.
 */
export async function respondToSubmit(
  req: Request,
  res: Response,
  service: JobService,
  settings: ServerSettings,
  admitted: Admitted,
  held: HeldRequests,
): Promise<void> {
  const prefs = parsePrefer(req.headers.prefer);
  const accepted = admitted.record;
  setRateLimitHeaders(res, admitted.rateLimit);
  let record = accepted;
  const applied: string[] = [];
  if (prefs.respondAsync) applied.push('respond-async');
  const hold = prefs.waitSeconds !== undefined && prefs.waitSeconds > 0 ? held.acquire(accepted.tenant, 'prefer_wait') : null;
  if (hold && !(hold instanceof ApiError)) {
    const waitSeconds = Math.min(prefs.waitSeconds!, settings.maxWaitSeconds);
    try {
      record = await service.waitForEnd(accepted.tenant, accepted.id, waitSeconds, clientGone(res));
    } finally {
      hold.release();
    }
    applied.push(`wait=${waitSeconds}`);
  }
  const doc = toDocument(record, baseUrl(req, settings.publicUrl));
  res.setHeader('Vary', 'Prefer');
  if (applied.length) res.setHeader('Preference-Applied', applied.join(', '));
  res.setHeader('Location', doc.links.self);
  if (isTerminal(record.status)) {
    res.status(200).json(doc);
    return;
  }
  res.setHeader('Operation-Location', doc.links.self);
  res.setHeader('Retry-After', String(settings.pollAfterSeconds));
  res.status(202).json(doc);
}
