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
  ])('refuses the IP literal in %s', async (url) => {
    const v = await checkCallbackUrl(url, strict, table({}));
    expect(v.ok).toBe(false);
  });

  it.each([
    ['internal.example.test', ['10.1.2.3']],
    ['metadata.example.test', ['169.254.169.254']],
    ['mixed.example.test', ['93.184.216.34', '127.0.0.1']],
    ['v6.example.test', ['fd00:ec2::254']],
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
});
