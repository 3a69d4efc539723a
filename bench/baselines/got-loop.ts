import { got } from 'got';

/**
 * Baseline: a bare got POST loop, as a user would deliver webhooks by hand. No signing,
 * no SSRF guard, no delivery log. Reads one JSON command per line on stdin
 * (`{"url", "count", "concurrency", "bodyBytes"}`), POSTs `count` JSON bodies with
 * `concurrency` in flight, and prints `{"event":"done", ...}`.
 */
interface Command {
  url: string;
  count: number;
  concurrency: number;
  bodyBytes: number;
}

function bodyOf(bytes: number): string {
  const base = { type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_0000000000000000000000', status: 'succeeded', pad: '' } };
  const pad = Math.max(0, bytes - JSON.stringify(base).length);
  base.data.pad = 'x'.repeat(pad);
  return JSON.stringify(base);
}

async function run(cmd: Command): Promise<{ sent: number; failed: number; elapsedMs: number }> {
  const body = bodyOf(cmd.bodyBytes);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < cmd.count) {
      next++;
      try {
        await got.post(cmd.url, { body, headers: { 'content-type': 'application/json' }, retry: { limit: 0 }, throwHttpErrors: false, timeout: { request: 10_000 } });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, lane));
  return { sent: cmd.count, failed, elapsedMs: performance.now() - started };
}

let pending = '';
process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (!line.trim()) continue;
    void run(JSON.parse(line) as Command).then((r) => process.stdout.write(`${JSON.stringify({ event: 'done', ...r })}\n`));
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
