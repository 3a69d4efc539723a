import type { Result } from 'ioredis';
import type { CircuitBreakerPolicy, Target } from '../config/schema.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis.js';
import { luaScript } from './scripts.js';

/** src/core/scripts/circuit.lua: every read and change of a target's breaker (its header has KEYS, ARGV and replies). */
const CIRCUIT_LUA = luaScript('circuit');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agCircuit(key: string, ...args: string[]): Result<(string | number)[], Context>;
  }
}

export const CIRCUIT_STATES = ['closed', 'half_open', 'open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** How an attempt counts: a success, a retryable failure, or neither (a permanent failure, a cancel, a hand-back). */
export type CountedOutcome = 'ok' | 'fail' | 'neutral';

/** May an attempt run now? `probe`: yes, as one of the half-open probes (its token must be recorded or released). */
export type AttemptVerdict = { kind: 'run' } | { kind: 'probe'; token: string } | { kind: 'wait'; waitMs: number };

export type CircuitTransition = 'opened' | 'half_open' | 'closed';

export interface Admission {
  verdict: AttemptVerdict;
  /** Set when this admission ended the open time. */
  transition: 'half_open' | null;
}

export interface Recorded {
  transition: 'opened' | 'closed' | null;
  /** The window's counts when it opened (the failure ratio the log reports). */
  failures: number;
  counted: number;
  /** When it opened: the end of its open time. */
  openUntilMs: number | null;
}

export interface CircuitView {
  state: CircuitState;
  /** When it entered that state; null if it never changed. */
  since: string | null;
  /** While open: when half-open probes begin; null while an operator holds it open. */
  until: string | null;
  /** Held open by an operator (POST /v1/admin/targets/{t}/circuit), until one closes it. */
  forced: boolean;
  /**
   * Closed: retryable failures over counted attempts in the current window (0 when none).
   * Open or half-open: the share that opened it (1 after a failed probe; 0 when an operator did).
   */
  failureRatio: number;
  /** Attempts counted in the current window. */
  attempts: number;
}

/** A target that has a breaker. */
export type BreakerTarget = Target & { circuitBreaker: CircuitBreakerPolicy };

export const hasBreaker = (t: Target): t is BreakerTarget => t.circuitBreaker !== undefined;

const iso = (ms: string | number) => (ms === '' ? null : new Date(Number(ms)).toISOString());

/**
 * The breakers of every target, in Redis: each on its target's slot, every decision one
 * script call (circuit.lua), so that all the executors of a target share one breaker and
 * no two of them make the same transition.
 */
export class CircuitBreakers {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    redis.defineCommand('agCircuit', { numberOfKeys: 1, lua: CIRCUIT_LUA });
  }

  /**
   * Asks before an attempt. A probe's lease outlives the longest attempt plus the time a dead
   * executor's job takes to be noticed, so a probe that died with its executor frees its place.
   */
  async admit(target: BreakerTarget, token: string, nowMs: number): Promise<Admission> {
    const leaseMs = target.timeoutMs + target.lockDurationMs + target.stalledIntervalMs;
    const [verdict, waitMs, transition] = await this.redis.agCircuit(
      this.keys.circuit(target.name),
      'admit',
      String(nowMs),
      String(target.circuitBreaker.probes),
      String(leaseMs),
      token,
    );
    const v: AttemptVerdict = verdict === 'run' ? { kind: 'run' } : verdict === 'probe' ? { kind: 'probe', token } : { kind: 'wait', waitMs: Number(waitMs) };
    return { verdict: v, transition: transition === 'half_open' ? 'half_open' : null };
  }

  /** Counts an attempt's outcome; `probeToken` when it ran as a probe. */
  async record(target: BreakerTarget, outcome: CountedOutcome, probeToken: string | null, nowMs: number): Promise<Recorded> {
    const p = target.circuitBreaker;
    const [transition, failures, counted, untilMs] = await this.redis.agCircuit(
      this.keys.circuit(target.name),
      'record',
      String(nowMs),
      outcome,
      probeToken ?? '',
      String(p.windowMs),
      String(p.minAttempts),
      String(p.failureRatio),
      String(p.openMs),
      String(p.maxOpenMs),
    );
    return {
      transition: transition === 'opened' || transition === 'closed' ? transition : null,
      failures: Number(failures),
      counted: Number(counted),
      openUntilMs: transition === 'opened' ? Number(untilMs) : null,
    };
  }

  /** An operator's override: `open` holds it open (no probes) until someone closes it; `closed` closes it with a fresh window. */
  async force(target: string, state: 'open' | 'closed', nowMs: number): Promise<CircuitState> {
    const [before] = await this.redis.agCircuit(this.keys.circuit(target), 'force', String(nowMs), state);
    return before as CircuitState;
  }

  async read(target: BreakerTarget, nowMs: number): Promise<CircuitView> {
    const [state, since, until, forced, failures, counted, openedAt] = await this.redis.agCircuit(this.keys.circuit(target.name), 'read', String(nowMs), String(target.circuitBreaker.windowMs));
    const n = Number(counted);
    return {
      state: state as CircuitState,
      since: iso(since!),
      until: state === 'open' ? iso(until!) : null,
      forced: forced === '1',
      failureRatio: state !== 'closed' ? Number(openedAt || 0) : n === 0 ? 0 : Math.round((Number(failures) / n) * 1_000) / 1_000,
      attempts: n,
    };
  }
}
