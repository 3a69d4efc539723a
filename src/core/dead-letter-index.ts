import type { RedisClient } from './redis.js';
import type { JobRecord } from './job-record.js';
import type { Keys } from './keys.js';

export interface IdPage {
  ids: string[];
  total: number;
}

/**
 * The dead letters, jobs' and webhooks', as sorted sets of job ids by failure time: one
 * per target for jobs (on the target's slot, written by the script that ends the job) and
 * one for webhooks (written by the notifier). Both are read the same way: `page` merges
 * the sets it is given, newest first.
 */
export class DeadLetterIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Dead-lettered jobs of these targets (one for the admin list of a target, all of them otherwise). */
  jobPage(offset: number, limit: number, targets: readonly string[]): Promise<IdPage> {
    return this.page(targets.map((t) => this.keys.targetDeadLetters(t)), offset, limit);
  }

  webhookPage(offset: number, limit: number): Promise<IdPage> {
    return this.page([this.keys.webhookDeadLetters()], offset, limit);
  }

  isJobDeadLetter(record: Pick<JobRecord, 'id' | 'target'>): Promise<boolean> {
    return this.has(this.keys.targetDeadLetters(record.target), record.id);
  }

  isWebhookDeadLetter(id: string): Promise<boolean> {
    return this.has(this.keys.webhookDeadLetters(), id);
  }

  async addWebhook(id: string, atMs: number): Promise<void> {
    await this.redis.zadd(this.keys.webhookDeadLetters(), atMs, id);
  }

  /** True when it was one. */
  async removeWebhook(id: string): Promise<boolean> {
    return (await this.redis.zrem(this.keys.webhookDeadLetters(), id)) === 1;
  }

  private async has(key: string, id: string): Promise<boolean> {
    return (await this.redis.zscore(key, id)) !== null;
  }

  /**
   * A page across sets on different slots: the first offset + limit of each, merged newest
   * first (ties by id, so pages do not overlap); `total` counts them all. The sets are few
   * (one per target), and admin pages small.
   */
  private async page(keys: readonly string[], offset: number, limit: number): Promise<IdPage> {
    const { redis } = this;
    const per = await Promise.all(
      keys.map(async (key) => {
        const [raw, count] = await Promise.all([redis.zrevrange(key, 0, offset + limit - 1, 'WITHSCORES'), redis.zcard(key)]);
        const entries: { id: string; score: number }[] = [];
        for (let i = 0; i + 1 < raw.length; i += 2) entries.push({ id: raw[i]!, score: Number(raw[i + 1]) });
        return { entries, count };
      }),
    );
    const merged = per.flatMap((p) => p.entries).sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return { ids: merged.slice(offset, offset + limit).map((e) => e.id), total: per.reduce((sum, p) => sum + p.count, 0) };
  }
}
