import { generateApiKey, hashApiKey, type Role } from '../../src/auth/api-keys.js';

/**
 * Fresh API keys for tests, one per tenant: `tokens` to send, `auth` to put in the
 * config. `apiKeys({ acme: 'client', ops: 'admin' })`.
 */
export function apiKeys<T extends string>(tenants: Record<T, Role>): { tokens: Record<T, string>; auth: { keys: unknown[] } } {
  const tokens = {} as Record<T, string>;
  const keys: unknown[] = [];
  for (const [tenant, role] of Object.entries(tenants) as [T, Role][]) {
    tokens[tenant] = generateApiKey();
    keys.push({ id: `${tenant}-key`, tenant, role, sha256: hashApiKey(tokens[tenant]) });
  }
  return { tokens, auth: { keys } };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
