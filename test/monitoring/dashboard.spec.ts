// The Grafana dashboard is code (tools/dashboards); deploy/monitoring/grafana/tunefleet.json must be
// what it builds, and every metric the dashboard and the alert rules query must be one libs/metrics exports.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TUNEFLEET_METRIC_NAMES, TunefleetMetrics } from '@tunefleet/metrics';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildTunefleetDashboard, dashboardExpressions, tunefleetDashboardJson } from '../../tools/dashboards/tunefleet-dashboard.ts';

const MONITORING = resolve(import.meta.dirname, '../../deploy/monitoring');
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** The metric names a PromQL expression reads (`tunefleet_*`; recording rules, with colons, are not metrics). */
function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/(?<![\w:])(tunefleet_[a-z0-9_]+)/g)].map((match) => match[1]!);
}

/** `tunefleet_step_seconds_sum` -> `tunefleet_step_seconds` when that is a histogram the registry defines. */
function baseName(name: string, histograms: ReadonlySet<string>): string {
  const base = name.replace(HISTOGRAM_SUFFIX, '');
  return base !== name && histograms.has(base) ? base : name;
}

function alertExpressions(): string[] {
  const rules = parse(readFileSync(join(MONITORING, 'alerts/tunefleet-alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

describe('deploy/monitoring/grafana/tunefleet.json', () => {
  it('is what tools/dashboards builds (run `npx tsx tools/dashboards/write-dashboard.ts` after a change)', () => {
    const committed = readFileSync(join(MONITORING, 'grafana/tunefleet.json'), 'utf8');
    expect(committed).toBe(tunefleetDashboardJson());
  });

  it('has the panels operators asked for', () => {
    const titles = (buildTunefleetDashboard().panels ?? []).map((panel) => panel.title);
    for (const title of [
      'Progress',
      'ETA',
      'Training loss',
      'Learning rate',
      'Samples per second',
      'Tokens per second',
      'Step time per rank (stragglers)',
      'All-reduce time per rank',
      'All-reduce bytes per second',
      'Workers by state',
      'Restarts',
      'Checkpoint time',
      'Evaluation metrics',
    ]) {
      expect(titles).toContain(title);
    }
  });
});

describe('metric names of the dashboard and the alert rules', () => {
  const registry = new TunefleetMetrics({ defaultMetrics: false });
  const histograms = new Set(registry.registry.getMetricsAsArray().filter((metric) => String(metric.type) === 'histogram').map((metric) => metric.name));
  const exported = new Set(TUNEFLEET_METRIC_NAMES);

  it('finds names in PromQL, histogram series included', () => {
    expect(metricNamesIn('sum by (job) (rate(tunefleet_step_seconds_sum{job=~"$job"}[5m])) > tunefleet:step_seconds:mean5m')).toEqual(['tunefleet_step_seconds_sum']);
    expect(baseName('tunefleet_step_seconds_bucket', histograms)).toBe('tunefleet_step_seconds');
    expect(baseName('tunefleet_samples_total', histograms)).toBe('tunefleet_samples_total');
    expect(exported.has(baseName('tunefleet_train_loss_sum', histograms))).toBe(false); // a gauge has no _sum
  });

  it('are all exported by libs/metrics', () => {
    const used = new Map<string, string>();
    for (const expr of [...dashboardExpressions(), ...alertExpressions()]) {
      for (const name of metricNamesIn(expr)) used.set(baseName(name, histograms), expr);
    }
    expect(used.size).toBeGreaterThan(15);
    const missing = [...used].filter(([name]) => !exported.has(name)).map(([name, expr]) => `${name} (in ${expr})`);
    expect(missing).toEqual([]);
  });
});
