// The offline API reference at /docs: Swagger UI served from the package's own files (no CDN), one entry per OpenAPI document.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type MiddlewareHandler } from 'hono';
import { renderError, type ErrorOwner } from './router.js';
import { SandboxError } from './errors.js';

export const DOCS_PREFIX = '/docs';

/**
 * How Try it out signs a vendor's requests in the browser, for a vendor that wants each request
 * signed: a declaration the page's script computes (HMAC-SHA256 with Web Crypto), so the core
 * carries no vendor code. A request is signed when its operation declares `signatureHeader` as a
 * header parameter; the page fills both headers, so it shows them as optional.
 */
export interface RequestSigning {
  /** Where the key comes from: the request header the Authorize dialog sets, and a pattern whose first group is the HMAC key. */
  key: { header: string; pattern: string; /** Logged when the header does not match (the request then goes unsigned), e.g. what to enter in Authorize. */ hint: string };
  /** Receives the Unix time in seconds, read from the sandbox clock (which a test may have set or frozen). */
  timestampHeader: string;
  /** Receives the lowercase hex HMAC-SHA256 of `message`. */
  signatureHeader: string;
  /**
   * The signed string, with `{timestamp}`, `{method}` (upper case), `{path}` (path and query below
   * the vendor's mount, as on the vendor's own host) and `{bodySha256}` (lowercase hex SHA-256 of the raw body).
   */
  message: string;
}

/**
 * Demo credentials the page fills in, by security scheme name: an API key or bearer token, or an
 * OAuth2 client. Only the sandbox's own demo values, and only when they are loaded and no admin token is set.
 */
export type DemoAuth = Record<string, string | { clientId: string; clientSecret: string }>;

export interface DocsEntry {
  /** Document name: the vendor's, or `sandbox` for the control API. */
  name: string;
  title: string;
  /** Where the server serves the JSON document. */
  url: string;
  /** Where the document's operations are mounted (its server URL). */
  prefix: string;
  /**
   * Its operations answer to the page's own login (the control API, behind the same admin lock):
   * Try it out sends them the browser's credentials, and no other document's operations.
   */
  pageLogin?: boolean;
  signing?: RequestSigning;
  demo?: DemoAuth;
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
 * (the machines have no internet); `?doc=<name>` picks the document shown first. The `tryItOut`
 * plugin makes Try it out send what each vendor needs:
 * - a header parameter an operation's security scheme already sends (Copper's `X-PW-*`) is
 *   dropped from the form, and so are `Accept`, `Content-Type` and `Authorization` ones, which
 *   OpenAPI says to ignore (Swagger UI never sends their values): a required field that nothing
 *   sends would only block Execute;
 * - a vendor's declared request signature (`RequestSigning`) is computed in `requestInterceptor`
 *   with Web Crypto, its timestamp read from the sandbox clock (`GET /_sandbox/clock`: a test may
 *   have set or frozen it, and the vendor checks the timestamp against it; the page and the
 *   control API sit behind the same lock, so a browser that opened the page can read it, and
 *   when it cannot, the browser's clock is used and the vendor's answer says the timestamp is off);
 * - the demo credentials, when the page carries them, are filled in Authorize once per document.
 */
