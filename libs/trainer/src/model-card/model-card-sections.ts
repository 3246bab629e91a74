import type { GateResult } from '../evaluation/regression-gate.ts';
import type { SliceReport } from '../evaluation/slice-metrics.ts';
import type { LogEntry } from '../trainer-types.ts';
import { formatScore, metricTitle, scoreName } from './metric-names.ts';

/** HF's placeholder for what only the model's authors can say. */
export const MORE_INFORMATION_NEEDED = '[More Information Needed]';

// The hyperparameters HF's Trainer cards list, under the names they list them by.
const HYPERPARAMETERS: readonly (readonly [string, string])[] = [
  ['learning_rate', 'learning_rate'],
  ['per_device_train_batch_size', 'train_batch_size'],
  ['per_device_eval_batch_size', 'eval_batch_size'],
  ['seed', 'seed'],
  ['gradient_accumulation_steps', 'gradient_accumulation_steps'],
  ['lr_scheduler_type', 'lr_scheduler_type'],
  ['warmup_ratio', 'lr_scheduler_warmup_ratio'],
  ['warmup_steps', 'lr_scheduler_warmup_steps'],
  ['num_train_epochs', 'num_epochs'],
  ['max_steps', 'training_steps'],
  ['weight_decay', 'weight_decay'],
  ['max_grad_norm', 'max_grad_norm'],
];

/**
 * HF's bullet list (optimizer spelled out; the total batch over accumulation and `worldSize` data
 * parallel workers when either is above 1), then every argument as JSON for the full record.
 */
export function hyperparametersSection(args: Readonly<Record<string, unknown>>, worldSize = 1): string[] {
  const lines = ['The following hyperparameters were used during training:'];
  for (const [key, title] of HYPERPARAMETERS) {
    const value = args[key];
    if (value === undefined || value === null) continue;
    // Zero warmup and max_steps -1 mean "not used"; HF leaves them out too.
    if ((key === 'warmup_ratio' || key === 'warmup_steps') && value === 0) continue;
    if (key === 'max_steps' && value === -1) continue;
    lines.push(`- ${title}: ${String(value)}`);
    if (key === 'seed' && worldSize > 1) lines.push(`- num_workers: ${worldSize}`);
  }
  const batch = args['per_device_train_batch_size'];
  const accumulation = args['gradient_accumulation_steps'];
  if (typeof batch === 'number' && typeof accumulation === 'number' && (accumulation > 1 || worldSize > 1)) {
    lines.push(`- total_train_batch_size: ${batch * accumulation * worldSize}`);
  }
  if (args['adam_beta1'] !== undefined) {
    lines.push(`- optimizer: AdamW with betas=(${args['adam_beta1']},${args['adam_beta2']}) and epsilon=${args['adam_epsilon']}`);
  }
  lines.push('', '<details><summary>All training arguments</summary>', '', '```json', JSON.stringify(args, null, 2), '```', '', '</details>');
  return lines;
}

/**
 * HF's "Training results" table: one row per evaluation in log_history, with the latest training
 * loss logged at or before that step ("No log" before the first).
 */
export function trainingResultsTable(logHistory: readonly LogEntry[]): string[] {
  const evaluations = logHistory.filter((entry) => Object.keys(entry).some((key) => key.startsWith('eval_')));
  if (evaluations.length === 0) return [];
  const scores: string[] = [];
  for (const entry of evaluations) {
    for (const key of Object.keys(entry)) {
      if (key.startsWith('eval_') && key !== 'eval_loss' && scoreName(key) !== undefined && !scores.includes(key)) scores.push(key);
    }
  }
  const header = ['Training Loss', 'Epoch', 'Step', 'Validation Loss', ...scores.map((key) => metricTitle(scoreName(key)!))];
  const rows = evaluations.map((entry) => {
    const step = entry['step'] ?? 0;
    const training = [...logHistory].reverse().find((logged) => logged['loss'] !== undefined && (logged['step'] ?? 0) <= step);
    return [
      training === undefined ? 'No log' : formatScore(training['loss']),
      entry['epoch'] === undefined ? '' : String(Number(entry['epoch'].toFixed(4))),
      String(step),
      entry['eval_loss'] === undefined ? '' : formatScore(entry['eval_loss']),
      ...scores.map((key) => (entry[key] === undefined ? '' : formatScore(entry[key]))),
    ];
  });
  return markdownTable(header, rows);
}

/** One row per group with its size and the chosen metrics; too-small groups marked; then the gaps. */
export function slicesSection(column: string, report: SliceReport, metrics: readonly string[] = ['accuracy', 'f1']): string[] {
  const shown = metrics.filter((name) => report.groups.some((group) => name in group.metrics));
  const rows = report.groups.map((group) => [
    group.group,
    String(group.size),
    ...shown.map((name) => formatScore(group.metrics[name])),
    group.isTooSmall ? `too small (< ${report.minGroupSize}), not compared` : '',
  ]);
  const lines = [`Metrics per value of \`${column}\` on the evaluation set.`, '', ...markdownTable(['Group', 'Size', ...shown.map(metricTitle), 'Note'], rows)];
  const gaps = report.gaps.filter((gap) => shown.includes(gap.metric));
  if (gaps.length > 0) lines.push('');
  for (const gap of gaps) {
    lines.push(
      `- Largest ${metricTitle(gap.metric)} gap: ${(gap.gap * 100).toFixed(2)} points ` +
        `(${gap.highest.group} ${formatScore(gap.highest.value)} vs ${gap.lowest.group} ${formatScore(gap.lowest.value)})`,
    );
  }
  if (report.gaps.length === 0) lines.push('', `- No gap: fewer than two groups have ${report.minGroupSize} or more examples.`);
  return lines;
}

export function gateSection(baselineModel: string, results: readonly GateResult[]): string[] {
  const isPromoted = results.every((result) => result.isPassed);
  return [
    `Compared with the baseline \`${baselineModel}\`: **${isPromoted ? 'promoted' : 'not promoted'}**.`,
    '',
    ...results.map((result) => `- ${result.message}`),
  ];
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cell = (value: string): string => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}
