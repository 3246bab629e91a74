// Test-only: headless Debian chromium through playwright-core, and where screenshots go.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** CI sets TUNEFLEET_REQUIRE_CHROMIUM=1: there a missing browser fails the tests instead of skipping them. */
export const hasChromium = existsSync(CHROMIUM) || process.env.TUNEFLEET_REQUIRE_CHROMIUM === '1';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Screenshots land in the repository's ignored /tmp/ folder, so they survive the run and stay out of git. */
export async function screenshotPath(name: string): Promise<string> {
  const dir = resolve(import.meta.dirname, '../../tmp/ui-screenshots');
  await mkdir(dir, { recursive: true });
  return join(dir, name);
}
