// The tunefleet Grafana dashboard as code (@grafana/grafana-foundation-sdk, typed builders). It lives
// in tools/ and not in libs/metrics: it is a build-time artifact of a dev dependency, while
// libs/metrics ships in the binary and imports only libs/core. `npx tsx
// tools/dashboards/write-dashboard.ts` writes deploy/monitoring/grafana/tunefleet.json;
// test/monitoring/dashboard.spec.ts fails when the committed file differs from what this builds.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const DASHBOARD_UID = 'tunefleet-training';
const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
// Every query is narrowed to the jobs picked in the $job variable.
const JOB = 'job=~"$job"';

interface Query {
  readonly expr: string;
  readonly legend: string;
}

function query(q: Query, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(q.expr).legendFormat(q.legend).refId(refId);
}

function withQueries<T extends { withTarget(target: cog.Builder<cog.Dataquery>): T }>(panel: T, queries: readonly Query[]): T {
  queries.forEach((q, i) => panel.withTarget(query(q, String.fromCharCode(65 + i))));
  return panel;
}

function graph(title: string, description: string, unit: string, queries: readonly Query[], width = 12): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(8)
    .span(width)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true));
  return withQueries(panel, queries);
}

function stacked(panel: timeseries.PanelBuilder): timeseries.PanelBuilder {
  return panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(40);
}

function single(title: string, description: string, unit: string, q: Query, width = 6): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(5)
    .span(width)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  return withQueries(panel, [q]);
}

/** Mean of a histogram per rank over 5 minutes: sum's rate over count's rate. */
function meanPerRank(histogram: string): string {
  return `sum by (job, rank) (rate(${histogram}_sum{${JOB}}[5m])) / sum by (job, rank) (rate(${histogram}_count{${JOB}}[5m]))`;
}

