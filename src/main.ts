#!/usr/bin/env node
// Process entry: read the config, open the store, serve, and close cleanly on a signal.
import { readFileSync } from 'node:fs';
import { ConfigError, USAGE, loadConfig } from './config.js';
import { limitHeapGrowth } from './core/heap.js';
import { createLogger } from './core/logger.js';
import { createSandbox } from './sandbox.js';

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
  if (config === 'help') {
    console.log(USAGE);
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
  const sandbox = await createSandbox({
    seed,
    logger: createLogger(config.logLevel),
    journalCapacity: config.journalCapacity,
    journalBytes: Math.round(config.journalMib * 1024 * 1024),
    vendorPorts: config.vendorPorts,
    ...(config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
    allowedHosts: config.allowedHosts,
    db: config.db,
    rateLimits: config.rateLimits,
    demo: config.demo,
    bodyLimit: config.bodyLimit,
    vendorOptions: config.vendorOptions,
    port: config.port,
    host: config.host,
  });
  limitHeapGrowth();
  console.log(`listening on ${sandbox.url}`);
  for (const [vendor, url] of Object.entries(sandbox.vendorUrls)) console.log(`${vendor} alone on ${url}`);
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Start-up failures (a port in use, an unknown --vendor-port vendor) are the user's to fix: no stack.
  console.error(`bulk-sandbox: ${(error as Error).message}`);
  process.exit(1);
});
