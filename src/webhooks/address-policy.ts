import ipaddr from 'ipaddr.js';

export { isValidAllowlistEntry } from '../config/webhook-settings.js';

/**
 * Which addresses and host names a webhook may reach. Callback URLs come from clients, so
 * only global unicast addresses are allowed by default. The refusal is an explicit table
 * (`REFUSED_RANGES`) derived from IANA's special-purpose registries, checked first; the
 * named ranges of ipaddr.js are a second net behind it. An operator allowlist of CIDRs
 * and host names opens chosen ranges (the demo opens loopback).
 */
export interface AddressPolicy {
  /** Parsed CIDRs the operator opened. */
  allowedRanges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /**
   * Host names the operator opened as they are, whatever they resolve to: lower case,
   * without a trailing dot. Never a localhost name (those are opened by allowlisting
   * the loopback addresses, see `classifyHostName`).
   */
  allowedHosts: ReadonlySet<string>;
}

export type AddressVerdict = { allowed: true; range: string } | { allowed: false; range: string; reason: string };

export interface RefusedRange {
  /** The block, in CIDR notation. */
  readonly cidr: string;
  /** Short name reported in the verdict (the name ipaddr.js uses, where it has one). */
  readonly range: string;
  /** What the block is and where it is defined. */
  readonly name: string;
}

/**
 * Every block a webhook may not reach, most specific first (the first match names the
 * verdict). Derived from:
 * - IANA IPv4 Special-Purpose Address Registry and IANA IPv6 Special-Purpose Address
 *   Registry: every row is refused, including the rows the registry marks globally
 *   reachable (PCP/TURN/DNS-SD anycast, AS112, AMT, ORCHIDv2, DETs, the NAT64 well-known
 *   prefix) or N/A (Teredo, 6to4): anycast infrastructure has no business receiving
 *   webhooks, and an address that embeds another host's IPv4 address (NAT64, 6to4,
 *   Teredo, IPv4-compatible) reaches a host this check cannot see;
 * - IANA IPv4 Multicast Address Space (224.0.0.0/4);
 * - IANA IPv6 Address Space: only 2000::/3 is allocated for global unicast, so every
 *   address outside it is refused, among them the deprecated IPv4-compatible ::/96
 *   (RFC 4291), IPv4-translated ::ffff:0:0:0/96 (RFC 2765), site-local fec0::/10 and
 *   multicast ff00::/8.
 * IPv4-mapped ::ffff:a.b.c.d is judged as the IPv4 address a.b.c.d it stands for (see
 * `classifyAddress`); its row is listed so that the table alone never lets one through.
 * test/unit/fixtures/iana-special-purpose.ts holds the registries row by row, and
 * test/unit/iana-registry.test.ts checks this table against them.
 */
