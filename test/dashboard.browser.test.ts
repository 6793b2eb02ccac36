// The dashboard and /docs in a real browser (Debian's chromium via playwright-core): arm a Cora row error, send a request, see the failed row.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable as available, useBrowserPage, warnIfNoChromium } from './browser.js';
import { bulk, BULK_PATH, newAccount } from '../src/vendors/cora/cora.client.js';
import { CORA_ERRORS } from '../src/vendors/cora/errors.js';
import { T0, useSandbox } from './helpers.js';

warnIfNoChromium('the dashboard browser test');
/** `npm run screenshots` sets it: the views are then saved to docs/screenshots/ for docs/operations.md. */
const SCREENSHOTS = process.env.SCREENSHOTS === '1';
const SHOTS_DIR = join(import.meta.dirname, '..', 'docs', 'screenshots');
const TOKEN = 'browser-admin-token-0123456789';

describe.skipIf(!available)('dashboard in a browser', () => {
  const sandbox = useSandbox({ adminToken: TOKEN });
  const browser = useBrowserPage(sandbox, { adminToken: TOKEN, viewport: { width: 1280, height: 860 } });
  let page: Page;

  /** A fresh page that answers the Basic challenge with the admin token, as a QA person would at the prompt. */
  async function open(path: string): Promise<void> {
    page = await browser.open(path);
  }

  async function shot(name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SHOTS_DIR, { recursive: true });
    // The last action's toast would otherwise cover part of every picture.
    if ((await page.locator('#toast').count()) > 0) await page.locator('#toast').evaluate((el: { hidden: boolean }) => (el.hidden = true));
    await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`), fullPage: true });
  }

  const view = async (name: string) => {
    await page.click(`#tabs button[data-view="${name}"]`);
    await page.locator(`#view-${name}`).waitFor({ state: 'visible' });
  };

  it('arms a Cora row error from the form, and the journal shows the failed row after a real request', async () => {
    const s = sandbox();
    await s.admin.seed({ cora: { records: { org_demo: [newAccount('FILE_100', { currentBalance: 12.5 }), newAccount('FILE_200')] } } });
    await open('/_sandbox/ui#faults');

    // Arm: POST bulk-upsert, row 1 fails with VALIDATION_ERROR.
    await page.selectOption('#vendor', 'cora');
    await page.locator('#fault-operation option[value="POST /external-api/accounts/bulk-upsert"]').waitFor({ state: 'attached' });
    await page.selectOption('#fault-operation', 'POST /external-api/accounts/bulk-upsert');
    await page.check('input[name="fault-kind"][value="rowErrors"]');
    // Row errors fire only on bulk routes: the choice narrows to them and says so.
    expect(await page.locator('#fault-operation option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).toEqual([
      'POST /external-api/accounts/bulk-upsert',
    ]);
    expect(await page.locator('#fault-operation-note').textContent()).toBe('Row errors fire only on bulk routes');
    await page.fill('.fault-row-index', '1');
    await page.selectOption('.fault-row-code', 'VALIDATION_ERROR');
    await page.click('#fault-arm');
    const armed = page.locator('#faults-table tbody tr[data-id="flt_1"]');
    await armed.waitFor();
    expect(await armed.textContent()).toContain('POST /external-api/accounts/bulk-upsert');
    expect(await s.admin.faults()).toMatchObject([
      { id: 'flt_1', vendor: 'cora', method: 'POST', path: BULK_PATH, remaining: 1, action: { rowErrors: { '1': 'VALIDATION_ERROR' } } },
    ]);
    await shot('faults');

    // A client sends a batch of two: row 0 is written, row 1 fails as Cora reports a failed row.
    const res = await bulk(s, { accounts: [newAccount('FILE_1'), newAccount('FILE_2')] });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed']);

    // The journal (live) shows it: green status, the failed-row badge, the fault, and the bodies.
    await view('journal');
    const entry = page.locator('#journal-list li.entry').first();
    await entry.locator('.row-error').waitFor();
    expect(await entry.locator('.row-error').textContent()).toBe('1 failed row: VALIDATION_ERROR');
    expect(await entry.getAttribute('class')).toContain('s2xx');
    expect(await entry.locator('.fault-fired').textContent()).toBe('fault flt_1');
    await entry.locator('summary').click();
    const response = JSON.parse((await entry.locator('.response-body').textContent())!);
    expect(response.results[1]).toMatchObject({ index: 1, status: 'failed', code: 'VALIDATION_ERROR' });
    expect(await entry.locator('.request .request-body').textContent()).toContain('"externalId": "FILE_2"');
    expect(await entry.locator('.request').textContent()).toContain('"authorization": "[redacted]"');
    // The fault fired once and is gone from the armed list.
    expect(await s.admin.faults()).toEqual([]);
    await shot('journal');

    // Records with search: the seeded accounts and the one row written.
    await view('records');
    await page.locator('#records-table tbody tr').nth(2).waitFor();
    expect(await page.locator('#records-table tbody tr').count()).toBe(3);
    await page.fill('#records-search', 'FILE_1');
    expect((await page.locator('#records-table tbody td:nth-child(3)').allTextContents()).sort()).toEqual(['FILE_1', 'FILE_100']);
    await page.fill('#records-search', '');
    await shot('records');

    // The clock: +20 s moves the sandbox clock (frozen at T0 by the test helpers).
    await view('clock');
    await page.click('button[data-advance="20000"]');
    await page.locator('#clock-now', { hasText: new Date(T0 + 20_000).toISOString() }).waitFor();
    expect(await s.admin.clock()).toEqual({ now: new Date(T0 + 20_000).toISOString(), frozen: true });
    await shot('clock');

    await view('state');
    await page.locator('#rate-buckets').filter({ hasText: 'live bucket' }).waitFor();
    await shot('state');

    // Coverage counts the row error the request produced.
    await view('coverage');
    const row = page.locator('[data-vendor="cora"] tr', { hasText: 'VALIDATION_ERROR' }).filter({ hasText: 'row' });
    await row.waitFor();
    expect(await row.locator('.count').textContent()).toBe('1');
    await shot('coverage');

    expect(browser.state.errors).toEqual([]);
    expect(browser.state.offsite).toEqual([]);
  });

  it('the fault form offers only what the server accepts, arms tenant and probability targeting, and shows refusals in the toast', async () => {
    const s = sandbox();
    await open('/_sandbox/ui#faults');
    const operation = page.locator('#fault-operation');
    const offered = () => operation.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    const kind = (value: string) => page.check(`input[name="fault-kind"][value="${value}"]`);
    const toast = page.locator('#toast');
    await page.locator('#fault-operation option[value="GET /external-api/accounts/:externalId"]').waitFor({ state: 'attached' });

    // Any request, or any route, for an error; the bulk routes alone for row errors; a choice the new list lacks falls back to a bulk route.
    expect(await offered()).toContain('');
    await page.selectOption('#fault-operation', 'GET /external-api/accounts/:externalId');
    await kind('rowErrors');
    expect(await offered()).toEqual(['POST /external-api/accounts/bulk-upsert']);
    expect(await operation.inputValue()).toBe('POST /external-api/accounts/bulk-upsert');
    await kind('error');
    expect(await offered()).toEqual(expect.arrayContaining(['', 'GET /external-api/accounts/:externalId', 'POST /external-api/accounts/bulk-upsert']));
    expect(await page.locator('#fault-operation-note').isHidden()).toBe(true);
    const CORA_ORDER = Object.keys(CORA_ERRORS);
    // Errors by name: only those the chosen request documents (the server refuses the others); for any request, those every route documents.
    const errorsOffered = () => page.locator('#fault-error option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    await page.selectOption('#fault-operation', 'GET /external-api/accounts/:externalId');
    expect(await errorsOffered()).toEqual(['MISSING_AUTH_HEADER', 'INVALID_API_KEY', 'VALIDATION_ERROR', 'ACCOUNT_NOT_FOUND', 'METHOD_NOT_ALLOWED', 'INTERNAL_ERROR'].sort((a, b) => CORA_ORDER.indexOf(a) - CORA_ORDER.indexOf(b)));
    await page.selectOption('#fault-operation', '');
    expect(await errorsOffered()).toEqual(['INVALID_API_KEY', 'METHOD_NOT_ALLOWED', 'VALIDATION_ERROR', 'INTERNAL_ERROR'].sort((a, b) => CORA_ORDER.indexOf(a) - CORA_ORDER.indexOf(b)));
    await page.selectOption('#fault-operation', 'POST /external-api/accounts/bulk-upsert');
    expect(await errorsOffered()).toContain('RATE_LIMITED');

    // The status field stops what no response can be (the browser's own check, before any request)...
    await kind('response');
    await page.fill('#fault-status', '150');
    await page.click('#fault-arm');
    expect(await page.locator('#fault-status').evaluate((el) => (el as unknown as { validity: { rangeUnderflow: boolean } }).validity.rangeUnderflow)).toBe(true);
    // ...and what the server refuses comes back in the toast, in its own words.
    await page.fill('#fault-status', '204');
    await page.click('#fault-arm');
    await toast.filter({ hasText: 'response.body: a 204 response has no body' }).waitFor();
    expect(await toast.getAttribute('class')).toBe('error');
    await kind('error');
    await page.fill('#fault-probability', '0');
    await page.click('#fault-arm');
    await toast.filter({ hasText: 'probability: Too small' }).waitFor();
    expect(await s.admin.faults()).toEqual([]);

    // Tenant, probability and seed reach the armed fault, and the table shows them.
    await page.fill('#fault-tenant', 'org_demo');
    await page.fill('#fault-probability', '0.5');
    await page.fill('#fault-seed', '7');
    await page.click('#fault-arm');
    const armed = page.locator('#faults-table tbody tr[data-id="flt_1"]');
    await armed.waitFor();
    expect(await armed.locator('.targeting').allTextContents()).toEqual(['tenant org_demo', 'probability 0.5, seed 7']);
    expect(await s.admin.faults()).toMatchObject([
      { id: 'flt_1', vendor: 'cora', method: 'POST', path: BULK_PATH, tenant: 'org_demo', probability: 0.5, seed: 7, action: { error: expect.any(String) } },
    ]);
    // Chromium logs each refused call; nothing else went wrong.
    expect(browser.state.errors).toEqual(Array(2).fill('Failed to load resource: the server responded with a status of 400 (Bad Request)'));
    expect(browser.state.offsite).toEqual([]);
  });

  it('renders the API reference offline: Swagger UI shows the Cora operations from the local document', async () => {
    await open('/docs?doc=cora');
    const summary = page.locator('.opblock-summary-path', { hasText: '/external-api/accounts/bulk-upsert' });
    await summary.first().waitFor({ timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBe(4);
    await shot('docs');
    expect(browser.state.errors).toEqual([]);
    expect(browser.state.offsite).toEqual([]);
  });
});
