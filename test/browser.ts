// Shared by the browser tests: Debian's Chromium through playwright-core, a loud skip without it, no traffic off the machine.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

/** Loud on purpose: a silently skipped browser test looks exactly like a passing one. */
export function warnIfNoChromium(what: string): void {
  if (chromiumAvailable) return;
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!! SKIPPED: ${what} needs Chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium;\n!! .ci/run installs it when apt is available). It is NOT tested in a browser in this run.\n${bar}\n`);
}

/** Headless, and nothing of Chromium's own that would call home (updates, sync, QUIC probes). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Nothing may leave the machine: requests to any origin but `origins` are recorded in the
 * returned list and refused, so a test can assert it stayed empty.
 */
export async function keepLocal(context: BrowserContext, origins: () => readonly string[]): Promise<string[]> {
  const offsite: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || origins().some((o) => url === o || url.startsWith(`${o}/`))) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  return offsite;
}
