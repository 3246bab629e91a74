import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, screenshotPath } from './browser.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const FIXTURES = join(ROOT, 'test/fixtures');
const run = promisify(execFile);

function trainArgs(model: string, output: string, extra: string[]): string[] {
  return [
    'train', '--model', model, '--train-file', join(FIXTURES, 'sst2-train-120.tsv'), '--validation-file', join(FIXTURES, 'sst2-test-40.tsv'),
    '--text-column', 'sentence', '--label-column', 'label', '--max-seq-length', '32', '--output-dir', output,
    '--per-device-train-batch-size', '8', '--learning-rate', '1e-3', '--logging-steps', '1', '--eval-strategy', 'steps', '--eval-steps', '3',
    '--save-strategy', 'no', '--seed', '3', ...extra,
  ];
}

/** A running `tunefleet train`: its output so far and its exit. */
function startTrain(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code, signal) => done(code ?? (signal === null ? null : 128))));
  return { child, output: () => text, exited };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stepOf = async (page: Page): Promise<number> => Number(await page.locator('.step').first().getAttribute('data-step'));

/** Waits (without reloading: the page updates itself) until its step number is above `step`; returns it. */
async function stepAbove(page: Page, step: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await stepOf(page);
    if (now > step) return now;
    if (Date.now() > deadline) throw new Error(`the live page stayed at step ${now}, expected it above ${step}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every drawn series: its name and its number of points (and that its path has that many segments). */
async function drawnSeries(page: Page): Promise<Record<string, number>> {
  return page.$$eval('svg path.series', (paths) =>
    Object.fromEntries(
      paths.map((p) => {
        const points = Number(p.getAttribute('data-points'));
        const commands = (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0;
        return [p.getAttribute('data-series'), commands === points ? points : -1];
      }),
    ),
  );
}

describe.skipIf(!hasChromium)('live page and report.html in headless Chromium', () => {
  let work: string;
  let model: string;
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-ui-'));
    model = join(work, 'init');
    await run(process.execPath, [BIN, 'init-model', '--preset', 'tiny', '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', model], { cwd: ROOT });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('a finished run leaves report.html with drawn curves, final metrics and its configuration', async () => {
    const output = join(work, 'short');
    const train = startTrain(trainArgs(model, output, ['--max-steps', '6']));
    expect(await train.exited, train.output()).toBe(0);
    expect(train.output()).toContain(`training report: ${join(output, 'report.html')}`);
    const page = await browser.newPage();
    try {
      await page.goto(pathToFileURL(join(output, 'report.html')).href);
      expect(await drawnSeries(page)).toMatchObject({ 'train loss': 6, 'eval loss': 2, 'learning rate': 6, accuracy: 2 });
      const axisLabels = await page.$$eval('svg text.axis-label', (texts) => texts.map((t) => t.textContent));
      expect(axisLabels).toEqual(expect.arrayContaining(['step', 'loss', 'learning rate']));
      expect(await page.locator('h1 .state').textContent()).toBe('SUCCEEDED');
      expect(await page.locator('pre.configuration').textContent()).toContain('"learning_rate": 0.001');
      expect(await page.locator('table th', { hasText: 'train_loss' }).count()).toBe(1);
      expect(await page.locator('table th', { hasText: 'train_samples_per_second' }).count()).toBe(1);
      await page.screenshot({ path: await screenshotPath('report-succeeded.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('the live page updates while a run trains; Ctrl-C leaves a CANCELLED report', async () => {
    const output = join(work, 'long');
    let oneTimeCode = '';
    const train = startTrain(trainArgs(model, output, ['--max-steps', '5000', '--ui-port', '0']));
    try {
      const url = await waitFor(() => /open once: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(train.output())?.[1], 60_000, 'no live page URL printed');
      oneTimeCode = new URL(url).searchParams.get('token')!;
      const context = await browser.newContext();
      const page = await context.newPage();
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      expect(page.url()).not.toContain('token='); // exchanged for a cookie and dropped from the address
      await page.waitForSelector('.step');
      const first = await stepAbove(page, 0);
      await page.screenshot({ path: await screenshotPath('live-page-1.png'), fullPage: true });
      // Two updates pushed over server-sent events, without reloading the page.
      const second = await stepAbove(page, first);
      const third = await stepAbove(page, second);
      expect(third).toBeGreaterThan(second);
      expect(second).toBeGreaterThan(first);
      const series = await drawnSeries(page);
      expect(series['train loss']).toBeGreaterThanOrEqual(2);
      expect(series['learning rate']).toBeGreaterThanOrEqual(2);
      expect(await page.locator('.state').first().textContent()).toBe('RUNNING');
      expect(await page.locator('.progress').count()).toBe(1);
      expect(await page.locator('table.workers td').nth(1).textContent()).toBe('this process');
      expect(await page.locator('#status').textContent()).toMatch(/^live/);
      await page.screenshot({ path: await screenshotPath('live-page-2.png'), fullPage: true });

      // Another browser without the token: 401, the token form, nothing about the run.
      const stranger = await browser.newContext();
      const strangerPage = await stranger.newPage();
      const base = url.slice(0, url.indexOf('?'));
      const refused = await strangerPage.goto(base);
      expect(refused?.status()).toBe(401);
      expect(await strangerPage.locator('input[name="token"]').count()).toBe(1);
      const html = await strangerPage.content();
      expect(html).not.toContain('long');
      expect(html).not.toContain('<svg');
      expect((await strangerPage.request.get(`${base}api/jobs`)).status()).toBe(401);
      expect((await strangerPage.goto(url))?.status()).toBe(401); // the one-time URL is used up
      await strangerPage.screenshot({ path: await screenshotPath('live-page-401.png') });
      await stranger.close();
      await context.close();

      train.child.kill('SIGINT');
      expect(await train.exited, train.output()).toBe(130);
    } finally {
      if (train.child.exitCode === null) train.child.kill('SIGKILL');
    }
    expect(existsSync(join(output, 'report.html'))).toBe(true);
    const page = await browser.newPage();
    try {
      await page.goto(pathToFileURL(join(output, 'report.html')).href);
      expect(await page.locator('h1 .state').textContent()).toBe('CANCELLED');
      expect((await drawnSeries(page))['train loss']).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: await screenshotPath('report-cancelled.png'), fullPage: true });
    } finally {
      await page.close();
    }
    // The report carries the configuration, never the page's secret (a field such as label_all_tokens may say "token").
    const report = await readFile(join(output, 'report.html'), 'utf8');
    expect(oneTimeCode.length).toBeGreaterThan(8);
    expect(report).not.toContain(oneTimeCode);
    expect(report).not.toMatch(/token=/);
  });
});
