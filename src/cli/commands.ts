import { stringify } from 'yaml';
import { generateApiKey, hashApiKey, ROLES } from '../auth/api-keys.js';
import type { AdminClient, JobDocument } from './admin-client.js';
import { age, circuitCell, circuitLine, concurrencyCell, concurrencyLine, fairnessCell, fairnessLine, orDash, table } from './format.js';

/** What a command prints: `text` for a terminal, `json` for --json. */
export interface Output {
  text: string;
  json: unknown;
}

export class UsageError extends Error {}

const errorText = (j: JobDocument) => (j.error ? `${j.error.code}: ${j.error.message}` : '');

export async function targets(api: AdminClient): Promise<Output> {
  const items = await api.targets();
  // Below the table, the breakers that hold jobs back (open or half-open), in full.
  const notClosed = items.flatMap((t) => (t.circuit && t.circuit.state !== 'closed' ? [`${t.name}: ${circuitLine(t.circuit)}`] : []));
  // Then the fair targets whose lanes hold work: who fills them.
  const lanes = items.flatMap((t) => (t.fairness && t.fairness.waiting > 0 ? [`${t.name}: ${fairnessLine(t.fairness)}`] : []));
  const below = [...notClosed, ...lanes];
  return {
    json: items,
    text:
      table(
        ['TARGET', 'KIND', 'WORKERS', 'WAITING', 'DELAYED', 'RUNNING', 'CONCURRENCY', 'FAIRNESS', 'OLDEST WAITING', 'STATE', 'CIRCUIT'],
        items.map((t) => [
          t.name,
          t.kind,
          t.workers === 0 ? '0 (none!)' : t.workers,
          t.counts.waiting,
          t.counts.delayed,
          t.counts.active,
          concurrencyCell(t),
          fairnessCell(t.fairness),
          age(t.oldestWaitingSeconds),
          t.counts.paused ? 'paused' : 'running',
          circuitCell(t.circuit),
        ]),
      ) + (below.length ? `\n\n${below.join('\n')}` : ''),
  };
}

export async function setPaused(api: AdminClient, target: string | undefined, paused: boolean): Promise<Output> {
  if (!target) throw new UsageError(`${paused ? 'pause' : 'resume'} needs a target name`);
  const t = await api.setPaused(target, paused);
  // The concurrency before the circuit: the circuit line has commas of its own.
  const concurrency = t.concurrency ? `, ${concurrencyLine(t.concurrency)}` : '';
  return { json: t, text: `target ${t.name} is ${t.counts.paused ? 'paused' : 'running'} (${t.counts.waiting} waiting, ${t.counts.active} running)${concurrency}${t.circuit ? `, ${circuitLine(t.circuit)}` : ''}` };
}

/** circuit <target> open|closed: holds the target's breaker open (no probes) until someone closes it, or closes it now. */
export async function setCircuit(api: AdminClient, target: string | undefined, state: string | undefined): Promise<Output> {
  if (!target || (state !== 'open' && state !== 'closed')) throw new UsageError('circuit needs a target name and open or closed');
  const t = await api.setCircuit(target, state);
  return { json: t, text: `target ${t.name}: ${t.circuit ? circuitLine(t.circuit) : 'no circuit breaker'}` };
}

export async function job(api: AdminClient, id: string | undefined): Promise<Output> {
  if (!id) throw new UsageError('job needs a job id');
  const t = await api.job(id);
  const j = t.job;
  const lines = [
    `${j.id}  ${j.status}${j.deadLettered ? ' (dead-lettered)' : ''}`,
    `target ${j.target}, tenant ${t.tenant}, correlation id ${j.correlationId}`,
    `trace ${j.traceId}${t.traceUrl ? `  ${t.traceUrl}` : ''}`,
    `created ${j.createdAt}, started ${orDash(j.startedAt)}, finished ${orDash(j.finishedAt)}, attempts ${j.attempts}/${j.maxAttempts}`,
    ...(j.error ? [`error ${errorText(j)}`] : []),
    '',
    t.attempts.length
      ? table(
          ['ATTEMPT', 'OUTCOME', 'STARTED', 'FINISHED', 'ERROR', 'RETRY IN'],
          t.attempts.map((a) => [a.attempt, a.outcome, orDash(a.startedAt), a.finishedAt, a.error ? `${a.error.code}: ${a.error.message}` : '', a.retryDelayMs === undefined ? '' : `${a.retryDelayMs} ms`]),
        )
      : 'no attempts yet',
  ];
  if (j.callback) {
    lines.push('', `webhook to ${j.callback.url}: ${j.callback.state}`);
    if (t.deliveries.length) {
      lines.push(table(['WEBHOOK ATTEMPT', 'AT', 'OUTCOME', 'STATUS', 'ERROR'], t.deliveries.map((d) => [d.attempt, d.at, d.outcome, d.statusCode ?? '-', orDash(d.error)])));
    }
  }
  return { json: t, text: lines.join('\n') };
}

