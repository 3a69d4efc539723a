import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';

/**
 * Baseline: what a user writes in an afternoon, without Redis. `POST /v1/jobs`
 * parses the JSON body and answers 202 with a small document; `GET /v1/jobs/:id`
 * answers 200 with a job-document-sized JSON body. No auth, no validation, no logging.
 */
const app = express();
app.disable('x-powered-by');
app.post('/v1/jobs', express.json(), (req, res) => {
  const id = `job_${randomBytes(16).toString('base64url')}`;
  res.status(202).location(`/v1/jobs/${id}`).json({ id, status: 'queued', target: (req.body as { target?: unknown }).target ?? null });
});

// About the size of the gateway's queued job document.
const doc = (id: string) => ({
  id,
  target: 'submit',
  status: 'queued',
  createdAt: new Date().toISOString(),
  runAt: null,
  startedAt: null,
  finishedAt: null,
  attempts: 0,
  maxAttempts: 3,
  priority: 0,
  progress: null,
  error: null,
  deadLettered: false,
  cancelRequested: false,
  correlationId: '2f0f6f8e-8d0e-4a53-9d7c-0b3c8e6f1a2b',
  metadata: {},
  callback: null,
  links: {
    self: `http://127.0.0.1/v1/jobs/${id}`,
    result: `http://127.0.0.1/v1/jobs/${id}/result`,
    events: `http://127.0.0.1/v1/jobs/${id}/events`,
    cancel: `http://127.0.0.1/v1/jobs/${id}/cancel`,
  },
});
app.get('/v1/jobs/:id', (req, res) => {
  res.json(doc(req.params.id));
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
