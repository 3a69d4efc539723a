import { Webhook } from 'standardwebhooks';
import { startFaultServer, type Fault, type FaultServer, type SeenRequest } from './fault-server.js';

/**
 * The local webhook receiver: records every delivery by its `webhook-id` (the dedupe
 * key the Standard Webhooks spec gives receivers), checks each signature, and can be
 * made to fail, stall, answer 429, or go down and come back on the same port.
 */

export interface WebhookHit {
  webhookId: string;
  jobId: string;
  type: string;
  /** What the receiver answered (or will, for a stalled answer): a 2xx means it accepted the event. */
  status: number;
  /** The answer was held back; the sender may have timed out and will send it again (a duplicate). */
  stalled: boolean;
  /** The answer was written out in full (false while pending, or when the connection was cut first). */
  answered: boolean;
  signatureValid: boolean;
  atMs: number;
}

export interface Receiver {
  readonly url: string;
  readonly server: FaultServer;
  readonly hits: WebhookHit[];
  setFault(f: Fault): void;
  /** Webhook ids the receiver took in with intent to accept (2xx, stalled ones included), with how many times each: more than once is a duplicate it must drop. */
  takenIds(): Map<string, number>;
  /** Job ids with at least one delivery whose 2xx answer reached the sender. */
  deliveredJobs(): Set<string>;
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const hits: WebhookHit[] = [];
  const verifier = new Webhook(secret.slice('whsec_'.length));
  const record = (req: SeenRequest, status: number, stalled: boolean) => {
    const headers = { 'webhook-id': str(req.headers['webhook-id']), 'webhook-timestamp': str(req.headers['webhook-timestamp']), 'webhook-signature': str(req.headers['webhook-signature']) };
    const text = req.body.toString('utf8');
    let signatureValid = true;
    try {
      verifier.verify(text, headers);
    } catch {
      signatureValid = false;
    }
    let jobId = '';
    let type = '';
    try {
      const parsed = JSON.parse(text) as { type?: string; data?: { id?: string } };
      jobId = parsed.data?.id ?? '';
      type = parsed.type ?? '';
    } catch {
      // Not JSON: recorded with empty ids, and the audit will see the job as not delivered.
    }
    const hit: WebhookHit = { webhookId: headers['webhook-id'], jobId, type, status, stalled, answered: false, signatureValid, atMs: req.atMs };
    hits.push(hit);
    return (answered: boolean) => (hit.answered = answered);
  };
  const server = await startFaultServer(
    () => ({ status: 204 }),
    (req, reply) => record(req, reply.status, Boolean(reply.delayMs)),
  );
  // Delivered: the receiver's 2xx reached the sender. Taken (for duplicates): the receiver
  // meant to accept it, whether or not its answer got out (a stalled answer may not have).
  const ok = (h: WebhookHit) => h.status >= 200 && h.status < 300;
  const delivered = () => hits.filter((h) => ok(h) && h.answered);
  const taken = () => hits.filter(ok);
  return {
    url: `${server.url}/hooks`,
    server,
    hits,
    setFault: (f) => server.setFault(f),
    takenIds: () => {
      const m = new Map<string, number>();
      for (const h of taken()) m.set(h.webhookId, (m.get(h.webhookId) ?? 0) + 1);
      return m;
    },
    deliveredJobs: () => new Set(delivered().map((h) => h.jobId)),
    close: () => server.close(),
  };
}

function str(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}