export const REFUSED_RANGES: readonly RefusedRange[] = [
  // IPv4
  { cidr: '0.0.0.0/8', range: 'unspecified', name: '"This network" (RFC 791, RFC 1122)' },
  { cidr: '10.0.0.0/8', range: 'private', name: 'Private-Use (RFC 1918)' },
  { cidr: '100.64.0.0/10', range: 'carrierGradeNat', name: 'Shared Address Space (RFC 6598)' },
  { cidr: '127.0.0.0/8', range: 'loopback', name: 'Loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', range: 'linkLocal', name: 'Link Local, cloud metadata included (RFC 3927)' },
  { cidr: '172.16.0.0/12', range: 'private', name: 'Private-Use (RFC 1918)' },
  { cidr: '192.0.0.0/24', range: 'reserved', name: 'IETF Protocol Assignments, PCP and TURN anycast included (RFC 6890)' },
  { cidr: '192.0.2.0/24', range: 'reserved', name: 'Documentation TEST-NET-1 (RFC 5737)' },
  { cidr: '192.31.196.0/24', range: 'as112', name: 'AS112-v4 (RFC 7535)' },
  { cidr: '192.52.193.0/24', range: 'amt', name: 'AMT (RFC 7450)' },
  { cidr: '192.88.99.0/24', range: 'reserved', name: 'Deprecated 6to4 Relay Anycast, 6a44 relay included (RFC 7526, RFC 6751)' },
  { cidr: '192.168.0.0/16', range: 'private', name: 'Private-Use (RFC 1918)' },
  { cidr: '192.175.48.0/24', range: 'as112', name: 'Direct Delegation AS112 Service (RFC 7534)' },
  { cidr: '198.18.0.0/15', range: 'reserved', name: 'Benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', range: 'reserved', name: 'Documentation TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', range: 'reserved', name: 'Documentation TEST-NET-3 (RFC 5737)' },
  { cidr: '224.0.0.0/4', range: 'multicast', name: 'Multicast (RFC 5771)' },
  { cidr: '255.255.255.255/32', range: 'broadcast', name: 'Limited Broadcast (RFC 919, RFC 8190)' },
  { cidr: '240.0.0.0/4', range: 'reserved', name: 'Reserved (RFC 1112)' },
  // IPv6
  { cidr: '::/128', range: 'unspecified', name: 'Unspecified Address (RFC 4291)' },
  { cidr: '::1/128', range: 'loopback', name: 'Loopback Address (RFC 4291)' },
  { cidr: '::/96', range: 'ipv4Compatible', name: 'deprecated IPv4-compatible address (RFC 4291 section 2.5.5.1)' },
  { cidr: '::ffff:0:0/96', range: 'ipv4Mapped', name: 'IPv4-mapped Address (RFC 4291)' },
  { cidr: '::ffff:0:0:0/96', range: 'rfc6145', name: 'IPv4-translated address (RFC 2765, RFC 6145)' },
  { cidr: '64:ff9b::/96', range: 'rfc6052', name: 'IPv4/IPv6 translation, NAT64 well-known prefix (RFC 6052)' },
  { cidr: '64:ff9b:1::/48', range: 'rfc6052', name: 'IPv4/IPv6 translation, local use (RFC 8215)' },
  { cidr: '100::/64', range: 'discard', name: 'Discard-Only Address Block (RFC 6666)' },
  { cidr: '100:0:0:1::/64', range: 'dummyPrefix', name: 'Dummy IPv6 Prefix (RFC 9780)' },
  { cidr: '2001::/32', range: 'teredo', name: 'Teredo (RFC 4380)' },
  { cidr: '2001:2::/48', range: 'benchmarking', name: 'Benchmarking (RFC 5180)' },
  { cidr: '2001:3::/32', range: 'amt', name: 'AMT (RFC 7450)' },
  { cidr: '2001:4:112::/48', range: 'as112v6', name: 'AS112-v6 (RFC 7535)' },
  { cidr: '2001:10::/28', range: 'deprecatedOrchid', name: 'Deprecated ORCHID (RFC 4843)' },
  { cidr: '2001:20::/28', range: 'orchid2', name: 'ORCHIDv2 (RFC 7343)' },
  { cidr: '2001:30::/28', range: 'droneRemoteIdProtocolEntityTags', name: 'Drone Remote ID Protocol Entity Tags (RFC 9374)' },
  { cidr: '2001::/23', range: 'reserved', name: 'IETF Protocol Assignments, PCP/TURN/DNS-SD anycast included (RFC 2928)' },
  { cidr: '2001:db8::/32', range: 'reserved', name: 'Documentation (RFC 3849)' },
  { cidr: '2002::/16', range: '6to4', name: '6to4 (RFC 3056)' },
  { cidr: '2620:4f:8000::/48', range: 'as112v6', name: 'Direct Delegation AS112 Service (RFC 7534)' },
  { cidr: '3fff::/20', range: 'reserved', name: 'Documentation (RFC 9637)' },
  { cidr: '5f00::/16', range: 'segmentRouting', name: 'Segment Routing (SRv6) SIDs (RFC 9602)' },
  { cidr: 'fc00::/7', range: 'uniqueLocal', name: 'Unique-Local (RFC 4193)' },
  { cidr: 'fe80::/10', range: 'linkLocal', name: 'Link-Local Unicast (RFC 4291)' },
  { cidr: 'fec0::/10', range: 'deprecatedSiteLocal', name: 'deprecated Site-Local (RFC 3879)' },
  { cidr: 'ff00::/8', range: 'multicast', name: 'Multicast (RFC 4291)' },
  { cidr: '::/3', range: 'reserved', name: 'outside 2000::/3, not allocated for global unicast (IANA IPv6 Address Space)' },
  { cidr: '4000::/2', range: 'reserved', name: 'outside 2000::/3, not allocated for global unicast (IANA IPv6 Address Space)' },
  { cidr: '8000::/1', range: 'reserved', name: 'outside 2000::/3, not allocated for global unicast (IANA IPv6 Address Space)' },
];

