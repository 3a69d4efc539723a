import type { Result } from 'ioredis';
import type { AdaptiveConcurrency } from '../config/schema.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis.js';
import { luaScript } from './scripts.js';

/** src/core/scripts/concurrency.lua: the shared limit's reports and reads (its header has KEYS, ARGV and replies). */
const CONCURRENCY_LUA = luaScript('concurrency');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agConcurrency(key: string, ...args: string[]): Result<(string | number)[], Context>;
  }
}

/** What one executor saw since its last report. */
export interface ConcurrencyReport {
  executorId: string;
  /** Its attempts in flight now. */
  inFlight: number;
  /** 2xx answers since its last report, and the fastest of them (0 when none). */
  answers: number;
  fastestLatencyMs: number;
  /** 429s, 503s and timeouts since its last report. */
  overloads: number;
}

export interface ConcurrencyState {
  /** The limit on attempts in flight across every executor of the target (fractional: it moves by fractions). */
  limit: number;
  /** The reference latency: the lowest of the reports' fastest answers (drifting up slowly); null before the first answer. */
  referenceLatencyMs: number | null;
  /** Executors that reported in the last 5 s. */
  executors: number;
  /** Attempts in flight across them, as they last reported. */
  inFlight: number;
}

export interface ReportedState extends ConcurrencyState {
  /** The reporting executor's part of the limit (at least 1). */
  share: number;
  /** When the limit was last cut (0: never). */
  cutAtMs: number;
}

const toState = ([limit, ref, executors, inFlight]: (string | number)[]): ConcurrencyState => ({
  limit: Number(limit),
  referenceLatencyMs: ref === '' ? null : Number(ref),
  executors: Number(executors),
  inFlight: Number(inFlight),
});

/** The adaptive concurrency limits of every target, in Redis: each on its target's slot, every change one script call. */
export class ConcurrencyLimits {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    redis.defineCommand('agConcurrency', { numberOfKeys: 1, lua: CONCURRENCY_LUA });
  }

  async report(target: string, bounds: AdaptiveConcurrency, r: ConcurrencyReport, nowMs: number): Promise<ReportedState> {
    const reply = await this.redis.agConcurrency(
      this.keys.concurrency(target),
      'report',
      String(nowMs),
      r.executorId,
      String(r.inFlight),
      String(r.answers),
      String(Math.round(r.fastestLatencyMs * 10) / 10),
      String(r.overloads),
      String(bounds.min),
      String(bounds.max),
      String(bounds.latencyTolerance),
    );
    return { ...toState(reply), share: Number(reply[4]), cutAtMs: Number(reply[5]) };
  }

  async read(target: string, bounds: AdaptiveConcurrency, nowMs: number): Promise<ConcurrencyState> {
    return toState(await this.redis.agConcurrency(this.keys.concurrency(target), 'read', String(nowMs), String(bounds.min)));
  }
}
