import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { classifyAddress, classifyHostName, LOOPBACK_ADDRESSES, type AddressPolicy } from './address-policy.js';

export type Resolver = (hostname: string) => Promise<string[]>;

/** The system resolver (what the delivery will use), every address of the name. */
export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export type CallbackUrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

/**
 * Submit-time check of a client's callback URL: http(s) only, no credentials, no
 * control characters, and its host must not be (or resolve to) a refused address.
 * An IP literal is judged after WHATWG normalisation (0x7f000001, 2130706433, 0177.0.0.1
 * and 127.1 are all 127.0.0.1; [::127.0.0.1] is [::7f00:1]). A host name is judged first
 * by `classifyHostName` (trailing dot, localhost names, special-use domains, single
 * labels, the host allowlist), then by every address the resolver gives for it, as
 * written in the URL (what the delivery will look up). A name that does not resolve now
 * is accepted: the delivery checks again at connect time, and records a failed delivery
 * if it is refused then.
 */
export async function checkCallbackUrl(raw: string, policy: AddressPolicy, resolve: Resolver = systemResolver): Promise<CallbackUrlVerdict> {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: 'the URL contains whitespace or control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'only http and https callbacks are allowed' };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  const accepted: CallbackUrlVerdict = { ok: true, url: url.toString() };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const v = classifyAddress(host, policy);
    return v.allowed ? accepted : { ok: false, reason: v.reason };
  }
  const name = classifyHostName(host, policy);
  if (name.kind === 'refused') return { ok: false, reason: name.reason };
  if (name.kind === 'open') return accepted;
  if (name.kind === 'loopback') {
    // The delivery connects to whichever loopback address the policy allows, never to what DNS says.
    const reasons = LOOPBACK_ADDRESSES.map((a) => classifyAddress(a, policy)).flatMap((v) => (v.allowed ? [] : [v.reason]));
    if (reasons.length < LOOPBACK_ADDRESSES.length) return accepted;
    return { ok: false, reason: `${host} is a localhost name, always loopback (RFC 6761): ${reasons.join('; ')}` };
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return accepted;
  }
  for (const address of addresses) {
    const v = classifyAddress(address, policy);
    if (!v.allowed) return { ok: false, reason: `${host} resolves to a refused address: ${v.reason}` };
  }
  return accepted;
}
