import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_DEFAULTS, EXECUTOR_ENTRY, GATEWAY_ENTRY } from '../support/e2e-world.js';
import { httpCall, killAll, logEvent, spawnEntry, writeConfigFile, type ChildEntry } from '../support/processes.js';
import { sample } from '../support/prom.js';
import { ask, startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { createLogger } from '../../src/core/logger.js';
import { checkRedis } from '../../src/runtime/bootstrap.js';
import { eventually, testConfigDoc } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const NOTIFIER_ENTRY = 'workers/notifier/index.ts';
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/**
 * The gateway, an executor and a notifier as three real processes on a real Redis Cluster
 * (3 masters, 3 replicas on loopback), configured by REDIS_CLUSTER_NODES alone: a job
 * submitted, retried and finished with its webhook; a cancel reaching a job running in the
 * executor process through the cluster's pub/sub; /metrics counting every queue.
 */
describe('on a Redis Cluster, across processes', () => {
  let cluster: RedisCluster;
  let receiver: Upstream;
  let gateway: ChildEntry;
  let executor: ChildEntry;
  let notifier: ChildEntry;
  let port: number;
  let configPath: string;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    receiver = await startUpstream();
    configPath = writeConfigFile(
      testConfigDoc({
        targets: { flaky: { kind: 'handler', handler: 'flaky', attempts: 3 }, echo: { kind: 'handler', handler: 'echo', concurrency: 1 } },
        defaults: E2E_DEFAULTS,
        webhooks: { secrets: [WEBHOOK_SECRET], allowlist: ['127.0.0.0/8'] },
      }),
    );
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, GATEWAY_CONFIG: configPath };
    gateway = spawnEntry(GATEWAY_ENTRY, { ...env, PORT: '0' });
    executor = spawnEntry(EXECUTOR_ENTRY, env);
    notifier = spawnEntry(NOTIFIER_ENTRY, env);
    const listening = await gateway.waitForLog('gateway.listening', 60_000);
    port = Number(listening.port);
    expect(listening.redis).toBe(`cluster ${cluster.nodesEnv}`);
    await executor.waitForLog('executor.ready', 60_000);
    await notifier.waitForLog('notifier.ready', 60_000);
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await receiver?.close();
    await cluster?.destroy();
  });

  it('runs a job through a retry to its end and delivers its webhook', async () => {
    const res = await httpCall(port, 'POST', '/v1/jobs', { target: 'flaky', input: { failTimes: 1 }, callback: { url: `${receiver.url}/hook` } }, { prefer: 'wait=15' }).answer;
    expect(res.status).toBe(200);
    const job = res.body as { id: string; status: string; attempts: number };
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    await notifier.waitForLog(logEvent('webhook.delivered', { jobId: job.id }), 20_000);
    const hook = receiver.requests.find((r) => r.url === '/hook')!;
    expect(JSON.parse(hook.body.toString('utf8'))).toMatchObject({ type: 'job.succeeded', data: { id: job.id, status: 'succeeded' } });
    const timeline = await httpCall(port, 'GET', `/v1/admin/jobs/${job.id}`).answer;
    expect((timeline.body as { attempts: { outcome: string }[] }).attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
  });

  it('cancels a job running in the executor process', async () => {
    const res = await httpCall(port, 'POST', '/v1/jobs', { target: 'echo', input: { delayMs: 60_000 } }).answer;
    const id = (res.body as { id: string }).id;
    await executor.waitForLog(logEvent('job.started', { jobId: id }), 15_000);
    const cancel = await httpCall(port, 'POST', `/v1/jobs/${id}/cancel`).answer;
    expect([200, 202]).toContain(cancel.status);
    await executor.waitForLog(logEvent('job.cancel_signalled', { jobId: id }), 15_000);
    await eventually(async () => ((await httpCall(port, 'GET', `/v1/jobs/${id}`).answer).body as { status: string }).status === 'canceled', 15_000);
  });

  it("acknowledges a submit once its masters' replicas hold it (REDIS_WAIT_REPLICAS), and refuses it, keeping nothing, when they cannot", async () => {
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, GATEWAY_CONFIG: configPath, PORT: '0', REDIS_WAIT_TIMEOUT_MS: '300' };
    const one = spawnEntry(GATEWAY_ENTRY, { ...env, REDIS_WAIT_REPLICAS: '1' });
    // Each master has one replica: two can never confirm.
    const two = spawnEntry(GATEWAY_ENTRY, { ...env, REDIS_WAIT_REPLICAS: '2' });
    const portOf = async (g: ChildEntry) => Number((await g.waitForLog('gateway.listening', 60_000)).port);
    const [onePort, twoPort] = await Promise.all([portOf(one), portOf(two)]);
    const acked = await httpCall(onePort, 'POST', '/v1/jobs', { target: 'flaky', input: { failTimes: 0 } }, { prefer: 'wait=10' }).answer;
    expect(acked.status).toBe(200);
    expect((acked.body as { status: string }).status).toBe('succeeded');
    const refused = await httpCall(twoPort, 'POST', '/v1/jobs', { target: 'flaky', input: { failTimes: 0 }, metadata: { mark: 'refused' } }).answer;
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'replication_timeout' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const listed = await httpCall(port, 'GET', '/v1/jobs?metadata.mark=refused').answer;
    expect((listed.body as { items: unknown[] }).items).toEqual([]);
  });

  it('refuses at start-up a cluster any of whose masters may evict keys, naming that node', async () => {
    const logger = createLogger({ level: 'silent' });
    await expect(checkRedis(cluster.target, logger)).resolves.toBeUndefined();
    const master = (await Promise.all(cluster.nodes.map(async (n) => ({ n, role: String(await ask(n.port, 'ROLE')) })))).find((x) => x.role.startsWith('master'))!.n;
    await ask(master.port, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      await expect(checkRedis(cluster.target, logger)).rejects.toThrow(new RegExp(`allkeys-lru.*\\(node 127\\.0\\.0\\.1:${master.port}\\)`));
    } finally {
      await ask(master.port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('counts every queue in /metrics and sees its workers', async () => {
    const text = String((await httpCall(port, 'GET', '/metrics').answer).body);
    for (const target of ['flaky', 'echo']) expect(sample(text, 'asyncgw_queue_jobs', { target, state: 'waiting' }), target).toBe(0);
    // This gateway accepted the first test's job; the others' submits went to their own gateways.
    expect(sample(text, 'asyncgw_jobs_accepted_total', { target: 'flaky' })).toBe(1);
    const ready = await httpCall(port, 'GET', '/readyz').answer;
    expect(ready.body).toMatchObject({ status: 'ready', checks: { workers: { flaky: 1, echo: 1 }, notifiers: 1 } });
  });
});
