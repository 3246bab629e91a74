import { escapeHtml } from './html.ts';
import { renderJobsFragment } from './job-section.ts';
import type { JobView } from './job-view.ts';
import { STYLES } from './styles.ts';

/**
 * The live page's script, whole. The server renders every chart (the same TypeScript that draws
 * report.html), so the browser only swaps in the markup each server-sent event carries; when the
 * stream ends (server gone, session expired) it says so and retries every few seconds.
 */
export const LIVE_PAGE_SCRIPT = `
const app = document.getElementById('app');
const status = document.getElementById('status');
function connect() {
  const events = new EventSource('events');
  events.onopen = () => { status.textContent = 'live'; };
  events.onmessage = (message) => {
    app.innerHTML = JSON.parse(message.data).html;
    status.textContent = 'live · updated ' + new Date().toLocaleTimeString();
  };
  events.onerror = () => {
    if (events.readyState !== EventSource.CLOSED) { status.textContent = 'reconnecting…'; return; }
    status.textContent = 'disconnected; retrying';
    setTimeout(connect, 3000);
  };
}
connect();
`;

/** The live page: the jobs as they are now, then live updates over server-sent events (`events`). */
export function renderLivePage(jobs: readonly JobView[], title = 'tunefleet'): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>`,
    `<style>${STYLES}</style></head><body>`,
    `<h1>${escapeHtml(title)} <span id="status">loading</span></h1>`,
    `<main id="app">${renderJobsFragment(jobs)}</main>`,
    `<script>${LIVE_PAGE_SCRIPT}</script>`,
    '</body></html>',
  ].join('');
}

/** What the page asks for when it has no valid session: a token form, and nothing about any job. */
export function renderLoginPage(title = 'tunefleet', message = ''): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}: sign in</title><style>${STYLES}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    message === '' ? '' : `<p class="error">${escapeHtml(message)}</p>`,
    '<form method="post" action="login"><label>Cluster token <input type="password" name="token" autocomplete="off" required></label> ',
    '<button type="submit">Open</button></form>',
    '</body></html>',
  ].join('');
}
