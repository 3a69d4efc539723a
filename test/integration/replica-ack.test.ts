import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, bearer } from '../support/api-keys.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ acme: 'client' });

/**
 * REDIS_WAIT_REPLICAS=1 on a real primary with a real replica: a submit is answered 202
 * only once the replica holds the job; with the replica gone it is 503 replication_timeout
 * with Retry-After, and the job is removed again (no record, no queue entry, no in-flight
 * slot); with the replica back, submits are acknowledged again.
 */
describe('submits acknowledged by a replica (REDIS_WAIT_REPLICAS)', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let stack: TestStack;
  let onReplica: Redis;

  const linked = async () => /master_link_status:up/.test(await onReplica.info('replication').catch(() => ''));

  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
    onReplica = new Redis(replica.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    onReplica.on('error', () => undefined);
    await eventually(linked, 10_000);
    stack = await startStack({
      redis: primary.url,
      executor: false,
      config: testConfig({ targets: { echo: { kind: 'handler', handler: 'echo' } }, auth }),
      waitReplicas: { replicas: 1, timeoutMs: 300 },
    });
  });
  afterAll(async () => {
    await stack?.close();
    onReplica?.disconnect();
    await replica?.destroy();
    await primary?.destroy();
  });

  const submit = () => stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'echo', input: { n: 1 } });
  const inFlight = () => stack.redis.zcard(`${stack.config.server.keyPrefix}:tenant:{acme}:in-flight`);

  it('answers 202 once the replica holds the job', async () => {
    const res = await submit();
    expect(res.status).toBe(202);
    // Read on the replica at once: WAIT returned only after it had the writes.
    expect(await onReplica.hget(`${stack.config.server.keyPrefix}:job:{${res.body.id.slice(4, 8)}}:${res.body.id}`, 'status')).toBe('queued');
  });

  it('answers 503 replication_timeout with Retry-After when no replica confirms, and keeps nothing of the job', async () => {
    const jobsBefore = (await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).length;
    const inFlightBefore = await inFlight();
    await replica.stop(true);
    const res = await submit();
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'replication_timeout', status: 503 });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).length).toBe(jobsBefore);
    expect(await inFlight()).toBe(inFlightBefore);
    // In the queue, only the first test's job: the refused one's entry was removed with it.
    const queue = `${stack.config.server.keyPrefix}:q:{stIe}echo`;
    expect(await stack.keys(`${queue}:job_*`)).toHaveLength(1);
    expect(await stack.redis.zcard(`${queue}:prioritized`)).toBe(1);
  });

  it('acknowledges submits again once the replica is back', async () => {
    await replica.start();
    await eventually(linked, 10_000);
    expect((await submit()).status).toBe(202);
  });
});
