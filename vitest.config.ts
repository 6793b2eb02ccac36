// Test runner settings: every suite starts its own sandbox, so files can run in parallel.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { 'bulk-sandbox': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    // One throwaway PostgreSQL cluster per run, for the files that ask for a database (test/pg/database.ts).
    globalSetup: ['./test/pg/global-setup.ts'],
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
