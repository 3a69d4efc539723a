import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { traceIdFor, traceparentFor } from '../../src/core/trace-context.js';
import { createAddressPolicy } from '../../src/webhooks/address-policy.js';
import { checkCallbackUrl } from '../../src/webhooks/callback-url.js';
import { DEFAULT_SCHEDULE_MS, nextDeliveryDelayMs } from '../../src/webhooks/delivery-schedule.js';
import { sign, signatureHeader, verifyWebhook } from '../../src/webhooks/signature.js';

describe('signature', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  it('matches what the Standard Webhooks reference library signs', () => {
    const body = '{"type":"job.succeeded"}';
    const ts = 1_795_574_190;
    const reference = new Webhook(secret.slice(6)).sign('msg_1', new Date(ts * 1_000), body);
    expect(sign(secret, 'msg_1', ts, body)).toBe(reference);
  });
  it('signs with every secret during rotation and verifies with either', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const header = signatureHeader([secret, other], 'msg_2', 100, '{}');
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': '100', 'webhook-signature': header };
    expect(verifyWebhook([other], headers, '{}', 300, 100)).toEqual({});
    expect(() => verifyWebhook([other], headers, '{"x":1}', 300, 100)).toThrow(/no signature/);
    expect(() => verifyWebhook([other], headers, '{}', 300, 1_000)).toThrow(/tolerance/);
  });
  it('refuses a secret that is not whsec_ with enough key', () => {
    expect(() => sign('abc', 'm', 1, '')).toThrow(/whsec_/);
    expect(() => sign('whsec_c2hvcnQ=', 'm', 1, '')).toThrow(/24/);
  });
});

describe('delivery schedule', () => {
  it('is the Standard Webhooks schedule by default', () => {
    expect(DEFAULT_SCHEDULE_MS.map((ms) => ms / 1_000)).toEqual([0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400]);
  });
  it('gives the next delay after each failed attempt, then null', () => {
    const schedule = [0, 100, 1_000];
    expect(nextDeliveryDelayMs(schedule, 1, 0)).toBe(100);
    expect(nextDeliveryDelayMs(schedule, 2, 0)).toBe(1_000);
    expect(nextDeliveryDelayMs(schedule, 3, 0)).toBeNull();
  });
  it('applies jitter and honours a longer Retry-After, capped at the longest step', () => {
    expect(nextDeliveryDelayMs([0, 1_000], 1, 0.5, () => 1)).toBe(500);
    expect(nextDeliveryDelayMs([0, 1_000], 1, 0, () => 0, 800)).toBe(1_000);
    expect(nextDeliveryDelayMs([0, 1_000, 5_000], 1, 0, () => 0, 3_000)).toBe(3_000);
    expect(nextDeliveryDelayMs([0, 1_000, 5_000], 1, 0, () => 0, 60_000)).toBe(5_000);
  });
});

describe('host allowlist', () => {
  it('opens a listed host name whatever it resolves to', async () => {
    const policy = createAddressPolicy(['hooks.internal.test']);
    const resolver = async () => ['10.0.0.7'];
    expect((await checkCallbackUrl('http://hooks.internal.test/x', policy, resolver)).ok).toBe(true);
    expect((await checkCallbackUrl('http://other.internal.test/x', policy, resolver)).ok).toBe(false);
  });
});

describe('trace context', () => {
  it('keeps a W3C trace id, strips a UUID, hashes anything else', () => {
    expect(traceIdFor('4bf92f3577b34da6a3ce929d0e0e4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdFor('0b5d3a1e-8c5e-4c3b-9d8e-1f2a3b4c5d6e')).toBe('0b5d3a1e8c5e4c3b9d8e1f2a3b4c5d6e');
    expect(traceIdFor('order-42')).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdFor('order-42')).toBe(traceIdFor('order-42'));
    expect(traceparentFor('order-42')).toMatch(new RegExp(`^00-${traceIdFor('order-42')}-[0-9a-f]{16}-01$`));
  });
});
