import type { AuditReport } from './audit.js';

/**
 * Prints a scenario's figures on stderr, one block per scenario, so that a run of the
 * suite leaves the numbers docs/reliability.md quotes. Printed before the assertions,
 * so a failing scenario still shows what it lost.
 */

export interface ScenarioFigures {
  scenario: string;
  /** Submits attempted, and their outcomes as the client saw them. */
  submitted: number;
  refused?: number;
  unanswered?: number;
  kills?: number;
  seconds: number;
  extra?: Record<string, number | string>;
}

export function printFigures(f: ScenarioFigures, a: AuditReport): void {
  const w = a.webhooks;
  const parts: [string, string | number][] = [
    ['submitted', f.submitted],
    ['accepted(202)', a.accepted],
    ...(f.refused !== undefined ? [['refused', f.refused] as [string, number]] : []),
    ...(f.unanswered !== undefined ? [['unanswered', f.unanswered] as [string, number]] : []),
    ['succeeded', a.succeeded],
    ['failed-as-planned', a.failedAsPlanned],
    ...Object.entries(a.failedByFault).map(([code, n]) => [`failed-by-fault:${code}`, n] as [string, number]),
    ['wrong', a.wrong.length],
    ['LOST', a.lost.length],
    ['  of which no record at all', a.noRecord.length],
    ['attempts', a.attempts],
    ['lost-attempts(worker_lost)', a.lostAttempts],
    ['queue-left', a.queuesLeft],
    ['in-flight-left', a.inFlightLeft],
    ...(f.kills !== undefined ? [['kills', f.kills] as [string, number]] : []),
    ...(w
      ? ([
          ['webhooks-expected', w.expected],
          ['webhooks-delivered', w.delivered],
          ['webhook-duplicates', w.duplicates],
          ['jobs-notified-twice', w.notifiedTwice],
          ['webhooks-MISSING', w.missing.length],
          ['bad-signatures', w.badSignatures],
        ] as [string, number][])
      : []),
    ...Object.entries(f.extra ?? {}),
    ['seconds', f.seconds.toFixed(1)],
  ];
  const lines = [`[fault] ${f.scenario}`, ...parts.map(([k, v]) => `  ${k.padEnd(28)} ${v}`)];
  const sample = (label: string, list: string[]) => (list.length ? [`  ${label} (first 5): ${list.slice(0, 5).join('; ')}`] : []);
  lines.push(...sample('lost', a.lost), ...sample('wrong', a.wrong), ...sample('webhooks missing', w?.missing ?? []));
  process.stderr.write(`${lines.join('\n')}\n`);
}
