import { renderBarChart } from './bar-chart.ts';
import { evalMetricSeries, learningRateSeries, lossSeries } from './history-series.ts';
import { allreduceShare, type LogEntry, type RankView } from './job-view.ts';
import { renderLineChart } from './line-chart.ts';

/** Loss, learning-rate and eval charts of a log history: the same markup on the live page and in report.html. */
export function renderCurveCharts(history: readonly LogEntry[]): string {
  const charts = [
    renderLineChart({ title: 'Loss', xLabel: 'step', yLabel: 'loss', series: lossSeries(history) }),
    renderLineChart({ title: 'Learning rate', xLabel: 'step', yLabel: 'learning rate', series: learningRateSeries(history) }),
  ];
  const evals = evalMetricSeries(history);
  if (evals.length > 0) charts.push(renderLineChart({ title: 'Eval metrics', xLabel: 'step', yLabel: 'value', series: evals }));
  return `<div class="charts">${charts.join('')}</div>`;
}

/** Per-rank step time, and with more than one rank the all-reduce share of each rank's time. */
export function renderRankCharts(ranks: readonly RankView[]): string {
  const charts = [renderBarChart({ title: 'Step time per rank', valueLabel: 'seconds per step', bars: ranks.map((r) => ({ label: `rank ${r.rank}`, value: r.stepSeconds })) })];
  if (ranks.length > 1) {
    charts.push(renderBarChart({ title: 'All-reduce share of wall time', valueLabel: 'percent', bars: ranks.map((r) => ({ label: `rank ${r.rank}`, value: 100 * allreduceShare(r) })) }));
  }
  return `<div class="charts">${charts.join('')}</div>`;
}
