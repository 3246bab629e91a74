import { renderCurveCharts, renderRankCharts } from './chart-panels.ts';
import { escapeHtml, formatDuration, formatNumber } from './html.ts';
import { allreduceShare, type LogEntry, type RankView } from './job-view.ts';
import { STYLES } from './styles.ts';

export type FinalState = 'succeeded' | 'failed' | 'cancelled';

export interface TrainingReportInput {
  /** The run's name (output directory or job name). */
  readonly title: string;
  readonly state: FinalState;
  readonly errorMessage?: string;
  /** The resolved configuration (RunSpec with its training_arguments, plus cluster fields). */
  readonly configuration: Readonly<Record<string, unknown>>;
  readonly logHistory: readonly LogEntry[];
  /** Every rank's figures; a cluster shows step times and all-reduce share per rank. */
  readonly ranks?: readonly RankView[];
  readonly finishedAt?: Date;
}

const THROUGHPUT_KEYS = ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'eval_runtime', 'eval_samples_per_second', 'eval_steps_per_second'];

/** The train metrics entry (train_loss, ...) and the latest eval entry, merged; else the last logged loss. */
export function finalMetrics(history: readonly LogEntry[]): Record<string, number> {
  const trainEntry = [...history].reverse().find((entry) => entry['train_loss'] !== undefined);
  const evalEntry = [...history].reverse().find((entry) => Object.keys(entry).some((key) => key.startsWith('eval_')));
  const lossEntry = [...history].reverse().find((entry) => entry['loss'] !== undefined);
  const metrics: Record<string, number> = {};
  if (trainEntry === undefined && lossEntry !== undefined) Object.assign(metrics, { loss: lossEntry['loss'], step: lossEntry['step'] });
  for (const [key, value] of Object.entries({ ...trainEntry, ...evalEntry })) if (!THROUGHPUT_KEYS.includes(key)) metrics[key] = value;
  return metrics;
}

function throughput(history: readonly LogEntry[], ranks: readonly RankView[]): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const entry of history) for (const key of THROUGHPUT_KEYS) if (entry[key] !== undefined) figures[key] = entry[key];
  // A run that stopped early has no train metrics entry: the ranks' step times still say how fast it went.
  const rankZero = ranks.find((r) => r.rank === 0);
  if (figures['train_steps_per_second'] === undefined && rankZero !== undefined && rankZero.stepSeconds > 0) figures['steps_per_second'] = 1 / rankZero.stepSeconds;
  return figures;
}

function table(rows: readonly (readonly [string, string])[]): string {
  if (rows.length === 0) return '<p>none</p>';
  return `<table><tbody>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="num">${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
}

const numberRows = (figures: Record<string, number>): [string, string][] =>
  Object.entries(figures).map(([key, value]) => [key, key.endsWith('_runtime') ? `${formatNumber(value)} s (${formatDuration(value)})` : formatNumber(value)]);

function ranksTable(ranks: readonly RankView[]): string {
  const rows = ranks.map(
    (r) =>
      `<tr><td>${r.rank}</td><td>${escapeHtml(r.workerId)}</td><td class="num">${r.globalStep}</td><td class="num">${formatNumber(r.stepSeconds)}</td>` +
      `<td class="num">${formatNumber(r.allreduceMs / 1000)}</td><td class="num">${(100 * allreduceShare(r)).toFixed(1)}%</td></tr>`,
  );
  return `<table class="ranks"><thead><tr><th>rank</th><th>worker</th><th>steps</th><th>s/step</th><th>all-reduce s</th><th>all-reduce share</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** report.html: curves as inline SVG, final metrics, throughput, per-rank figures, the resolved configuration. */
export function renderTrainingReport(input: TrainingReportInput): string {
  const ranks = input.ranks ?? [];
  const state = input.state.toUpperCase();
  const finished = (input.finishedAt ?? new Date()).toISOString();
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(input.title)}: training report</title><style>${STYLES}</style></head><body>`,
    `<h1>${escapeHtml(input.title)}: training report <span class="state state-${state}">${state}</span></h1>`,
    `<p>finished ${escapeHtml(finished)}${ranks.length > 1 ? ` on ${ranks.length} ranks` : ''}</p>`,
    input.errorMessage ? `<p class="error">${escapeHtml(input.errorMessage)}</p>` : '',
    '<h2>Curves</h2>',
    renderCurveCharts(input.logHistory),
    '<h2>Final metrics</h2>',
    table(numberRows(finalMetrics(input.logHistory))),
    '<h2>Throughput</h2>',
    table(numberRows(throughput(input.logHistory, ranks))),
    ranks.length > 1 ? `<h2>Ranks</h2>${renderRankCharts(ranks)}${ranksTable(ranks)}` : '',
    '<h2>Configuration</h2>',
    `<pre class="configuration">${escapeHtml(JSON.stringify(input.configuration, null, 2))}</pre>`,
    '</body></html>',
  ].join('');
}
