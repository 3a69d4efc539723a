import { Worker } from 'bullmq';
import { bullPrefix, connect } from './redis-connection.js';

/**
 * Baseline: a bare BullMQ worker with a no-op processor. The runner fills the queue
 * `QUEUE` (paused), then resumes it and times the drain.
 */
const connection = connect({ maxRetriesPerRequest: null });
const worker = new Worker(process.env.QUEUE ?? 'bare-work', async () => undefined, {
  connection,
  prefix: bullPrefix('bench-bare'),
  concurrency: Number(process.env.CONCURRENCY ?? 100),
});
worker.on('error', () => undefined);
await worker.waitUntilReady();
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
process.on('SIGTERM', () => {
  void worker.close().finally(() => process.exit(0));
});
