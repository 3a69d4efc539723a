import ipaddr from 'ipaddr.js';

/**
 * The pure rules behind the `webhooks` settings, kept in the config layer so that the
 * schema can check a file without importing src/webhooks (which builds on config).
 * src/webhooks re-exports them where they belong: `isValidAllowlistEntry` from
 * address-policy.ts, `DEFAULT_SCHEDULE_MS` from delivery-schedule.ts.
 */

/**
 * True for a Standard Webhooks secret: `whsec_` and at least 24 base64-encoded bytes.
 * The rule `secretKey` in src/webhooks/signature.ts applies when it signs; that file stays
 * self-contained (node:crypto only) because receivers copy it, so the rule is written
 * twice and test/unit/webhook-settings.test.ts keeps the two in step.
 */
export function isWebhookSecret(secret: string): boolean {
  return secret.startsWith('whsec_') && Buffer.from(secret.slice('whsec_'.length), 'base64').length >= 24;
}

/** True for an allowlist entry that parses (a CIDR, an address or a host name, with or without a trailing dot). */
export function isValidAllowlistEntry(entry: string): boolean {
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(entry) || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry);
}

/**
 * The default webhook retry schedule, Standard Webhooks': at once, then 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after each failure (jitter is applied by
 * `nextDeliveryDelayMs`).
 */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  300_000, // 5 min
  1_800_000, // 30 min
  7_200_000, // 2 h
  18_000_000, // 5 h
  36_000_000, // 10 h
  50_400_000, // 14 h
  72_000_000, // 20 h
  86_400_000, // 24 h
];
