import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { SESSION_COOKIE, SESSION_TTL_MS, cookieValue, type AdminSessions } from '../../auth/admin-sessions.js';
import { createKeyring, type ApiKeyEntry } from '../../auth/api-keys.js';
import { ApiError } from '../../core/errors.js';
import type { JobQueues } from '../../core/job-queues.js';
import { zodToFieldErrors } from '../../jobs/field-errors.js';
import { jsonBody } from '../middleware/json-body.js';

const UI_DIR = fileURLToPath(new URL('../../admin-ui/', import.meta.url));
const SignInSchema = z.strictObject({ apiKey: z.string().min(1).max(300) });

/**
 * The operator dashboard's public half: the page itself (a static shell with no data in
 * it) and signing in and out. Mounted before authentication.
 */
export function dashboardPublicRouter(keys: readonly ApiKeyEntry[], sessions: AdminSessions): Router {
  const router = Router();
  const find = createKeyring(keys);
  // Relative asset links in the page need the trailing slash.
  router.get('/admin', (req, res, next) => (/^\/admin(\?|$)/.test(req.originalUrl) ? res.redirect(301, '/admin/') : next()));
  router.use('/admin', express.static(UI_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));

  router.post('/admin/session', jsonBody(4 * 1024), async (req, res) => {
    const parsed = SignInSchema.safeParse(req.body);
    if (!parsed.success) throw new ApiError('validation_failed', 'send {"apiKey": "agk_…"}', { errors: zodToFieldErrors(parsed.error.issues) });
    const entry = keys.length > 0 ? find(parsed.data.apiKey) : null;
    if (!entry) {
      // A 401 names its scheme (RFC 9110), here as on every other route.
      res.setHeader('WWW-Authenticate', 'Bearer realm="async-gateway"');
      throw new ApiError('unauthorized', 'the API key is not valid');
    }
    if (entry.role !== 'admin') throw new ApiError('forbidden', 'the dashboard needs an admin key');
    const token = await sessions.create(entry.id);
    res.setHeader('Set-Cookie', sessionCookie(req, token, SESSION_TTL_MS / 1_000));
    req.ctx.log.info({ event: 'dashboard.signed_in', keyId: entry.id }, 'dashboard session opened');
    res.status(204).end();
  });
  router.delete('/admin/session', async (req, res) => {
    const token = cookieValue(req.get('cookie'), SESSION_COOKIE);
    if (token) await sessions.destroy(token);
    res.setHeader('Set-Cookie', sessionCookie(req, '', 0));
    res.status(204).end();
  });
  return router;
}

/** The dashboard's authenticated half: who is signed in, and bull-board's raw queue view. */
export function dashboardRouter(queues: JobQueues, queueNames: readonly string[]): Router {
  const router = Router();
  router.get('/admin/session', (req, res) => {
    res.json({ keyId: req.ctx.keyId, tenant: req.ctx.tenant, role: req.ctx.role });
  });

  // Read-only on purpose: bull-board's remove, clean and retry act on BullMQ behind the job
  // store's back (a removed queue entry would leave its job "queued" forever). Operators
  // act through our own job-level endpoints, which keep both in step.
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: [...queueNames.map((name) => new BullMQAdapter(queues.queue(name), { readOnlyMode: true, displayName: `target ${name}` })), new BullMQAdapter(queues.webhookQueue(), { readOnlyMode: true, displayName: 'webhooks' })],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'async-gateway queues' } },
  });
  router.use('/admin/queues', board.getRouter() as express.Router);
  return router;
}

function sessionCookie(req: Request, value: string, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