export function buildTunefleetDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder('tunefleet training')
    .uid(DASHBOARD_UID)
    .description('Progress, loss, throughput, stragglers and all-reduce cost of tunefleet fine-tuning jobs (libs/metrics).')
    .tags(['tunefleet', 'training'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withVariable(
      new dashboard.QueryVariableBuilder('job')
        .label('Job')
        .datasource(DATASOURCE)
        .query('label_values(tunefleet_global_step, job)')
        .definition('label_values(tunefleet_global_step, job)')
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue('.+')
        .sort(dashboard.VariableSort.AlphabeticalAsc),
    );

  builder
    .withRow(new dashboard.RowBuilder('Progress and ETA'))
    .withPanel(single('Progress', 'Optimizer steps done over max_steps (the coordinator, or a single-process run).', 'percentunit', { expr: `tunefleet_job_progress_ratio{${JOB}}`, legend: '{{job}}' }))
    .withPanel(single('ETA', 'Time to the last optimizer step at the mean step rate so far.', 's', { expr: `tunefleet_job_eta_seconds{${JOB}}`, legend: '{{job}}' }))
    .withPanel(
      single('Since last step', 'Seconds since any rank of the job finished a step (TunefleetJobStuck fires past 10 minutes).', 's', {
        expr: `time() - max by (job) (tunefleet_last_step_timestamp_seconds{${JOB}})`,
        legend: '{{job}}',
      }),
    )
    .withPanel(single('Epoch', 'Fractional epoch of rank 0.', 'none', { expr: `tunefleet_epoch{${JOB}, rank="0"}`, legend: '{{job}}' }))
    .withPanel(graph('Global step', 'Optimizer steps done, per rank.', 'none', [{ expr: `tunefleet_global_step{${JOB}}`, legend: '{{job}} rank {{rank}}' }], 24));

  builder
    .withRow(new dashboard.RowBuilder('Loss and learning rate'))
    .withPanel(graph('Training loss', 'Loss of each optimizer step (mean over every rank).', 'none', [{ expr: `tunefleet_train_loss{${JOB}, rank="0"}`, legend: '{{job}}' }]))
    .withPanel(graph('Learning rate', 'Learning rate of each step (the schedule).', 'none', [{ expr: `tunefleet_learning_rate{${JOB}, rank="0"}`, legend: '{{job}}' }]))
    .withPanel(graph('Gradient norm', 'Global gradient norm before clipping.', 'none', [{ expr: `tunefleet_grad_norm{${JOB}, rank="0"}`, legend: '{{job}}' }]))
    .withPanel(
      graph('Evaluation metrics', 'Latest value of each evaluation metric (eval_loss, eval_accuracy, ...).', 'none', [
        { expr: `tunefleet_eval_metric{${JOB}, rank="0"}`, legend: '{{job}} {{name}}' },
      ]),
    )
    .withPanel(
      graph('Non-finite steps', 'Steps with a NaN or infinite loss or gradient norm (TunefleetNonFiniteLoss).', 'none', [
        { expr: `sum by (job) (increase(tunefleet_nonfinite_steps_total{${JOB}}[10m]))`, legend: '{{job}}' },
      ], 24),
    );

  builder
    .withRow(new dashboard.RowBuilder('Throughput'))
    .withPanel(graph('Samples per second', 'Training examples per second, every rank together.', 'none', [{ expr: `sum by (job) (rate(tunefleet_samples_total{${JOB}}[1m]))`, legend: '{{job}}' }]))
    .withPanel(graph('Tokens per second', 'Input tokens (padding included) per second, every rank together.', 'none', [{ expr: `sum by (job) (rate(tunefleet_tokens_total{${JOB}}[1m]))`, legend: '{{job}}' }]));

  builder
    .withRow(new dashboard.RowBuilder('Stragglers and all-reduce'))
    .withPanel(
      graph("Step time per rank (stragglers)", "Mean of each rank's own part of a step, without the all-reduce wait; a rank above the others is a straggler.", 's', [
        { expr: meanPerRank('tunefleet_step_seconds'), legend: '{{job}} rank {{rank}}' },
      ]),
    )
    .withPanel(
      graph('Step time p90 per rank', '90th percentile of the step time per rank, from the histogram.', 's', [
        { expr: `histogram_quantile(0.9, sum by (job, rank, le) (rate(tunefleet_step_seconds_bucket{${JOB}}[5m])))`, legend: '{{job}} rank {{rank}}' },
      ]),
    )
    .withPanel(graph('All-reduce time per rank', 'Mean gradient all-reduce time per step, waiting for peers included.', 's', [{ expr: meanPerRank('tunefleet_allreduce_seconds'), legend: '{{job}} rank {{rank}}' }]))
    .withPanel(
      graph('All-reduce bytes per second', 'Gradient buffer bytes all-reduced per second, per rank.', 'Bps', [
        { expr: `sum by (job, rank) (rate(tunefleet_allreduce_bytes_total{${JOB}}[1m]))`, legend: '{{job}} rank {{rank}}' },
      ]),
    );

  builder
    .withRow(new dashboard.RowBuilder('Cluster'))
    .withPanel(stacked(graph('Workers by state', 'Registered workers: idle, or busy with a rank of a job.', 'none', [{ expr: 'sum by (state) (tunefleet_workers)', legend: '{{state}}' }], 8)))
    .withPanel(stacked(graph('Jobs by state', 'Jobs the coordinator holds, and those finished since it started.', 'none', [{ expr: 'sum by (state) (tunefleet_jobs)', legend: '{{state}}' }], 8)))
    .withPanel(
      graph('Restarts', "Ring re-formations of each job in the last hour (TunefleetWorkerRestarts).", 'none', [
        { expr: `sum by (job) (increase(tunefleet_worker_restarts_total{${JOB}}[1h]))`, legend: '{{job}}' },
      ], 8),
    )
    .withPanel(
      graph('Checkpoint time', 'Time to write one checkpoint (rank 0): mean and the slowest in the window.', 's', [
        { expr: meanPerRank('tunefleet_checkpoint_seconds'), legend: '{{job}} mean' },
        { expr: `histogram_quantile(0.99, sum by (job, le) (rate(tunefleet_checkpoint_seconds_bucket{${JOB}}[30m])))`, legend: '{{job}} p99' },
      ], 24),
    );
  return builder.build();
}

/** The dashboard as deploy/monitoring/grafana/tunefleet.json holds it (2-space JSON, final newline). */
export function tunefleetDashboardJson(): string {
  return `${JSON.stringify(buildTunefleetDashboard(), null, 2)}\n`;
}

/** Every PromQL expression of the dashboard's panels and variables, for tests. */
export function dashboardExpressions(board: dashboard.Dashboard = buildTunefleetDashboard()): string[] {
  const expressions: string[] = [];
  for (const panel of board.panels ?? []) {
    for (const target of ('targets' in panel ? (panel.targets ?? []) : []) as { expr?: string }[]) if (target.expr) expressions.push(target.expr);
  }
  for (const variable of board.templating?.list ?? []) if (typeof variable.query === 'string' && variable.type === 'query') expressions.push(variable.query);
  return expressions;
}
