// Cross-site writes in a real browser: another origin's auto-submitted form or no-cors fetch cannot reset a token-less sandbox; its own dashboard and /docs still write.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, keepLocal, launchChromium, warnIfNoChromium } from '../browser.js';
import { bulk, newAccount } from '../../src/vendors/cora/cora.client.js';
import { T0, useSandbox } from '../helpers.js';

warnIfNoChromium('the cross-site write browser test');

/** The attacker's pages; `{{target}}` becomes the sandbox's URL. Each reports through document.title once it has fired. */
const ATTACKS: Record<string, string> = {
  // A plain form post: the oldest CSRF there is, and the one CORS never stops.
  'form-urlencoded': `<form method="POST" action="{{target}}/_sandbox/reset"><input name="vendor" value="cora"></form>
<script>document.title = 'fired'; document.forms[0].submit();</script>`,
  // text/plain with a name/value pair that makes the body read as JSON: {"vendor":"=cora"}.
  'form-json-text': `<form method="POST" enctype="text/plain" action="{{target}}/_sandbox/reset"><input name='{"x":"' value='"}'></form>
<script>document.title = 'fired'; document.forms[0].submit();</script>`,
  // A "simple" request: no preflight, the page cannot read the answer, but the server does get the body.
  'fetch-no-cors': `<script>
fetch('{{target}}/_sandbox/reset', { method: 'POST', mode: 'no-cors', body: '{}' })
  .then(() => (document.title = 'fired'), (e) => (document.title = 'failed: ' + e));
</script>`,
};

