/**
 * What a crash costs in time: for each attempt lost with a killed worker, how long after
 * the kill another executor noticed it and took the job up again. The bound to compare
 * with is lockDurationMs + stalledIntervalMs (the stall-detection bound); printed, never
 * asserted (a loaded machine may be slower, and the suite asserts no time limits).
 */
export function recoveryDelays(killsAtMs: readonly number[], noticedAtMs: readonly number[]): { median: number; max: number; n: number } {
  const kills = [...killsAtMs].sort((a, b) => a - b);
  const delays: number[] = [];
  for (const at of noticedAtMs) {
    // The kill that lost this attempt is the last one before it was noticed.
    let last: number | undefined;
    for (const k of kills) if (k <= at) last = k;
    if (last !== undefined) delays.push(at - last);
  }
  delays.sort((a, b) => a - b);
  return { median: delays[Math.floor(delays.length / 2)] ?? 0, max: delays[delays.length - 1] ?? 0, n: delays.length };
}
