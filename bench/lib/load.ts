import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationS: number;
  /** Unmeasured load first, at the same concurrency. */
  warmupS: number;
}

export interface LoadResult {
  /** 2xx answers per second over the measured duration. */
  rps: number;
  ok: number;
  /** Every answer, whatever its status (2xx + non-2xx): the requests the server handled. */
  answered: number;
  /** Every request written, answered or not (those in flight when the run stopped too). */
  sent: number;
  /** Non-2xx answers and socket errors or timeouts: a healthy run has none. */
  failed: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  durationS: number;
}

/** Closed-loop HTTP load with autocannon (keep-alive, no pipelining). */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const r = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    ...(spec.headers && { headers: spec.headers }),
    ...(spec.body !== undefined && { body: spec.body }),
    connections: spec.connections,
    pipelining: 1,
    duration: spec.durationS,
    timeout: 10,
    ...(spec.warmupS > 0 && { warmup: { connections: spec.connections, duration: spec.warmupS } }),
  });
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  // start/finish are Dates; `duration` is whole seconds.
  const measured = (new Date(r.finish).getTime() - new Date(r.start).getTime()) / 1_000;
  const durationS = measured > 0 ? measured : spec.durationS;
  return {
    rps: r['2xx'] / durationS,
    ok: r['2xx'],
    answered: r['2xx'] + r.non2xx,
    sent: r.requests.sent,
    failed: r.non2xx + r.errors + r.timeouts,
    statusCodes,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.mean, max: r.latency.max },
    durationS,
  };
}
