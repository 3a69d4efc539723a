import type { Result } from 'ioredis';
import type { ParentRef } from './job-record.js';
import type { StepStatus } from './job-schema.js';
import type { Keys } from './keys.js';
import { MAX_EVENTS_PER_JOB } from './job-store.js';
import type { RedisClient } from './redis.js';
import { luaScript } from './scripts.js';

/** src/core/scripts/step-changed.lua (its header has KEYS, ARGV and reply). */
const STEP_CHANGED_LUA = luaScript('step-changed');


declare module 'ioredis' {
  interface RedisCommander<Context> {
    agStepChanged(record: string, events: string, outbox: string, ...args: string[]): Result<number, Context>;
  }
}

/** The pseudo-target a fanOut or chain route's job lives on: its records' slot and its outbox are this name's. */
export function routeTarget(route: string): string {
  return `route:${route}`;
}

export function isRouteTarget(target: string): boolean {
  return target.startsWith('route:');
}

/**
 * Tells a route's job that one of its steps changed status, on the route's slot
 * (step-changed.lua): the OutboxRelay calls it for a step's start and end, which the step's
 * own scripts wrote into its target's outbox, and the RouteConductor for a chain step it
 * created. Idempotent: a status only moves forward, but for a replayed step's (`reopened`).
 */
export class RouteSteps {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    redis.defineCommand('agStepChanged', { numberOfKeys: 3, lua: STEP_CHANGED_LUA });
  }

  /** A replayed step is queued again: its route's job hears of it (and may re-open: RouteConductor). */
  reopened(parent: ParentRef, atMs: number): Promise<boolean> {
    return this.changed(parent, 'queued', atMs, 'reopen');
  }

  async changed(parent: ParentRef, status: StepStatus, atMs: number, mode: '' | 'reopen' = ''): Promise<boolean> {
    const { keys } = this;
    const reply = await this.redis.agStepChanged(
      keys.job(parent.id),
      keys.jobEvents(parent.id),
      keys.outbox(routeTarget(parent.route)),
      String(parent.step),
      status,
      String(atMs),
      keys.jobChannel(),
      parent.id,
      String(MAX_EVENTS_PER_JOB),
      mode,
    );
    return reply === 1;
  }
}
