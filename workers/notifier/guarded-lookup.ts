import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { classifyAddress, classifyHostName, LOOPBACK_ADDRESSES, parseIpAddress, type AddressPolicy } from '../../src/webhooks/address-policy.js';

/** Raised when every address of a callback host is refused by the SSRF guard. */
export class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Resolves every address of a name: `dns.lookup` with `all: true`, or a table in tests. */
export type AllAddressesLookup = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemLookup: AllAddressesLookup = (hostname, options, callback) => dnsLookup(hostname, options, callback);

function wantedFamily(options: LookupOptions): 0 | 4 | 6 {
  const f = options.family as number | string | undefined;
  if (f === 4 || f === 'IPv4') return 4;
  if (f === 6 || f === 'IPv6') return 6;
  return 0;
}

/**
 * A `lookup` for the HTTP agent that resolves the callback host and keeps only the
 * addresses the policy allows. The check happens at connect time, on the very
 * addresses the socket will use, so a name that changes its answer after the submit
 * check (DNS rebinding) still cannot reach a refused range. The host name is judged
 * first, as at submit (`classifyHostName`): a refused name is never resolved, and a
 * localhost name (`localhost.`, `a.localhost`) is answered with the loopback addresses
 * the policy allows, without asking DNS.
 */
export function guardedLookup(policy: AddressPolicy, lookup: AllAddressesLookup = systemLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const refuse = (reason: string) => process.nextTick(() => callback(new RefusedAddressError(`${hostname}: ${reason}`), []));
    const answer = (addresses: LookupAddress[], open: boolean) => {
      const allowed = open ? addresses : addresses.filter((a) => classifyAddress(a.address, policy).allowed);
      if (allowed.length === 0) {
        const refused = addresses.map((a) => classifyAddress(a.address, policy)).find((v) => !v.allowed);
        return refuse(refused && !refused.allowed ? refused.reason : 'no allowed address');
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    };
    const family = wantedFamily(options);
    const bare = hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(bare)) {
      // An IP literal is its own answer (Node does not normally ask): judged as it is, never resolved.
      const addr = parseIpAddress(bare);
      if (!addr) return refuse(`not an IP address: ${bare}`);
      return process.nextTick(() => answer([{ address: addr.toString(), family: addr.kind() === 'ipv4' ? 4 : 6 }], false));
    }
    const name = classifyHostName(hostname, policy);
    if (name.kind === 'refused') return refuse(name.reason);
    if (name.kind === 'loopback') {
      const loopback = LOOPBACK_ADDRESSES.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })).filter(
        (a) => family === 0 || a.family === family,
      );
      return process.nextTick(() => answer(loopback, false));
    }
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      answer(addresses, name.kind === 'open');
    });
  };
}
