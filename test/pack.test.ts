// Distribution: the packed tarball installs into an empty project without running anything but
// better-sqlite3's build, `npx bulk-sandbox` starts and answers, and the in-process API imports,
// requires and type-checks (tsc --strict, library files included).
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { VENDORS } from '../src/vendors/registry.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bulk-sandbox-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const version = (dir: string, name: string) => (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Every package under `dir`'s node_modules (nested ones too) that runs something when installed:
 * its preinstall, install and postinstall scripts, or the `node-gyp rebuild` npm runs for a
 * binding.gyp when there is no install script.
 */
function installScripts(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const packages = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((name) => join(modules, entry, name)) : [join(modules, entry)];
      for (const pkg of packages) {
        const { name, scripts = {} } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
        const run = ['preinstall', 'install', 'postinstall'].flatMap((phase) => (scripts[phase] ? [scripts[phase]] : []));
        if (scripts.install === undefined && scripts.preinstall === undefined && existsSync(join(pkg, 'binding.gyp'))) run.push('node-gyp rebuild');
        if (run.length > 0) found[name] = run.join(' && ');
        visit(join(pkg, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return found;
}

/**
 * What a consumer does with the in-process API, as one script body for `import` and `require`
 * alike (`lib` is the package): a sandbox on a file database (its checkpoint worker finds
 * better-sqlite3 from the module's own URL), one signed Cora upsert, and the files the dashboard
 * and /docs read from beside the modules.
 */
const consumerScript = (dbPath: string) => `(async () => {
  const sandbox = await lib.createSandbox({ db: ${JSON.stringify(dbPath)} });
  const apiKey = 'cora_org_demo.demo_secret';
  const path = '/external-api/accounts/bulk-upsert';
  const body = JSON.stringify({ accounts: [{ externalId: 'FILE_1', phoneNumber: '+15555550111', portfolioId: 'P1', metadata: { filenumber: 'FILE_1' } }] });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = lib.signCoraRequest({ apiKey, timestamp, method: 'POST', pathWithQuery: path, body });
  const headers = { authorization: 'Bearer ' + apiKey, 'x-cora-timestamp': timestamp, 'x-cora-signature': signature, 'content-type': 'application/json' };
  const upsert = await sandbox.fetch('/cora' + path, { method: 'POST', headers, body });
  const out = { exports: Object.keys(lib).sort(), health: await sandbox.admin.health(), upsert: upsert.status };
  out.records = (await sandbox.admin.records('cora', { tenant: 'org_demo' })).records.map((r) => r.externalId);
  for (const file of ['/docs', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/_sandbox/ui', '/_sandbox/ui/dashboard.js']) {
    out[file] = (await sandbox.fetch(file)).status;
  }
  await sandbox.close();
  console.log(JSON.stringify(out));
})();
`;

describe('npm pack → install → npx', () => {
  it("packs, installs running only better-sqlite3's build; the bin serves and says its version; the library imports, requires, type-checks", async () => {
    // `npm pack` runs prepack (npm run build), so the tarball always holds a fresh dist/.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/main.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/ui/assets/dashboard.html',
        'dist/ui/assets/dashboard.js',
        'dist/ui/assets/dashboard.css',
        'dist/core/swagger-ui/swagger-ui-bundle.js',
        'dist/core/swagger-ui/swagger-ui-standalone-preset.js',
        'dist/core/swagger-ui/swagger-ui.css',
        'dist/core/swagger-ui/LICENSE',
        'dist/cjs/package.json',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'LICENSE',
        'specs/cora.openapi.json',
        'specs/sandbox.openapi.json',
        // The vendor pages the README links to; no other file under src/ ships.
        ...VENDORS.map((v) => `src/vendors/${v.name}/README.md`),
        // The pages under docs/ the README links to, and the dashboard screenshots docs/operations.md links to.
        ...readdirSync(join(root, 'docs'))
          .filter((f) => f.endsWith('.md'))
          .map((f) => `docs/${f}`),
        ...readdirSync(join(root, 'docs', 'screenshots')).map((f) => `docs/screenshots/${f}`),
      ]),
    );
    expect(files.filter((f) => /\.test\.|^src\/|^test\/|\.db$/.test(f) && !/^src\/vendors\/[^/]+\/README\.md$/.test(f))).toEqual([]);
    const bin = readFileSync(join(root, 'dist', 'main.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // One bundled module: no relative imports of other dist files (the library keeps those).
    expect(bin).not.toMatch(/from ["']\.\.?\//);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
    // --ignore-scripts: better-sqlite3 would otherwise compile SQLite from source (about two minutes
    // on two cores) to prove something about better-sqlite3, not about this package. The addon
    // `npm ci` already compiled is the same version (checked below), so it is copied in instead.
    // @types/node as a Node project has it (pino's types, which the package's include, need it), the
    // version this repository uses: it is in npm's cache.
    const nodeTypes = `@types/node@${version(root, '@types/node')}`;
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed!.filename), nodeTypes], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(version(app, 'better-sqlite3')).toBe(version(root, 'better-sqlite3'));
    // Nothing runs at install but better-sqlite3's native build: in particular no usage report
    // (swagger-ui-dist brought @scarf/scarf's postinstall; its files are copied into dist/ instead).
    expect(installScripts(app)).toEqual({ 'better-sqlite3': expect.stringMatching(/^prebuild-install \|\| node-gyp rebuild\b/) });
    expect(existsSync(join(app, 'node_modules', 'swagger-ui-dist'))).toBe(false);
    const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
    copyFileSync(join(root, addon), join(app, addon));

    // detached: npx runs the bin in a child of its own; the whole group is stopped at the end.
    const child = spawn('npx', ['--no-install', 'bulk-sandbox', '--port', '0', '--db', ':memory:', '--log-level', 'info'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = (await lines.next()).value as string | undefined;
      expect(first, stderr).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = first!.slice('listening on '.length);
      expect(await (await fetch(`${url}/_sandbox/health`)).json()).toEqual({ status: 'ok' });
      // The bin is one bundled file (scripts/build.ts), pino inside it: its JSON startup record still comes out.
      const logged = JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
      expect(logged).toMatchObject({ name: 'bulk-sandbox', msg: 'listening', url });
      expect((await fetch(`${url}/_sandbox/ui`)).status).toBe(200);
      expect((await fetch(`${url}/_sandbox/ui/dashboard.js`)).status).toBe(200);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      expect((await fetch(`${url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
      expect((await fetch(`${url}/cora/openapi.json`)).status).toBe(200);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }

    // The bin's own flags.
    const npx = (...args: string[]) => run('npx', ['--no-install', 'bulk-sandbox', ...args], { cwd: app });
    expect((await npx('--version')).stdout).toBe(`${version(app, 'bulk-sandbox')}\n`);
    expect((await npx('--help')).stdout).toMatch(/^Usage: bulk-sandbox \[options\]\n[^]*\n {2}--version +print the version and exit\n/);

    // The in-process API, from an ES module and from CommonJS (Jest's default setup): the same
    // exports, the same answers.
    writeFileSync(join(app, 'check.mjs'), `import * as lib from 'bulk-sandbox';\n${consumerScript(join(work, 'esm.db'))}`);
    writeFileSync(join(app, 'check.cjs'), `const lib = require('bulk-sandbox');\n${consumerScript(join(work, 'cjs.db'))}`);
    const results: Array<Record<string, unknown>> = [];
    for (const script of ['check.mjs', 'check.cjs']) {
      const { stdout, stderr } = await run(process.execPath, [script], { cwd: app });
      expect(stderr, script).toBe('');
      results.push(JSON.parse(stdout) as Record<string, unknown>);
    }
    expect(results[0]).toMatchObject({
      health: { status: 'ok' },
      upsert: 200,
      records: ['FILE_1'],
      '/docs': 200,
      '/docs/assets/swagger-ui-bundle.js': 200,
      '/docs/assets/swagger-ui.css': 200,
      '/_sandbox/ui': 200,
      '/_sandbox/ui/dashboard.js': 200,
    });
    expect(results[0]!.exports).toEqual(expect.arrayContaining(['createSandbox', 'createAdminClient', 'SqliteStore', 'openStore', 'signCoraRequest']));
    expect(results[1]).toEqual(results[0]);

    // The published types under tsc --strict, library files checked too (no skipLibCheck), from an
    // ES module and from CommonJS. node16 resolution: a CommonJS file given the ES module's types
    // fails there. The consumer has @types/node but not @types/better-sqlite3 or @types/pg (dev
    // dependencies here).
    expect(existsSync(join(app, 'node_modules', '@types', 'better-sqlite3'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@types', 'pg'))).toBe(false);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, skipLibCheck: false, module: 'node16', moduleResolution: 'node16', target: 'es2022', noEmit: true },
        files: ['esm.ts', 'cjs.cts'],
      }),
    );
    writeFileSync(
      join(app, 'esm.ts'),
      `import { createSandbox, createAdminClient, SqliteStore, type AdminClient, type Sandbox, type SandboxOptions, type Store } from 'bulk-sandbox';
const options: SandboxOptions = { db: ':memory:' };
const sandbox: Sandbox = await createSandbox(options);
const admin: AdminClient = createAdminClient(sandbox.url);
const store: Store = new SqliteStore(':memory:');
export const used = [admin, store.engine];
// @ts-expect-error: the types are the package's, not any
export const wrong: number = sandbox.url;
`,
    );
    writeFileSync(
      join(app, 'cjs.cts'),
      `import { createSandbox, type Sandbox } from 'bulk-sandbox';
import lib = require('bulk-sandbox');
export const start = (): Promise<Sandbox> => createSandbox({ db: ':memory:' });
export const store: lib.Store = new lib.SqliteStore(':memory:');
// @ts-expect-error: the better-sqlite3 connection is not in the published types (its type would name @types/better-sqlite3)
export const db = new lib.SqliteStore(':memory:').db;
`,
    );
    const tsc = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app }).catch(
      (error: { stdout: string }) => error,
    );
    expect(tsc.stdout).toBe('');
  }, 300_000);
});
