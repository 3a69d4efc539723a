import { describe, expect, it } from 'vitest';
import { audit } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { submitAll, type JobSpec } from './harness/load.js';
import { printFigures } from './harness/report.js';
import { budgetMs, jobs } from './harness/scale.js';
import { startEchoUpstream, type Plan } from './harness/upstream.js';

const ATTEMPTS = 4;
const TIMEOUT_MS = 500;

/**
 * An `http` target whose upstream misbehaves: 500s, answers that never come (the
 * per-attempt timeout cuts them), and 429 with Retry-After. Each job carries its own plan
 * (how many attempts get the fault), so the outcome of each is known in advance: a job
 * whose faults fit in its attempts ends succeeded with the upstream's echo, one whose
 * faults outlast them ends failed (dead-lettered) with the code of the last fault.
 */
const KINDS: { plan?: Plan; expect: 'succeeded' | string }[] = [
  { expect: 'succeeded' },
  { plan: { fault: 'status500', times: 2 }, expect: 'succeeded' },
  { plan: { fault: 'status500', times: 99 }, expect: 'upstream_status' },
  { plan: { fault: 'stall', times: 1 }, expect: 'succeeded' },
  { plan: { fault: 'stall', times: 99 }, expect: 'timeout' },
  { plan: { fault: 'retry-after', times: 1, seconds: 1 }, expect: 'succeeded' },
  { plan: { fault: 'retry-after', times: 99, seconds: 1 }, expect: 'upstream_status' },
];

function plannedJob(n: number, callbackUrl: string): JobSpec {
  const kind = KINDS[n % KINDS.length]!;
  const input = { n, ...(kind.plan && { plan: kind.plan }) };
  return {
    body: { target: 'up', input, callback: { url: callbackUrl } },
    expect: kind.expect === 'succeeded' ? { status: 'succeeded', result: { echo: input }, http: true } : { status: 'failed', codes: [kind.expect] },
  };
}

describe('an upstream that fails, stalls and throttles', () => {
  const world = faultWorld();

  it('retries each job per its policy: it ends succeeded with the echo, or dead-lettered with the fault', async () => {
    const upstream = await startEchoUpstream();
    world.alsoClose(() => upstream.close());
    // A Retry-After is honoured up to the backoff cap (retry-policy.ts): the cap sits above the 1 s asked.
    const backoff = { initialDelayMs: 50, multiplier: 2, maxDelayMs: 2_000, jitter: 0 };
    const { cluster, receiver } = await world.start({ targets: { up: { kind: 'http', url: upstream.url, attempts: ATTEMPTS, timeoutMs: TIMEOUT_MS, backoff } }, executors: 2 });
    const c = cluster;
    const count = jobs(210);
    const t0 = Date.now();
    const specs = Array.from({ length: count }, (_, i) => plannedJob(i, receiver!.url));
    const load = await submitAll(specs, () => c.liveGateways().map((g) => g.port));

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['up'], receiver, timeoutMs: budgetMs(120_000) });
    // Retry-After was honoured: the delay after each 429 is at least what the upstream asked.
    const throttled = load.tracked.filter((_, i) => KINDS[i % KINDS.length]!.plan?.fault === 'retry-after');
    const delaysAfter429 = (await Promise.all(throttled.map((t) => c.store.attempts(t.id))))
      .flat()
      .filter((a) => a.error?.message === 'upstream answered 429' && a.retryDelayMs !== undefined)
      .map((a) => a.retryDelayMs!);
    const records = await c.store.getMany(load.tracked.map((t) => t.id));
    const failed = records.filter((r) => r?.status === 'failed');
    const upstreamCalls = [...upstream.calls.values()].reduce((a, b) => a + b.length, 0);
    printFigures(
      {
        scenario: 'upstream 500 / stall / 429 Retry-After',
        submitted: count,
        refused: load.refused,
        unanswered: load.unanswered,
        seconds: (Date.now() - t0) / 1_000,
        extra: { 'upstream calls': upstreamCalls, 'retry delays after 429 (min ms)': Math.min(...delaysAfter429), 'dead-lettered': failed.filter((r) => r?.deadLettered).length },
      },
      report,
    );

    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded + report.failedAsPlanned).toBe(count);
    // Every failure used up its attempts and is a dead letter an operator can replay.
    expect(failed.every((r) => r!.deadLettered && r!.attempts === ATTEMPTS)).toBe(true);
    expect(delaysAfter429.length).toBeGreaterThan(0);
    expect(delaysAfter429.every((ms) => ms >= 1_000)).toBe(true);
    expect(report.queuesLeft).toBe(0);
    expect(report.inFlightLeft).toBe(0);
    expect(report.webhooks?.missing).toEqual([]);
    expect(report.webhooks?.badSignatures).toBe(0);
  }, budgetMs(240_000));
});
