// npm run build: the library with tsc (dist/index.js and its .d.ts), the dashboard's and /docs'
// files, the bin (dist/main.js) as one bundled ES module, so `bulk-sandbox` starts without
// resolving and compiling hundreds of module files, and the library again as CommonJS
// (dist/cjs/), for `require('bulk-sandbox')`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { SWAGGER_UI_FILES } from '../src/core/docs.js';

const root = join(import.meta.dirname, '..');
/** `dist`, or another folder in the repository given as the argument (a private build for benchmarks). */
const dist = join(root, process.argv[2] ?? 'dist');
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });
// The library keeps one file per module: its importers get the .d.ts beside each, and pino,
// zod, hono stay the packages they install.
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist], {
  cwd: root,
  stdio: 'inherit',
});
cpSync(join(root, 'src', 'ui', 'assets'), join(dist, 'ui', 'assets'), { recursive: true });
// Swagger UI's files beside src/core/docs.ts's output: swagger-ui-dist is a dev dependency, so
// installing the package does not install it, nor @scarf/scarf, whose postinstall reports usage.
const swaggerUi = dirname(require.resolve('swagger-ui-dist/package.json'));
mkdirSync(join(dist, 'core', 'swagger-ui'));
for (const file of SWAGGER_UI_FILES) copyFileSync(join(swaggerUi, file), join(dist, 'core', 'swagger-ui', file));

// The bin replaces tsc's dist/main.js. External: better-sqlite3 (a native addon, found through
// its package). openapi3-ts and pg are never imported statically (src/core/openapi.ts and
// src/core/postgres-store.ts load them with createRequire when first needed), so they stay packages too.
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
  // src/ui/dashboard.ts and src/core/docs.ts find their files relative to their own modules
  // (dist/ui/, dist/core/); the bundle is dist/main.js.
  define: { __DASHBOARD_ASSETS__: JSON.stringify('./ui/assets/'), __SWAGGER_UI_ASSETS__: JSON.stringify('./core/swagger-ui/') },
  logLevel: 'warning',
});

// require('bulk-sandbox') (Jest's default setup, any CommonJS project): src/index.ts bundled as
// CommonJS, every package left a package (the same ones the ES module build imports), in dist/cjs/,
// which its package.json makes a CommonJS folder: Node and TypeScript read the .js and .d.ts there
// as CommonJS.
const cjs = join(dist, 'cjs');
await build({
  entryPoints: [join(root, 'src', 'index.ts')],
  outfile: join(cjs, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  // CommonJS has no import.meta: its url is this file's (createRequire and the asset folders are
  // relative to it). The asset folders are one level up from dist/cjs/.
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: {
    'import.meta.url': '__importMetaUrl',
    __DASHBOARD_ASSETS__: JSON.stringify('../ui/assets/'),
    __SWAGGER_UI_ASSETS__: JSON.stringify('../core/swagger-ui/'),
  },
  logLevel: 'warning',
});
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
// Its types: tsc's declarations, read as CommonJS here (the same text: they hold only types).
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts') || file.startsWith('cjs/')) continue;
  mkdirSync(dirname(join(cjs, file)), { recursive: true });
  copyFileSync(join(dist, file), join(cjs, file));
}
