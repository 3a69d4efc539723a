import type { TenantLimits, TenantsSettings } from '../config/schema.js';
import type { TenantShare } from '../core/fair-queue.js';

/** The limits of one tenant: the defaults with its overrides on top. */
export function limitsFor(settings: TenantsSettings, tenant: string): TenantLimits {
  const override = Object.hasOwn(settings.overrides, tenant) ? settings.overrides[tenant] : undefined;
  return override ? { ...settings.defaults, ...override } : settings.defaults;
}

/** A tenant's part in the round-robin of the targets with `fairness: tenant`. */
export function shareOf(settings: TenantsSettings, tenant: string): TenantShare {
  const { weight, maxRunningPerTarget } = limitsFor(settings, tenant);
  return { weight, maxRunning: maxRunningPerTarget };
}
