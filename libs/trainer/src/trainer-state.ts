import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainerError } from './trainer-error.ts';
import type { TrainingArguments } from './training-arguments.ts';
import type { LogEntry } from './trainer-types.ts';

/** The run's bookkeeping; serialised as HF's trainer_state.json. */
export class TrainerState {
  globalStep = 0;
  epoch = 0;
  maxSteps = 0;
  numTrainEpochs = 0;
  totalFlos = 0;
  bestMetric: number | null = null;
  bestModelCheckpoint: string | null = null;
  earlyStoppingPatienceCounter = 0;
  logHistory: LogEntry[] = [];

  toJSON(args: TrainingArguments, isWorldProcessZero: boolean): Record<string, unknown> {
    const json: Record<string, unknown> = {
      best_metric: this.bestMetric,
      best_model_checkpoint: this.bestModelCheckpoint,
      epoch: this.epoch,
      eval_steps: args.eval_steps,
      global_step: this.globalStep,
      is_hyper_param_search: false,
      is_local_process_zero: isWorldProcessZero,
      is_world_process_zero: isWorldProcessZero,
      log_history: this.logHistory,
      logging_steps: args.logging_steps,
      max_steps: this.maxSteps,
      num_train_epochs: this.numTrainEpochs,
      save_steps: args.save_steps,
      train_batch_size: args.per_device_train_batch_size,
      total_flos: this.totalFlos,
      trial_name: null,
      trial_params: null,
    };
    if (args.early_stopping_patience !== null) {
      // HF keeps EarlyStoppingCallback's counter here so a resumed run keeps its patience.
      json['stateful_callbacks'] = {
        EarlyStoppingCallback: {
          args: {
            early_stopping_patience: args.early_stopping_patience,
            early_stopping_threshold: args.early_stopping_threshold,
          },
          attributes: { early_stopping_patience_counter: this.earlyStoppingPatienceCounter },
        },
      };
    }
    return json;
  }

  /** Reads `<checkpoint>/trainer_state.json` back into this state (resume_from_checkpoint). */
  async load(checkpointDir: string): Promise<void> {
    const file = join(checkpointDir, 'trainer_state.json');
    let json: Record<string, any>;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new TrainerError('CHECKPOINT_INVALID', `${file}: cannot read trainer state (${(cause as Error).message}).`);
    }
    if (typeof json['global_step'] !== 'number' || !Array.isArray(json['log_history'])) {
      throw new TrainerError('CHECKPOINT_INVALID', `${file}: expected numeric global_step and an array log_history.`);
    }
    this.globalStep = json['global_step'];
    this.epoch = Number(json['epoch'] ?? 0);
    this.totalFlos = Number(json['total_flos'] ?? 0);
    this.bestMetric = json['best_metric'] ?? null;
    this.bestModelCheckpoint = json['best_model_checkpoint'] ?? null;
    this.logHistory = json['log_history'];
    this.earlyStoppingPatienceCounter = Number(
      json['stateful_callbacks']?.EarlyStoppingCallback?.attributes?.early_stopping_patience_counter ?? 0,
    );
  }
}
