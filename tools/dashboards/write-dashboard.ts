// Writes deploy/monitoring/grafana/tunefleet.json from tools/dashboards/tunefleet-dashboard.ts.
// Run: npx tsx tools/dashboards/write-dashboard.ts
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tunefleetDashboardJson } from './tunefleet-dashboard.ts';

const DASHBOARD_FILE = resolve(import.meta.dirname, '../../deploy/monitoring/grafana/tunefleet.json');

writeFileSync(DASHBOARD_FILE, tunefleetDashboardJson());
process.stdout.write(`wrote ${DASHBOARD_FILE}\n`);
