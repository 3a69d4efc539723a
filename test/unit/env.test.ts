import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';

describe('loadEnv', () => {
  it('applies defaults', () => {
    expect(loadEnv({})).toMatchObject({ PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'info', AUTO_REDIS: true });
  });
  it('parses booleans explicitly: "false" is false', () => {
    expect(loadEnv({ AUTO_REDIS: 'false' }).AUTO_REDIS).toBe(false);
  });
  it('reports every bad variable', () => {
    expect(() => loadEnv({ PORT: 'eighty', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*REDIS_URL[\s\S]*LOG_LEVEL/);
  });
});
