import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConfig } from '../../src/config/load-config.js';
import { handlerNames } from '../../workers/handlers/index.js';

/** `docker compose` (v2 plugin) where installed, else Debian's `docker-compose`; null when neither is. */
function composeCommand(): string[] | null {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return null;
}

interface ComposeFile {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; profiles?: string[] }>;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as ComposeFile;
  const cmd = composeCommand();

  it.skipIf(!cmd)('is accepted by `compose config`', () => {
    const [bin, ...args] = cmd!;
    const r = spawnSync(bin!, [...args, 'config', '-q'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs Redis with AOF and noeviction', () => {
    const redis = compose.services.redis!.command!.join(' ');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--appendonly yes');
  });

  it('runs the gateway, an executor, the notifier and the demo upstream from the built image', () => {
    expect(compose.services.gateway?.command).toEqual(['node', 'dist/src/server.js']);
    expect(compose.services.executor?.command).toEqual(['node', 'dist/workers/executor/index.js']);
    expect(compose.services.notifier?.command).toEqual(['node', 'dist/workers/notifier/index.js']);
    expect(compose.services.upstream?.command).toEqual(['node', 'dist/demo/upstream.js']);
  });

  it('traces into Jaeger only when asked: its own profile, and OTEL_TRACES_EXPORTER none unless given', () => {
    // With YAML merge keys applied, as compose applies them (the services share one environment block).
    const merged = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as ComposeFile;
    for (const name of ['gateway', 'executor', 'notifier']) {
      expect(merged.services[name]?.environment).toMatchObject({ OTEL_TRACES_EXPORTER: '${OTEL_TRACES_EXPORTER:-none}', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' });
    }
    expect(compose.services.jaeger?.profiles).toEqual(['tracing']);
    expect(buildConfig(parse(readFileSync('config/compose.yaml', 'utf8')), handlerNames).tracing.viewerUrl).toBe('http://localhost:16686/trace/{traceId}');
  });

  it('has a cluster profile: six Redis nodes in cluster mode with AOF and noeviction, a one-shot that makes the cluster, and the processes switched by REDIS_CLUSTER_NODES', () => {
    const merged = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as ComposeFile;
    const nodes = Object.entries(merged.services).filter(([name]) => /^redis-node-\d$/.test(name));
    expect(nodes).toHaveLength(6);
    for (const [name, node] of nodes) {
      expect(node.profiles, name).toEqual(['cluster']);
      const command = node.command!.join(' ');
      for (const flag of ['--cluster-enabled yes', '--appendonly yes', '--maxmemory-policy noeviction']) expect(command, name).toContain(flag);
    }
    const init = merged.services['redis-cluster-init']!;
    expect(init.profiles).toEqual(['cluster']);
    expect(init.command!.join(' ')).toMatch(/redis-cli --cluster create( 172\.30\.0\.1[1-6]:6379){6} --cluster-replicas 1 --cluster-yes/);
    // The single Redis stays the default; REDIS_URL= (empty, read as unset) and REDIS_CLUSTER_NODES switch every process.
    for (const name of ['gateway', 'executor', 'notifier']) {
      expect(merged.services[name]?.environment).toMatchObject({ REDIS_URL: '${REDIS_URL-redis://redis:6379}', REDIS_CLUSTER_NODES: '${REDIS_CLUSTER_NODES:-}' });
    }
  });

  it('points at a config file that is valid', () => {
    expect(() => buildConfig(parse(readFileSync('config/compose.yaml', 'utf8')), handlerNames)).not.toThrow();
    expect(() => buildConfig(parse(readFileSync('config/demo.yaml', 'utf8')), handlerNames)).not.toThrow();
  });
});
