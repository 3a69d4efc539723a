import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observability/metrics.js';
import { registerQueueCollectors } from '../../src/observability/queue-collectors.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  annotations: { summary: string; runbook: string };
}

const rules = (parse(readFileSync('docs/alerts/prometheus-rules.yml', 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const runbook = readFileSync('docs/operations.md', 'utf8');

/** Every series name our processes expose: a gateway's registry with its scrape-time gauges, which has every counter too. */
function exposedNames(): Set<string> {
  const metrics = createMetrics({ defaultMetrics: true });
  registerQueueCollectors(metrics, { snapshot: () => Promise.reject(new Error('not scraped here')) });
  const names = new Set<string>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    names.add(m.name);
    // A histogram is queried through its derived series.
    for (const suffix of ['_count', '_sum', '_bucket']) names.add(m.name + suffix);
  }
  return names;
}

/** The GitHub anchor of a Markdown heading. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');

describe('docs/alerts/prometheus-rules.yml', () => {
  it('ships the four alerts the runbook promises, and more', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(expect.arrayContaining(['AsyncGatewayDeadLettersGrowing', 'AsyncGatewayOldestJobWaitingTooLong', 'AsyncGatewayNoWorkerForTarget', 'AsyncGatewayWebhookFailureRatio']));
  });

  it('queries only metrics the code exposes', () => {
    const exposed = exposedNames();
    for (const rule of rules) {
      const used = [...rule.expr.matchAll(/\basyncgw_[a-z_]+/g)].map((m) => m[0]);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const name of used) expect(exposed.has(name), `${rule.alert} uses ${name}`).toBe(true);
    }
  });

  it('links each alert to a section of docs/operations.md that exists', () => {
    const headings = new Set([...runbook.matchAll(/^#{2,4} (.+)$/gm)].map((m) => anchor(m[1]!)));
    for (const rule of rules) {
      const [file, fragment] = rule.annotations.runbook.split('#');
      expect(file).toBe('docs/operations.md');
      expect(headings.has(fragment!), `${rule.alert} → #${fragment}`).toBe(true);
    }
  });
});
