#!/usr/bin/env node
// Process entry: read the config, open the store, serve, and close cleanly on a signal.
import { readFileSync } from 'node:fs';
import { ConfigError, USAGE, loadConfig, packageVersion } from './config.js';
import { limitHeapGrowth } from './core/heap.js';
import { createLogger } from './core/logger.js';
import { createSandbox } from './sandbox.js';

/** How long a stopping sandbox waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (config === 'help' || config === 'version') {
    console.log(config === 'help' ? USAGE : packageVersion());
    return;
  }
  let seed: unknown;
  if (config.seed !== undefined) {
    try {
      seed = JSON.parse(readFileSync(config.seed, 'utf8'));
    } catch (error) {
      console.error(`--seed ${config.seed}: ${(error as Error).message}`);
      process.exit(2);
    }
  }
  const logger = createLogger(config.logLevel);
  const sandbox = await createSandbox({
    seed,
    logger,
    journalCapacity: config.journalCapacity,
    journalBytes: Math.round(config.journalMib * 1024 * 1024),
    vendorPorts: config.vendorPorts,
    ...(config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
    allowedHosts: config.allowedHosts,
    db: config.db,
    postgres: { poolMax: config.pgPoolMax, connectTimeoutMs: config.pgConnectTimeoutMs, statementTimeoutMs: config.pgStatementTimeoutMs },
    rateLimits: config.rateLimits,
    demo: config.demo,
    bodyLimit: config.bodyLimit,
    vendorOptions: config.vendorOptions,
    port: config.port,
    host: config.host,
  });
  limitHeapGrowth();
  // The plain line first, exactly so: tools wait for it (README, bench/run.ts). Then the same as a log record.
  console.log(`listening on ${sandbox.url}`);
  for (const [vendor, url] of Object.entries(sandbox.vendorUrls)) console.log(`${vendor} alone on ${url}`);
  logger.info({ url: sandbox.url, vendorUrls: sandbox.vendorUrls, store: sandbox.app.deps.store.engine }, 'listening');
  // Stop accepting, let requests in flight finish (a bounded wait), then close the store. A second
  // signal stops at once.
  const stop = () => {
    process.once('SIGINT', () => process.exit(1));
    process.once('SIGTERM', () => process.exit(1));
    void sandbox.close({ graceMs: SHUTDOWN_GRACE_MS }).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Start-up failures (a port in use, an unknown --vendor-port vendor) are the user's to fix: no stack.
  console.error(`bulk-sandbox: ${(error as Error).message}`);
  process.exit(1);
});
