import type { Redis } from 'ioredis';
import type { JobRecord } from './job-record.js';
import type { Keys } from './keys.js';
import { keySlot } from './key-slot.js';
import { isCluster, type RedisClient } from './redis.js';

/**
 * Waits until `replicas` replicas hold what this connection wrote (Redis's `WAIT`), for
 * REDIS_WAIT_REPLICAS: a submit is answered `202` only once the master's replicas have
 * the job, so that a master that dies right after cannot take it with it.
 *
 * `WAIT` counts the writes of the connection it is sent on, up to that moment: on a single
 * Redis, the producer connection that made them; on a cluster, the connection to each
 * master that holds one of the job's keys (its tenant's slot and its target's), which are
 * the same node connections the writes went through.
 */
export class ReplicaAck {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    readonly replicas: number,
    private readonly timeoutMs: number,
  ) {}

  /** True once every master that took the job's writes has `replicas` replicas acknowledging them within the timeout. */
  async confirmJob(record: Pick<JobRecord, 'id' | 'tenant'>): Promise<boolean> {
    if (this.replicas === 0) return true;
    const nodes = this.nodesOf([this.keys.tenantInFlight(record.tenant), this.keys.job(record.id)]);
    const acked = await Promise.all(nodes.map((node) => node.wait(this.replicas, this.timeoutMs)));
    return acked.every((n) => n >= this.replicas);
  }

  private nodesOf(keys: readonly string[]): Redis[] {
    const { redis } = this;
    if (!isCluster(redis)) return [redis];
    const byAddress = new Map(redis.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
    const out = new Set<Redis>();
    for (const key of keys) {
      const owner = redis.slots[keySlot(key)]?.[0];
      const node = owner ? byAddress.get(owner) : undefined;
      // A slot whose owner this connection does not know yet (a failover under way): no acknowledgement can be had.
      if (!node) throw new Error(`no known master for slot ${keySlot(key)}`);
      out.add(node);
    }
    return [...out];
  }
}
