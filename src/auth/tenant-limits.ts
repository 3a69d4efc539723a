import type { GatewayConfig, Target, TenantLimits, TenantsSettings } from '../config/schema.js';
import { isFair, type TenantShare } from '../core/fair-queue.js';

/** The limits of one tenant: the defaults with its overrides on top. */
export function limitsFor(settings: TenantsSettings, tenant: string): TenantLimits {
  const override = Object.hasOwn(settings.overrides, tenant) ? settings.overrides[tenant] : undefined;
  return override ? { ...settings.defaults, ...override } : settings.defaults;
}

/**
 * What a submit passes to the queue about its tenant: on a target with `fairness: tenant`
 * its lane and share of the round-robin; on any other target nothing (no work per submit).
 */
export function laneOf(config: Pick<GatewayConfig, 'tenants'>, target: Pick<Target, 'fairness'>, tenant: string): { tenant?: string; share?: TenantShare } {
  if (!isFair(target)) return {};
  const { weight, maxRunningPerTarget } = limitsFor(config.tenants, tenant);
  return { tenant, share: { weight, maxRunning: maxRunningPerTarget } };
}
