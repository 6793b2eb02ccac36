// /docs (offline Swagger UI over every document) and the dashboard's files: served locally, complete, and behind the admin lock.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../src/sandbox.js';
import { signCoraRequest } from '../src/vendors/cora/auth.js';
import { VENDORS } from '../src/vendors/registry.js';
import { call, T0, useSandbox } from './helpers.js';

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** Every registered vendor's document, in the registry's order. */
const VENDOR_DOCS = VENDORS.map((v) => `${v.prefix}/openapi.json`);

/** The page's #docs-config. */
const configOf = (html: string) => JSON.parse(/<script type="application\/json" id="docs-config">(.*?)<\/script>/s.exec(html)![1]!);

/** What the page's init.js gives Swagger UI, run in Node on the page's own config, its fetch going to the sandbox. */
async function runInitScript(sandbox: Sandbox, doc: string): Promise<{ options: any; loadDocument: (authorized?: string[]) => Promise<Array<Record<string, unknown>>> }> {
  const html = (await call(sandbox, '/docs')).text;
  const js = await (await sandbox.fetch('/docs/init.js')).text();
  let options: any;
  const bundle = Object.assign((o: unknown) => (options = o), { presets: { apis: {} } });
  const element = { textContent: JSON.stringify(configOf(html)) };
  new Function('document', 'location', 'window', 'SwaggerUIBundle', 'SwaggerUIStandalonePreset', 'fetch', js)(
    { getElementById: () => element },
    new URL(`${sandbox.url}/docs?doc=${doc}`),
    {},
    bundle,
    {},
    (url: string, init: RequestInit) => sandbox.fetch(url, init),
  );
  /** Loads the vendor's document through the plugin, as Swagger UI does; returns what it put in Authorize. */
  const loadDocument = async (authorized: string[] = []) => {
    const spec = (await call(sandbox, `/${doc}/openapi.json`)).body;
    const filled: Array<Record<string, unknown>> = [];
    const system = {
      authSelectors: { authorized: () => ({ get: (name: string) => authorized.includes(name) }) },
      authActions: { authorize: (a: Record<string, unknown>) => filled.push(a), configureAuth: (c: Record<string, unknown>) => filled.push({ oauth2: c }) },
    };
    options.plugins[0]().statePlugins.spec.wrapActions.updateJsonSpec((s: unknown) => s, system)(spec);
    return filled;
  };
  return { options, loadDocument };
}

/** Every src= and href= of a page. */
const linksOf = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

