/**
 * Sizes of the fault scenarios. The defaults keep the whole suite inside the normal
 * test run (a few minutes on two cores); FAULT_SCALE=10 multiplies every job count
 * and FAULT_LONG=1 turns on the long variants (longer outages, more kill cycles).
 */

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

export const FAULT_SCALE = positiveNumber('FAULT_SCALE', 1);
export const FAULT_LONG = process.env.FAULT_LONG === '1' || process.env.FAULT_LONG === 'true';

/** `base` jobs times FAULT_SCALE, at least 1. */
export const jobs = (base: number): number => Math.max(1, Math.round(base * FAULT_SCALE));

/**
 * A test's time budget: generous, because a loaded two-core machine can be slow and the
 * suite never asserts on time; it only keeps a hung scenario from hanging the run.
 */
export const budgetMs = (baseMs: number): number => Math.round(baseMs * Math.max(1, FAULT_SCALE) * (FAULT_LONG ? 3 : 1));
