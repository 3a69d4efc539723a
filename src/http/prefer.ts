/**
 * RFC 7240 Prefer: `respond-async` and `wait=N`. Unknown preferences are ignored,
 * as the RFC asks; a malformed wait is ignored rather than refused.
 */
export interface Preferences {
  respondAsync: boolean;
  waitSeconds?: number;
}

export function parsePrefer(headers: readonly string[] | string | undefined): Preferences {
  const out: Preferences = { respondAsync: false };
  const values = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers as string];
  for (const value of values) {
    for (const part of value.split(',')) {
      const [token, ...rest] = part.split(';')[0]!.split('=');
      const name = token!.trim().toLowerCase();
      const raw = rest.join('=').trim().replace(/^"(.*)"$/, '$1');
      if (name === 'respond-async') out.respondAsync = true;
      else if (name === 'wait' && /^\d{1,6}$/.test(raw) && out.waitSeconds === undefined) out.waitSeconds = Number(raw);
    }
  }
  return out;
}
