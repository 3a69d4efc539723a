import type { Request, RequestHandler } from 'express';
import { cookieValue, SESSION_COOKIE, type AdminSessions } from '../../auth/admin-sessions.js';
import { createKeyring, type ApiKeyEntry, type Role } from '../../auth/api-keys.js';
import { ApiError } from '../../core/errors.js';
import { fromOwnOrigin } from '../own-origin.js';

/** The tenant every caller is while no API keys are configured. */
export const OPEN_TENANT = 'public';

/** Paths a dashboard session cookie may open: the dashboard and the operator API, nothing else. */
const SESSION_PATHS = /^\/(admin|v1\/admin)(\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `Authorization: Bearer <key>`: the key's hash names the tenant and the role. A browser
 * on the dashboard may instead carry a session cookie (see AdminSessions), accepted only
 * on /admin and /v1/admin. With no keys configured the gateway runs open: every caller
 * is the one open tenant, with the admin role (start-up says so loudly;
 * REQUIRE_API_KEYS=true refuses to start that way).
 */
export function authenticate(keys: readonly ApiKeyEntry[], sessions: AdminSessions | null = null, publicUrl?: string): RequestHandler {
  if (keys.length === 0) {
    return (req, _res, next) => {
      req.ctx.tenant = OPEN_TENANT;
      req.ctx.bind({ tenant: OPEN_TENANT });
      next();
    };
  }
  const find = createKeyring(keys);
  const byId = new Map(keys.map((k) => [k.id, k]));
  const admit = (req: Request, entry: ApiKeyEntry) => {
    req.ctx.tenant = entry.tenant;
    req.ctx.role = entry.role;
    req.ctx.keyId = entry.id;
    req.ctx.bind({ tenant: entry.tenant, keyId: entry.id });
  };
  return (req, res, next) => {
    const header = req.get('authorization');
    const token = header === undefined && sessions && SESSION_PATHS.test(req.path) ? cookieValue(req.get('cookie'), SESSION_COOKIE) : undefined;
    if (token !== undefined) {
      sessionEntry(req, token, sessions!, byId, publicUrl).then((entry) => {
        if (!entry) return next(unauthorized(res, 'the dashboard session has expired; sign in again'));
        admit(req, entry);
        next();
      }, next);
      return;
    }
    const match = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(header ?? '');
    const entry = match ? find(match[1]!) : null;
    if (!entry) return next(unauthorized(res, header ? 'the API key is not valid' : 'send Authorization: Bearer <API key>'));
    admit(req, entry);
    next();
  };
}

/**
 * The key behind a session cookie, if the session is live and its key is still an admin
 * key. A state-changing request must also come from our own origin: SameSite=Strict
 * already keeps the cookie off cross-site requests, and this holds even where a browser
 * does not honour it.
 */
async function sessionEntry(req: Request, token: string, sessions: AdminSessions, byId: ReadonlyMap<string, ApiKeyEntry>, publicUrl: string | undefined): Promise<ApiKeyEntry | null> {
  if (!SAFE_METHODS.has(req.method) && !fromOwnOrigin(req, publicUrl)) throw new ApiError('forbidden', "a dashboard request must come from the dashboard's own origin");
  const keyId = await sessions.keyIdOf(token);
  const entry = keyId === null ? undefined : byId.get(keyId);
  return entry?.role === 'admin' ? entry : null;
}

function unauthorized(res: Parameters<RequestHandler>[1], message: string): ApiError {
  res.setHeader('WWW-Authenticate', 'Bearer realm="async-gateway"');
  return new ApiError('unauthorized', message);
}

/** Lets the request through when its role is one of `roles`; 403 otherwise. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    next(roles.includes(req.ctx.role) ? undefined : new ApiError('forbidden', `this call needs the ${roles.join(' or ')} role`));
  };
}
