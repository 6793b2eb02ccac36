// createSandbox: the whole sandbox in-process on an ephemeral port, for test suites and main.ts.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createAdminClient, type AdminClient } from './admin-client.js';
import { createApp, type SandboxApp } from './app.js';
import { applySeed } from './core/control/state.js';
import { SandboxClock } from './core/clock.js';
import { createIdSource } from './core/ids.js';
import type { RateLimitMode } from './core/rate-limit.js';
import { Store } from './core/store.js';

export interface SandboxOptions {
  /** SQLite path; default `:memory:`. */
  db?: string;
  /** A clock to share with the test; default the system clock. */
  clock?: SandboxClock;
  rateLimits?: RateLimitMode;
  /** Seed for ids, so a run hands out the same ids every time. */
  idSeed?: number;
  demo?: boolean;
  bodyLimit?: number;
  /** Fixtures loaded before the server answers (the `POST /_sandbox/seed` document). */
  seed?: unknown;
  journalCapacity?: number;
  /** Locks the control API: every /_sandbox call must present this token. */
  adminToken?: string;
  /** Vendor switches, e.g. `{ mailingcore: { tenantHeader: 'optional' } }`. */
  vendorOptions?: Record<string, Record<string, string>>;
  port?: number;
  host?: string;
  /**
   * Slow clients are cut off: headers must arrive within `headersMs` (default 10 s) and the
   * whole request within `requestMs` (default 30 s).
   */
  timeouts?: { headersMs?: number; requestMs?: number };
}

export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `fetch` relative to `url`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The control API, typed. */
  admin: AdminClient;
  clock: SandboxClock;
  app: SandboxApp;
  close(): Promise<void>;
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new Store(options.db ?? ':memory:');
  const clock = options.clock ?? new SandboxClock();
  const sandboxApp = createApp({
    store,
    clock,
    ids: createIdSource(options.idSeed),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.demo !== undefined ? { demo: options.demo } : {}),
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.vendorOptions ? { vendorOptions: options.vendorOptions } : {}),
    ...(options.journalCapacity !== undefined ? { journalCapacity: options.journalCapacity } : {}),
    ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
  });
  if (options.seed !== undefined) {
    const { deps, vendors, instances, plane, documents } = sandboxApp;
    applySeed({ deps, clock, vendors, instances, plane, documents }, options.seed);
  }
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const headersTimeout = options.timeouts?.headersMs ?? 10_000;
    const requestTimeout = Math.max(options.timeouts?.requestMs ?? 30_000, headersTimeout);
    const s = serve(
      {
        fetch: sandboxApp.app.fetch,
        port: options.port ?? 0,
        hostname: host,
        serverOptions: {
          headersTimeout,
          requestTimeout,
          // How often Node looks for timed-out requests: a tenth of the shortest timeout.
          connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 10))),
        },
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    admin: createAdminClient(url, { ...(options.adminToken !== undefined ? { token: options.adminToken } : {}) }),
    clock,
    app: sandboxApp,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          store.close();
          resolve();
        });
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
