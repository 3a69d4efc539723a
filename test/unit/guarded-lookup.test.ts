import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createAddressPolicy, type AddressPolicy } from '../../src/webhooks/address-policy.js';
import { guardedLookup, RefusedAddressError, type AllAddressesLookup } from '../../workers/notifier/guarded-lookup.js';

/**
 * The connect-time check, with a table in place of DNS: nothing here resolves or connects.
 * `asked` records every name the table was asked for.
 */
function tableLookup(answers: Record<string, string[]>): { lookup: AllAddressesLookup; asked: string[] } {
  const asked: string[] = [];
  const lookup: AllAddressesLookup = (hostname, _options, callback) => {
    asked.push(hostname);
    const a = answers[hostname];
    setImmediate(() => {
      if (!a) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(
        null,
        a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    });
  };
  return { lookup, asked };
}

type Outcome = { error: Error | null; addresses: LookupAddress[] | string; family?: number };

function run(policy: AddressPolicy, lookup: AllAddressesLookup, hostname: string, options: LookupOptions = { all: true }): Promise<Outcome> {
  return new Promise((resolve) => {
    guardedLookup(policy, lookup)(hostname, options, (error, addresses, family) => resolve({ error, addresses, family }));
  });
}

const strict = createAddressPolicy([]);
const demo = createAddressPolicy(['127.0.0.0/8', '::1']);

describe('guardedLookup (connect-time SSRF check)', () => {
  it.each(['localhost', 'localhost.', 'LOCALHOST.', 'a.localhost', 'a.b.localhost.'])('refuses the localhost name %s without resolving it', async (host) => {
    const { lookup, asked } = tableLookup({ [host]: ['93.184.216.34'] });
    const out = await run(strict, lookup, host);
    expect(out.error).toBeInstanceOf(RefusedAddressError);
    expect(out.error?.message).toContain('refused range (loopback');
    expect(asked).toEqual([]);
  });

  it('answers a localhost name with the allowlisted loopback addresses, never with what DNS says', async () => {
    const { lookup, asked } = tableLookup({ 'a.localhost.': ['10.0.0.1'] });
    expect(await run(demo, lookup, 'a.localhost.')).toMatchObject({
      error: null,
      addresses: [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
    expect(await run(demo, lookup, 'localhost.', { family: 6 })).toMatchObject({ error: null, addresses: '::1', family: 6 });
    expect(await run(demo, lookup, 'localhost', {})).toMatchObject({ error: null, addresses: '127.0.0.1', family: 4 });
    const v4only = createAddressPolicy(['127.0.0.0/8']);
    expect(await run(v4only, lookup, 'localhost')).toMatchObject({ error: null, addresses: [{ address: '127.0.0.1', family: 4 }] });
    expect((await run(v4only, lookup, 'localhost', { family: 6 })).error).toBeInstanceOf(RefusedAddressError);
    expect(asked).toEqual([]);
  });

  it('never opens a localhost name through a host allowlist entry', async () => {
    const { lookup } = tableLookup({ localhost: ['127.0.0.1'] });
    expect((await run(createAddressPolicy(['localhost', 'localhost.']), lookup, 'localhost')).error).toBeInstanceOf(RefusedAddressError);
  });

  it.each(['hooks.invalid', 'printer.local.', 'router.home.arpa', 'metadata.google.internal', 'x.onion', 'x.alt', 'metadata', 'localhost..'])(
    'refuses the special-use name %s without resolving it',
    async (host) => {
      const { lookup, asked } = tableLookup({ [host]: ['93.184.216.34'] });
      expect((await run(strict, lookup, host)).error).toBeInstanceOf(RefusedAddressError);
      expect(asked).toEqual([]);
    },
  );

  it.each([
    ['compat.example.test', ['::7f00:1']],
    ['compat-dotted.example.test', ['::127.0.0.1']],
    ['metadata.example.test', ['::a9fe:a9fe']],
    ['global-compat.example.test', ['::8.8.8.8']],
    ['translated.example.test', ['::ffff:0:7f00:1']],
    ['nat64.example.test', ['64:ff9b::a9fe:a9fe']],
    ['dummy.example.test', ['100:0:0:1::1']],
    ['anycast.example.test', ['192.0.0.9', '2001:1::1']],
  ])('refuses %s, which resolves only to refused addresses %j', async (host, addresses) => {
    const { lookup } = tableLookup({ [host]: addresses });
    const out = await run(strict, lookup, host);
    expect(out.error).toBeInstanceOf(RefusedAddressError);
    expect((out.error as RefusedAddressError).code).toBe('EREFUSEDADDRESS');
  });

  it('keeps only the allowed addresses of a mixed answer', async () => {
    const { lookup } = tableLookup({ 'mixed.example.test.': ['::7f00:1', '93.184.216.34', '::ffff:0:a9fe:a9fe', '2606:4700::1111'] });
    expect(await run(strict, lookup, 'mixed.example.test.')).toMatchObject({
      error: null,
      addresses: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
    });
    expect(await run(strict, lookup, 'mixed.example.test.', {})).toMatchObject({ error: null, addresses: '93.184.216.34', family: 4 });
  });

  it('opens an allowlisted name, with or without a trailing dot, whatever it resolves to', async () => {
    const { lookup } = tableLookup({ 'hooks.example.test.': ['10.0.0.7'], 'HOOKS.example.test': ['10.0.0.7'] });
    const policy = createAddressPolicy(['hooks.example.test']);
    expect(await run(policy, lookup, 'hooks.example.test.')).toMatchObject({ error: null, addresses: [{ address: '10.0.0.7' }] });
    expect(await run(policy, lookup, 'HOOKS.example.test')).toMatchObject({ error: null, addresses: [{ address: '10.0.0.7' }] });
    expect((await run(strict, lookup, 'hooks.example.test.')).error).toBeInstanceOf(RefusedAddressError);
  });

  it('judges an IP literal as it is, without resolving it', async () => {
    const { lookup, asked } = tableLookup({});
    expect((await run(strict, lookup, '::7f00:1')).error).toBeInstanceOf(RefusedAddressError);
    expect((await run(strict, lookup, '[::8.8.8.8]')).error).toBeInstanceOf(RefusedAddressError);
    expect(await run(strict, lookup, '93.184.216.34', {})).toMatchObject({ error: null, addresses: '93.184.216.34', family: 4 });
    expect(await run(strict, lookup, '::ffff:8.8.8.8')).toMatchObject({ error: null, addresses: [{ address: '::ffff:808:808', family: 6 }] });
    expect(asked).toEqual([]);
  });

  it('passes a resolution error through', async () => {
    const { lookup } = tableLookup({});
    const out = await run(strict, lookup, 'nowhere.example.test');
    expect(out.error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
