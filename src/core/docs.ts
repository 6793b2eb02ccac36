// The offline API reference at /docs: Swagger UI served from the package's own files (no CDN), one entry per OpenAPI document.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type MiddlewareHandler } from 'hono';
import { renderError, type ErrorOwner } from './router.js';
import { SandboxError } from './errors.js';

export const DOCS_PREFIX = '/docs';

export interface DocsEntry {
  /** Document name: the vendor's, or `sandbox` for the control API. */
  name: string;
  title: string;
  /** Where the server serves the JSON document. */
  url: string;
}

/** The Swagger UI files /docs serves, by the name they are served under. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** What the build copies out of swagger-ui-dist: the served files and the licences that come with them. */
export const SWAGGER_UI_FILES: readonly string[] = [
  ...Object.keys(ASSETS),
  'swagger-ui-bundle.js.LICENSE.txt',
  'swagger-ui-standalone-preset.js.LICENSE.txt',
  'LICENSE',
  'NOTICE',
];

/**
 * swagger-ui-dist is a dev dependency (its install script reports usage, and the package needs
 * five of its files): the build copies SWAGGER_UI_FILES beside this module, to
 * dist/core/swagger-ui/ (scripts/build.ts). The bundles (dist/main.js, dist/cjs/index.js) define
 * `__SWAGGER_UI_ASSETS__` as that folder relative to themselves. From src/ (tsx, vitest) there is
 * no copy, and the files are read from swagger-ui-dist.
 */
declare const __SWAGGER_UI_ASSETS__: string | undefined;
const COPIED_ASSETS = typeof __SWAGGER_UI_ASSETS__ === 'string' ? __SWAGGER_UI_ASSETS__ : './swagger-ui/';
let assetsDir: string | undefined;
const swaggerUiDir = (): string => {
  if (assetsDir === undefined) {
    const copied = fileURLToPath(new URL(COPIED_ASSETS, import.meta.url));
    assetsDir = existsSync(copied) ? copied : dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  }
  return assetsDir;
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Swagger UI's start-up script. `validatorUrl: null` stops it from calling validator.swagger.io
 * (the machines have no internet); `?doc=<name>` picks the document shown first.
 */
const INIT_JS = `// Starts Swagger UI on the documents listed in the page's #docs-config.
const config = JSON.parse(document.getElementById('docs-config').textContent);
const wanted = new URLSearchParams(location.search).get('doc');
const primary = config.urls.find((u) => u.key === wanted) ?? config.urls[0];
window.ui = SwaggerUIBundle({
  urls: config.urls.map(({ url, name }) => ({ url, name })),
  'urls.primaryName': primary.name,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

function page(entries: readonly DocsEntry[]): string {
  const config = { urls: entries.map((e) => ({ key: e.name, url: e.url, name: `${e.name}: ${e.title}` })) };
  // `<` escaped so no document title can close the script element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>bulk-sandbox API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="${DOCS_PREFIX}/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PREFIX}/assets/favicon-32x32.png" sizes="32x32">
  <style>body { margin: 0 } .sandbox-links { font: 14px sans-serif; padding: 6px 20px; background: #f4f4f4 }</style>
</head>
<body>
  <div class="sandbox-links">bulk-sandbox: ${entries.map((e) => `<a href="${DOCS_PREFIX}?doc=${encodeURIComponent(e.name)}">${escapeHtml(e.name)}</a>`).join(' · ')} · <a href="/_sandbox/ui">dashboard</a></div>
  <div id="swagger-ui"></div>
  <script type="application/json" id="docs-config">${json}</script>
  <script src="${DOCS_PREFIX}/assets/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PREFIX}/assets/swagger-ui-standalone-preset.js"></script>
  <script src="${DOCS_PREFIX}/init.js"></script>
</body>
</html>
`;
}

/**
 * The /docs router. `guard` is the admin-token lock: the reference lists the control API, so it
 * is exactly as reachable as /_sandbox. Errors come out in the control API's shape.
 */
export function createDocsRouter(entries: readonly DocsEntry[], guard: MiddlewareHandler, owner: ErrorOwner): Hono {
  const app = new Hono();
  const cache = new Map<string, Buffer>();
  app.onError((err, c) => renderError(owner, err, c));
  app.use(guard);
  const html = page(entries);
  app.get('/', (c) => c.html(html));
  app.get('/init.js', (c) => c.body(INIT_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/assets/:file', (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) throw new SandboxError('NOT_FOUND');
    let bytes = cache.get(file);
    if (!bytes) cache.set(file, (bytes = readFileSync(join(swaggerUiDir(), file))));
    return c.body(new Uint8Array(bytes), 200, { 'content-type': type, 'cache-control': 'public, max-age=3600' });
  });
  app.all('*', () => {
    throw new SandboxError('NOT_FOUND');
  });
  return app;
}
