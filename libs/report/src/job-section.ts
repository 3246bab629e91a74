import { renderCurveCharts, renderRankCharts } from './chart-panels.ts';
import { escapeHtml, formatDuration, formatNumber } from './html.ts';
import { isEvalQualityMetric } from './history-series.ts';
import { allreduceShare, type JobView } from './job-view.ts';

const ACTIVE_STATES = new Set(['PENDING', 'RUNNING', 'RESTARTING']);

/** Step, total and percent as the progress bar shows them. */
function progressBlock(job: JobView): string {
  const percent = job.maxSteps > 0 ? Math.min((100 * job.globalStep) / job.maxSteps, 100) : 0;
  const eta = ACTIVE_STATES.has(job.state) && job.globalStep > 0 ? ` · ETA ${formatDuration(job.etaSeconds)}` : '';
  return [
    `<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${percent.toFixed(1)}"><div style="width:${percent.toFixed(1)}%"></div></div>`,
    `<p>step <span class="step" data-step="${job.globalStep}">${job.globalStep}</span> / ${job.maxSteps} (${percent.toFixed(1)}%)${eta}`,
    ` · epoch ${formatNumber(job.epoch)} · loss ${job.globalStep > 0 ? formatNumber(job.loss) : '-'} · lr ${formatNumber(job.learningRate)}`,
    ` · ${formatNumber(job.samplesPerSecond)} samples/s</p>`,
  ].join('');
}

function workersTable(job: JobView): string {
  if (job.ranks.length === 0) return '';
  const rows = job.ranks.map(
    (r) =>
      `<tr><td>${r.rank}</td><td>${escapeHtml(r.workerId)}</td><td class="num">${r.globalStep}</td>` +
      `<td class="num">${formatNumber(r.stepSeconds)}</td><td class="num">${(100 * allreduceShare(r)).toFixed(1)}%</td></tr>`,
  );
  return `<h3>Workers</h3><table class="workers"><thead><tr><th>rank</th><th>worker</th><th>step</th><th>s/step</th><th>all-reduce</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** One job on the live page: state, progress with ETA, curves, workers and their step times. */
export function renderJobSection(job: JobView): string {
  const metrics = Object.entries(job.evalMetrics).filter(([key]) => isEvalQualityMetric(key) || key === 'eval_loss');
  const evalLine = metrics.length === 0 ? '' : `<p>latest eval: ${metrics.map(([k, v]) => `${escapeHtml(k)} ${formatNumber(v)}`).join(' · ')}</p>`;
  return [
    `<section class="job" data-job-id="${escapeHtml(job.jobId)}">`,
    `<h2>${escapeHtml(job.name)} <span class="state state-${escapeHtml(job.state)}">${escapeHtml(job.state)}</span></h2>`,
    job.errorMessage === '' ? '' : `<p class="error">${escapeHtml(job.errorMessage)}</p>`,
    progressBlock(job),
    evalLine,
    renderCurveCharts(job.logHistory),
    job.ranks.length > 0 ? renderRankCharts(job.ranks) : '',
    workersTable(job),
    '</section>',
  ].join('');
}

/** The live page's body: every job, newest first as given. */
export function renderJobsFragment(jobs: readonly JobView[]): string {
  if (jobs.length === 0) return '<p class="no-jobs">No jobs yet.</p>';
  return jobs.map(renderJobSection).join('');
}
