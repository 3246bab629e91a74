import { formatTick, niceAxis } from './chart-scale.ts';
import { escapeHtml } from './html.ts';

export type Point = readonly [x: number, y: number];

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
}

// Colour-blind-safe (Okabe-Ito), in series order.
export const SERIES_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'] as const;
const MARGIN = { left: 72, right: 14, top: 26, bottom: 40 } as const;
// Legend entries sit in rows of this width above the plot.
const LEGEND_ENTRY_WIDTH = 110;
const LEGEND_ROW_HEIGHT = 14;

/**
 * One inline SVG line chart: the live page and report.html both draw with it (the server renders it;
 * the browser only swaps the markup in). Every series is one `<path class="series">` with
 * `data-points` = its number of points; non-finite values are left out. No data: a note instead.
 */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 460;
  const height = options.height ?? 240;
  const series = options.series.map((s) => ({ name: s.name, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }));
  const all = series.flatMap((s) => s.points);
  const title = escapeHtml(options.title);
  const head = `<svg class="chart line-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${title}">`;
  const titleText = `<text class="chart-title" x="${MARGIN.left}" y="16">${title}</text>`;
  if (all.length === 0) {
    return `${head}${titleText}<text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle">no data yet</text></svg>`;
  }
  const xAxis = niceAxis(all.map(([x]) => x), 5);
  const yAxis = niceAxis(all.map(([, y]) => y), 4);
  const plotW = width - MARGIN.left - MARGIN.right;
  const perRow = Math.max(1, Math.floor(plotW / LEGEND_ENTRY_WIDTH));
  const legendH = series.length > 1 ? Math.ceil(series.length / perRow) * LEGEND_ROW_HEIGHT : 0;
  const top = MARGIN.top + legendH;
  const plotH = height - top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * plotW;
  const sy = (y: number): number => top + plotH - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * plotH;
  const parts: string[] = [head, titleText];
  const bottom = top + plotH;
  for (const t of yAxis.ticks) {
    const y = sy(t).toFixed(1);
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t, yAxis.step)}</text>`);
  }
  for (const t of xAxis.ticks) {
    parts.push(`<text class="tick" x="${sx(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${formatTick(t, xAxis.step)}</text>`);
  }
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${bottom}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${bottom}"/>`);
  parts.push(`<text class="axis-label" x="${MARGIN.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`);
  parts.push(
    `<text class="axis-label" transform="translate(12 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
  );
  series.forEach((s, index) => {
    if (s.points.length === 0) return;
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<path class="series" data-series="${escapeHtml(s.name)}" data-points="${s.points.length}" d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    // A lone point draws no line: mark it.
    if (s.points.length === 1) parts.push(`<circle cx="${sx(s.points[0][0]).toFixed(1)}" cy="${sy(s.points[0][1]).toFixed(1)}" r="3" fill="${colour}"/>`);
  });
  if (series.length > 1) {
    series.forEach((s, index) => {
      const x = MARGIN.left + (index % perRow) * LEGEND_ENTRY_WIDTH;
      const y = MARGIN.top + Math.floor(index / perRow) * LEGEND_ROW_HEIGHT;
      parts.push(`<rect x="${x}" y="${y - 4}" width="10" height="3" fill="${SERIES_COLOURS[index % SERIES_COLOURS.length]}"/>`);
      parts.push(`<text class="legend" x="${x + 14}" y="${y}">${escapeHtml(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}
