import { describe, expect, it } from 'vitest';
import { classifyAddress, createAddressPolicy } from '../../src/webhooks/address-policy.js';

const strict = createAddressPolicy([]);

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ])('refuses %s (%s)', (address, range) => {
    const v = classifyAddress(address, strict);
    expect(v.allowed).toBe(false);
    expect(v.range).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the global unicast address %s', (address) => {
    expect(classifyAddress(address, strict)).toEqual({ allowed: true, range: 'unicast' });
  });

  it('refuses what is not an address', () => {
    expect(classifyAddress('localhost', strict).allowed).toBe(false);
  });

  it('opens exactly the allowlisted ranges', () => {
    const demo = createAddressPolicy(['127.0.0.0/8', '::1', '10.20.0.0/16']);
    expect(classifyAddress('127.0.0.1', demo).allowed).toBe(true);
    expect(classifyAddress('::ffff:127.0.0.1', demo).allowed).toBe(true);
    expect(classifyAddress('::1', demo).allowed).toBe(true);
    expect(classifyAddress('10.20.3.4', demo).allowed).toBe(true);
    expect(classifyAddress('10.21.0.1', demo).allowed).toBe(false);
    expect(classifyAddress('169.254.169.254', demo).allowed).toBe(false);
  });
});
