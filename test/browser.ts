// Shared by the browser tests: Debian's Chromium through playwright-core, a loud skip without it, no traffic off the machine.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';

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

/**
 * One Chromium for the describe block, and a fresh context for every page `open` gives: the page's
 * errors and any request off the machine are recorded in `state`. With `adminToken`, the Basic
 * challenge of a locked sandbox is answered with it, as a QA person would at the prompt. Its
 * afterEach closes the context before the sandbox closes (hooks run in reverse), so a page's
 * polling never meets a closed port.
 */
export function useBrowserPage(sandbox: () => { url: string }, options: { adminToken?: string; viewport?: { width: number; height: number } } = {}) {
  let browser: Browser;
  let context: BrowserContext | undefined;
  const state = { page: undefined as unknown as Page, errors: [] as string[], offsite: [] as string[] };
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await context?.close();
  });
  return {
    state,
    async open(path: string): Promise<Page> {
      state.errors = [];
      const credentials = options.adminToken === undefined ? {} : { httpCredentials: { username: 'qa', password: options.adminToken } };
      context = await browser.newContext({ ...credentials, viewport: options.viewport ?? { width: 1280, height: 900 } });
      const origin = sandbox().url;
      state.offsite = await keepLocal(context, () => [origin]);
      const page = await context.newPage();
      page.on('pageerror', (error) => state.errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') state.errors.push(message.text());
      });
      await page.goto(`${origin}${path}`);
      state.page = page;
      return page;
    },
  };
}
