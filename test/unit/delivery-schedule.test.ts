import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE_MS, nextDeliveryDelayMs } from '../../src/webhooks/delivery-schedule.js';

describe('delivery schedule', () => {
  it('is the Standard Webhooks schedule by default', () => {
    expect(DEFAULT_SCHEDULE_MS.map((ms) => ms / 1_000)).toEqual([0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400]);
  });
  it('gives the next delay after each failed attempt, then null', () => {
    const schedule = [0, 100, 1_000];
    expect(nextDeliveryDelayMs(schedule, 1, 0)).toBe(100);
    expect(nextDeliveryDelayMs(schedule, 2, 0)).toBe(1_000);
    expect(nextDeliveryDelayMs(schedule, 3, 0)).toBeNull();
  });
  it('applies jitter and honours a longer Retry-After, capped at the longest step', () => {
    expect(nextDeliveryDelayMs([0, 1_000], 1, 0.5, () => 1)).toBe(500);
    expect(nextDeliveryDelayMs([0, 1_000], 1, 0, () => 0, 800)).toBe(1_000);
    expect(nextDeliveryDelayMs([0, 1_000, 5_000], 1, 0, () => 0, 3_000)).toBe(3_000);
    expect(nextDeliveryDelayMs([0, 1_000, 5_000], 1, 0, () => 0, 60_000)).toBe(5_000);
  });
});
