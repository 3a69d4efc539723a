/**
 * When to retry a webhook delivery, as data. The default is the Standard Webhooks
 * schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after
 * each failure, with jitter.
 */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  300_000, // 5 min
  1_800_000, // 30 min
  7_200_000, // 2 h
  18_000_000, // 5 h
  36_000_000, // 10 h
  50_400_000, // 14 h
  72_000_000, // 20 h
  86_400_000, // 24 h
];

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
