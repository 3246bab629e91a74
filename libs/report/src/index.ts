// Public API of @tunefleet/report: inline-SVG charts, the live page's markup and script, report.html.
export { escapeHtml, formatDuration, formatNumber } from './html.ts';
export { niceAxis, type Axis } from './chart-scale.ts';
export { renderLineChart, type LineChartOptions, type Point, type Series } from './line-chart.ts';
export { renderBarChart, type Bar, type BarChartOptions } from './bar-chart.ts';
export { evalMetricSeries, learningRateSeries, lossSeries } from './history-series.ts';
export { renderCurveCharts, renderRankCharts } from './chart-panels.ts';
export { allreduceShare, type JobView, type LogEntry, type RankView } from './job-view.ts';
export { renderJobSection, renderJobsFragment } from './job-section.ts';
export { LIVE_PAGE_SCRIPT, renderLivePage, renderLoginPage } from './live-page.ts';
export { finalMetrics, renderTrainingReport, type FinalState, type TrainingReportInput } from './training-report.ts';
export { readLogHistory, REPORT_FILE, writeTrainingReport, type WriteReportOptions } from './write-report.ts';
export { ReportError, type ReportErrorCode } from './report-error.ts';
