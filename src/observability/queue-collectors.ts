import { Gauge } from 'prom-client';
import type { FleetStatus } from './fleet-status.js';
import { METRIC_PREFIX, type Metrics } from './metrics.js';
import { CIRCUIT_STATES } from '../core/circuit-breaker.js';

/**
 * Gauges read from Redis when Prometheus scrapes the gateway: queue depths, the age of
 * the job waiting longest, workers seen per target and the dead-letter lists. Every
 * gateway reports the same values (they are shared state): aggregate with max(), not sum().
 */
export function registerQueueCollectors(metrics: Metrics, fleet: Pick<FleetStatus, 'snapshot'>): void {
  const registers = [metrics.registry];
  // Every gauge's collect() asks for the snapshot; FleetStatus reads Redis once per second at most.
  const collect = () => refresh();
  const n = (name: string) => `${METRIC_PREFIX}${name}`;
  const depth = new Gauge({ name: n('queue_jobs'), help: 'Jobs in a target queue by state (waiting, delayed, active)', labelNames: ['target', 'state'], registers, collect });
  const paused = new Gauge({ name: n('queue_paused'), help: '1 while a target is paused', labelNames: ['target'], registers, collect });
  const oldest = new Gauge({
    name: n('queue_oldest_waiting_seconds'),
    help: 'How long the job that has been ready the longest has waited, per target (0 when none waits)',
    labelNames: ['target'],
    registers,
    collect,
  });
  const workers = new Gauge({ name: n('workers_seen'), help: 'Executor processes that sent a heartbeat for the target in the last 15 s', labelNames: ['target'], registers, collect });
  const outbox = new Gauge({
    name: n('outbox_entries'),
    help: "Entries in a target's outbox: job ends whose effects on other slots (in-flight release, webhook) are not relayed yet",
    labelNames: ['target'],
    registers,
    collect,
  });
  const circuit = new Gauge({
    name: n('circuit_state'),
    help: "A target's circuit breaker: 0 closed, 1 half-open, 2 open (only targets with a breaker)",
    labelNames: ['target'],
    registers,
    collect,
  });
  const limit = new Gauge({
    name: n('concurrency_limit'),
    help: "A target's adaptive concurrency limit: attempts allowed in flight across its executors (only targets with adaptiveConcurrency)",
    labelNames: ['target'],
    registers,
    collect,
  });
  const inFlight = new Gauge({
    name: n('concurrency_in_flight'),
    help: 'Attempts in flight across the executors of a target with adaptiveConcurrency, as they last reported',
    labelNames: ['target'],
    registers,
    collect,
  });
  const fairTenants = new Gauge({
    name: n('fair_active_tenants'),
    help: 'Tenants with jobs waiting in the lanes of a target with fairness: tenant (only such targets)',
    labelNames: ['target'],
    registers,
    collect,
  });
  const fairWaiting = new Gauge({
    name: n('fair_lane_jobs'),
    help: "Jobs waiting in a fair target's tenant lanes, not yet in BullMQ (also in asyncgw_queue_jobs{state=\"waiting\"})",
    labelNames: ['target'],
    registers,
    collect,
  });
  const notifiers = new Gauge({ name: n('notifiers_seen'), help: 'Notifier processes that sent a heartbeat in the last 15 s', registers, collect });
  const deadLetters = new Gauge({ name: n('dead_letters'), help: 'Jobs currently in the dead-letter list', registers, collect });
  const webhookDeadLetters = new Gauge({ name: n('webhook_dead_letters'), help: 'Webhooks currently in the webhook dead-letter list', registers, collect });

  const refresh = async () => {
    let s;
    try {
      s = await fleet.snapshot();
    } catch {
      // Redis is down: keep the last values rather than fail the whole scrape (the HTTP and
      // job counters are still worth having); the outage shows in asyncgw_redis_errors_total.
      metrics.redisErrors.inc({ connection: 'metrics' });
      return;
    }
    for (const t of s.targets) {
      depth.set({ target: t.name, state: 'waiting' }, t.counts.waiting);
      depth.set({ target: t.name, state: 'delayed' }, t.counts.delayed);
      depth.set({ target: t.name, state: 'active' }, t.counts.active);
      paused.set({ target: t.name }, t.counts.paused ? 1 : 0);
      oldest.set({ target: t.name }, t.oldestWaitingMs / 1_000);
      workers.set({ target: t.name }, t.workers);
      outbox.set({ target: t.name }, t.outboxEntries);
      if (t.circuit) circuit.set({ target: t.name }, CIRCUIT_STATES.indexOf(t.circuit.state));
      if (t.concurrency) {
        limit.set({ target: t.name }, t.concurrency.limit);
        inFlight.set({ target: t.name }, t.concurrency.inFlight);
      }
      if (t.fairness) {
        fairTenants.set({ target: t.name }, t.fairness.activeTenants);
        fairWaiting.set({ target: t.name }, t.fairness.waiting);
      }
    }
    notifiers.set(s.notifiers);
    deadLetters.set(s.deadLetters);
    webhookDeadLetters.set(s.webhookDeadLetters);
  };
}