const INIT_JS = `// Starts Swagger UI on the documents listed in the page's #docs-config, and makes Try it out send each vendor's credentials.
const config = JSON.parse(document.getElementById('docs-config').textContent);
const wanted = new URLSearchParams(location.search).get('doc');
const primary = config.urls.find((u) => u.key === wanted) ?? config.urls[0];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const IGNORED_HEADERS = ['accept', 'content-type', 'authorization'];
/** Signed operations by document key, found when the document loads: [{ method, path }]. */
const signedOperations = new Map();

const entryOf = (spec) => config.urls.find((u) => u.prefix === spec?.servers?.[0]?.url);
/** Path templates match path segments one for one; a {parameter} matches any non-empty segment. */
const samePath = (template, path) => {
  const want = template.split('/');
  const got = path.split('/');
  return want.length === got.length && want.every((part, i) => (part.startsWith('{') && part.endsWith('}') ? got[i] !== '' : part === got[i]));
};

/** The header names an operation's security requirements send. */
function securityHeaders(spec, operation) {
  const schemes = spec.components?.securitySchemes ?? {};
  const names = new Set();
  for (const requirement of operation.security ?? spec.security ?? []) {
    for (const name of Object.keys(requirement)) {
      const scheme = schemes[name];
      if (scheme?.type === 'apiKey' && scheme.in === 'header') names.add(String(scheme.name).toLowerCase());
      else if (scheme?.type === 'http' || scheme?.type === 'oauth2' || scheme?.type === 'openIdConnect') names.add('authorization');
    }
  }
  return names;
}

/** The document as the form should show it; notes which operations the page signs. */
function adapt(spec) {
  const entry = entryOf(spec);
  if (!entry || !spec.paths) return spec;
  const signing = entry.signing;
  const computed = signing ? [signing.timestampHeader, signing.signatureHeader].map((h) => h.toLowerCase()) : [];
  const signed = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (!operation?.parameters) continue;
      // OpenAPI ignores Accept, Content-Type and Authorization parameters (Swagger UI sends none of their values), and the security scheme's own headers come from Authorize.
      const sent = securityHeaders(spec, operation);
      for (const name of IGNORED_HEADERS) sent.add(name);
      operation.parameters = operation.parameters.filter((p) => !(p.in === 'header' && sent.has(String(p.name).toLowerCase())));
      for (const parameter of operation.parameters) {
        if (parameter.in !== 'header' || !computed.includes(String(parameter.name).toLowerCase())) continue;
        parameter.required = false;
        parameter.description = 'Leave empty: this page computes it on Execute, from the key given in Authorize. ' + (parameter.description ?? '');
        if (parameter.name.toLowerCase() === computed[1]) signed.push({ method: method.toUpperCase(), path });
      }
    }
  }
  signedOperations.set(entry.key, signed);
  return spec;
}

/** Fills the demo credentials in Authorize, for the schemes not yet authorized. */
function prefill(system, spec) {
  const demo = entryOf(spec)?.demo;
  const schemes = spec?.components?.securitySchemes ?? {};
  if (!demo) return;
  for (const [name, value] of Object.entries(demo)) {
    const schema = schemes[name];
    if (!schema || system.authSelectors.authorized().get(name)) continue;
    if (schema.type === 'oauth2') system.authActions.configureAuth({ clientId: value.clientId, clientSecret: value.clientSecret });
    else system.authActions.authorize({ [name]: { name, schema, value } });
  }
}

const tryItOut = () => ({
  statePlugins: {
    spec: {
      wrapActions: {
        updateJsonSpec: (original, system) => (spec, ...rest) => {
          const result = original(spec && typeof spec === 'object' ? adapt(spec) : spec, ...rest);
          prefill(system, spec);
          return result;
        },
      },
    },
  },
});

const utf8 = (text) => new TextEncoder().encode(text);
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const headerOf = (headers, name) => Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** The sandbox clock in ms; the browser's when it cannot be read (the vendor then says the timestamp is outside its window). */
async function sandboxNow() {
  try {
    const res = await fetch(config.clock, { headers: { accept: 'application/json' } });
    const now = res.ok ? Date.parse((await res.json()).now) : NaN;
    if (Number.isFinite(now)) return now;
  } catch {}
  console.warn('bulk-sandbox: could not read ' + config.clock + '; signing with the browser clock');
  return Date.now();
}

/** The request as it was, and why in the console. */
function unsigned(request, why) {
  console.warn('bulk-sandbox: request sent unsigned: ' + why);
  return request;
}

/**
 * Every request Swagger UI sends. One to a vendor carries only what the user authorized, never the
 * browser's own login to a locked sandbox (its Basic credentials would otherwise ride along as
 * 'Authorization' wherever Authorize set none, and change what the vendor answers); then the signature.
 */
async function prepare(request) {
  const url = new URL(request.url, location.href);
  const entry = url.origin === location.origin ? config.urls.find((u) => url.pathname.startsWith(u.prefix + '/')) : undefined;
  if (entry && !entry.pageLogin) request.credentials = 'omit';
  return entry?.signing ? sign(request, url, entry) : request;
}

/** Adds the vendor's signature headers to a Try it out request of a signed operation. */
async function sign(request, url, entry) {
  const method = String(request.method ?? 'GET').toUpperCase();
  const vendorPath = url.pathname.slice(entry.prefix.length);
  if (!(signedOperations.get(entry.key) ?? []).some((op) => op.method === method && samePath(op.path, vendorPath))) return request;
  const signing = entry.signing;
  // Unsigned when it cannot sign (a throw here would break Swagger UI's response pane): the vendor's answer says what is missing.
  const key = new RegExp(signing.key.pattern).exec(headerOf(request.headers, signing.key.header) ?? '')?.[1];
  if (key === undefined) return unsigned(request, signing.key.hint);
  if (!globalThis.crypto?.subtle) return unsigned(request, 'signing needs Web Crypto, which browsers offer only on https or localhost: open /docs at http://127.0.0.1 or http://localhost');
  const body = request.body === undefined || request.body === null ? '' : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  if (body !== '') request.body = body;
  const timestamp = String(Math.floor((await sandboxNow()) / 1000));
  const parts = { timestamp, method, path: vendorPath + url.search, bodySha256: hex(await crypto.subtle.digest('SHA-256', utf8(body))) };
  const message = signing.message.replace(/\\{(timestamp|method|path|bodySha256)\\}/g, (_, part) => parts[part]);
  const hmac = await crypto.subtle.importKey('raw', utf8(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  request.headers[signing.timestampHeader] = timestamp;
  request.headers[signing.signatureHeader] = hex(await crypto.subtle.sign('HMAC', hmac, utf8(message)));
  return request;
}

window.ui = SwaggerUIBundle({
  urls: config.urls.map(({ url, name }) => ({ url, name })),
  'urls.primaryName': primary.name,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  requestInterceptor: prepare,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [tryItOut],
  layout: 'StandaloneLayout',
});
`;

/** The page's configuration: no demo credentials unless the sandbox loaded them and runs without an admin token. */
export interface DocsPageOptions {
  /** Where the page reads the sandbox clock (signed requests' timestamps). */
  clockUrl: string;
  /** Include each entry's `demo` in the page. */
  demo: boolean;
}

function page(entries: readonly DocsEntry[], options: DocsPageOptions): string {
  const urls = entries.map((e) => ({
    key: e.name,
    url: e.url,
    name: `${e.name}: ${e.title}`,
    prefix: e.prefix,
    ...(e.pageLogin ? { pageLogin: true } : {}),
    ...(e.signing ? { signing: e.signing } : {}),
    ...(options.demo && e.demo ? { demo: e.demo } : {}),
  }));
  const config = { urls, clock: options.clockUrl };
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
export function createDocsRouter(entries: readonly DocsEntry[], options: DocsPageOptions, guard: MiddlewareHandler, owner: ErrorOwner): Hono {
  const app = new Hono();
  const cache = new Map<string, Buffer>();
  app.onError((err, c) => renderError(owner, err, c));
  app.use(guard);
  const html = page(entries, options);
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
