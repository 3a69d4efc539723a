import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { verifyWebhook } from '../src/webhooks/signature.js';

/**
 * Shows a webhook arriving: starts a receiver on 127.0.0.1, submits an echo job to the
 * gateway (GATEWAY_URL, default http://localhost:8080) with that receiver as its callback,
 * and prints the delivery once its signature checks out against the demo secret.
 *   npm start            # in one terminal
 *   npm run demo:webhook # in another
 */
const gateway = process.env.GATEWAY_URL ?? 'http://localhost:8080';
const configPath = process.env.GATEWAY_CONFIG ?? fileURLToPath(new URL('../config/demo.yaml', import.meta.url));
const secrets = (parse(readFileSync(configPath, 'utf8')) as { webhooks?: { secrets?: string[] } }).webhooks?.secrets ?? [];

const delivered = new Promise<{ headers: Record<string, string | string[] | undefined>; body: string }>((resolve) => {
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      receiver.close();
      resolve({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  receiver.listen(0, '127.0.0.1', () => void submit((receiver.address() as AddressInfo).port));
});

async function submit(port: number): Promise<void> {
  const res = await fetch(`${gateway}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target: 'echo', input: { delayMs: 500, hello: 'webhook' }, callback: { url: `http://127.0.0.1:${port}/hooks` } }),
  });
  const job = (await res.json()) as { id?: string; detail?: string };
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${JSON.stringify(job)}`);
  process.stdout.write(`submitted ${job.id}; waiting for its webhook on 127.0.0.1:${port}\n`);
}

const timeout = setTimeout(() => {
  process.stderr.write('no webhook arrived within 30 s\n');
  process.exit(1);
}, 30_000);
const { headers, body } = await delivered;
clearTimeout(timeout);
const event = verifyWebhook(secrets, headers, body) as { type: string; data: { id: string; result: unknown } };
process.stdout.write(`webhook ${String(headers['webhook-id'])} verified: ${event.type} for ${event.data.id}, result ${JSON.stringify(event.data.result)}\n`);
