import type { Result } from 'ioredis';
import type { RedisClient } from './redis.js';
import type { Keys } from './keys.js';
import { luaScript } from './scripts.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agAdmit(rate: string, inFlight: string, index: string, ...args: string[]): Result<[number, number], Context>;
  }
}

/** The limits a tenant's submit is admitted under (src/config's TenantLimits, in the units the script needs). */
export interface AdmissionLimits {
  requestsPerWindow: number;
  windowMs: number;
  maxInFlightJobs: number;
}

export type AdmissionVerdict =
  | { admitted: true; count: number; resetMs: number }
  | { admitted: false; reason: 'rate_limited' | 'quota_exceeded'; count: number; resetMs: number };

/** Where a fixed rate window starts: windows are aligned to their length, the same in every process. */
export const windowStart = (nowMs: number, windowMs: number) => nowMs - (nowMs % windowMs);

/**
 * Admits a tenant's new job in one script on the tenant's hash slot
 * (src/core/scripts/admit.lua): the request counts against the tenant's rate window, the
 * job takes an in-flight slot, and it enters the tenant's job index, or nothing changes
 * but the request count. One round trip where there were three (a rate limiter, a quota
 * reservation, an index write).
 */
export class TenantAdmission {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    /** Tenant-index entries older than this are trimmed on write. */
    private readonly indexHorizonMs: number,
  ) {
    redis.defineCommand('agAdmit', { numberOfKeys: 3, lua: ADMIT_LUA });
  }

  async admit(tenant: string, id: string, limits: AdmissionLimits, nowMs = Date.now()): Promise<AdmissionVerdict> {
    const { keys } = this;
    const start = windowStart(nowMs, limits.windowMs);
    const resetMs = start + limits.windowMs - nowMs;
    const [code, count] = await this.redis.agAdmit(
      keys.tenantRate(tenant, start),
      keys.tenantInFlight(tenant),
      keys.tenantJobs(tenant),
      String(limits.requestsPerWindow),
      String(limits.windowMs + RATE_KEY_MARGIN_MS),
      String(limits.maxInFlightJobs),
      id,
      String(nowMs),
      String(this.indexHorizonMs),
    );
    if (code === 1) return { admitted: true, count, resetMs };
    return { admitted: false, reason: code === 0 ? 'rate_limited' : 'quota_exceeded', count, resetMs };
  }
}

/** A window's counter outlives it a little, for processes whose clocks run a little behind. */
export const RATE_KEY_MARGIN_MS = 5_000;

const ADMIT_LUA = luaScript('admit');
