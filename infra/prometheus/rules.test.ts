/**
 * The alert rules and scrape config pass promtool (check + the unit tests in rules.test.yml), and
 * every finsent metric the rules and the pipeline dashboard query is one the services export.
 * promtool comes from scripts/install-promtool.sh (Debian's prometheus package).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { alertMetrics } from '../../services/alert/src/metrics.js';
import { classifyMetrics } from '../../services/classify/src/metrics.js';
import { driftGauges } from '../../services/classify/src/drift-monitor.js';
import { liveMetrics } from '../../services/live/src/metrics.js';
import { ingestMetrics } from '../../services/ingest/src/metrics.js';
import { storeMetrics } from '../../services/store/src/metrics.js';
import { renderGrafanaFiles } from '../grafana/dashboards.js';

const DIR = dirname(new URL(import.meta.url).pathname);

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: run scripts/install-promtool.sh');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Names the services register, histograms included under their _bucket/_sum/_count series. */
function exportedSeries(): Set<string> {
  const names = new Set<string>();
  for (const factory of [ingestMetrics, classifyMetrics, driftGauges, storeMetrics, alertMetrics, liveMetrics]) {
    const registry = new Registry();
    factory(registry);
    for (const m of registry.getMetricsAsArray()) {
      names.add(m.name);
      if (m.constructor.name === 'Histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
    }
  }
  return names;
}

describe('Prometheus rules and config', () => {
  it('promtool check rules and check config pass', () => {
    expect(promtool('check', 'rules', 'rules.yml')).toMatch(/SUCCESS: \d+ rules found/);
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS/);
  });

  it('promtool test rules passes', () => {
    expect(promtool('test', 'rules', 'rules.test.yml')).toMatch(/SUCCESS/);
  });

  it('rules and the pipeline dashboard only query metrics the services export', () => {
    const exported = exportedSeries();
    const used = (text: string) => new Set(text.match(/finsent_[a-z0-9_]+/g) ?? []);
    const rules = used(readFileSync(join(DIR, 'rules.yml'), 'utf8'));
    const dashboard = used(renderGrafanaFiles()['dashboards/pipeline-health.json']!);
    expect(rules.size).toBeGreaterThanOrEqual(5);
    expect(dashboard.size).toBeGreaterThan(10);
    expect([...rules].filter((n) => !exported.has(n))).toEqual([]);
    expect([...dashboard].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('every rule links a runbook section of docs/operations.md', () => {
    const rules = readFileSync(join(DIR, 'rules.yml'), 'utf8');
    const names = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    const links = [...rules.matchAll(/runbook_url: '[^']*docs\/operations\.md#([a-z0-9-]+)'/g)].map((m) => m[1]!);
    expect(links).toEqual(names.map((n) => n.toLowerCase()));
    const headings = new Set(
      [...readFileSync(join(DIR, '../../docs/operations.md'), 'utf8').matchAll(/^###? (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    expect(links.filter((l) => !headings.has(l))).toEqual([]);
  });
});
