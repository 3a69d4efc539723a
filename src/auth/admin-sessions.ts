import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../core/redis.js';

/** A dashboard sign-in lasts a working day; signing in again is one paste of the key. */
export const SESSION_TTL_MS = 8 * 60 * 60_000;
export const SESSION_COOKIE = 'agw_admin';

/**
 * Browser sessions for the operator dashboard. A browser cannot attach a bearer key to a
 * page load (nor to bull-board's own requests), so an admin signs in once with the key and
 * gets an opaque random token in an HttpOnly, SameSite=Strict cookie. Redis keeps only the
 * token's hash and the key's id, so any gateway instance accepts it, and removing the key
 * from the config ends its sessions at the next request.
 */
export class AdminSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly ttlMs = SESSION_TTL_MS,
  ) {}

  private key(token: string): string {
    return `${this.keyPrefix}:admin-session:${createHash('sha256').update(token).digest('hex')}`;
  }

  async create(keyId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(token), keyId, 'PX', this.ttlMs);
    return token;
  }

  /** The API key id the session was opened with, or null when unknown or expired. */
  async keyIdOf(token: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    return this.redis.get(this.key(token));
  }

  async destroy(token: string): Promise<void> {
    await this.redis.del(this.key(token));
  }
}

/** The value of one cookie from a Cookie header, without a parser dependency. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
