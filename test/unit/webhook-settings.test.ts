import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWebhookSecret } from '../../src/config/webhook-settings.js';
import { secretKey } from '../../src/webhooks/signature.js';

const signs = (secret: string): boolean => {
  try {
    secretKey(secret);
    return true;
  } catch {
    return false;
  }
};

describe('isWebhookSecret', () => {
  it.each([
    ['32 random bytes', `whsec_${randomBytes(32).toString('base64')}`],
    ['24 random bytes, the least', `whsec_${randomBytes(24).toString('base64')}`],
    ['23 random bytes, one short', `whsec_${randomBytes(23).toString('base64')}`],
    ['base64url key', `whsec_${randomBytes(24).toString('base64url')}`],
    ['upper-case prefix', `WHSEC_${randomBytes(32).toString('base64')}`],
    ['no prefix', randomBytes(32).toString('base64')],
    ['prefix alone', 'whsec_'],
    ['a short key', 'whsec_c2hvcnQ='],
    ['empty', ''],
  ])('agrees with the signer on a secret with %s', (_label, secret) => {
    expect(isWebhookSecret(secret)).toBe(signs(secret));
  });
  it('accepts a real secret and refuses a short one', () => {
    expect(isWebhookSecret(`whsec_${randomBytes(32).toString('base64')}`)).toBe(true);
    expect(isWebhookSecret('whsec_c2hvcnQ=')).toBe(false);
  });
});
