import { describe, expect, it } from 'vitest';
import { newJobId } from '../../src/core/ids.js';
import { decodeCursor, encodeCursor } from '../../src/core/tenant-job-list.js';

describe('list cursors', () => {
  it('round-trips a cursor and refuses a forged one', () => {
    const c = { score: 1_795_000_000_000, id: newJobId('echo') };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(Buffer.from('1:*').toString('base64url'))).toBeNull();
  });
});
