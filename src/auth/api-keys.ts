import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../config/roles.js';

export { ROLES, type Role } from '../config/roles.js';

export interface ApiKeyEntry {
  /** A label for logs and audits; never the key itself. */
  id: string;
  tenant: string;
  role: Role;
  /** Hex SHA-256 of the key. Keys carry 256 random bits, so a fast hash is enough. */
  sha256: string;
}

/** A new key: `agk_` + 256 random bits, base64url. Shown once; only its hash is stored. */
export function generateApiKey(): string {
  return `agk_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Finds the entry for a presented key by comparing its hash with every configured
 * hash in constant time, so that neither the comparison nor the loop's length
 * depends on which key (or how much of one) matched.
 */
export function createKeyring(entries: readonly ApiKeyEntry[]): (token: string) => ApiKeyEntry | null {
  const hashed = entries.map((e) => ({ entry: e, digest: Buffer.from(e.sha256, 'hex') }));
  return (token) => {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: ApiKeyEntry | null = null;
    for (const { entry, digest: expected } of hashed) {
      if (timingSafeEqual(digest, expected) && found === null) found = entry;
    }
    return found;
  };
}
