import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
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
