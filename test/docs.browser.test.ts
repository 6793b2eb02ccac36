// /docs as a user tries it, in a real browser: authorize with the demo credentials, Try it out a bulk write of each vendor, see it stored.
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumAvailable as available, useBrowserPage, warnIfNoChromium } from './browser.js';
import type { Sandbox } from '../src/sandbox.js';
import { SIGNED_HEADERS } from '../src/vendors/cora/auth.js';
import { newAccount } from '../src/vendors/cora/cora.client.js';
import { CORA_MESSAGES } from '../src/vendors/cora/errors.js';
import { T0, useSandbox } from './helpers.js';

warnIfNoChromium('the /docs Try it out browser test');
const TOKEN = 'docs-browser-admin-token-0123456789';

/** A page of /docs once Swagger UI has drawn its operations. */
function usePage(sandbox: () => Sandbox, credentials: boolean) {
  const browser = useBrowserPage(sandbox, credentials ? { adminToken: TOKEN } : {});
  return {
    state: browser.state,
    async open(path: string): Promise<Page> {
      const page = await browser.open(path);
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      return page;
    },
  };
}

/** Opens the Authorize dialog, lets `fill` act in it, and closes it. */
async function authorize(page: Page, fill: (modal: Locator) => Promise<void>): Promise<void> {
  await page.locator('.auth-wrapper .btn.authorize').click();
  const modal = page.locator('.modal-ux');
  await modal.waitFor();
  await fill(modal);
  await modal.locator('.btn-done').first().click();
  await modal.waitFor({ state: 'detached' });
}

/** Fills each scheme's API key or bearer token field and presses its Authorize. */
async function fillKeys(modal: Locator, values: Record<string, string>): Promise<void> {
  for (const [scheme, value] of Object.entries(values)) {
    const container = modal.locator('.auth-container').filter({ has: modal.page().locator('h4', { hasText: scheme }) });
    await container.locator('input').fill(value);
    await container.locator('.btn.authorize').click();
    await container.locator('.btn.modal-btn.auth', { hasText: 'Logout' }).waitFor();
  }
}