export async function jobs(api: AdminClient, target: string | undefined, recent: boolean, limit: number): Promise<Output> {
  if (!target) throw new UsageError('jobs needs a target name');
  const items = await api.targetJobs(target, recent ? 'recent' : 'live', limit);
  return {
    json: items,
    text: items.length
      ? table(['JOB', 'STATUS', 'ATTEMPTS', 'CREATED', 'FINISHED', 'ERROR'], items.map((j) => [j.id, j.status, `${j.attempts}/${j.maxAttempts}`, j.createdAt, orDash(j.finishedAt), errorText(j)]))
      : recent ? `no finished jobs of ${target} yet` : `nothing waiting or running for ${target}`,
  };
}

export async function deadLetters(api: AdminClient, limit: number, target?: string): Promise<Output> {
  const page = await api.deadLetters(limit, target);
  return {
    json: page,
    text: `${page.total ?? page.items.length} dead letter(s)${target ? ` (showing ${target})` : ''}\n${table(
      ['JOB', 'TARGET', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
      page.items.map((j) => [j.id, j.target, j.attempts, orDash(j.finishedAt), errorText(j)]),
    )}`,
  };
}

export async function webhookDeadLetters(api: AdminClient, limit: number): Promise<Output> {
  const page = await api.webhookDeadLetters(limit);
  return {
    json: page,
    text: `${page.total ?? page.items.length} webhook dead letter(s)\n${table(['JOB', 'TARGET', 'CALLBACK', 'FINISHED AT'], page.items.map((j) => [j.id, j.target, j.callback?.url ?? '-', orDash(j.finishedAt)]))}`,
  };
}

/** replay|purge: the ids given, or --all (of one --target); purging everything asks for --yes. */
export async function bulk(api: AdminClient, action: 'replay' | 'purge', ids: string[], opts: { all: boolean; target?: string; yes: boolean }): Promise<Output> {
  if (opts.all === (ids.length > 0)) throw new UsageError(`${action} takes job ids, or --all [--target T]`);
  if (action === 'purge' && opts.all && !opts.yes) throw new UsageError('purge --all deletes every matching dead letter for good: add --yes');
  const r = await api.bulk(action, opts.all ? { all: true, ...(opts.target && { target: opts.target }) } : { ids });
  const done = (action === 'replay' ? r.replayed : r.purged) ?? [];
  const verb = action === 'replay' ? 'replayed' : 'purged';
  return {
    json: r,
    text: [`${verb} ${done.length}`, ...done.map((id) => `  ${id}`), ...(r.notFound.length ? [`not dead letters: ${r.notFound.join(', ')}`] : [])].join('\n'),
  };
}

export async function redeliver(api: AdminClient, id: string | undefined): Promise<Output> {
  if (!id) throw new UsageError('redeliver needs a job id');
  const j = await api.redeliver(id);
  return { json: j, text: `webhook of ${j.id} queued again (callback ${j.callback?.state ?? '-'})` };
}

/** Local: prints a new key once and the config entry (its hash) to paste under auth.keys. */
export function createKey(opts: { tenant?: string; role?: string; id?: string }): Output {
  if (!opts.tenant || !/^[A-Za-z0-9_.-]{1,64}$/.test(opts.tenant)) throw new UsageError('--tenant is required (1-64 of A-Z a-z 0-9 _ . -)');
  const role = ROLES.find((r) => r === (opts.role ?? 'client'));
  if (!role) throw new UsageError(`--role is one of ${ROLES.join(', ')}`);
  const key = generateApiKey();
  const entry = { id: opts.id ?? `${opts.tenant}-${Date.now().toString(36)}`, tenant: opts.tenant, role, sha256: hashApiKey(key) };
  return {
    json: { key, entry },
    text:
      `API key (shown once; give it to the client, store it nowhere else):\n\n  ${key}\n\n` +
      `Add this entry under auth.keys in the gateway config:\n\n${stringify([entry]).replace(/^/gm, '  ')}`,
  };
}
