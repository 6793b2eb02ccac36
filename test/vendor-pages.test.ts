// Each vendor's page (src/vendors/<name>/README.md): its sections, an Endpoints table that lists exactly the routes served, working links, and a link from the top README.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { SqliteStore } from '../src/core/sqlite-store.js';
import { VENDORS } from '../src/vendors/registry.js';
import { brokenLink, headings, relativeLinks } from './markdown.js';

const root = join(import.meta.dirname, '..');
const topReadme = readFileSync(join(root, 'README.md'), 'utf8');
const pagePath = (name: string) => join(root, 'src', 'vendors', name, 'README.md');
const { app } = await createApp({ store: new SqliteStore(':memory:') });

/** The page's sections, in order, by their level-2 heading. */
const SECTIONS = ['Endpoints', 'Walkthrough', 'Decisions where the vendor is silent', 'Not emulated'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `METHOD /prefix/path` for every route the app serves under the vendor's prefix, Hono style (`:param`). */
function servedRoutes(prefix: string): string[] {
  const routes = app.routes.filter((r) => METHODS.includes(r.method) && r.path.startsWith(`${prefix}/`)).map((r) => `${r.method} ${r.path}`);
  return [...new Set(routes)].sort();
}

/** The text of one `## ` section, up to the next one. */
function section(page: string, heading: string): string {
  const start = page.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const rest = page.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  return next < 0 ? rest : rest.slice(0, next);
}

/** First cells of the section's table rows that name a route (`METHOD /path`, backticks dropped). */
function documentedRoutes(endpoints: string): string[] {
  return endpoints
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|')[1]!.trim().replace(/`/g, ''))
    .filter((cell) => new RegExp(`^(${METHODS.join('|')}) /`).test(cell))
    .sort();
}

describe('vendor pages', () => {
  for (const vendor of VENDORS) {
    describe(vendor.name, () => {
      const file = pagePath(vendor.name);
      const page = existsSync(file) ? readFileSync(file, 'utf8') : '';

      it(`has src/vendors/${vendor.name}/README.md with its sections in order`, () => {
        expect(existsSync(file), `src/vendors/${vendor.name}/README.md is missing`).toBe(true);
        expect(page.startsWith('# ')).toBe(true);
        expect(headings(page).filter((h) => h.level === 2).map((h) => h.text)).toEqual(SECTIONS);
      });

      it('lists in its Endpoints table every route it serves, and no other', async () => {
        const served = servedRoutes(vendor.prefix);
        // Sanity: the app's routes include every route the vendor module declares.
        const instance = (await createApp({ store: new SqliteStore(':memory:'), vendors: [vendor] })).instances[vendor.name]!;
        for (const route of instance.routes) expect(served).toContain(`${route.method.toUpperCase()} ${vendor.prefix}${route.path}`);
        const documented = documentedRoutes(section(page, 'Endpoints'));
        expect(served.filter((r) => !documented.includes(r)), 'served but missing from the Endpoints table').toEqual([]);
        expect(documented.filter((r) => !served.includes(r)), 'in the Endpoints table but not served').toEqual([]);
        expect(new Set(documented).size, 'a route listed twice').toBe(documented.length);
      });

      it('links only to files and headings that exist', () => {
        for (const href of relativeLinks(page)) expect(brokenLink(file, href), href).toBeUndefined();
      });

      it('is linked from the top README', () => {
        const link = `src/vendors/${vendor.name}/README.md`;
        expect(topReadme).toContain(`](${link})`);
      });
    });
  }
});
