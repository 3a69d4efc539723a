import type { RequestHandler } from 'express';
import { createKeyring, type ApiKeyEntry, type Role } from '../../auth/api-keys.js';
import { ApiError } from '../../core/errors.js';

/** The tenant every caller is while no API keys are configured. */
export const OPEN_TENANT = 'public';

/**
 * `Authorization: Bearer <key>`: the key's hash names the tenant and the role. With no
 * keys configured the gateway runs open: every caller is the one open tenant, with the
 * admin role (start-up says so loudly; REQUIRE_API_KEYS=true refuses to start that way).
 */
export function authenticate(keys: readonly ApiKeyEntry[]): RequestHandler {
  if (keys.length === 0) {
    return (req, _res, next) => {
      req.ctx.tenant = OPEN_TENANT;
      req.ctx.log = req.ctx.log.child({ tenant: OPEN_TENANT });
      next();
    };
  }
  const find = createKeyring(keys);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(header);
    const entry = match ? find(match[1]!) : null;
    if (!entry) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="async-gateway"');
      next(new ApiError('unauthorized', header ? 'the API key is not valid' : 'send Authorization: Bearer <API key>'));
      return;
    }
    req.ctx.tenant = entry.tenant;
    req.ctx.role = entry.role;
    req.ctx.keyId = entry.id;
    req.ctx.log = req.ctx.log.child({ tenant: entry.tenant, keyId: entry.id });
    next();
  };
}

export function requireRole(role: Role): RequestHandler {
  return (req, _res, next) => {
    next(req.ctx.role === role ? undefined : new ApiError('forbidden', `this call needs the ${role} role`));
  };
}
