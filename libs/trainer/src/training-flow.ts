import { TrainerError } from './trainer-error.ts';
import type { TrainingArguments } from './training-arguments.ts';

export type FlowEvent = { kind: 'step'; isLastStep: boolean } | { kind: 'epoch' };

export interface FlowDecision {
  readonly shouldLog: boolean;
  readonly shouldEvaluate: boolean;
  readonly shouldSave: boolean;
}

/**
 * HF's DefaultFlowCallback: what to do after optimizer step `step` or at the end of an epoch.
 * The last step always saves when a save strategy is set, so the final state is resumable.
 */
export function decideFlow(args: TrainingArguments, step: number, event: FlowEvent): FlowDecision {
  if (event.kind === 'epoch') {
    return {
      shouldLog: args.logging_strategy === 'epoch',
      shouldEvaluate: args.eval_strategy === 'epoch',
      shouldSave: args.save_strategy === 'epoch',
    };
  }
  return {
    shouldLog:
      (args.logging_strategy === 'steps' && step % args.logging_steps === 0) || (args.logging_first_step && step === 1),
    shouldEvaluate: args.eval_strategy === 'steps' && step % args.eval_steps === 0,
    shouldSave: (args.save_strategy === 'steps' && step % args.save_steps === 0) || (event.isLastStep && args.save_strategy !== 'no'),
  };
}

export interface BestMetricState {
  bestMetric: number | null;
  earlyStoppingPatienceCounter: number;
}

/**
 * transformers.EarlyStoppingCallback (compared with the best before this evaluation), then HF's
 * _determine_best_metric. Mutates `state`; returns whether to stop and whether this is a new best.
 */
export function trackBestMetric(
  args: TrainingArguments,
  state: BestMetricState,
  metrics: Record<string, number>,
): { isEarlyStop: boolean; isNewBest: boolean; key: string | null } {
  if (args.metric_for_best_model === null) return { isEarlyStop: false, isNewBest: false, key: null };
  const key = args.metric_for_best_model.startsWith('eval_') ? args.metric_for_best_model : `eval_${args.metric_for_best_model}`;
  const value = metrics[key];
  if (value === undefined) {
    throw new TrainerError(
      'METRIC_MISSING',
      `metric_for_best_model '${args.metric_for_best_model}' not found in evaluation metrics [${Object.keys(metrics).join(', ')}]; ` +
        'pick one of those or return it from computeMetrics.',
    );
  }
  const best = state.bestMetric;
  const isBetter = best === null || (args.greater_is_better ? value > best : value < best);
  let isEarlyStop = false;
  if (args.early_stopping_patience !== null) {
    const isImprovement = isBetter && (best === null || Math.abs(value - best) > args.early_stopping_threshold);
    state.earlyStoppingPatienceCounter = isImprovement ? 0 : state.earlyStoppingPatienceCounter + 1;
    isEarlyStop = state.earlyStoppingPatienceCounter >= args.early_stopping_patience;
  }
  if (isBetter) state.bestMetric = value;
  return { isEarlyStop, isNewBest: isBetter, key };
}