describe.skipIf(!chromiumAvailable)('control writes from a browser', () => {
  // No admin token: then the Origin check is all that stands between any web page and /_sandbox/reset.
  const sandbox = useSandbox({ rateLimits: 'off' });
  let browser: Browser;
  let attacker: Server;
  let attackerPort: number;
  let context: BrowserContext;
  let page: Page;
  let offsite: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    // The other origin: a tiny server on another ephemeral port serving the attack pages.
    attacker = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://attacker');
      const html = ATTACKS[url.pathname.slice(1)];
      if (html === undefined) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>attack</title>${html.replaceAll('{{target}}', url.searchParams.get('target') ?? '')}`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
  });
  // Before the sandbox closes (hooks run in reverse), so no page polls a closed port.
  afterEach(async () => {
    await context?.close();
  });

  /** A fresh context that may reach the sandbox and the attacker (by both its loopback names), nothing else. */
  async function newPage(): Promise<void> {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    offsite = await keepLocal(context, () => [sandbox().url, `http://127.0.0.1:${attackerPort}`, `http://localhost:${attackerPort}`]);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  }

  /** Records, one journalled vendor request, an armed fault and a moved clock: everything a reset would wipe or keep. */
  async function seedState(): Promise<void> {
    const s = sandbox();
    await s.admin.seed({ cora: { records: { org_demo: [newAccount('SEEDED_1'), newAccount('SEEDED_2')] } } });
    expect((await bulk(s, { accounts: [newAccount('SENT_1')] })).status).toBe(200);
    await s.admin.armFault({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', error: 'INTERNAL_ERROR' });
  }
  const state = async () => {
    const s = sandbox();
    return { records: (await s.admin.records('cora')).records.length, journal: await s.admin.requestCount(), faults: (await s.admin.faults()).length };
  };

  // Both attacker origins are loopback names, so the Host check passes and only the Origin check can stop them:
  // 127.0.0.1:<other port> is same-site with the sandbox (Sec-Fetch-Site: same-site), localhost:<other port> is cross-site.
  describe.each(['127.0.0.1', 'localhost'])('a page served from http://%s:<another port>', (attackerHost) => {
    it.each(Object.keys(ATTACKS))('%s to /_sandbox/reset is refused and wipes nothing', async (attack) => {
      await seedState();
      const before = await state();
      expect(before).toEqual({ records: 3, journal: 1, faults: 1 });
      await newPage();

      const target = sandbox().url;
      const answered = page.waitForResponse((r) => r.url() === `${target}/_sandbox/reset`);
      await page.goto(`http://${attackerHost}:${attackerPort}/${attack}?target=${encodeURIComponent(target)}`);
      const response: Response = await answered;
      // The browser did send it (this is the sandbox's own answer), with the attacker's Origin.
      expect(response.request().method()).toBe('POST');
      expect(await response.request().headerValue('origin')).toBe(`http://${attackerHost}:${attackerPort}`);
      expect(response.status()).toBe(403);
      // A navigation's answer is readable; a no-cors fetch's is opaque even to the browser's tooling.
      if (attack.startsWith('form')) expect((await response.json()).error.code).toBe('CROSS_ORIGIN_REFUSED');
      else await page.waitForFunction('document.title === "fired"');

      expect(await state()).toEqual(before);
      expect(offsite).toEqual([]);
    });
  });

  it("the dashboard, from the sandbox's own origin, still arms, disarms, resets, sets the clock and the rate limits", async () => {
    await seedState();
    await newPage();
    const s = sandbox();
    // Every control write the page makes, with its answer: none may be refused by the guard.
    const writes: string[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(`${s.url}/_sandbox/`) && r.request().method() !== 'GET') writes.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
    page.on('dialog', (dialog) => void dialog.accept());
    const toast = page.locator('#toast');
    const view = async (name: string) => {
      await page.click(`#tabs button[data-view="${name}"]`);
      await page.locator(`#view-${name}`).waitFor({ state: 'visible' });
    };
    await page.goto(`${s.url}/_sandbox/ui#faults`);

    // Arm (POST /faults): the default error action on Cora's bulk upsert.
    await page.locator('#fault-operation option[value="POST /external-api/accounts/bulk-upsert"]').waitFor({ state: 'attached' });
    await page.click('#fault-arm');
    await page.locator('#faults-table tbody tr[data-id="flt_2"]').waitFor();
    expect((await s.admin.faults()).map((f) => f.id)).toEqual(['flt_1', 'flt_2']);
    // Disarm one (DELETE /faults?id=).
    await page.click('#faults-table tbody tr[data-id="flt_1"] button');
    await toast.filter({ hasText: 'Disarmed 1' }).waitFor();
    expect((await s.admin.faults()).map((f) => f.id)).toEqual(['flt_2']);

    // Set the clock (POST /clock).
    await view('clock');
    await page.fill('#clock-set', '2026-02-01T08:00:00Z');
    await page.click('#clock-set-form button[type="submit"]');
    await page.locator('#clock-now', { hasText: '2026-02-01T08:00:00.000Z' }).waitFor();
    expect((await s.admin.clock()).now).toBe('2026-02-01T08:00:00.000Z');

    // Rate limits off (PUT /rate-limits), then reset everything (POST /reset, after the confirm).
    await view('state');
    await page.selectOption('#rate-mode', 'vendor');
    await toast.filter({ hasText: 'Rate limits: vendor' }).waitFor();
    await page.click('#reset-submit');
    await toast.filter({ hasText: 'Reset: 3 records deleted' }).waitFor();
    expect(await state()).toEqual({ records: 0, journal: 0, faults: 0 });

    expect(writes).toEqual([
      'POST /_sandbox/faults 201',
      'DELETE /_sandbox/faults 200',
      'POST /_sandbox/clock 200',
      'PUT /_sandbox/rate-limits 200',
      'POST /_sandbox/reset 200',
    ]);
    expect(pageErrors).toEqual([]);
    expect(offsite).toEqual([]);
  });

  it('"Try it out" in the API reference sends control writes the guard lets through (POST /clock with JSON, DELETE /requests without a body)', async () => {
    await seedState();
    await newPage();
    const s = sandbox();
    await page.goto(`${s.url}/docs?doc=sandbox`);
    /** Opens an operation, fills its JSON body if any, executes it and returns the sandbox's answer as Swagger UI got it. */
    async function tryOut(method: 'post' | 'delete', path: string, body?: unknown): Promise<Response> {
      const operation = page.locator(`.opblock-${method}`, { has: page.locator('.opblock-summary-path', { hasText: new RegExp(`^${path}$`) }) });
      await operation.locator('.opblock-summary').click();
      await operation.locator('button.try-out__btn').click();
      if (body !== undefined) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
      const answered = page.waitForResponse((r) => r.url() === `${s.url}/_sandbox${path}` && r.request().method() === method.toUpperCase());
      await operation.locator('button.execute').click();
      const response = await answered;
      // Swagger UI shows the answer it got.
      await operation.locator('.live-responses-table .response-col_status', { hasText: String(response.status()) }).waitFor();
      return response;
    }

    const clock = await tryOut('post', '/clock', { advanceMs: 5000 });
    expect(clock.status()).toBe(200);
    expect(await clock.request().headerValue('content-type')).toBe('application/json');
    expect((await s.admin.clock()).now).toBe(new Date(T0 + 5000).toISOString());
    // No body, so no content type: the guard's JSON rule must not refuse it.
    const cleared = await tryOut('delete', '/requests');
    expect(cleared.status()).toBe(200);
    expect(await s.admin.requestCount()).toBe(0);
    expect(pageErrors).toEqual([]);
    expect(offsite).toEqual([]);
  });
});
