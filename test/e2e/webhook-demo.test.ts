import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startRedisServer } from '../support/redis-server.js';
import { spawnEntry } from '../support/processes.js';

describe('the webhook demo', () => {
  it('shows a signed webhook arriving from npm start with the demo config', async () => {
    const redis = await startRedisServer();
    const cwd = mkdtempSync(join(tmpdir(), 'ag-demo-'));
    const port = await freePort();
    const app = spawnEntry('src/main.ts', { REDIS_URL: redis.url, PORT: String(port) }, { cwd });
    try {
      await app.waitForLog((l) => l.event === 'gateway.listening', 60_000);
      const demo = spawnSync(process.execPath, ['--import', 'tsx', 'demo/webhook-demo.ts'], {
        env: { ...process.env, GATEWAY_URL: `http://127.0.0.1:${port}` },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(demo.stderr).toBe('');
      expect(demo.status).toBe(0);
      expect(demo.stdout).toMatch(/webhook msg_\S+ verified: job\.succeeded for job_\S+, result \{"echo":\{"delayMs":500,"hello":"webhook"\}\}/);
    } finally {
      app.kill('SIGTERM');
      await app.exited;
      await redis.destroy();
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);
});
