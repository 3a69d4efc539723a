/**
 * Redis's maxmemory-policy decides whether a full Redis drops our jobs. Only
 * `noeviction` is safe: `allkeys-*` may evict any job or queue key (refused);
 * `volatile-*` may evict finished jobs' records, which carry a TTL (warned).
 */
export type PolicyVerdict = { ok: true } | { ok: false; fatal: boolean; reason: string };

export function judgeEvictionPolicy(policy: string | null): PolicyVerdict {
  if (policy === null) {
    return { ok: false, fatal: false, reason: 'could not read maxmemory-policy (CONFIG disabled?); make sure it is noeviction' };
  }
  if (policy === 'noeviction') return { ok: true };
  if (policy.startsWith('allkeys-')) {
    return { ok: false, fatal: true, reason: `maxmemory-policy is ${policy}: Redis may evict queued jobs. Set it to noeviction.` };
  }
  return { ok: false, fatal: false, reason: `maxmemory-policy is ${policy}: finished jobs may be evicted early. noeviction is recommended.` };
}
