/** The one stylesheet of the live page and report.html, inlined (no external assets). */
export const STYLES = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; } h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
section.job { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
.state { font-weight: 600; padding: .1rem .4rem; border-radius: 4px; background: #eee; }
.state-RUNNING { background: #d9ecff; } .state-SUCCEEDED { background: #d7f5dd; } .state-FAILED { background: #fbd9d9; } .state-CANCELLED { background: #eee; }
.progress { height: 14px; background: #e6e6e6; border-radius: 7px; overflow: hidden; margin: .5rem 0; max-width: 640px; }
.progress > div { height: 100%; background: #0072b2; }
.charts { display: flex; flex-wrap: wrap; gap: .75rem; }
svg.chart { background: #fff; border: 1px solid #e3e3e3; border-radius: 4px; }
svg .grid { stroke: #eee; } svg .axis { stroke: #888; } svg text { font-size: 11px; fill: #444; }
svg .chart-title { font-size: 13px; font-weight: 600; fill: #222; } svg .axis-label { font-size: 12px; fill: #222; } svg .no-data { fill: #999; }
table { border-collapse: collapse; margin: .3rem 0; } th, td { text-align: left; padding: .2rem .8rem .2rem 0; border-bottom: 1px solid #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.error { color: #a00; white-space: pre-wrap; } pre { background: #f3f3f3; padding: .6rem; overflow: auto; max-height: 30rem; }
#status { color: #666; font-size: .85rem; }
`;
