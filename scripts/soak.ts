/**
 * Opt-in soak run: `npx tsx scripts/soak.ts [--minutes 3] [--rate 40] [--sample-seconds 10]`.
 *
 * Starts the same world as the fault suite (private redis-server with AOF, a gateway, two
 * executors and a notifier as child processes, a local webhook receiver), submits echo
 * jobs with callbacks at a steady rate for the given minutes, and samples every process's
 * resident memory (VmRSS from /proc/<pid>/status) and Redis's used_memory per retained
 * job (INFO memory). At the end it waits for the backlog, audits every accepted job like
 * the fault suite does, prints a table and flags growth. Linux only (/proc). Exit code 1
 * when a job was lost or memory kept growing.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OPEN_TENANT } from '../src/http/middleware/authenticate.js';
import { audit } from '../test/fault/harness/audit.js';
import { resetConnections, sleep, submit } from '../test/fault/harness/client.js';
import { startCluster, type Cluster } from '../test/fault/harness/cluster.js';
import { WEBHOOK_SECRET } from '../test/fault/harness/fault-config.js';
import { echoJob, record, type LoadResult } from '../test/fault/harness/load.js';
import { startReceiver } from '../test/fault/harness/receiver.js';
import type { ChildEntry } from '../test/support/processes.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    rate: { type: 'string', default: '40' },
    'sample-seconds': { type: 'string', default: '10' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const sampleMs = Number(values['sample-seconds']) * 1_000;
if (!(minutes > 0 && minutes <= 120 && rate > 0 && sampleMs >= 1_000)) {
  process.stderr.write('usage: soak.ts [--minutes 0<m<=120] [--rate jobs/s] [--sample-seconds >=1]\n');
  process.exit(64);
}

interface Sample {
  atS: number;
  accepted: number;
  backlog: number;
  rssMb: Record<string, number>;
  redisMb: number;
  retained: number;
  bytesPerJob: number;
}

const out = (s: string) => process.stdout.write(`${s}\n`);

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN; // the process is gone
  }
}

async function usedMemory(c: Cluster): Promise<number> {
  const info = await c.observer.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

function processes(c: Cluster): [string, ChildEntry][] {
  return [
    ['gateway', c.gateways[0]!.proc],
    ...c.executors.map((e, i): [string, ChildEntry] => [`executor${i + 1}`, e]),
    ['notifier', c.notifiers[0]!],
  ];
}

/** Growth worth a look: the last third's mean above the second third's by more than `pct`. */
function growth(series: number[], pct: number): { flagged: boolean; change: number } {
  const third = Math.floor(series.length / 3);
  if (third < 1) return { flagged: false, change: 0 };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The first third is warm-up (JIT, pools, Redis's allocator): compared from the second on.
  const mid = mean(series.slice(third, 2 * third));
  const last = mean(series.slice(2 * third));
  const change = (last - mid) / mid;
  return { flagged: change > pct, change };
}

async function main(): Promise<number> {
  const receiver = await startReceiver(WEBHOOK_SECRET);
  const cluster = await startCluster({ targets: { echo: { kind: 'handler', handler: 'echo' } }, executors: 2 });
  const stop = () => void cluster.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const baseline = await usedMemory(cluster);
    const port = cluster.gateways[0]!.port;
    const load: LoadResult = { tracked: [], acceptedAt: new Map(), refused: 0, unanswered: 0, refusedByStatus: {} };
    const samples: Sample[] = [];
    const t0 = Date.now();
    const endAt = t0 + minutes * 60_000;
    out(`soak: ${minutes} min at ${rate} jobs/s, sample every ${sampleMs / 1_000} s; redis ${cluster.redis.url} (AOF everysec)`);

    const take = async () => {
      const used = await usedMemory(cluster);
      const retained = await cluster.observer.zcard(cluster.keys.tenantJobs(OPEN_TENANT));
      samples.push({
        atS: Math.round((Date.now() - t0) / 1_000),
        accepted: load.tracked.length,
        backlog: await cluster.queueDepth('echo'),
        rssMb: Object.fromEntries(processes(cluster).map(([name, p]) => [name, rssMb(p.pid)])),
        redisMb: used / 1_048_576,
        retained,
        bytesPerJob: retained ? (used - baseline) / retained : 0,
      });
    };

    // A steady rate: one tick every 100 ms, each submitting its share, never more than 64 in flight.
    let n = 0;
    let inFlight = 0;
    let nextSample = t0 + sampleMs;
    const pending = new Set<Promise<void>>();
    while (Date.now() < endAt) {
      const due = Math.floor(((Date.now() - t0) / 1_000) * rate) - n;
      for (let i = 0; i < due && inFlight < 64; i++) {
        const spec = echoJob(n++, { delayMs: 20, callbackUrl: receiver.url });
        inFlight++;
        const p = submit(port, spec.body).then((o) => {
          record(load, spec, o);
          inFlight--;
        });
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      if (Date.now() >= nextSample) {
        await take();
        nextSample += sampleMs;
      }
      await sleep(100);
    }
    await Promise.all(pending);

    const report = await audit({ cluster, jobs: load.tracked, targets: ['echo'], receiver, timeoutMs: 120_000 });
    await take();

    const names = Object.keys(samples[0]?.rssMb ?? {});
    out('');
    out(['t(s)', 'accepted', 'backlog', ...names.map((x) => `${x} MB`), 'redis MB', 'jobs kept', 'B/job'].map((h) => h.padStart(13)).join(''));
    for (const s of samples) {
      out([s.atS, s.accepted, s.backlog, ...names.map((x) => s.rssMb[x]!.toFixed(1)), s.redisMb.toFixed(1), s.retained, Math.round(s.bytesPerJob)].map((v) => String(v).padStart(13)).join(''));
    }
    out('');
    // The last sample is taken after the drain and audit: memory at rest, not under load.
    const underLoad = samples.slice(0, -1);
    let flagged = false;
    for (const name of names) {
      const g = growth(underLoad.map((s) => s.rssMb[name]!), 0.15);
      flagged ||= g.flagged;
      out(`${name.padEnd(10)} RSS ${g.change >= 0 ? '+' : ''}${(g.change * 100).toFixed(1)}% (second third -> last third)${g.flagged ? '  <-- GROWTH' : ''}`);
    }
    const perJob = growth(underLoad.map((s) => s.bytesPerJob), 0.15);
    flagged ||= perJob.flagged;
    out(`redis      bytes per retained job ${Math.round(samples.at(-1)!.bytesPerJob)} (${perJob.change >= 0 ? '+' : ''}${(perJob.change * 100).toFixed(1)}%)${perJob.flagged ? '  <-- GROWTH' : ''}`);
    const w = report.webhooks;
    out(
      `audit: submitted ${n}, accepted ${report.accepted}, refused ${load.refused}, unanswered ${load.unanswered}, succeeded ${report.succeeded}, ` +
        `LOST ${report.lost.length}, wrong ${report.wrong.length}, webhooks delivered ${w?.delivered}/${w?.expected} (duplicates ${w?.duplicates}, missing ${w?.missing.length}), queue left ${report.queuesLeft}`,
    );
    const bad = report.lost.length + report.wrong.length + (w?.missing.length ?? 0) > 0;
    return bad || flagged ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    await cluster.close();
    await receiver.close();
    resetConnections();
  }
}

process.exitCode = await main();
