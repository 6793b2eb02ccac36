// The package's public API: the in-process sandbox, the app factory, and client helpers.
export { createSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
export { createAdminClient, SandboxAdminError, type AdminClient, type ArmFaultInput } from './admin-client.js';
export type { JournalEntry, JournalFilter } from './core/journal.js';
export type { Fault, FaultAction } from './core/faults.js';
export type { Snapshot, SeedDocument } from './core/control/state.js';
export type { VendorCoverage } from './core/control-plane.js';
export { createApp, type AppOptions, type SandboxApp } from './app.js';
export { SandboxClock, type Clock } from './core/clock.js';
export type { Store, Tx } from './core/store.js';
export { openStore } from './core/open-store.js';
export { SqliteStore } from './core/sqlite-store.js';
export { createLogger, type Logger, type LogLevel } from './core/logger.js';
export { signCoraRequest } from './vendors/cora/index.js';
export type { VendorModule, RouteDef } from './core/vendor.js';
