// The QA dashboard at /_sandbox/ui: a static page and a plain JS module that drive the control API.
import { readFileSync } from 'node:fs';
import { Hono, type MiddlewareHandler } from 'hono';
import { SandboxError } from '../core/errors.js';
import { renderError, type ErrorOwner } from '../core/router.js';

export const DASHBOARD_PATH = '/_sandbox/ui';

export interface DashboardVendor {
  name: string;
  title: string;
  /** Mount prefix of the vendor API, e.g. `/cora` (its document is at `<prefix>/openapi.json`). */
  prefix: string;
  /**
   * Its bulk routes (`POST /path`, as faults name them): row-error faults fire only there, so the
   * fault form offers only these for them.
   */
  bulkRoutes: string[];
  /** By route (`POST /path`): the error names it documents, the only ones a fault armed by name may answer there. */
  faultErrors: Record<string, string[]>;
}

/**
 * The page's files. They sit beside this module in `assets/`: the build copies them to
 * `dist/ui/assets/` (scripts/build.ts), so the same URL works from src/ui/ and dist/ui/. The
 * bundled bin is dist/main.js, one folder up: its build defines `__DASHBOARD_ASSETS__` as
 * `./ui/assets/` (anywhere else the name is undefined, and `typeof` says so without throwing).
 */
declare const __DASHBOARD_ASSETS__: string | undefined;
const ASSETS_DIR = typeof __DASHBOARD_ASSETS__ === 'string' ? __DASHBOARD_ASSETS__ : './assets/';
const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};
const assetUrl = (file: string) => new URL(`${ASSETS_DIR}${file}`, import.meta.url);

/** The dashboard router; `guard` is the admin-token lock, the same as the control API's. */
export function createDashboardRouter(vendors: readonly DashboardVendor[], guard: MiddlewareHandler, owner: ErrorOwner): Hono {
  const app = new Hono();
  const cache = new Map<string, string>();
  const read = (file: string) => {
    let text = cache.get(file);
    if (text === undefined) cache.set(file, (text = readFileSync(assetUrl(file), 'utf8')));
    return text;
  };
  app.onError((err, c) => renderError(owner, err, c));
  app.use(guard);
  app.get('/', (c) => {
    // The vendor list goes into the page as JSON; `<` escaped so no title can close the script element.
    const config = JSON.stringify({ vendors }).replace(/</g, '\\u003c');
    return c.html(read('dashboard.html').replace('__DASHBOARD_CONFIG__', config));
  });
  app.get('/:file', (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) throw new SandboxError('NOT_FOUND');
    return c.body(read(file), 200, { 'content-type': type, 'cache-control': 'no-cache' });
  });
  return app;
}
