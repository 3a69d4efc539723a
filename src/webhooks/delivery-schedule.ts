/**
 * When to retry a webhook delivery, as data. The default is the Standard Webhooks
 * schedule (`DEFAULT_SCHEDULE_MS`, defined with the settings in
 * src/config/webhook-settings.ts): at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 14 h, 20 h and 24 h after each failure, with jitter.
 */
export { DEFAULT_SCHEDULE_MS } from '../config/webhook-settings.js';

/**
 * The delay before delivery attempt `attempt + 1` after attempt `attempt` (1-based)
 * failed, or null when the schedule is exhausted. A receiver's Retry-After wins
 * when longer, capped at the schedule's longest step.
 */
export function nextDeliveryDelayMs(
  schedule: readonly number[],
  attempt: number,
  jitter: number,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number | null {
  const base = schedule[attempt];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - jitter * random()));
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, Math.max(...schedule)));
}
