import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express from 'express';
import { bullPrefix, connect } from './redis-connection.js';

/**
 * Baseline: the bare Express + BullMQ producer. `POST /v1/jobs` parses the JSON body,
 * calls `queue.add` with it and answers 202 with the job's id. One ioredis connection
 * with its defaults (no auto-pipelining; on a Redis Cluster an ioredis Cluster), no auth,
 * no validation, no logging.
 */
const connection = connect({ maxRetriesPerRequest: 1 });
const queue = new Queue('bare', { connection, prefix: bullPrefix('bench-bare') });
queue.on('error', () => undefined);

const app = express();
app.disable('x-powered-by');
app.post('/v1/jobs', express.json(), async (req, res) => {
  const job = await queue.add('run', req.body as Record<string, unknown>, { removeOnComplete: true, removeOnFail: true });
  res.status(202).location(`/v1/jobs/${job.id}`).json({ id: job.id, status: 'queued' });
});

await queue.waitUntilReady();
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => {
    void queue.close().finally(() => process.exit(0));
  });
});
