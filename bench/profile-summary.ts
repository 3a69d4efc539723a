/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, as `npm run bench -- --profile` writes
 * them): where the time went, by package or project file (self time), by function (self
 * time), and the project's own functions with everything they call (inclusive time).
 *
 *   npx tsx bench/profile-summary.ts bench/results/<run>/profiles [--top 25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const ROOT_URL = `file://${resolve(import.meta.dirname, '..')}/`;

/** `node_modules/<pkg>`, a project file, `node:<module>`, or a V8 category such as (garbage collector). */
function placeOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith(ROOT_URL)) return url.slice(ROOT_URL.length);
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

function frameKey(f: CallFrame): string {
  const place = placeOf(f.url, f.functionName);
  const line = f.url ? `:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${place}${line}`;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Sampled time not idle: the thread's actual work. */
  busyMs: number;
  byPlace: [string, number][];
  bySelf: [string, number][];
  projectInclusive: [string, number][];
}

export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const place = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1_000; // µs → ms, attributed to sample i
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    total += dt;
    const f = node.callFrame;
    self.set(frameKey(f), (self.get(frameKey(f)) ?? 0) + dt);
    const where = placeOf(f.url, f.functionName);
    place.set(where, (place.get(where) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (!cf.url.startsWith(ROOT_URL) || cf.url.includes('/node_modules/')) continue;
      const k = frameKey(cf);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { file: path, totalMs: total, busyMs: total - (place.get('(idle)') ?? 0), byPlace: sorted(place), bySelf: sorted(self), projectInclusive: sorted(inclusive) };
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)} %`;
  const list = (title: string, items: [string, number][]) => `  ${title}\n${items.map(([k, ms]) => `    ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${k}`).join('\n')}`;
  return [
    `${s.file}: ${(s.totalMs / 1_000).toFixed(1)} s sampled, ${(s.busyMs / 1_000).toFixed(1)} s busy`,
    list('self time by package / file:', s.byPlace.slice(0, 15)),
    list('self time by function:', s.bySelf),
    list('project functions, inclusive (everything they call):', s.projectInclusive),
  ].join('\n');
}

/**
 * The busiest .cpuprofile of each process under `dir` (one folder per process). Node
 * writes one profile per thread, and under tsx the module loader's thread is one of
 * them: idle all along, it is left out.
 */
export function summarizeProfiles(dir: string, top = 25): string {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return `no profiles in ${dir}`;
  }
  const busiest = new Map<string, ProfileSummary>();
  for (const f of files) {
    const summary = summarizeProfile(join(dir, f), top);
    const proc = dirname(f);
    const best = busiest.get(proc);
    if (!best || summary.busyMs > best.busyMs) busiest.set(proc, summary);
  }
  if (busiest.size === 0) return `no profiles in ${dir}`;
  return [...busiest.values()].map(formatSummary).join('\n\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <dir with .cpuprofile files> [--top N]\n');
    process.exit(64);
  }
  const topAt = process.argv.indexOf('--top');
  process.stdout.write(`${summarizeProfiles(dir, topAt > 0 ? Number(process.argv[topAt + 1]) : 25)}\n`);
}
