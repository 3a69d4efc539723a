import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { classifyAddress, createAddressPolicy, REFUSED_RANGES, refusedRangeOf } from '../../src/webhooks/address-policy.js';
import { IPV4_SPECIAL_PURPOSE, IPV6_SPECIAL_PURPOSE, OTHER_REFUSED, SPECIAL_PURPOSE, type SpecialPurposeRow } from './fixtures/iana-special-purpose.js';
import { blockOf, contains, fromBigInt, samplesOf, toBigInt, type Block } from './fixtures/ip-math.js';

/**
 * The classifier against IANA's IPv4 and IPv6 special-purpose registries, row by row,
 * on the classifier only: nothing here resolves or connects.
 */
const strict = createAddressPolicy([]);
const allowed = (address: string) => classifyAddress(address, strict).allowed;

const rowBlocks = SPECIAL_PURPOSE.flatMap((row) => row.blocks.map((cidr) => ({ row, block: blockOf(cidr) })));
const refusedRowBlocks = rowBlocks.filter(({ row }) => row.guard === 'refused');
const notGloballyReachable = refusedRowBlocks.filter(({ row }) => row.globallyReachable === false);
const otherBlocks = OTHER_REFUSED.map((o) => blockOf(o.block));
/** Every block the guard must refuse, taken from the fixture (not from the code under test). */
const refusedBlocks: Block[] = [...refusedRowBlocks.map((b) => b.block), ...otherBlocks];
const MAPPED = blockOf('::ffff:0:0/96');

/** The expected verdict, from the fixture alone: IPv4-mapped judged as IPv4, anything in a refused block refused. */
function oracle(kind: 'ipv4' | 'ipv6', n: bigint): boolean {
  if (contains(MAPPED, kind, n)) return oracle('ipv4', n - MAPPED.first);
  return !refusedBlocks.some((b) => contains(b, kind, n));
}

const v4ToMapped = (n: bigint) => fromBigInt(MAPPED.first + n, 'ipv6');

describe('the IANA special-purpose fixture', () => {
  it('holds every row of both registries, each block a well-formed CIDR', () => {
    expect(IPV4_SPECIAL_PURPOSE).toHaveLength(25);
    expect(IPV6_SPECIAL_PURPOSE).toHaveLength(25);
    for (const { row, block } of rowBlocks) {
      expect(row.registry).toBe(block.kind);
      // No host bits: the block is written from its first address.
      expect(fromBigInt(block.first, block.kind), block.cidr).toBe(fromBigInt(toBigInt(block.cidr.split('/')[0]!), block.kind));
    }
  });

  it('documents why the guard refuses each row the registry does not mark False', () => {
    for (const row of SPECIAL_PURPOSE) {
      if (row.globallyReachable !== false) expect(row.stricter, row.blocks.join()).toBeTruthy();
    }
  });
});

describe('classifyAddress against every registry row (first, middle and last address)', () => {
  const cases = rowBlocks.flatMap(({ row, block }) => samplesOf(block).map((address) => [block.cidr, address, row] as const));

  it.each(cases)('%s: %s', (_cidr, address, row: SpecialPurposeRow) => {
    const verdict = classifyAddress(address, strict);
    if (row.guard === 'as-ipv4') {
      const v4 = ipaddr.IPv6.parse(address).toIPv4Address().toString();
      const expected = classifyAddress(v4, strict);
      expect({ allowed: verdict.allowed, range: verdict.range }).toEqual({ allowed: expected.allowed, range: expected.range });
      return;
    }
    expect(verdict.allowed).toBe(false);
    // The explicit table refuses it on its own, whatever ipaddr.js thinks of it.
    expect(refusedRangeOf(address)).toBeDefined();
    if (row.registry === 'ipv4') expect(allowed(v4ToMapped(toBigInt(address)))).toBe(false);
  });

  it.each(otherBlocks.flatMap((block) => samplesOf(block).map((address) => [block.cidr, address] as const)))('outside the registries, %s: %s', (_cidr, address) => {
    expect(allowed(address)).toBe(false);
    expect(refusedRangeOf(address)).toBeDefined();
  });

  it('refuses the embedding forms even around a global IPv4 address (8.8.8.8)', () => {
    for (const address of ['::808:808', '::8.8.8.8', '64:ff9b::808:808', '64:ff9b:1::808:808', '2002:808:808::1', '2001:0:808:808::1', '::ffff:0:808:808']) {
      expect(allowed(address), address).toBe(false);
    }
    expect(allowed('::ffff:8.8.8.8')).toBe(true);
  });

  it('gives the right verdict just outside every block (one below the first, one above the last address)', () => {
    const edges = [...rowBlocks.map((b) => b.block), ...otherBlocks].flatMap((b) => {
      const top = (1n << (b.kind === 'ipv4' ? 32n : 128n)) - 1n;
      return [b.first - 1n, b.last + 1n].filter((n) => n >= 0n && n <= top).map((n) => ({ kind: b.kind, n, around: b.cidr }));
    });
    expect(edges.some(({ kind, n }) => oracle(kind, n))).toBe(true);
    for (const { kind, n, around } of edges) expect(allowed(fromBigInt(n, kind)), `${fromBigInt(n, kind)} (next to ${around})`).toBe(oracle(kind, n));
  });
});

