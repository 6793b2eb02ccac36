// Test runner settings: every suite starts its own sandbox, so files can run in parallel.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The suites that run twice, on the embedded SQLite store and on PostgreSQL (shared mode): every
 * vendor's suite, the control plane's, the kit's and the reliability suites. Their sandboxes come
 * from test/helpers.ts `startSandbox`, which picks the engine from SANDBOX_TEST_ENGINE.
 */
const BOTH_ENGINES = [
  'src/vendors/**/*.test.ts',
  'test/control/**/*.test.ts',
  'test/control-plane.test.ts',
  'test/control.test.ts',
  'test/kit/**/*.test.ts',
  'test/reliability/**/*.test.ts',
];

export default defineConfig({
  resolve: { alias: { 'bulk-sandbox': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    testTimeout: 20_000,
    // One throwaway PostgreSQL cluster per project, for the files that ask for a database (test/pg/database.ts).
    globalSetup: ['./test/pg/global-setup.ts'],
    pool: 'forks',
    // PostgreSQL stores refuse a transaction's statement sent to the store instead of to the
    // transaction (it would run outside it, unseen): see CHECK_TRANSACTIONS_ENV in src/core/postgres-store.ts.
    env: { SANDBOX_CHECK_TRANSACTIONS: '1' },
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: BOTH_ENGINES,
          // Browser tests need no second engine: what they drive is the same on both.
          exclude: ['**/*.browser.test.ts'],
          env: { SANDBOX_TEST_ENGINE: 'postgres', SANDBOX_CHECK_TRANSACTIONS: '1' },
        },
      },
    ],
  },
});
