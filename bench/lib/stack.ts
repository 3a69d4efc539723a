import { loadConfigFile } from '../../src/config/load-config.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import { JobQueues } from '../../src/core/job-queues.js';
import type { JobRecord } from '../../src/core/job-record.js';
import { JobStore } from '../../src/core/job-store.js';
import { TenantAdmission } from '../../src/core/tenant-admission.js';
import { TenantJobList } from '../../src/core/tenant-job-list.js';
import { JobWatcher } from '../../src/core/job-watcher.js';
import { createKeys, type Keys } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { closeRedis, createRedis, type RedisClient, type RedisTarget } from '../../src/core/redis.js';
import { WebhookQueue } from '../../src/core/webhook-queue.js';
import { toDocument } from '../../src/core/job-view.js';
import { JobService, type SubmitCommand } from '../../src/jobs/job-service.js';
import { indexHorizonMs } from '../../src/runtime/index-horizon.js';
import { CallbackTrigger } from '../../src/webhooks/callback-trigger.js';
import { handlerNames, handlers } from '../../workers/handlers/index.js';

/**
 * The runner's own door to the job store, through the project's modules (never its
 * keys by hand): it fills queues for the executor and notifier cases with the same
 * admission code the gateway runs (JobService.submit), and reads queue depths.
 */
export interface BenchStack {
  config: GatewayConfig;
  keys: Keys;
  redis: RedisClient;
  store: JobStore;
  queues: JobQueues;
  service: JobService;
  trigger: CallbackTrigger;
  /** Submits `count` jobs, `concurrency` at a time; `make(i)` shapes each. */
  submitMany(count: number, make: (i: number) => SubmitCommand, concurrency?: number): Promise<JobRecord[]>;
  /** Jobs still waiting or running in a target's BullMQ queue, or waiting in its tenant lanes. */
  queueBacklog(target: string): Promise<number>;
  /** Size in bytes of the job's webhook body, as the notifier would send it. */
  webhookBodyBytes(record: JobRecord): number;
  close(): Promise<void>;
}

/** `target`: the run's Redis, one server's URL or a cluster's nodes (createRedis takes both). */
export async function openStack(target: RedisTarget, configPath: string): Promise<BenchStack> {
  const config = loadConfigFile(configPath, handlerNames);
  const keys = createKeys(config.server.keyPrefix);
  const redis = createRedis(target, 'worker', 'bench-runner');
  const store = new JobStore(redis, keys);
  const queues = new JobQueues(redis, keys, config.targets);
  const webhooks = new WebhookQueue(redis, keys);
  const silent = createLogger({ level: 'silent' });
  const trigger = new CallbackTrigger(config, webhooks, silent);
  // submit() never waits on the watcher; it is never started.
  const service = new JobService(config, store, queues, new JobWatcher(redis, keys.jobChannel(), (ids) => store.eventVersions(ids)), silent, { handlers, admission: new TenantAdmission(redis, keys, indexHorizonMs(config)), list: new TenantJobList(redis, keys, store) });
  return {
    config,
    keys,
    redis,
    store,
    queues,
    service,
    trigger,
    async submitMany(count, make, concurrency = 200) {
      const out: JobRecord[] = new Array<JobRecord>(count);
      let next = 0;
      const lane = async () => {
        while (next < count) {
          const i = next++;
          out[i] = (await service.submit(make(i))).record;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
      return out;
    },
    async queueBacklog(target) {
      const [c, lanes] = await Promise.all([queues.queue(target).getJobCounts('wait', 'prioritized', 'active', 'delayed'), queues.laneBacklog(target)]);
      return Object.values(c).reduce((a, b) => a + b, 0) + lanes.waiting + lanes.scheduled;
    },
    webhookBodyBytes(record) {
      const timestamp = Math.floor(Date.now() / 1_000);
      return Buffer.byteLength(
        JSON.stringify({ type: 'job.succeeded', timestamp: new Date(timestamp * 1_000).toISOString(), data: toDocument(record, config.server.publicUrl ?? '') }),
      );
    },
    async close() {
      await queues.close();
      await webhooks.close().catch(() => undefined);
      await closeRedis(redis);
    },
  };
}
