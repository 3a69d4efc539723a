import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { classifyAddress, type AddressPolicy } from '../../src/webhooks/address-policy.js';

/** Raised when every address of a callback host is refused by the SSRF guard. */
export class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the HTTP agent that resolves the callback host and keeps only the
 * addresses the policy allows. The check happens at connect time, on the very
 * addresses the socket will use, so a name that changes its answer after the submit
 * check (DNS rebinding) still cannot reach a refused range.
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const open = policy.allowedHosts.has(hostname.toLowerCase());
      const allowed = open ? addresses : addresses.filter((a) => classifyAddress(a.address, policy).allowed);
      if (allowed.length === 0) {
        const refused = addresses.map((a) => classifyAddress(a.address, policy)).find((v) => !v.allowed);
        return callback(new RefusedAddressError(`${hostname}: ${refused && !refused.allowed ? refused.reason : 'no allowed address'}`), []);
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
