import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/ensure-test-tools.mjs', import.meta.url).pathname;

function run(path: string) {
  return spawnSync(process.execPath, [SCRIPT], { env: { PATH: path, NO_AUTO_INSTALL: '1' }, encoding: 'utf8' });
}

describe('npm test pre-flight (scripts/ensure-test-tools.mjs)', () => {
  it('stops before any test with the exact install command when redis-server is missing', () => {
    const r = run('/nonexistent');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('apt-get install redis-server');
  });

  it('passes when every tool is present', () => {
    const r = run(process.env.PATH ?? '');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
