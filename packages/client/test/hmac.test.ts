import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fromBase64, hmacSha256, sha256, toBase64 } from '../src/hmac.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pure-TS SHA-256 and HMAC-SHA256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('agrees with node:crypto on any message, across the padding boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (msg) => {
        expect(hex(sha256(msg))).toBe(createHash('sha256').update(msg).digest('hex'));
      }),
      { numRuns: 500 },
    );
    // Every length around one and two blocks, where the length field moves to the next block.
    for (let n = 50; n <= 140; n++) {
      const msg = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
      expect(hex(sha256(msg))).toBe(createHash('sha256').update(msg).digest('hex'));
    }
  });

  it('agrees with node:crypto HMAC for any key (short, block-sized, longer than a block) and message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 150 }), fc.uint8Array({ maxLength: 400 }), (key, msg) => {
        expect(hex(hmacSha256(key, msg))).toBe(createHmac('sha256', key).update(msg).digest('hex'));
      }),
      { numRuns: 500 },
    );
    // fast-check favours short arrays: every key length around the 64-byte block, explicitly.
    const msg = new TextEncoder().encode('msg_1.1700000000.{"type":"job.succeeded"}');
    for (let n = 0; n <= 200; n++) {
      const key = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
      expect(hex(hmacSha256(key, msg))).toBe(createHmac('sha256', key).update(msg).digest('hex'));
    }
  });

  it('hashes a megabyte as node:crypto does', () => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    expect(hex(sha256(big))).toBe(createHash('sha256').update(big).digest('hex'));
  });
});

describe('base64', () => {
  it('round-trips and matches Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(hex(fromBase64(text))).toBe(hex(bytes));
        expect(hex(fromBase64(text.replace(/=+$/, '')))).toBe(hex(bytes));
      }),
    );
  });

  it('refuses characters outside the alphabet', () => {
    expect(() => fromBase64('ab!d')).toThrow(TypeError);
    expect(() => fromBase64('abcde')).toThrow(TypeError);
  });
});

describe('constantTimeEqual', () => {
  it('is string equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
        expect(constantTimeEqual(a, a)).toBe(true);
      }),
    );
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
  });
});
