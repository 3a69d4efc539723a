import type { TenantLimits, TenantsSettings } from '../config/schema.js';

/** The limits of one tenant: the defaults with its overrides on top. */
export function limitsFor(settings: TenantsSettings, tenant: string): TenantLimits {
  const override = Object.hasOwn(settings.overrides, tenant) ? settings.overrides[tenant] : undefined;
  return override ? { ...settings.defaults, ...override } : settings.defaults;
}
