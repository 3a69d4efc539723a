/**
 * client: submits and reads its tenant's jobs. admin: also the operator API and the
 * dashboard. metrics: only GET /metrics (what a Prometheus scraper needs, nothing more).
 * Here, in the config layer, because the config file names roles (`auth.keys[].role`);
 * src/auth/api-keys.ts re-exports both.
 */
export const ROLES = ['client', 'admin', 'metrics'] as const;
export type Role = (typeof ROLES)[number];
