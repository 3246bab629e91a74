import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderJobsFragment } from './job-section.ts';
import type { JobView, LogEntry } from './job-view.ts';
import { renderLivePage, renderLoginPage } from './live-page.ts';
import { finalMetrics, renderTrainingReport } from './training-report.ts';
import { readLogHistory, writeTrainingReport } from './write-report.ts';

const HISTORY: LogEntry[] = [
  { loss: 0.69, learning_rate: 1e-3, grad_norm: 1, epoch: 0.5, step: 2 },
  { loss: 0.6, learning_rate: 5e-4, grad_norm: 1, epoch: 1, step: 4 },
  { eval_loss: 0.65, eval_accuracy: 0.6, eval_runtime: 0.2, eval_samples_per_second: 200, epoch: 1, step: 4 },
  { train_runtime: 3, train_samples_per_second: 40, train_steps_per_second: 1.3, total_flos: 1, train_loss: 0.64, epoch: 1, step: 4 },
];

const RANKS = [
  { rank: 0, workerId: 'host-1', globalStep: 4, stepSeconds: 0.5, allreduceMs: 400 },
  { rank: 1, workerId: 'host-2', globalStep: 4, stepSeconds: 0.75, allreduceMs: 300 },
];

describe('finalMetrics', () => {
  it('merges the train metrics and the latest eval, leaving throughput out', () => {
    expect(finalMetrics(HISTORY)).toEqual({ train_loss: 0.64, total_flos: 1, epoch: 1, step: 4, eval_loss: 0.65, eval_accuracy: 0.6 });
  });

  it('falls back to the last logged loss when training stopped early', () => {
    expect(finalMetrics(HISTORY.slice(0, 2))).toEqual({ loss: 0.6, step: 4 });
  });
});

describe('renderTrainingReport', () => {
  const html = renderTrainingReport({ title: 'sst2', state: 'failed', errorMessage: 'rank 1 <lost>', configuration: { learning_rate: 0.001 }, logHistory: HISTORY, ranks: RANKS });

  it('has loss, learning-rate and eval charts with points, and the per-rank charts of a cluster', () => {
    const titles = [...html.matchAll(/<text class="chart-title"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(titles).toEqual(['Loss', 'Learning rate', 'Eval metrics', 'Step time per rank', 'All-reduce share of wall time']);
    expect([...html.matchAll(/data-series="([^"]+)" data-points="(\d+)"/g)].map((m) => `${m[1]}:${m[2]}`)).toEqual(['train loss:2', 'eval loss:1', 'learning rate:2', 'accuracy:1']);
  });

  it('states the outcome, metrics, throughput, all-reduce share and the configuration, escaped', () => {
    expect(html).toContain('state-FAILED');
    expect(html).toContain('rank 1 &lt;lost&gt;');
    expect(html).toMatch(/eval_accuracy<\/th><td class="num">0.6</);
    expect(html).toMatch(/train_samples_per_second<\/th><td class="num">40</);
    expect(html).toContain('<td class="num">20.0%</td>'); // 400 ms of 4 x 0.5 s
    expect(html).toContain('&quot;learning_rate&quot;: 0.001');
  });

  it('leaves the rank section out of a single-process run', () => {
    const single = renderTrainingReport({ title: 'one', state: 'succeeded', configuration: {}, logHistory: HISTORY, ranks: [RANKS[0]] });
    expect(single).not.toContain('<h2>Ranks</h2>');
  });
});

describe('writeTrainingReport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("takes a succeeded run's history from trainer_state.json", async () => {
    await writeFile(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 4, log_history: HISTORY }));
    const file = await writeTrainingReport({ outputDir: dir, title: 'run', state: 'succeeded', configuration: {}, seenLogHistory: [] });
    expect(file).toBe(join(dir, 'report.html'));
    expect(await readFile(file, 'utf8')).toContain('data-series="train loss" data-points="2"');
  });

  it('uses the seen entries for a cancelled run, ignoring a stale trainer_state.json, and creates the directory', async () => {
    await writeFile(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 4, log_history: HISTORY }));
    const out = join(dir, 'new');
    const file = await writeTrainingReport({ outputDir: out, title: 'run', state: 'cancelled', configuration: {}, seenLogHistory: HISTORY.slice(0, 1) });
    expect(await readFile(file, 'utf8')).toContain('data-series="train loss" data-points="1"');
  });

  it('names the file when trainer_state.json is broken', async () => {
    await writeFile(join(dir, 'trainer_state.json'), '{"log_history": 3}');
    await expect(readLogHistory(dir)).rejects.toMatchObject({ code: 'TRAINER_STATE_INVALID', message: expect.stringContaining('trainer_state.json') });
  });
});

describe('live page', () => {
  const job: JobView = {
    jobId: 'j-1', name: 'sst2 & co', state: 'RUNNING', errorMessage: '', globalStep: 4, maxSteps: 8, epoch: 1, loss: 0.6, learningRate: 5e-4,
    samplesPerSecond: 40, etaSeconds: 65, evalMetrics: { eval_accuracy: 0.6 }, logHistory: HISTORY, ranks: RANKS,
  };

  it('shows state, step, progress, ETA, charts and the workers', () => {
    const html = renderJobsFragment([job]);
    expect(html).toContain('sst2 &amp; co');
    expect(html).toContain('data-step="4"');
    expect(html).toContain('aria-valuenow="50.0"');
    expect(html).toContain('ETA 1 min 05 s');
    expect(html).toContain('<table class="workers">');
    expect(html).toContain('data-series="learning rate" data-points="2"');
  });

  it('is one self-contained document: no external script, stylesheet or image', () => {
    const page = renderLivePage([job]);
    expect(page).toContain("new EventSource('events')");
    expect(page).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it('asks for the token without showing any job', () => {
    const login = renderLoginPage('tunefleet', 'wrong token');
    expect(login).toContain('name="token"');
    expect(login).not.toContain('data-job-id');
  });
});
