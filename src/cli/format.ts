import type { CircuitView, ConcurrencyView, TargetView } from './admin-client.js';
import type { FairnessView } from '../core/fair-queue.js';

/** A plain-text table: a header row, then rows, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** "12.3 s", "4 min", "2.1 h": an age an operator reads at a glance. */
export function age(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

export const orDash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v);

/**
 * A target's circuit breaker in one line: "circuit open since … until …", "circuit open
 * since …, held open by an operator", with the failure ratio that opened it, or (closed) the window's when it counted any attempt.
 */
export function circuitLine(c: CircuitView): string {
  const since = c.since ? ` since ${c.since}` : '';
  if (c.state === 'open' && c.forced) return `circuit open${since}, held open by an operator`;
  const until = c.until ? ` until ${c.until}` : '';
  // Open or half-open, the window starts afresh: the ratio is the one that opened it.
  const ratio =
    c.state !== 'closed' ? `, opened at failure ratio ${c.failureRatio}` : c.attempts > 0 ? `, failure ratio ${c.failureRatio} over ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}` : '';
  return `circuit ${c.state}${since}${until}${ratio}`;
}

/** The CIRCUIT column of the target list: its state, "held open" when an operator holds it, "-" without a breaker. */
export const circuitCell = (c: CircuitView | undefined): string => (c === undefined ? '-' : c.state === 'open' && c.forced ? 'held open' : c.state);

/** An adaptive target's concurrency in one line: "concurrency 7/8 (adaptive 1-100)", in flight over the limit, then its bounds. */
export const concurrencyLine = (c: ConcurrencyView): string => `concurrency ${c.inFlight}/${c.limit} (adaptive ${c.min}-${c.max})`;

/** The CONCURRENCY column of the target list: in flight over the shared limit ("7/8") when adaptive, "fixed 10" (per executor) otherwise. */
export const concurrencyCell = (t: Pick<TargetView, 'concurrency' | 'policy'>): string =>
  t.concurrency ? `${t.concurrency.inFlight}/${t.concurrency.limit}` : `fixed ${t.policy.concurrency}`;

/** The FAIRNESS column of the target list: "3 tenants" with work in a fair target's lanes, "fifo" for any other target. */
export const fairnessCell = (f: FairnessView | undefined): string => (f === undefined ? 'fifo' : `${f.activeTenants} tenant${f.activeTenants === 1 ? '' : 's'}`);

/** A fair target's lanes in one line: "1912 waiting in 2 tenant lanes (most: acme 1900, beta 12 (weight 2, running 2/2))". */
export function fairnessLine(f: FairnessView): string {
  const who = f.tenants.map((t) => {
    const notes = [...(t.weight === 1 ? [] : [`weight ${t.weight}`]), ...(t.maxRunning === null ? [] : [`running ${t.running}/${t.maxRunning}`])];
    return `${t.tenant} ${t.waiting}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
  const scheduled = f.scheduled ? `, ${f.scheduled} scheduled` : '';
  return `${f.waiting} waiting in ${f.activeTenants} tenant lane${f.activeTenants === 1 ? '' : 's'}${scheduled}${who.length ? ` (most: ${who.join(', ')})` : ''}`;
}
