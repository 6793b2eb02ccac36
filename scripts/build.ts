// npm run build: the library with tsc (dist/index.js and its .d.ts), the dashboard's files, and the
// bin (dist/main.js) as one bundled ES module, so `bulk-sandbox` starts without resolving and
// compiling hundreds of module files.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
/** `dist`, or another folder in the repository given as the argument (a private build for benchmarks). */
const dist = join(root, process.argv[2] ?? 'dist');

rmSync(dist, { recursive: true, force: true });
// The library keeps one file per module: its importers get the .d.ts beside each, and pino,
// zod, hono stay the packages they install.
execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist], {
  cwd: root,
  stdio: 'inherit',
});
cpSync(join(root, 'src', 'ui', 'assets'), join(dist, 'ui', 'assets'), { recursive: true });

// The bin replaces tsc's dist/main.js. External: better-sqlite3 (a native addon, found through
// its package). swagger-ui-dist and openapi3-ts are never imported statically (src/core/docs.ts
// and src/core/openapi.ts find them with createRequire at run time), so they stay packages too.
await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: join(dist, 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  // Bundled CommonJS (pino and its helpers) calls require() for Node's built-ins; ES modules have
  // no require, so the bundle gets one. esbuild keeps the entry's #!/usr/bin/env node line first.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module';\nconst require = __bundleRequire(import.meta.url);" },
  // src/ui/dashboard.ts finds its files relative to its own module (dist/ui/); the bundle is dist/main.js.
  define: { __DASHBOARD_ASSETS__: JSON.stringify('./ui/assets/') },
  logLevel: 'warning',
});