describe('the refused table', () => {
  it('refuses only what the fixture refuses: every row of REFUSED_RANGES lies inside a refused block', () => {
    for (const r of REFUSED_RANGES) {
      const mine = blockOf(r.cidr);
      const inside = [...refusedBlocks, MAPPED].some((b) => b.kind === mine.kind && b.first <= mine.first && mine.last <= b.last);
      expect(inside, r.cidr).toBe(true);
    }
  });

  it('covers every range ipaddr.js names, so that its named ranges are only a second net', () => {
    type Ranges = Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | [ipaddr.IPv4 | ipaddr.IPv6, number][]>;
    const named = [ipaddr.IPv4.prototype, ipaddr.IPv6.prototype].flatMap((p) =>
      Object.entries((p as unknown as { SpecialRanges: Ranges }).SpecialRanges).flatMap(([name, subnets]) =>
        (Array.isArray(subnets[0]) ? (subnets as [ipaddr.IPv4 | ipaddr.IPv6, number][]) : [subnets as [ipaddr.IPv4 | ipaddr.IPv6, number]]).map(
          ([net, bits]) => ({ name, cidr: `${net.toString()}/${bits}` }),
        ),
      ),
    );
    expect(named.length).toBeGreaterThan(20);
    for (const { name, cidr } of named) {
      if (name === 'ipv4Mapped') continue;
      for (const address of samplesOf(blockOf(cidr))) expect(refusedRangeOf(address), `${name} ${cidr}: ${address}`).toBeDefined();
    }
  });
});

describe('properties (fast-check)', () => {
  const inside = (blocks: readonly { block: Block }[]) =>
    fc.constantFrom(...blocks).chain(({ block }) => fc.bigInt({ min: block.first, max: block.last }).map((n) => ({ block, address: fromBigInt(n, block.kind) })));

  it('never allows an address the registries mark not globally reachable', () => {
    fc.assert(
      fc.property(inside(notGloballyReachable), ({ block, address }) => {
        expect(allowed(address), `${address} in ${block.cidr}`).toBe(false);
        expect(refusedRangeOf(address), `${address} in ${block.cidr}, by the table alone`).toBeDefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it('never allows the IPv4-mapped form of an IPv4 address the registry marks not globally reachable', () => {
    const v4 = notGloballyReachable.filter(({ block }) => block.kind === 'ipv4');
    fc.assert(
      fc.property(inside(v4), ({ address }) => {
        expect(allowed(v4ToMapped(toBigInt(address)))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never allows any address of any registry row the guard refuses (True, N/A and terminated rows included)', () => {
    fc.assert(
      fc.property(inside(refusedRowBlocks), ({ address }) => {
        expect(allowed(address)).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  it('agrees with the fixture on random addresses anywhere (so it fails both ways)', () => {
    const v4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((n) => ({ kind: 'ipv4' as const, n }));
    const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((n) => ({ kind: 'ipv6' as const, n }));
    const global6 = fc.bigInt({ min: 0x2000n << 112n, max: (0x4000n << 112n) - 1n }).map((n) => ({ kind: 'ipv6' as const, n }));
    const mapped = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((n) => ({ kind: 'ipv6' as const, n: MAPPED.first + n }));
    const seen = { allowed: 0, refused: 0 };
    fc.assert(
      fc.property(fc.oneof(v4, v6, global6, mapped), ({ kind, n }) => {
        const expected = oracle(kind, n);
        seen[expected ? 'allowed' : 'refused'] += 1;
        expect(allowed(fromBigInt(n, kind)), fromBigInt(n, kind)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
    expect(seen.allowed).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(100);
  });

  it.each(['8.8.8.8', '1.1.1.1', '9.9.9.9', '2606:4700::1111', '2606:4700:4700::1111', '2001:4860:4860::8888', '2620:fe::fe', '2a00:1450:4001:81b::200e'])(
    'allows the global address %s (classification only)',
    (address) => {
      expect(classifyAddress(address, strict)).toEqual({ allowed: true, range: 'unicast' });
      expect(refusedRangeOf(address)).toBeUndefined();
    },
  );
});
