// deploy/monitoring under Debian's promtool: the alert rules are valid and their unit tests pass
// (each alert fires on a synthetic failing series and stays silent on a healthy one), the scrape
// configuration is valid, and the PodMonitor scrapes the port deploy/k8s names.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { hasBinary, isPrometheusRequired, missingMessage, PROMTOOL } from './prometheus-process.ts';

const MONITORING = resolve(import.meta.dirname, '../../deploy/monitoring');
const K8S = resolve(import.meta.dirname, '../../deploy/k8s/base');
const hasPromtool = hasBinary(PROMTOOL);
if (!hasPromtool && !isPrometheusRequired) console.warn(`test/monitoring/alerts.spec.ts: promtool checks skipped: ${missingMessage(PROMTOOL)}`);

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(!hasPromtool && !isPrometheusRequired)('promtool on deploy/monitoring', () => {
  it('check rules: the alert rules are valid', () => {
    expect(hasPromtool, missingMessage(PROMTOOL)).toBe(true);
    const result = promtool(['check', 'rules', 'tunefleet-alerts.yml'], join(MONITORING, 'alerts'));
    expect(result.output).toContain('SUCCESS: 6 rules found');
    expect(result.status, result.output).toBe(0);
  });

  it('test rules: every alert fires on its failing series and not on the healthy one', () => {
    expect(hasPromtool, missingMessage(PROMTOOL)).toBe(true);
    const result = promtool(['test', 'rules', 'tunefleet-alerts.test.yml'], join(MONITORING, 'alerts'));
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
    // Every alert of the rule file has a unit test.
    const tests = readFileSync(join(MONITORING, 'alerts/tunefleet-alerts.test.yml'), 'utf8');
    const rules = parse(readFileSync(join(MONITORING, 'alerts/tunefleet-alerts.yml'), 'utf8')) as { groups: { rules: { alert?: string }[] }[] };
    const alerts = rules.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])));
    expect(alerts).toHaveLength(5);
    for (const alert of alerts) expect(tests).toContain(`alertname: ${alert}`);
  });

  it('test rules fails when an alert stays silent on its failing series (the tests can fail)', () => {
    expect(hasPromtool, missingMessage(PROMTOOL)).toBe(true);
    const tests = readFileSync(join(MONITORING, 'alerts/tunefleet-alerts.test.yml'), 'utf8');
    // Feed the "stuck" job a timestamp that keeps up with the clock: the expected alert no longer fires.
    const broken = tests.replace(/tunefleet_last_step_timestamp_seconds\{job="stuck",rank="0"\}'\n(\s+)values: '0x20'/, "tunefleet_last_step_timestamp_seconds{job=\"stuck\",rank=\"0\"}'\n$1values: '0+60x20'")
      .replace(/tunefleet_last_step_timestamp_seconds\{job="stuck",rank="1"\}'\n(\s+)values: '0x20'/, "tunefleet_last_step_timestamp_seconds{job=\"stuck\",rank=\"1\"}'\n$1values: '0+60x20'");
    expect(broken).not.toBe(tests);
    const dir = mkdtempSync(join(tmpdir(), 'tunefleet-alerts-'));
    try {
      copyFileSync(join(MONITORING, 'alerts/tunefleet-alerts.yml'), join(dir, 'tunefleet-alerts.yml'));
      writeFileSync(join(dir, 'broken.test.yml'), broken);
      const result = promtool(['test', 'rules', 'broken.test.yml'], dir);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('alertname: TunefleetJobStuck');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check config: the scrape configuration (and the rule file it loads) is valid', () => {
    expect(hasPromtool, missingMessage(PROMTOOL)).toBe(true);
    const result = promtool(['check', 'config', 'prometheus.yml'], MONITORING);
    expect(result.status, result.output).toBe(0);
  });
});

describe('scrape targets match deploy/k8s', () => {
  const containers = ['coordinator-deployment.yaml', 'workers-statefulset.yaml'].map((file) => {
    const manifest = parse(readFileSync(join(K8S, file), 'utf8')) as {
      spec: { template: { spec: { containers: { args: string[]; ports: { name: string; containerPort: number }[] }[] } } };
    };
    return { file, container: manifest.spec.template.spec.containers[0]! };
  });

  it('coordinator and workers serve metrics on 0.0.0.0:9464, on a port named "metrics"', () => {
    for (const { file, container } of containers) {
      expect(container.args, file).toContain('--metrics-port=9464');
      // The default bind is loopback, which a scraper in another pod cannot reach.
      expect(container.args, file).toContain('--metrics-host=0.0.0.0');
      expect(container.ports, file).toContainEqual({ name: 'metrics', containerPort: 9464 });
    }
  });

  it('the PodMonitor selects the tunefleet pods on that port and keeps their job label', () => {
    const [podMonitor] = parseAllDocuments(readFileSync(join(MONITORING, 'podmonitor.yaml'), 'utf8')).map((doc) => doc.toJS());
    expect(podMonitor.kind).toBe('PodMonitor');
    expect(podMonitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'tunefleet' });
    expect(podMonitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics', honorLabels: true })]);
  });

  it('prometheus.yml scrapes the coordinator Service and the workers headless Service on 9464, honouring labels', () => {
    const config = parse(readFileSync(join(MONITORING, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { honor_labels: boolean; static_configs: { targets: string[] }[]; dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    const [job] = config.scrape_configs;
    expect(job!.honor_labels).toBe(true);
    expect(job!.static_configs[0]!.targets).toEqual(['tunefleet-coordinator.tunefleet.svc:9464']);
    expect(job!.dns_sd_configs[0]).toMatchObject({ names: ['tunefleet-workers.tunefleet.svc'], port: 9464 });
  });
});
