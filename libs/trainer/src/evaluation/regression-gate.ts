import { EvaluationError } from './evaluation-error.ts';

export type GateOperator = '>=' | '>' | '<=' | '<';

/** What the threshold is measured in: points (x 100) for ratio metrics, the metric's own unit otherwise. */
export type GateUnit = 'points' | 'raw';

/**
 * `candidate - baseline` of one metric compared with a threshold: "accuracy>=-0.5" lets accuracy
 * drop by at most half a point; "eval_loss<=0.02" lets the loss rise by at most 0.02.
 */
export interface RegressionGate {
  readonly text: string;
  readonly metric: string;
  readonly operator: GateOperator;
  readonly threshold: number;
  readonly unit: GateUnit;
}

export interface GateResult {
  readonly gate: RegressionGate;
  readonly isPassed: boolean;
  /** The metric key the values were read under (e.g. "eval_accuracy" for the gate "accuracy"). */
  readonly key: string;
  readonly baseline: number;
  readonly candidate: number;
  /** candidate - baseline in the gate's unit. */
  readonly change: number;
  readonly message: string;
}

const GATE_PATTERN = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$/;

// Ratios in [0, 1] (with or without an eval_/test_ prefix): a threshold of -0.5 means half a point.
const RATIO_METRIC = /^(?:eval_|test_)?(?:accuracy|precision|recall|f1)(?:_macro|_micro|_weighted)?$/;

// Changes are rounded to 1e-9 of the unit before comparing, so 0.8666 - 0.8716 in floating point
// (-0.49999999999999x points) meets the gate ">=-0.5" the way the person who wrote it means.
const CHANGE_RESOLUTION = 1e9;

/** Parses `<metric><op><number>` (e.g. "accuracy>=-0.5"); the unit follows from the metric's name. */
export function parseGate(text: string): RegressionGate {
  const match = GATE_PATTERN.exec(text);
  if (match === null) {
    throw new EvaluationError(
      'GATE_MALFORMED',
      `gate "${text}" is not <metric><op><number>; write e.g. "accuracy>=-0.5" (accuracy may drop at most 0.5 points) ` +
        'with op one of >=, >, <=, <.',
    );
  }
  const [, metric, operator, threshold] = match as unknown as [string, string, GateOperator, string];
  return { text: text.trim(), metric, operator, threshold: Number(threshold), unit: RATIO_METRIC.test(metric) ? 'points' : 'raw' };
}

/** The gate on the new model's metrics against the baseline's, with a message carrying the numbers. */
export function evaluateGate(gate: RegressionGate, candidate: Readonly<Record<string, number>>, baseline: Readonly<Record<string, number>>): GateResult {
  const key = resolveKey(gate, candidate, baseline);
  const candidateValue = candidate[key]!;
  const baselineValue = baseline[key]!;
  const scale = gate.unit === 'points' ? 100 : 1;
  const change = Math.round((candidateValue - baselineValue) * scale * CHANGE_RESOLUTION) / CHANGE_RESOLUTION;
  const isPassed = compare(change, gate.operator, gate.threshold);
  const unit = gate.unit === 'points' ? ' points' : '';
  const message =
    `gate ${gate.text} ${isPassed ? 'passed' : 'failed'}: ${key} ${format(candidateValue)} vs baseline ${format(baselineValue)}, ` +
    `change ${change >= 0 ? '+' : ''}${formatChange(change)}${unit} (needs ${gate.operator} ${gate.threshold}${unit})`;
  return { gate, isPassed, key, baseline: baselineValue, candidate: candidateValue, change, message };
}

/** Every gate; passes only when all do. */
export function evaluateGates(
  gates: readonly RegressionGate[],
  candidate: Readonly<Record<string, number>>,
  baseline: Readonly<Record<string, number>>,
): { readonly isPassed: boolean; readonly results: readonly GateResult[] } {
  const results = gates.map((gate) => evaluateGate(gate, candidate, baseline));
  return { isPassed: results.every((result) => result.isPassed), results };
}

/** The metric as named, or with the `eval_` prefix added or removed, present in both results. */
function resolveKey(gate: RegressionGate, candidate: Readonly<Record<string, number>>, baseline: Readonly<Record<string, number>>): string {
  const name = gate.metric;
  const candidates = [name, name.startsWith('eval_') ? name.slice('eval_'.length) : `eval_${name}`];
  const key = candidates.find((option) => typeof candidate[option] === 'number' && typeof baseline[option] === 'number');
  if (key !== undefined) return key;
  const shared = Object.keys(candidate).filter((option) => typeof baseline[option] === 'number');
  throw new EvaluationError(
    'GATE_UNKNOWN_METRIC',
    `gate ${gate.text}: metric "${name}" is not in both models' results; they share [${shared.join(', ')}].`,
  );
}

function compare(change: number, operator: GateOperator, threshold: number): boolean {
  switch (operator) {
    case '>=':
      return change >= threshold;
    case '>':
      return change > threshold;
    case '<=':
      return change <= threshold;
    case '<':
      return change < threshold;
  }
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : String(value);
}

function formatChange(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : String(value);
}
