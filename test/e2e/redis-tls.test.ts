import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_DEFAULTS, EXECUTOR_ENTRY, GATEWAY_ENTRY } from '../support/e2e-world.js';
import { freePort } from '../support/free-port.js';
import { httpCall, killAll, spawnEntry, writeConfigFile } from '../support/processes.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { eventually, testConfigDoc } from '../support/test-stack.js';

const TLS_DIR = resolve(import.meta.dirname, '../fixtures/tls');
const tls = { cert: join(TLS_DIR, 'server.crt'), key: join(TLS_DIR, 'server.key'), ca: join(TLS_DIR, 'ca.crt') };
/** How the processes trust the test CA: Node's own variable, as an operator would for a private CA. */
const TRUST = { NODE_EXTRA_CA_CERTS: tls.ca };

/**
 * Redis over TLS, for a single Redis (a rediss:// REDIS_URL) and for a cluster
 * (REDIS_CLUSTER_NODES with REDIS_TLS=true), each serving TLS only: a job runs through a
 * gateway and an executor process; and a certificate the processes do not trust stops
 * them at start-up instead of connecting anyway.
 */
describe('Redis over TLS', () => {
  let server: ChildProcess | undefined;
  let dir: string | undefined;
  let tlsPort: number;
  let cluster: RedisCluster | undefined;
  let configPath: string;

  beforeAll(async () => {
    configPath = writeConfigFile(testConfigDoc({ targets: { echo: { kind: 'handler', handler: 'echo' } }, defaults: E2E_DEFAULTS }));
    tlsPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'ag-redis-tls-'));
    server = spawn(
      'redis-server',
      ['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no', '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    await eventually(() => spawnSync('redis-cli', ['--tls', '--cacert', tls.ca, '-p', String(tlsPort), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 10_000);
    cluster = await startRedisCluster({ tls });
  }, 90_000);

  afterAll(async () => {
    await killAll();
    server?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    await cluster?.destroy();
  });

  async function runsAJob(env: Record<string, string>): Promise<void> {
    const gateway = spawnEntry(GATEWAY_ENTRY, { ...env, GATEWAY_CONFIG: configPath, PORT: '0' });
    const executor = spawnEntry(EXECUTOR_ENTRY, { ...env, GATEWAY_CONFIG: configPath });
    const port = Number((await gateway.waitForLog('gateway.listening', 60_000)).port);
    await executor.waitForLog('executor.ready', 60_000);
    const res = await httpCall(port, 'POST', '/v1/jobs', { target: 'echo', input: { over: 'tls' } }, { prefer: 'wait=10' }).answer;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', result: { echo: { over: 'tls' } } });
    gateway.kill();
    executor.kill();
    await Promise.all([gateway.waitForExit(20_000), executor.waitForExit(20_000)]);
  }

  it('runs a job on a single Redis through a rediss:// URL', async () => {
    await runsAJob({ ...TRUST, REDIS_URL: `rediss://127.0.0.1:${tlsPort}` });
  });

  it('runs a job on a cluster with REDIS_TLS=true', async () => {
    await runsAJob({ ...TRUST, REDIS_CLUSTER_NODES: cluster!.nodesEnv, REDIS_TLS: 'true' });
  });

  it('refuses to start when the server certificate is not trusted', async () => {
    const envs: Record<string, string>[] = [{ REDIS_URL: `rediss://127.0.0.1:${tlsPort}` }, { REDIS_CLUSTER_NODES: cluster!.nodesEnv, REDIS_TLS: 'true' }];
    for (const env of envs) {
      const gateway = spawnEntry(GATEWAY_ENTRY, { ...env, GATEWAY_CONFIG: configPath, PORT: '0' });
      const exit = await gateway.waitForExit(30_000);
      expect(exit.code, JSON.stringify(env)).toBe(1);
      expect(gateway.stderrText()).toMatch(/cannot use Redis at /);
      expect(gateway.logs('gateway.listening')).toEqual([]);
    }
  });
});
