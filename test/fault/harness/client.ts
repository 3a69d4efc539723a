import { Agent, request } from 'node:http';

/**
 * The scenarios' HTTP client: plain node:http on 127.0.0.1 with keep-alive (a burst of
 * thousands of submits should not be a burst of TCP handshakes), and a bounded time per
 * request so that a request to a dead gateway ends as "unacknowledged" instead of hanging.
 */

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/** `token`: an API key, sent as a bearer token (scenarios with several tenants); none when the gateway has no keys. */
export function call(port: number, method: string, path: string, json?: unknown, timeoutMs = 15_000, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = json === undefined ? undefined : JSON.stringify(json);
    const headers = { ...(payload && { 'content-type': 'application/json' }), ...(token && { authorization: `Bearer ${token}` }) };
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, timeout: timeoutMs, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** What happened to one submit: a 202 is a promise the audit will hold the system to. */
export type SubmitOutcome =
  | { kind: 'accepted'; id: string; port: number }
  | { kind: 'refused'; status: number; port: number }
  | { kind: 'unanswered'; error: string; port: number };

/** POST /v1/jobs; never throws (a network error is an outcome). */
export async function submit(port: number, body: Record<string, unknown>, token?: string): Promise<SubmitOutcome> {
  try {
    const a = await call(port, 'POST', '/v1/jobs', body, undefined, token);
    const id = (a.body as { id?: unknown } | null)?.id;
    if (a.status === 202 && typeof id === 'string') return { kind: 'accepted', id, port };
    return { kind: 'refused', status: a.status, port };
  } catch (err) {
    return { kind: 'unanswered', error: (err as Error).message, port };
  }
}

/**
 * Runs `work` for each item with at most `concurrency` in flight; the results keep the
 * items' order. `pace` (ms) spaces the starts, for a steady rate rather than a burst.
 */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>, paceMs = 0): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runner = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      if (paceMs) await sleep(paceMs);
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Closes idle keep-alive sockets (between scenarios, so no socket points at a dead gateway). */
export function resetConnections(): void {
  agent.destroy();
}
