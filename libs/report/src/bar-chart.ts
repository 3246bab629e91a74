import { formatTick, niceAxis } from './chart-scale.ts';
import { escapeHtml, formatNumber } from './html.ts';
import { SERIES_COLOURS } from './line-chart.ts';

export interface Bar {
  readonly label: string;
  readonly value: number;
}

export interface BarChartOptions {
  readonly title: string;
  /** The value axis, e.g. "seconds per step". */
  readonly valueLabel: string;
  readonly bars: readonly Bar[];
  readonly width?: number;
}

const ROW_HEIGHT = 24;
const MARGIN = { left: 90, right: 70, top: 26, bottom: 36 } as const;

/** Horizontal bars, one per rank (step time, all-reduce share); each bar is a `<rect class="bar">`. */
export function renderBarChart(options: BarChartOptions): string {
  const width = options.width ?? 460;
  const bars = options.bars.filter((bar) => Number.isFinite(bar.value));
  const height = MARGIN.top + MARGIN.bottom + Math.max(bars.length, 1) * ROW_HEIGHT;
  const title = escapeHtml(options.title);
  const parts = [
    `<svg class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${title}">`,
    `<text class="chart-title" x="${MARGIN.left}" y="16">${title}</text>`,
  ];
  if (bars.length === 0) {
    parts.push(`<text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle">no data yet</text></svg>`);
    return parts.join('');
  }
  const axis = niceAxis([0, ...bars.map((bar) => bar.value)], 4);
  const plotW = width - MARGIN.left - MARGIN.right;
  const sx = (v: number): number => ((v - axis.min) / (axis.max - axis.min)) * plotW;
  bars.forEach((bar, index) => {
    const y = MARGIN.top + index * ROW_HEIGHT;
    const w = Math.max(sx(bar.value), 1).toFixed(1);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${y + ROW_HEIGHT / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(bar.label)}</text>`);
    parts.push(`<rect class="bar" x="${MARGIN.left}" y="${y + 4}" width="${w}" height="${ROW_HEIGHT - 8}" fill="${SERIES_COLOURS[0]}"/>`);
    parts.push(`<text class="value" x="${MARGIN.left + Number(w) + 4}" y="${y + ROW_HEIGHT / 2}" dominant-baseline="middle">${formatNumber(bar.value)}</text>`);
  });
  const bottom = MARGIN.top + bars.length * ROW_HEIGHT;
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${bottom}" y2="${bottom}"/>`);
  for (const t of axis.ticks) {
    parts.push(`<text class="tick" x="${(MARGIN.left + sx(t)).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${formatTick(t, axis.step)}</text>`);
  }
  parts.push(`<text class="axis-label" x="${MARGIN.left + plotW / 2}" y="${height - 4}" text-anchor="middle">${escapeHtml(options.valueLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
