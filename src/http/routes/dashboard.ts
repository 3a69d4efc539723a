import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { SESSION_COOKIE, SESSION_TTL_MS, cookieValue, type AdminSessions } from '../../auth/admin-sessions.js';
import { createKeyring, type ApiKeyEntry } from '../../auth/api-keys.js';
import { ApiError } from '../../core/errors.js';
import type { JobQueues } from '../../core/job-queues.js';
import { zodToFieldErrors } from '../../jobs/field-errors.js';
import { jsonBody } from '../middleware/json-body.js';
import { fromOwnOrigin, ownOrigins } from '../own-origin.js';

const UI_DIR = fileURLToPath(new URL('../../admin-ui/', import.meta.url));
const SignInSchema = z.strictObject({ apiKey: z.string().min(1).max(300) });

/**
 * The dashboard's Content-Security-Policy: nothing but the gateway itself, no framing, no
 * plugins. Our own page needs nothing inline. bull-board's page has inline `style`
 * attributes and a `<style>` block in its template and React sets more, so its views alone
 * get `style-src 'unsafe-inline'` (styles only: script stays 'self').
 */
const CSP_DIRECTIVES = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self'",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
];
const DASHBOARD_CSP = [...CSP_DIRECTIVES, "style-src 'self'"].join('; ');
const BULL_BOARD_CSP = [...CSP_DIRECTIVES, "style-src 'self' 'unsafe-inline'"].join('; ');

/** Headers for everything under /admin, set before authentication so a 401 has them too. */
const dashboardHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('Content-Security-Policy', /^\/queues(\/|\?|$)/.test(req.path) ? BULL_BOARD_CSP : DASHBOARD_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  next();
};

/**
 * Refuses a browser request sent from another origin: a cross-site form or script cannot
 * sign an operator out, or into a session of the attacker's choosing. The `Origin` must be
 * the gateway's own (the scheme and Host the request came in on, the proxy's when trusted)
 * or `server.publicUrl`'s. Without an Origin header (curl, scripts) the request passes: a
 * browser always sends one on a POST or DELETE.
 */
function sameOrigin(publicUrl: string | undefined): RequestHandler {
  return (req, _res, next) => {
    const origin = req.get('origin');
    if (origin === undefined || fromOwnOrigin(req, publicUrl)) return next();
    throw new ApiError(
      'forbidden',
      `cross-origin request refused: Origin ${JSON.stringify(origin.slice(0, 200))} is not this gateway's origin (${ownOrigins(req, publicUrl).join(' or ') || 'unknown'}); behind a TLS proxy, set server.trustProxy or server.publicUrl`,
    );
  };
}

/**
 * The operator dashboard's public half: the page itself (a static shell with no data in
 * it) and signing in and out. Mounted before authentication.
 */
export function dashboardPublicRouter(keys: readonly ApiKeyEntry[], sessions: AdminSessions, publicUrl?: string): Router {
  const router = Router();
  const find = createKeyring(keys);
  const checkOrigin = sameOrigin(publicUrl);
  router.use('/admin', dashboardHeaders);
  // Relative asset links in the page need the trailing slash.
  router.get('/admin', (req, res, next) => (/^\/admin(\?|$)/.test(req.originalUrl) ? res.redirect(301, '/admin/') : next()));
  router.use('/admin', express.static(UI_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));

  router.post('/admin/session', checkOrigin, jsonBody(4 * 1024), async (req, res) => {
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
  router.delete('/admin/session', checkOrigin, async (req, res) => {
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
  const boardApp = board.getRouter() as express.Express;
  boardApp.disable('x-powered-by');
  withoutThirdPartyLinks(boardApp);
  router.use('/admin/queues', boardApp);
  return router;
}

/**
 * bull-board's page template links Google Fonts (IBM Plex), which would make every
 * operator's browser call fonts.googleapis.com; the adapter has no option against it. Its
 * app renders that one template through the `ejs` engine it registers, so the engine is
 * wrapped to drop every <link> to another origin from the rendered page: the UI then uses
 * its CSS's fallback fonts. The CSP would block such a link anyway; this keeps the page
 * free of the violation.
 */
function withoutThirdPartyLinks(app: express.Express): void {
  const engines = (app as unknown as { engines: Record<string, EjsEngine | undefined> }).engines;
  const render = engines['.ejs'];
  if (typeof render !== 'function') throw new Error("bull-board's express app has no ejs engine to wrap: check @bull-board/express");
  app.engine('ejs', (file: string, options: object, done: (err: unknown, html?: string) => void) =>
    render(file, options, (err, html) => (err ? done(err) : done(null, html?.replace(THIRD_PARTY_LINK, '')))),
  );
}
type EjsEngine = (file: string, options: object, done: (err: unknown, html?: string) => void) => void;
/** A <link> whose href is absolute (`https://…`) or protocol-relative (`//…`). */
const THIRD_PARTY_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:)?\/\/[^>]*>\s*/gi;

/** `Secure` when the request came over https: TLS here, or a trusted proxy's X-Forwarded-Proto. */
function sessionCookie(req: Request, value: string, maxAgeSeconds: number): string {
  const secure = req.secure ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