describe('/docs', () => {
  const sandbox = useSandbox();

  it('lists every vendor document and the control API document, each served as OpenAPI 3.1 JSON', async () => {
    const page = await call(sandbox(), '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const config = configOf(page.text) as { urls: Array<{ key: string; url: string }> };
    expect(config.urls.map((u) => u.url)).toEqual([...VENDOR_DOCS, '/_sandbox/openapi.json']);
    expect(config.urls.map((u) => u.key)).toEqual([...VENDORS.map((v) => v.name), 'sandbox']);
    for (const { url } of config.urls) {
      const doc = await call(sandbox(), url);
      expect(doc.status, url).toBe(200);
      expect(doc.body.openapi, url).toBe('3.1.0');
    }
  });

  it('loads Swagger UI from node_modules, never from another host', async () => {
    const page = await call(sandbox(), '/docs');
    const links = linksOf(page.text);
    expect(links.filter((l) => /^(https?:)?\/\//.test(l))).toEqual([]);
    const assets = links.filter((l) => l.startsWith('/docs/'));
    expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui-standalone-preset.js', '/docs/init.js']));
    for (const asset of assets) {
      const res = await sandbox().fetch(asset);
      expect(res.status, asset).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      if (asset.startsWith('/docs/assets/')) expect(bytes.equals(readFileSync(join(swaggerUiDir, asset.slice('/docs/assets/'.length)))), asset).toBe(true);
      else expect(bytes.toString()).toContain('SwaggerUIBundle(');
    }
    // The start-up script switches off Swagger UI's online validator badge (the machines have no internet).
    expect(await (await sandbox().fetch('/docs/init.js')).text()).toContain('validatorUrl: null');
  });

  it('answers unknown files in the control API error shape, and redirects the trailing slash', async () => {
    // Only the listed Swagger UI files: not the rest of the package directory.
    for (const path of ['/docs/assets/package.json', '/docs/assets/index.html', '/docs/nothing']) {
      const res = await call(sandbox(), path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).toEqual({ error: { code: 'NOT_FOUND', message: 'Not found' } });
    }
    const slash = await sandbox().fetch('/docs/', { redirect: 'manual' });
    expect(slash.status).toBe(302);
    expect(slash.headers.get('location')).toBe('/docs');
  });
});

describe('/docs Try it out (the page script run in Node; test/docs.browser.test.ts runs it in Chromium)', () => {
  const sandbox = useSandbox();
  const KEY = 'cora_org_demo.demo_secret';
  const PATH = '/external-api/accounts/bulk-upsert';

  it("signs a Cora write exactly as a Cora client does: the key's secret, the sandbox clock's seconds, the vendor path", async () => {
    const s = sandbox();
    const { options, loadDocument } = await runInitScript(s, 'cora');
    await loadDocument();
    const body = JSON.stringify({ accounts: [{ externalId: 'FILE_1', phoneNumber: '+15555550111', portfolioId: 'P', metadata: { filenumber: 'FILE_1' } }] });
    const request = await options.requestInterceptor({ url: `${s.url}/cora${PATH}`, method: 'POST', headers: { Authorization: `Bearer ${KEY}` }, body });
    const timestamp = String(T0 / 1000);
    expect(request.headers).toEqual({
      Authorization: `Bearer ${KEY}`,
      'X-Cora-Timestamp': timestamp,
      'X-Cora-Signature': signCoraRequest({ apiKey: KEY, timestamp, method: 'POST', pathWithQuery: PATH, body }),
    });
    const res = await call(s, `/cora${PATH}`, { method: 'POST', headers: { ...request.headers, 'content-type': 'application/json' }, body: request.body });
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({ created: 1, failed: 0 });
    expect((await s.admin.records('cora')).records).toMatchObject([{ externalId: 'FILE_1' }]);

    // A path parameter and a query string are signed as sent; a read, which Cora does not sign, is left alone.
    const patch = await options.requestInterceptor({ url: `${s.url}/cora/external-api/accounts/FILE_1?x=1`, method: 'PATCH', headers: { Authorization: `Bearer ${KEY}` }, body: '{}' });
    expect(patch.headers['X-Cora-Signature']).toBe(signCoraRequest({ apiKey: KEY, timestamp, method: 'PATCH', pathWithQuery: '/external-api/accounts/FILE_1?x=1', body: '{}' }));
    const read = await options.requestInterceptor({ url: `${s.url}/cora/external-api/accounts/FILE_1`, method: 'GET', headers: { Authorization: `Bearer ${KEY}` } });
    expect(read.headers).toEqual({ Authorization: `Bearer ${KEY}` });
  });

  it('sends a request unsigned when it has no Cora key to sign with, leaves other vendors unsigned, and keeps the page login for the control API only', async () => {
    const s = sandbox();
    const { options, loadDocument } = await runInitScript(s, 'cora');
    await loadDocument();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (const headers of [{}, { Authorization: 'Bearer not-a-cora-key' }, { Authorization: 'Basic YWRtaW46dG9rZW4=' }]) {
      const request = await options.requestInterceptor({ url: `${s.url}/cora${PATH}`, method: 'POST', headers: { ...headers }, body: '{}' });
      expect(request.headers).toEqual(headers);
    }
    expect(warn.mock.calls).toEqual(Array(3).fill(['bulk-sandbox: request sent unsigned: Authorize first with a Cora API key, cora_org_<keyId>.<secret>']));
    warn.mockRestore();
    const propel = await options.requestInterceptor({ url: `${s.url}/propel/v2/contacts/bulk/id`, method: 'POST', headers: { Authorization: `Bearer ${KEY}` }, body: '{}' });
    expect(propel.headers).toEqual({ Authorization: `Bearer ${KEY}` });
    // A vendor's request goes without the browser's own login to a locked sandbox; the control API's keeps it.
    expect(propel.credentials).toBe('omit');
    const control = await options.requestInterceptor({ url: `${s.url}/_sandbox/records`, method: 'GET', headers: {} });
    expect(control).toEqual({ url: `${s.url}/_sandbox/records`, method: 'GET', headers: {} });
  });

  it('drops the header parameters security already sends, and shows the signature headers as the page\'s to fill', async () => {
    const s = sandbox();
    const { options } = await runInitScript(s, 'copper');
    const system = { authSelectors: { authorized: () => ({ get: () => true }) }, authActions: {} };
    const adapt = (spec: any) => options.plugins[0]().statePlugins.spec.wrapActions.updateJsonSpec((x: unknown) => x, system)(spec);
    const headerParams = (spec: any) =>
      Object.values(spec.paths).flatMap((item: any) => Object.values(item).flatMap((op: any) => (op.parameters ?? []).filter((p: any) => p.in === 'header')));
    const copper = adapt((await call(s, '/copper/openapi.json')).body);
    expect(headerParams(copper)).toEqual([]);
    const cora = adapt((await call(s, '/cora/openapi.json')).body);
    expect(headerParams(cora).map((p: any) => [p.name, p.required])).toEqual([
      ['X-Cora-Timestamp', false],
      ['X-Cora-Signature', false],
      ['X-Cora-Timestamp', false],
      ['X-Cora-Signature', false],
    ]);
    // Propel's token call: Content-Type and Authorization parameters are ones OpenAPI ignores (the client goes in the form fields).
    const propel = adapt((await call(s, '/propel/openapi.json')).body);
    expect(propel.paths['/oauth2/token'].post.parameters.map((p: any) => p.name)).toEqual(['X-Request-Id']);
    expect(new Set(headerParams(propel).map((p: any) => p.name))).toEqual(new Set(['X-Request-Id']));
    const mailingcore = adapt((await call(s, '/mailingcore/openapi.json')).body);
    expect(new Set(headerParams(mailingcore).map((p: any) => `${p.name} ${p.required}`))).toEqual(new Set(['X-Tenant-Id true']));
    // The document the server serves is unchanged: the page adapts its own copy.
    expect(headerParams((await call(s, '/copper/openapi.json')).body).length).toBeGreaterThan(0);
  });

  it('fills the demo credentials in Authorize, unless already authorized', async () => {
    const s = sandbox();
    const cora = await runInitScript(s, 'cora');
    expect(await cora.loadDocument()).toMatchObject([{ coraApiKey: { name: 'coraApiKey', value: KEY, schema: { type: 'http', scheme: 'bearer' } } }]);
    expect(await cora.loadDocument(['coraApiKey'])).toEqual([]);
    expect(await (await runInitScript(s, 'copper')).loadDocument()).toMatchObject([
      { copperAccessToken: { value: 'copper_demo_token' } },
      { copperApplication: { value: 'developer_api' } },
      { copperUserEmail: { value: 'demo@example.com' } },
    ]);
    expect(await (await runInitScript(s, 'propel')).loadDocument()).toEqual([{ oauth2: { clientId: 'demo_client', clientSecret: 'demo_secret' } }]);
    expect(await (await runInitScript(s, 'mailingcore')).loadDocument()).toMatchObject([{ mailingcoreApiKey: { value: 'mc_test_demo' } }]);
  });
});

describe('/docs demo credentials', () => {
  const noDemo = useSandbox({ demo: false });

  it('are not in the page of a sandbox started without them', async () => {
    const config = configOf((await call(noDemo(), '/docs')).text);
    expect(config.urls.map((u: { demo?: unknown }) => u.demo)).toEqual(config.urls.map(() => undefined));
    expect(config.urls.find((u: { key: string }) => u.key === 'cora').signing).toMatchObject({ signatureHeader: 'X-Cora-Signature' });
  });
});

describe('/_sandbox/ui files', () => {
  const sandbox = useSandbox();

  it('serves the page with every vendor in its config, and its script and styles', async () => {
    const page = await call(sandbox(), '/_sandbox/ui');
    expect(page.status).toBe(200);
    const config = JSON.parse(/<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(page.text)![1]!);
    expect(config.vendors.map((v: { name: string; prefix: string }) => [v.name, v.prefix])).toEqual(VENDORS.map((v) => [v.name, v.prefix]));
    const js = await sandbox().fetch('/_sandbox/ui/dashboard.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("const API = '/_sandbox'");
    expect((await sandbox().fetch('/_sandbox/ui/dashboard.css')).headers.get('content-type')).toMatch(/^text\/css/);
    expect(linksOf(page.text).filter((l) => /^(https?:)?\/\//.test(l))).toEqual([]);
    expect((await call(sandbox(), '/_sandbox/ui/dashboard.html')).status).toBe(404);
  });
});

describe('behind the admin lock', () => {
  const TOKEN = 'docs-admin-token-0123456789';
  const sandbox = useSandbox({ adminToken: TOKEN });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('refuses /docs and the dashboard without the token, with a Basic challenge a browser can answer', async () => {
    for (const path of ['/docs', '/docs/init.js', '/docs/assets/swagger-ui-bundle.js', '/_sandbox/ui', '/_sandbox/ui/dashboard.js']) {
      const res = await call(sandbox(), path);
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('ADMIN_TOKEN_REQUIRED');
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="bulk-sandbox", charset="UTF-8"');
    }
    expect((await call(sandbox(), '/docs', { headers: { authorization: basic('admin', 'wrong-token-0123456789') } })).status).toBe(401);
  });

  it('accepts the token as Bearer, X-Sandbox-Admin-Token, or the Basic password under any user name', async () => {
    const ways: Array<Record<string, string>> = [
      { authorization: `Bearer ${TOKEN}` },
      { 'x-sandbox-admin-token': TOKEN },
      { authorization: basic('admin', TOKEN) },
      { authorization: basic('', TOKEN) },
    ];
    for (const headers of ways) {
      expect((await call(sandbox(), '/docs', { headers })).status).toBe(200);
      expect((await call(sandbox(), '/_sandbox/ui', { headers })).status).toBe(200);
      expect((await call(sandbox(), '/_sandbox/requests', { headers })).status).toBe(200);
    }
  });

  it('names no demo credential in the page: a locked sandbox is a shared one', async () => {
    const page = await call(sandbox(), '/docs', { headers: { authorization: `Bearer ${TOKEN}` } });
    const config = configOf(page.text);
    expect(config.urls.map((u: { demo?: unknown }) => u.demo)).toEqual(config.urls.map(() => undefined));
    for (const secret of ['demo_secret', 'copper_demo_token', 'mc_test_demo']) expect(page.text).not.toContain(secret);
  });

  it('leaves the vendor documents public, as the vendors publish theirs', async () => {
    for (const url of VENDOR_DOCS) expect((await call(sandbox(), url)).status, url).toBe(200);
  });
});