/** Expands one operation, presses Try it out, lets `fill` set its fields, executes it, and returns the status and body shown. */
async function tryOut(page: Page, method: string, path: string, fill?: (operation: Locator) => Promise<void>): Promise<{ status: number; body: any; curl: string }> {
  const operation = page.locator(`.opblock-${method}`, { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
  await operation.locator('.opblock-summary').first().click();
  await operation.locator('.try-out__btn').click();
  await fill?.(operation);
  await operation.locator('.btn.execute').click();
  const live = operation.locator('.live-responses-table td.response-col_status:not(.col_header)');
  await live.waitFor({ timeout: 20_000 });
  const text = (await operation.locator('.live-responses-table .response-col_description .microlight').first().textContent()) ?? '';
  const curl = (await operation.locator('.curl-command').textContent()) ?? '';
  return { status: Number((await live.textContent())!.trim()), body: text === '' ? undefined : JSON.parse(text), curl };
}

describe.skipIf(!available)('/docs Try it out, behind the admin lock (credentials entered by hand)', () => {
  const sandbox = useSandbox({ adminToken: TOKEN });
  const browser = usePage(sandbox, true);

  afterEach(() => {
    expect(browser.state.offsite).toEqual([]);
  });

  it('Cora: the page signs the bulk upsert with the key given in Authorize, timestamped on the sandbox clock', async () => {
    const s = sandbox();
    // Far from the browser's own time: a timestamp from the browser clock would be outside Cora's 5-minute window.
    expect(Math.abs(Date.now() - T0)).toBeGreaterThan(3_600_000);
    // The documented example creates FILE_123 and updates FILE_456 (its second row is an update: a new account would need more fields).
    await s.admin.seed({ cora: { records: { org_demo: [newAccount('FILE_456', { currentBalance: 10 })] } } });
    const page = await browser.open('/docs?doc=cora');
    await authorize(page, (modal) => fillKeys(modal, { coraApiKey: 'cora_org_demo.demo_secret' }));
    // The signature headers are the page's to fill: shown, optional, and left empty.
    const res = await tryOut(page, 'post', '/external-api/accounts/bulk-upsert', async (operation) => {
      expect(await operation.locator('tr[data-param-name="X-Cora-Signature"] .parameter__name').textContent()).not.toContain('required');
      expect(await operation.locator('tr[data-param-name="Authorization"]').count()).toBe(0);
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, summary: { total: 2, created: 1, updated: 1, failed: 0 } });
    expect(res.curl).toContain('X-Cora-Timestamp: ' + String(Math.floor(T0 / 1000)));
    const stored = await s.admin.records('cora', { tenant: 'org_demo' });
    expect(stored.records.map((r: any) => [r.externalId, r.currentBalance])).toEqual([
      ['FILE_123', 450.25],
      ['FILE_456', 125.5],
    ]);
    expect(browser.state.errors).toEqual([]);
  });

  it('Cora: without a key in Authorize, the request goes unsigned and Cora says which headers are missing', async () => {
    const s = sandbox();
    const page = await browser.open('/docs?doc=cora');
    const res = await tryOut(page, 'post', '/external-api/accounts/bulk-upsert');
    expect(res.status).toBe(401);
    // Authorization too: the page keeps the browser's Basic login to the locked sandbox away from the vendors.
    expect(res.body).toMatchObject({ success: false, code: 'MISSING_AUTH_HEADERS', message: CORA_MESSAGES.missingHeaders([...SIGNED_HEADERS]) });
    expect((await s.admin.requests({ vendor: 'cora' }))[0]!.requestHeaders).not.toHaveProperty('authorization');
    expect((await s.admin.records('cora')).records).toEqual([]);
    expect(browser.state.errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  });

  it('Propel: Authorize gets a client-credentials token from the sandbox, and the bulk write by id uses it', async () => {
    const s = sandbox();
    const page = await browser.open('/docs?doc=propel');
    await authorize(page, async (modal) => {
      await modal.locator('input[data-name="clientId"]').fill('demo_client');
      await modal.locator('input[data-name="clientSecret"]').fill('demo_secret');
      await modal.locator('.auth-btn-wrapper .btn.authorize').first().click();
      await modal.locator('.btn.modal-btn.auth', { hasText: 'Logout' }).first().waitFor();
    });
    // Swagger UI's client credentials request: the client as a Basic header, grant_type in a form, as Propel takes them.
    const [token] = await s.admin.requests({ vendor: 'propel', limit: 1 });
    expect(token).toMatchObject({ method: 'POST', path: '/oauth2/token', status: 200, requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(token!.requestBody).toEqual({ grant_type: 'client_credentials' });
    const res = await tryOut(page, 'post', '/v2/contacts/bulk/id');
    expect(res.status).toBe(200);
    const stored = await s.admin.records('propel', { tenant: 'propel_demo' });
    expect(stored.records).toMatchObject([{ id: 25492, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }]);
    expect(browser.state.errors).toEqual([]);
  });

  it('Propel: the token operation itself, with the client in its form fields', async () => {
    // The browser's Basic login to the locked page would win over the form (Basic first, Propel's rule): the page sends it to no vendor.
    const page = await browser.open('/docs?doc=propel');
    const res = await tryOut(page, 'post', '/oauth2/token', async (operation) => {
      await operation.locator('tr[data-property-name="client_id"] input[type="text"]').fill('demo_client');
      await operation.locator('tr[data-property-name="client_secret"] input[type="text"]').fill('demo_secret');
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ access_token: expect.any(String), expires_in: 1800, token_type: 'Bearer', scope: 'profile' });
    expect(browser.state.errors).toEqual([]);
  });

  it('Copper: the three X-PW-* headers come from Authorize, once for every operation', async () => {
    const s = sandbox();
    const page = await browser.open('/docs?doc=copper');
    await authorize(page, (modal) =>
      fillKeys(modal, { copperAccessToken: 'copper_demo_token', copperApplication: 'developer_api', copperUserEmail: 'demo@example.com' }),
    );
    const res = await tryOut(page, 'post', '/developer_api/v1/people/bulk_create', async (operation) => {
      expect(await operation.locator('tr[data-param-name^="X-PW-"]').count()).toBe(0);
    });
    expect(res.status).toBe(200);
    const stored = await s.admin.records('copper', { tenant: 'copper_demo' });
    expect(stored.records.map((r: any) => r.name).sort()).toEqual(['Contact One', 'Contact Two']);
    expect(browser.state.errors).toEqual([]);
  });

  it("MailingCore: the key from Authorize, the tenant filled in the operation form from the document's example", async () => {
    const s = sandbox();
    const page = await browser.open('/docs?doc=mailingcore');
    await authorize(page, (modal) => fillKeys(modal, { mailingcoreApiKey: 'mc_test_demo' }));
    const res = await tryOut(page, 'post', '/contacts/bulk', async (operation) => {
      expect(await operation.locator('tr[data-param-name="X-Tenant-Id"] input').inputValue()).toBe('tenant_demo');
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, updated: 0, failed: 0 });
    const stored = await s.admin.records('mailingcore', { tenant: 'tenant_demo' });
    expect(stored.records.map((r: any) => r.email).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(browser.state.errors).toEqual([]);
  });
});

describe.skipIf(!available)('/docs Try it out on an unlocked sandbox with the demo credentials loaded', () => {
  const sandbox = useSandbox();
  const browser = usePage(sandbox, false);

  afterEach(() => {
    expect(browser.state.offsite).toEqual([]);
  });

  it('Cora: the demo key is already in Authorize, so Execute alone sends a signed upsert', async () => {
    const s = sandbox();
    const page = await browser.open('/docs?doc=cora');
    const res = await tryOut(page, 'post', '/external-api/accounts/bulk-upsert', (operation) =>
      operation.locator('textarea.body-param__text').fill(JSON.stringify({ accounts: [newAccount('FILE_9', { currentBalance: 9.5 })] })),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, summary: { total: 1, created: 1, failed: 0 } });
    expect((await s.admin.records('cora', { tenant: 'org_demo' })).records).toMatchObject([{ externalId: 'FILE_9', currentBalance: 9.5 }]);
    expect(browser.state.errors).toEqual([]);
  });

  it('Propel: the demo client is filled in the client credentials form; Authorize still asks the sandbox for the token', async () => {
    const s = sandbox();
    const page = await browser.open('/docs?doc=propel');
    await authorize(page, async (modal) => {
      expect(await modal.locator('input[data-name="clientId"]').inputValue()).toBe('demo_client');
      expect(await modal.locator('input[data-name="clientSecret"]').inputValue()).toBe('demo_secret');
      expect(await s.admin.requests({ vendor: 'propel' })).toEqual([]);
      await modal.locator('.auth-btn-wrapper .btn.authorize').first().click();
      await modal.locator('.btn.modal-btn.auth', { hasText: 'Logout' }).first().waitFor();
    });
    expect(await s.admin.requests({ vendor: 'propel' })).toMatchObject([{ method: 'POST', path: '/oauth2/token', status: 200 }]);
    const res = await tryOut(page, 'post', '/v2/contacts/bulk/id');
    expect(res.status).toBe(200);
    expect((await s.admin.records('propel', { tenant: 'propel_demo' })).records).toMatchObject([{ id: 25492, email: 'ada@example.com' }]);
    expect(browser.state.errors).toEqual([]);
  });
});
