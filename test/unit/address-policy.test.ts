import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  classifyHostName,
  createAddressPolicy,
  isValidAllowlistEntry,
  parseIpAddress,
  REFUSED_DOMAINS,
} from '../../src/webhooks/address-policy.js';

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
    // IPv4-compatible (::/96, deprecated): ipaddr.js calls these unicast.
    ['::7f00:1', 'ipv4Compatible'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['[::a9fe:a9fe]', 'ipv4Compatible'],
    ['::169.254.169.254', 'ipv4Compatible'],
    ['::8.8.8.8', 'ipv4Compatible'],
    ['0:0:0:0:0:0:808:808', 'ipv4Compatible'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['64:ff9b:1::a9fe:a9fe', 'rfc6052'],
    ['100::1', 'discard'],
    ['100:0:0:1::1', 'dummyPrefix'],
    ['3fff::1', 'reserved'],
    ['5f00::1', 'segmentRouting'],
    ['2001:1::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:20::1', 'orchid2'],
    ['2620:4f:8000::42', 'as112v6'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    ['192.0.0.9', 'reserved'],
    ['192.0.0.170', 'reserved'],
    ['192.31.196.1', 'as112'],
    ['192.52.193.1', 'amt'],
    ['192.88.99.2', 'reserved'],
    ['192.175.48.6', 'as112'],
    ['198.19.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['fe80::1%eth0', 'scoped'],
    ['2606:4700::1111%1', 'scoped'],
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

  it('names the block and its RFC in the reason', () => {
    expect(classifyAddress('::7f00:1', strict)).toEqual({
      allowed: false,
      range: 'ipv4Compatible',
      reason: expect.stringContaining('::/96'),
    });
  });

  it('never lets the allowlist of an IPv4 range open its IPv4-compatible or NAT64 form', () => {
    const demo = createAddressPolicy(['127.0.0.0/8', '::1']);
    expect(classifyAddress('::7f00:1', demo).allowed).toBe(false);
    expect(classifyAddress('64:ff9b::7f00:1', demo).allowed).toBe(false);
    expect(classifyAddress('::ffff:0:7f00:1', demo).allowed).toBe(false);
  });
});

describe('parseIpAddress', () => {
  it('reads a dotted IPv4 tail as written, not as ipaddr.js does', () => {
    expect(parseIpAddress('::8.8.8.8')?.toNormalizedString()).toBe('0:0:0:0:0:0:808:808');
    expect(parseIpAddress('::ffff:8.8.8.8')?.toNormalizedString()).toBe('0:0:0:0:0:ffff:808:808');
    expect(parseIpAddress('[64:ff9b::10.0.0.1]')?.toNormalizedString()).toBe('64:ff9b:0:0:0:0:a00:1');
    expect(parseIpAddress('127.0.0.1')?.toString()).toBe('127.0.0.1');
  });

  it.each(['::1.2.3.256', '::ffff:0x7f.0.0.1', '::1.2.3', 'localhost', '', '1::2::3'])('refuses to parse %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
    expect(classifyAddress(text, strict).allowed).toBe(false);
  });
});

describe('classifyHostName', () => {
  it.each(['localhost', 'localhost.', 'LOCALHOST', 'LocalHost.', 'a.localhost', 'a.b.localhost.', 'X.LOCALHOST.'])('%s stands for loopback', (host) => {
    expect(classifyHostName(host, strict).kind).toBe('loopback');
  });

  it.each([
    ['localhost..', 'empty label'],
    ['a..example.test', 'empty label'],
    ['.example.test', 'empty label'],
    ['metadata', 'single-label'],
    ['redis.', 'single-label'],
    ['hooks.invalid', '.invalid'],
    ['printer.local.', '.local'],
    ['router.home.arpa', '.arpa'],
    ['ipv4only.arpa', '.arpa'],
    ['metadata.google.internal', '.internal'],
    ['METADATA.GOOGLE.INTERNAL.', '.internal'],
    ['abcdefghijklmnop.onion', '.onion'],
    ['name.alt', '.alt'],
    ['invalid', 'single-label'],
  ])('refuses %s (%s)', (host, reason) => {
    const v = classifyHostName(host, strict);
    expect(v).toMatchObject({ kind: 'refused', reason: expect.stringContaining(reason) });
  });

  it.each(['hooks.example.test', 'hooks.example.test.', 'example.com', 'api.example', 'localhost.example.test', 'notlocalhost.test', 'local.example.test'])(
    'resolves %s like any name',
    (host) => {
      expect(classifyHostName(host, strict).kind).toBe('resolve');
    },
  );

  it('lists the refused special-use domains', () => {
    expect(REFUSED_DOMAINS.map((d) => d.domain)).toEqual(['invalid', 'local', 'arpa', 'internal', 'onion', 'alt']);
  });

  it('matches the host allowlist without a trailing dot and in any case, but never opens localhost', () => {
    const policy = createAddressPolicy(['Hooks.Example.test', 'receiver.', 'localhost', 'a.localhost.', 'hooks.corp.internal']);
    expect(classifyHostName('hooks.example.test.', policy).kind).toBe('open');
    expect(classifyHostName('HOOKS.EXAMPLE.TEST', policy).kind).toBe('open');
    expect(classifyHostName('receiver', policy).kind).toBe('open');
    expect(classifyHostName('hooks.corp.internal.', policy).kind).toBe('open');
    expect(classifyHostName('other.corp.internal', policy).kind).toBe('refused');
    expect(classifyHostName('localhost', policy).kind).toBe('loopback');
    expect(classifyHostName('a.localhost', policy).kind).toBe('loopback');
    expect([...policy.allowedHosts]).toEqual(['hooks.example.test', 'receiver', 'hooks.corp.internal']);
    // Even a policy built by hand with a localhost name in its host list does not open it.
    const handMade = { allowedRanges: [], allowedHosts: new Set(['localhost', 'a.localhost']) };
    expect(classifyHostName('localhost.', handMade).kind).toBe('loopback');
    expect(classifyHostName('a.localhost', handMade).kind).toBe('loopback');
  });

  it('accepts allowlist entries with a trailing dot', () => {
    expect(isValidAllowlistEntry('hooks.example.test.')).toBe(true);
    expect(isValidAllowlistEntry('hooks..example.test')).toBe(false);
  });
});
