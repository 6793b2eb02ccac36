// Distribution: the packed tarball installs into an empty project, `npx bulk-sandbox` starts and answers, and the in-process API imports.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

describe('npm pack → install → npx', () => {
  it('builds, packs the right files, installs from the tarball, and `npx bulk-sandbox` serves health, /docs and the dashboard', async () => {
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
        'specs/cora.openapi.json',
        'specs/sandbox.openapi.json',
        // The vendor pages the README links to; no other file under src/ ships.
        ...VENDORS.map((v) => `src/vendors/${v.name}/README.md`),
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
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed!.filename)], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(version(app, 'better-sqlite3')).toBe(version(root, 'better-sqlite3'));
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

    // The in-process API and its types, imported by name from the installed package.
    const script = `import { createSandbox } from 'bulk-sandbox';
const s = await createSandbox();
console.log(JSON.stringify(await s.admin.health()));
await s.close();`;
    const inProcess = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    expect(inProcess.stdout.trim()).toBe('{"status":"ok"}');
    const types = readFileSync(join(app, 'node_modules', 'bulk-sandbox', 'dist', 'index.d.ts'), 'utf8');
    expect(types).toContain('createSandbox');
    expect(types).toContain('SandboxOptions');
  }, 300_000);
});