type Address = ipaddr.IPv4 | ipaddr.IPv6;
const REFUSED = REFUSED_RANGES.map((r) => ({ ...r, net: ipaddr.parseCIDR(r.cidr) }));

function inRange(addr: Address, [net, bits]: [Address, number]): boolean {
  return net.kind() === addr.kind() && addr.match([net, bits] as never);
}

/**
 * Parses an IPv4 or IPv6 address (brackets and an IPv6 zone allowed), or undefined. IPv6
 * with a dotted IPv4 tail is read as written: ipaddr.js alone would read `::8.8.8.8`
 * (IPv4-compatible, ::808:808, as Node prints it) as the IPv4-mapped `::ffff:8.8.8.8`.
 */
export function parseIpAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = text.replace(/^\[|\]$/g, '');
  if (!bare.includes(':')) return ipaddr.IPv4.isValid(bare) ? ipaddr.IPv4.parse(bare) : undefined;
  const zoneAt = bare.indexOf('%');
  const head = zoneAt === -1 ? bare : bare.slice(0, zoneAt);
  const zone = zoneAt === -1 ? '' : bare.slice(zoneAt);
  let hex = head;
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(head);
  if (dotted) {
    const o = dotted.slice(2).map(Number);
    if (o.some((n) => n > 255)) return undefined;
    hex = `${dotted[1]}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  } else if (head.includes('.')) return undefined;
  return ipaddr.IPv6.isValid(hex + zone) ? ipaddr.IPv6.parse(hex + zone) : undefined;
}

/** ::ffff:a.b.c.d is the IPv4 address a.b.c.d on the wire: judged as such. */
function unmap(addr: Address): Address {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** The first `REFUSED_RANGES` row holding the address (IPv4-mapped judged as IPv4), if any. The allowlist plays no part. */
export function refusedRangeOf(address: string): RefusedRange | undefined {
  const parsed = parseIpAddress(address);
  if (!parsed) return undefined;
  const addr = unmap(parsed);
  const hit = REFUSED.find((r) => inRange(addr, r.net));
  return hit && { cidr: hit.cidr, range: hit.range, name: hit.name };
}

export function createAddressPolicy(allowlist: readonly string[]): AddressPolicy {
  const allowedRanges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const allowedHosts = new Set<string>();
  for (const entry of allowlist) {
    if (entry.includes('/')) allowedRanges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      allowedRanges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else {
      const host = normalizeHostName(entry);
      // A listed name never opens loopback: that takes the loopback addresses themselves.
      if (!isLocalhostName(host)) allowedHosts.add(host);
    }
  }
  return { allowedRanges, allowedHosts };
}

/** Classifies one IP address (IPv4 or IPv6, brackets allowed) under the policy. */
export function classifyAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const bare = address.replace(/^\[|\]$/g, '');
  const parsed = parseIpAddress(bare);
  if (!parsed) return { allowed: false, range: 'invalid', reason: `not an IP address: ${address}` };
  // fe80::1%eth0: a zone only means something on this host's own links.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).zoneId) {
    return { allowed: false, range: 'scoped', reason: `${bare} carries a zone index` };
  }
  const addr = unmap(parsed);
  const named = addr.range();
  for (const net of policy.allowedRanges) {
    if (inRange(addr, net)) return { allowed: true, range: named };
  }
  const refused = REFUSED.find((r) => inRange(addr, r.net));
  if (refused) return { allowed: false, range: refused.range, reason: `${bare} is in a refused range (${refused.range}: ${refused.name}, ${refused.cidr})` };
  // A second net: a range ipaddr.js names that the table would somehow miss is refused too.
  if (named !== 'unicast') return { allowed: false, range: named, reason: `${bare} is in a refused range (${named})` };
  return { allowed: true, range: 'unicast' };
}

/** The loopback addresses a localhost name stands for (RFC 6761 section 6.3), in the order they are tried. */
export const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'] as const;

/**
 * Special-use domains refused as callback hosts, with every name under them. Not refused:
 * `test` and `example` (RFC 6761 asks applications not to treat them specially; what they
 * resolve to is judged like any other name), and example.com/net/org (real domains).
 */
export const REFUSED_DOMAINS: readonly { domain: string; why: string }[] = [
  { domain: 'invalid', why: 'never resolves (RFC 6761)' },
  { domain: 'local', why: 'multicast DNS, link-local (RFC 6762)' },
  { domain: 'arpa', why: 'infrastructure: home.arpa (RFC 8375), ipv4only.arpa (RFC 8880), resolver.arpa, service.arpa, reverse zones' },
  { domain: 'internal', why: 'private use (ICANN, 2024), e.g. metadata.google.internal' },
  { domain: 'onion', why: 'Tor onion services (RFC 7686)' },
  { domain: 'alt', why: 'non-DNS name spaces (RFC 9476)' },
];

/** Lower case, one trailing dot removed: `Example.TEST.` and `example.test` are the same host. */
export function normalizeHostName(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** `localhost` and every name under it (normalised host name expected). */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export type HostNameVerdict =
  /** Allowlisted: allowed whatever it resolves to. */
  | { kind: 'open'; host: string }
  /** A localhost name: judged as `LOOPBACK_ADDRESSES`, never resolved. */
  | { kind: 'loopback'; host: string }
  /** An ordinary name: judged by the addresses it resolves to. */
  | { kind: 'resolve'; host: string }
  | { kind: 'refused'; host: string; reason: string };

/**
 * Judges a host name (not an IP literal) before any resolution, on its normalised form
 * (`normalizeHostName`). Refused: empty labels (`localhost..`), single-label names (a
 * resolver completes them with its search domains, `metadata` or `redis` reach internal
 * hosts), and names under `REFUSED_DOMAINS`. `localhost` names stand for loopback, whatever
 * a resolver would answer, so only an allowlisted loopback address opens them; the host
 * allowlist opens any other name.
 */
export function classifyHostName(hostname: string, policy: AddressPolicy): HostNameVerdict {
  const host = normalizeHostName(hostname);
  if (host.split('.').some((label) => label === '')) return { kind: 'refused', host, reason: `${hostname} is not a valid host name (empty label)` };
  if (isLocalhostName(host)) return { kind: 'loopback', host };
  if (policy.allowedHosts.has(host)) return { kind: 'open', host };
  if (!host.includes('.')) {
    return { kind: 'refused', host, reason: `${hostname} is a single-label name, which the resolver would complete with its search domains` };
  }
  const special = REFUSED_DOMAINS.find(({ domain }) => host === domain || host.endsWith(`.${domain}`));
  if (special) return { kind: 'refused', host, reason: `${hostname} is under the special-use domain .${special.domain}: ${special.why}` };
  return { kind: 'resolve', host };
}
