// /docs (offline Swagger UI over every document) and the dashboard's files: served locally, complete, and behind the admin lock.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VENDORS } from '../src/vendors/registry.js';
import { call, useSandbox } from './helpers.js';

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** Every registered vendor's document, in the registry's order. */
const VENDOR_DOCS = VENDORS.map((v) => `${v.prefix}/openapi.json`);

/** Every src= and href= of a page. */
const linksOf = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

describe('/docs', () => {
  const sandbox = useSandbox();

  it('lists every vendor document and the control API document, each served as OpenAPI 3.1 JSON', async () => {
    const page = await call(sandbox(), '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const config = JSON.parse(/<script type="application\/json" id="docs-config">(.*?)<\/script>/s.exec(page.text)![1]!) as { urls: Array<{ key: string; url: string }> };
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

  it('leaves the vendor documents public, as the vendors publish theirs', async () => {
    for (const url of VENDOR_DOCS) expect((await call(sandbox(), url)).status, url).toBe(200);
  });
});
