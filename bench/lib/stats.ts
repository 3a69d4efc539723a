/** Percentile by nearest rank of an unsorted sample; NaN for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Drain {
  /** Items per second while the remainder went from 90 % to 10 % of the batch (start-up and tail left out). */
  rate: number;
  /** Items per second over the whole drain, from release to the last one. */
  overallRate: number;
  totalS: number;
}

/**
 * Polls `remaining()` every `pollMs` until it reaches 0 (or `timeoutMs` passes) after a
 * batch of `total` was released at `t0` (performance.now()).
 */
export async function timeDrain(total: number, t0: number, remaining: () => number | Promise<number>, timeoutMs: number, pollMs = 20): Promise<Drain> {
  const points: { t: number; left: number }[] = [];
  for (;;) {
    const left = await remaining();
    const t = performance.now();
    points.push({ t, left });
    if (left <= 0) break;
    if (t - t0 > timeoutMs) throw new Error(`drain did not finish within ${timeoutMs} ms (${left} of ${total} left)`);
    await sleep(pollMs);
  }
  const tEnd = points[points.length - 1]!.t;
  // First time the remainder fell to or below a level, interpolated between polls.
  const crossing = (level: number): number => {
    let prev = { t: t0, left: total };
    for (const p of points) {
      if (p.left <= level) {
        if (prev.left === p.left) return p.t;
        return prev.t + ((prev.left - level) / (prev.left - p.left)) * (p.t - prev.t);
      }
      prev = p;
    }
    return tEnd;
  };
  const t90 = crossing(total * 0.9);
  const t10 = crossing(total * 0.1);
  const totalS = (tEnd - t0) / 1_000;
  const windowS = (t10 - t90) / 1_000;
  return { rate: windowS > 0 ? (total * 0.8) / windowS : total / totalS, overallRate: total / totalS, totalS };
}
