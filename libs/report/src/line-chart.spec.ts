import { describe, expect, it } from 'vitest';
import { niceAxis } from './chart-scale.ts';
import { renderBarChart } from './bar-chart.ts';
import { renderLineChart } from './line-chart.ts';

describe('niceAxis', () => {
  it('covers the data with round ticks', () => {
    const axis = niceAxis([0.37, 0.81]);
    expect(axis.min).toBeLessThanOrEqual(0.37);
    expect(axis.max).toBeGreaterThanOrEqual(0.81);
    expect(axis.ticks).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('gives one value a visible range', () => {
    const axis = niceAxis([5]);
    expect(axis.max).toBeGreaterThan(axis.min);
    expect(axis.ticks.length).toBeGreaterThan(1);
  });
});

describe('renderLineChart', () => {
  const chart = renderLineChart({
    title: 'Loss <train>',
    xLabel: 'step',
    yLabel: 'loss',
    series: [
      { name: 'train loss', points: [[1, 0.7], [2, 0.6], [3, Number.NaN], [4, 0.4]] },
      { name: 'eval loss', points: [[4, 0.5]] },
    ],
  });

  it('draws one path per series with its finite points, scaled into the plot', () => {
    const paths = [...chart.matchAll(/<path class="series" data-series="([^"]+)" data-points="(\d+)" d="([^"]+)"/g)];
    expect(paths.map((m) => [m[1], Number(m[2])])).toEqual([['train loss', 3], ['eval loss', 1]]);
    const coordinates = paths[0][3].split(/[ML ]+/).filter(Boolean).map(Number);
    expect(coordinates).toHaveLength(6);
    // y falls as the loss falls (SVG y grows downwards)
    expect(coordinates[1]).toBeLessThan(coordinates[5]);
    expect(chart).toContain('<circle'); // the lone eval point is marked
  });

  it('labels both axes, escapes text and shows a legend for two series', () => {
    expect(chart).toContain('>step</text>');
    expect(chart).toContain('>loss</text>');
    expect(chart).toContain('Loss &lt;train&gt;');
    expect(chart).toContain('class="legend"');
  });

  it('says there is no data instead of drawing an empty plot', () => {
    const empty = renderLineChart({ title: 'Eval', xLabel: 'step', yLabel: 'accuracy', series: [{ name: 'accuracy', points: [] }] });
    expect(empty).toContain('no data yet');
    expect(empty).not.toContain('<path');
  });
});

describe('renderBarChart', () => {
  it('draws one bar per finite value, the longest for the largest', () => {
    const chart = renderBarChart({ title: 'Step time', valueLabel: 'seconds', bars: [{ label: 'rank 0', value: 1 }, { label: 'rank 1', value: 2 }, { label: 'rank 2', value: Number.NaN }] });
    const widths = [...chart.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1]).toBeGreaterThan(widths[0]);
    expect(chart).toContain('>seconds</text>');
  });
});
