import { startFaultServer, type Fault, type FaultServer, type Reply, type SeenRequest } from './fault-server.js';

/**
 * The local upstream of an `http` target: answers `{echo: <request body>}` with 200.
 * A job asks for its own faults through its input (`{plan: {fault, times}}`): its first
 * `times` attempts (counted per `Idempotency-Key`, which the executor sets to the job id)
 * get the fault, later ones succeed. So one run mixes jobs that recover and jobs that
 * run out of attempts, and every outcome is known in advance.
 */

export type PlannedFault = 'status500' | 'stall' | 'retry-after';

export interface Plan {
  fault: PlannedFault;
  /** How many attempts get the fault before the upstream answers normally. */
  times: number;
  /** For retry-after: the Retry-After seconds. */
  seconds?: number;
}

export interface EchoUpstream {
  readonly url: string;
  readonly server: FaultServer;
  /** Requests per Idempotency-Key (job id), in order, with the time each arrived. */
  readonly calls: Map<string, number[]>;
  setFault(f: Fault): void;
  close(): Promise<void>;
}

/** How long a stalled answer is held: far past any per-attempt timeout a scenario sets. */
const STALL_MS = 60_000;

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const calls = new Map<string, number[]>();
  const decide = (req: SeenRequest): Reply => {
    const key = String(req.headers['idempotency-key'] ?? '');
    const seen = calls.get(key) ?? [];
    seen.push(req.atMs);
    calls.set(key, seen);
    const text = req.body.toString('utf8');
    let input: { plan?: Plan } = {};
    try {
      input = JSON.parse(text) as { plan?: Plan };
    } catch {
      // No JSON input: no plan, a plain echo.
    }
    const plan = input.plan;
    if (plan && seen.length <= plan.times) {
      if (plan.fault === 'status500') return { status: 500, body: '{"error":"planned"}' };
      if (plan.fault === 'stall') return { status: 200, body: JSON.stringify({ echo: input }), delayMs: STALL_MS };
      return { status: 429, headers: { 'retry-after': String(plan.seconds ?? 1) }, body: '{"error":"slow down"}' };
    }
    return { status: 200, body: JSON.stringify({ echo: input }) };
  };
  const server = await startFaultServer(decide);
  return { url: `${server.url}/work`, server, calls, setFault: (f) => server.setFault(f), close: () => server.close() };
}
