import { describe, expect, it } from 'vitest';
import { parsePrefer } from '../../src/http/prefer.js';

describe('parsePrefer (RFC 7240)', () => {
  it.each([
    ['respond-async, wait=10', { respondAsync: true, waitSeconds: 10 }],
    ['wait=5', { respondAsync: false, waitSeconds: 5 }],
    ['RESPOND-ASYNC', { respondAsync: true }],
    ['wait="7"', { respondAsync: false, waitSeconds: 7 }],
    ['wait=abc, handling=lenient', { respondAsync: false }],
    ['wait=-1', { respondAsync: false }],
    ['return=minimal; foo=bar, respond-async', { respondAsync: true }],
  ])('%s', (header, expected) => {
    expect(parsePrefer(header)).toEqual(expected);
  });
  it('reads several header lines, first wait wins', () => {
    expect(parsePrefer(['wait=3', 'respond-async, wait=9'])).toEqual({ respondAsync: true, waitSeconds: 3 });
  });
});
