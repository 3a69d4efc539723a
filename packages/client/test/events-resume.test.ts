import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TARGETS, testConfig } from '../../../test/support/test-stack.js';
import { GatewayClient, readEventStream, SseParser, type JobEvent, type SseMessage } from '../src/index.js';
import { recordingFetch, startGateway, type LiveGateway } from './support/gateway.js';

describe('job.events across a dropped connection', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('reconnects with Last-Event-ID and resumes: no event lost or repeated, and the terminal event arrives', async () => {
    const rec = recordingFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: rec.fetch });
    // Progress every 800 ms: events keep coming while the connection is down.
    const job = await client.submit({ target: 'echo', input: { delayMs: 3_200 } });
    const got: JobEvent[] = [];
    let cut = false;
    for await (const event of job.events()) {
      got.push(event);
      if (!cut && event.type === 'progress') {
        cut = true;
        // The server side drops every connection mid-stream.
        for (const socket of gw.sockets) socket.destroy();
      }
    }
    const streams = rec.calls.filter((c) => c.url.endsWith('/events'));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0]!.headers['last-event-id']).toBeUndefined();
    expect(streams[1]!.headers['last-event-id']).toBe(got.find((e) => e.type === 'progress')!.id);

    // The same events, once each, as a stream read after the fact (every stored event) gives them.
    const all: JobEvent[] = [];
    for await (const event of client.job(job.id).events()) all.push(event);
    expect(got.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
    expect(got.filter((e) => e.type === 'progress').map((e) => e.progress)).toEqual([25, 50, 75, 100]);
    expect(got.at(-1)).toMatchObject({ type: 'status', status: 'succeeded', terminal: true, job: { id: job.id } });
  });
});

describe('job.events with the server\'s heartbeats', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startGateway({ config: testConfig({ targets: DEMO_TARGETS, server: { eventsHeartbeatSeconds: 1 } }) });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('skips the comment lines: the same events as the raw stream carries, none made of a heartbeat', async () => {
    const client = new GatewayClient({ baseUrl: gw.url });
    // Queued for 2.5 s before it runs: nothing but heartbeats meanwhile.
    const job = await client.submit({ target: 'echo', delay: 2_500 });
    const raw = (async () => {
      const res = await fetch(`${gw.url}/v1/jobs/${job.id}/events`);
      const parser = new SseParser();
      const messages: SseMessage[] = [];
      for await (const m of readEventStream(res.body!, parser)) messages.push(m);
      return { messages, parser };
    })();
    const events: JobEvent[] = [];
    for await (const e of job.events()) events.push(e);
    const { messages, parser } = await raw;
    expect(parser.comments).toBeGreaterThanOrEqual(2);
    expect(parser.retryMs).toBeGreaterThan(0);
    expect(events.map((e) => [e.id, e.type])).toEqual(messages.map((m) => [m.hasId ? m.lastEventId : null, m.event]));
    expect(events.at(-1)).toMatchObject({ status: 'succeeded', terminal: true });
  });
});
