import cliProgress from 'cli-progress';

/** What the CLI shows while training: a bar on a terminal, JSON lines otherwise. */
export interface ProgressReporter {
  start(totalSteps: number): void;
  step(update: { step: number; totalSteps: number; loss?: number; samplesPerSecond: number }): void;
  log(entry: Record<string, unknown>): void;
  message(text: string): void;
  stop(): void;
}

export function createProgressReporter(options: {
  isTty: boolean;
  disableBar: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}): ProgressReporter {
  if (options.isTty && !options.disableBar) return new BarReporter(options.err);
  return new JsonLinesReporter(options.out);
}

class BarReporter implements ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private isRunning = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: 'train |{bar}| {value}/{total} steps | loss {loss} | {sps} samples/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(totalSteps: number): void {
    this.bar.start(totalSteps, 0, { loss: '-', sps: '-' });
    this.isRunning = true;
  }

  step(update: { step: number; totalSteps: number; loss?: number; samplesPerSecond: number }): void {
    if (!this.isRunning) this.start(update.totalSteps);
    this.bar.update(update.step, {
      loss: update.loss === undefined ? '-' : update.loss.toFixed(4),
      sps: update.samplesPerSecond.toFixed(1),
    });
  }

  log(entry: Record<string, unknown>): void {
    if (!('eval_loss' in entry) && !('train_runtime' in entry)) return; // loss is on the bar already
    this.message(JSON.stringify(entry));
  }

  message(text: string): void {
    if (this.isRunning) this.stream.write('\n');
    this.stream.write(`${text}\n`);
  }

  stop(): void {
    if (this.isRunning) this.bar.stop();
    this.isRunning = false;
  }
}

class JsonLinesReporter implements ProgressReporter {
  private lastStepLine = 0;
  constructor(private readonly out: NodeJS.WritableStream) {}

  start(totalSteps: number): void {
    this.write({ event: 'train_begin', max_steps: totalSteps });
  }

  step(update: { step: number; totalSteps: number; loss?: number; samplesPerSecond: number }): void {
    // The Trainer's own log entries carry the loss; progress lines are rate-limited to one a second.
    const now = Date.now();
    if (now - this.lastStepLine < 1000 && update.step !== update.totalSteps) return;
    this.lastStepLine = now;
    this.write({
      event: 'progress',
      step: update.step,
      max_steps: update.totalSteps,
      samples_per_second: Number(update.samplesPerSecond.toFixed(2)),
    });
  }

  log(entry: Record<string, unknown>): void {
    this.write({ event: 'log', ...entry });
  }

  message(text: string): void {
    this.write({ event: 'message', message: text });
  }

  stop(): void {}

  private write(record: Record<string, unknown>): void {
    this.out.write(`${JSON.stringify(record)}\n`);
  }
}
