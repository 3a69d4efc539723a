import ipaddr from 'ipaddr.js';

/**
 * Which addresses a webhook may connect to. Callback URLs come from clients, so only
 * global unicast addresses are allowed by default: loopback, private, link-local (cloud
 * metadata included), CGNAT, multicast, unspecified, documentation, benchmarking and
 * every IPv6 transition or embedding form (IPv4-mapped, NAT64, 6to4, Teredo) are refused.
 * An operator allowlist of CIDRs opens chosen ranges (the demo opens loopback).
 */
export interface AddressPolicy {
  /** Parsed CIDRs the operator opened. */
  allowedRanges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Host names the operator opened as they are, whatever they resolve to. */
  allowedHosts: ReadonlySet<string>;
}

export type AddressVerdict = { allowed: true; range: string } | { allowed: false; range: string; reason: string };

export function createAddressPolicy(allowlist: readonly string[]): AddressPolicy {
  const allowedRanges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const allowedHosts = new Set<string>();
  for (const entry of allowlist) {
    if (entry.includes('/')) allowedRanges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      allowedRanges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else allowedHosts.add(entry.toLowerCase());
  }
  return { allowedRanges, allowedHosts };
}

/** True for an allowlist entry that parses (a CIDR, an address or a host name). */
export function isValidAllowlistEntry(entry: string): boolean {
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(entry) || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry);
}

/** Classifies one IP address (IPv4 or IPv6, brackets allowed) under the policy. */
export function classifyAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return { allowed: false, range: 'invalid', reason: `not an IP address: ${address}` };
  let addr = ipaddr.parse(bare);
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d on the wire: judge it as such.
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  for (const [net, bits] of policy.allowedRanges) {
    if (net.kind() === addr.kind() && addr.match([net, bits] as never)) return { allowed: true, range };
  }
  if (range === 'unicast') return { allowed: true, range };
  return { allowed: false, range, reason: `${bare} is in a refused range (${range})` };
}
