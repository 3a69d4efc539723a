import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../../src/webhooks/address-policy.js';
import { checkCallbackUrl, type Resolver } from '../../src/webhooks/callback-url.js';

const strict = createAddressPolicy([]);
/** Answers from a table, so that no test ever connects to (or resolves) a non-loopback address. */
const table = (answers: Record<string, string[]>): Resolver => async (host) => {
  const a = answers[host];
  if (!a) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return a;
};

describe('checkCallbackUrl (submit-time SSRF check)', () => {
  it.each([
    'http://127.0.0.1/h',
    'http://127.1/h',
    'http://0x7f000001/h',
    'http://2130706433/h',
    'http://0177.0.0.1/h',
    'http://[::1]/h',
    'http://[::ffff:127.0.0.1]/h',
    'http://10.0.0.8/h',
    'http://192.168.0.1/h',
    'http://172.20.1.1/h',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00:ec2::254]/',
    'http://100.64.1.1/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://224.0.0.1/',
    'http://[64:ff9b::a00:1]/',
    'http://[::127.0.0.1]/',
    'http://[::7f00:1]/',
    'http://[::a9fe:a9fe]/latest/meta-data',
    'http://[::169.254.169.254]/',
    'http://[::8.8.8.8]/',
    'http://[::ffff:0:7f00:1]/',
    'http://[64:ff9b::8.8.8.8]/',
    'http://[64:ff9b:1::a9fe:a9fe]/',
    'http://[2002:a9fe:a9fe::1]/',
    'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
    'http://[100:0:0:1::1]/',
    'http://[3fff::1]/',
    'http://[5f00::1]/',
    'http://[2001:1::1]/',
    'http://[fec0::1]/',
    'http://192.0.0.9/',
    'http://192.31.196.1/',
    'http://127.0.0.1./',
    'http://0/',
  ])('refuses the IP literal in %s', async (url) => {
    const v = await checkCallbackUrl(url, strict, table({}));
    expect(v.ok).toBe(false);
  });

  it.each([
    ['internal.example.test', ['10.1.2.3']],
    ['metadata.example.test', ['169.254.169.254']],
    ['mixed.example.test', ['93.184.216.34', '127.0.0.1']],
    ['v6.example.test', ['fd00:ec2::254']],
    ['compat.example.test', ['::7f00:1']],
    ['compat-dotted.example.test', ['::127.0.0.1']],
    ['metadata-compat.example.test', ['::a9fe:a9fe']],
    ['translated.example.test', ['::ffff:0:7f00:1']],
    ['mixed-v6.example.test', ['2606:4700::1111', '0:0:0:0:0:0:a9fe:a9fe']],
    ['dummy.example.test', ['100:0:0:1::1']],
    ['rebound.example.test.', ['10.0.0.1']],
  ])('refuses %s, which resolves to a refused range', async (host, addresses) => {
    const v = await checkCallbackUrl(`https://${host}/hook`, strict, table({ [host]: addresses }));
    expect(v).toEqual({ ok: false, reason: expect.stringContaining('resolves to a refused address') });
  });

  it('accepts a name with only global addresses, and one that does not resolve yet', async () => {
    expect(await checkCallbackUrl('https://hooks.example.test/x', strict, table({ 'hooks.example.test': ['93.184.216.34'] }))).toEqual({
      ok: true,
      url: 'https://hooks.example.test/x',
    });
    expect((await checkCallbackUrl('https://later.example.test/x', strict, table({}))).ok).toBe(true);
  });

  it.each([
    ['ftp://files.example.test/x', 'only http and https'],
    ['http://user:pw@hooks.example.test/x', 'credentials'],
    ['http://hooks.example.test/x\r\nX-Injected: 1', 'control characters'],
    ['/relative', 'absolute'],
  ])('refuses %s', async (url, reason) => {
    const v = await checkCallbackUrl(url, strict, table({ 'hooks.example.test': ['93.184.216.34'] }));
    expect(v).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('lets the allowlist open loopback', async () => {
    const demo = createAddressPolicy(['127.0.0.0/8', '::1']);
    expect((await checkCallbackUrl('http://127.0.0.1:9/h', demo, table({}))).ok).toBe(true);
    expect((await checkCallbackUrl('http://[::1]:9/h', demo, table({}))).ok).toBe(true);
    expect((await checkCallbackUrl('http://10.0.0.1/h', demo, table({}))).ok).toBe(false);
  });

  it('accepts a name with a trailing dot, resolving it as written', async () => {
    const { resolver, asked } = spy({ 'hooks.example.test.': ['93.184.216.34'] });
    expect(await checkCallbackUrl('https://hooks.example.test./x', strict, resolver)).toEqual({ ok: true, url: 'https://hooks.example.test./x' });
    expect(asked).toEqual(['hooks.example.test.']);
  });

  it.each([
    ['http://localhost/h', 'localhost name'],
    ['http://localhost./h', 'localhost name'],
    ['http://LOCALHOST./h', 'localhost name'],
    ['http://localhost%2e/h', 'localhost name'],
    ['http://a.localhost/h', 'localhost name'],
    ['http://A.B.LocalHost./h', 'localhost name'],
    ['http://localhost../h', 'empty label'],
    ['http://hooks.invalid/h', '.invalid'],
    ['http://printer.local./h', '.local'],
    ['http://router.home.arpa/h', '.arpa'],
    ['http://metadata.google.internal/computeMetadata/v1/', '.internal'],
    ['http://example.onion/h', '.onion'],
    ['http://name.alt/h', '.alt'],
    ['http://metadata/computeMetadata/v1/', 'single-label'],
  ])('refuses %s by its name, without resolving it', async (url, reason) => {
    const { resolver, asked } = spy({ [new URL(url).hostname]: ['93.184.216.34'] });
    expect(await checkCallbackUrl(url, strict, resolver)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
    expect(asked).toEqual([]);
  });

  it('refuses localhost names whatever their case and labels (property)', async () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const spelling = fc.tuple(fc.array(label, { maxLength: 3 }), fc.boolean(), fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }));
    await fc.assert(
      fc.asyncProperty(spelling, async ([labels, dot, upper]) => {
        const localhost = [...'localhost'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
        const host = [...labels, localhost].join('.') + (dot ? '.' : '');
        const { resolver, asked } = spy({ [host.toLowerCase()]: ['93.184.216.34'] });
        const v = await checkCallbackUrl(`http://${host}/h`, strict, resolver);
        expect(v.ok).toBe(false);
        expect(asked).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('opens localhost names only through an allowlisted loopback address, never through a host entry', async () => {
    const { resolver, asked } = spy({ 'localhost': ['10.0.0.1'], 'a.localhost': ['10.0.0.1'] });
    const demo = createAddressPolicy(['127.0.0.0/8', '::1']);
    for (const host of ['localhost', 'localhost.', 'a.localhost', 'A.LOCALHOST.']) {
      expect((await checkCallbackUrl(`http://${host}:9/h`, demo, resolver)).ok, host).toBe(true);
    }
    expect((await checkCallbackUrl('http://localhost:9/h', createAddressPolicy(['::1']), resolver)).ok).toBe(true);
    const named = createAddressPolicy(['localhost', 'a.localhost', 'localhost.']);
    expect(await checkCallbackUrl('http://localhost:9/h', named, resolver)).toEqual({ ok: false, reason: expect.stringContaining('localhost name') });
    expect((await checkCallbackUrl('http://a.localhost./h', named, resolver)).ok).toBe(false);
    expect(asked).toEqual([]);
  });

  it('matches an allowlisted name with or without a trailing dot, and in any case', async () => {
    const { resolver, asked } = spy({});
    const policy = createAddressPolicy(['hooks.example.test', 'other.example.test.']);
    for (const url of ['http://hooks.example.test./x', 'http://HOOKS.Example.TEST/x', 'http://other.example.test/x', 'http://other.example.test./x']) {
      expect((await checkCallbackUrl(url, policy, resolver)).ok, url).toBe(true);
    }
    expect(asked).toEqual([]);
  });

  it('still judges .test and .example names by what they resolve to', async () => {
    const resolver = table({ 'hooks.example.test': ['93.184.216.34'], 'api.example': ['10.0.0.1'] });
    expect((await checkCallbackUrl('https://hooks.example.test/x', strict, resolver)).ok).toBe(true);
    expect((await checkCallbackUrl('https://api.example/x', strict, resolver)).ok).toBe(false);
  });
});

/** A table resolver that also records every name it was asked for. */
function spy(answers: Record<string, string[]>): { resolver: Resolver; asked: string[] } {
  const asked: string[] = [];
  const inner = table(answers);
  return {
    asked,
    resolver: async (host) => {
      asked.push(host);
      return inner(host);
    },
  };
}

describe('host allowlist', () => {
  it('opens a listed host name whatever it resolves to', async () => {
    const policy = createAddressPolicy(['hooks.internal.test']);
    const resolver = async () => ['10.0.0.7'];
    expect((await checkCallbackUrl('http://hooks.internal.test/x', policy, resolver)).ok).toBe(true);
    expect((await checkCallbackUrl('http://other.internal.test/x', policy, resolver)).ok).toBe(false);
  });
});
