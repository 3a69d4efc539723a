import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load-config.js';
import { loadEnv } from '../../src/config/env.js';
import { productionProblems } from '../../src/runtime/bootstrap.js';
import { handlerNames } from '../../workers/handlers/index.js';
import { apiKeys } from '../support/api-keys.js';

const targets = { echo: { kind: 'handler', handler: 'echo' } };
const env = (requireKeys: boolean) => loadEnv({ REQUIRE_API_KEYS: String(requireKeys) });

describe('production mode (REQUIRE_API_KEYS=true)', () => {
  it('requires API keys and server.publicUrl, and nothing else', () => {
    const bare = buildConfig({ targets }, handlerNames);
    expect(productionProblems({ env: env(true), config: bare }).map((p) => p.split(':')[0])).toEqual(['auth.keys', 'server.publicUrl']);
    const ready = buildConfig({ targets, auth: apiKeys({ acme: 'client' }).auth, server: { publicUrl: 'https://gateway.example.test' } }, handlerNames);
    expect(productionProblems({ env: env(true), config: ready })).toEqual([]);
  });

  it('leaves development mode alone: links come from the Host header there', () => {
    expect(productionProblems({ env: env(false), config: buildConfig({ targets }, handlerNames) })).toEqual([]);
  });
});
