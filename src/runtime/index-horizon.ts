import type { GatewayConfig } from '../config/schema.js';

/** How long a tenant-index entry can still point at a live job: the longest a job can wait, run and be kept. */
export function indexHorizonMs(config: GatewayConfig): number {
  let horizon = 0;
  for (const t of config.targets.values()) {
    const life = t.maxDelayMs + t.maxQueueAgeMs + t.attempts * (t.timeoutMs + t.backoff.maxDelayMs) + t.retentionMs;
    horizon = Math.max(horizon, life);
  }
  return horizon;
}
