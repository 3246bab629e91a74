/** A linear axis: the data range widened to round tick values. */
export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  /** Distance between ticks: how many digits a tick label needs. */
  readonly step: number;
}

/** 1, 2 or 5 times a power of ten, the step that gives about `count` ticks over [min, max]. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Round ticks covering every value; a single value (or none) still gets a visible range. */
export function niceAxis(values: readonly number[], tickCount = 4): Axis {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep(max - min, tickCount);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals, so 0.1 + 0.2 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toFixed(Math.min(decimals, 20))));
  return { min: lo, max: hi, ticks, step };
}

/** A tick label with just the digits the step needs, so 9.98e-4 and 9.99e-4 never print alike. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) {
    return value.toExponential(Math.min(Math.max(0, Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(step))), 6));
  }
  return value.toFixed(Math.min(Math.max(0, -Math.floor(Math.log10(step))), 8));
}
