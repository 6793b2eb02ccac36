// createSandbox: the whole sandbox in-process on an ephemeral port, for test suites and main.ts.
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminClient, type AdminClient } from './admin-client.js';
import { createApp, type SandboxApp } from './app.js';
import { allowedHostsFor } from './core/control-guard.js';
import { applySeed } from './core/control/state.js';
import { SandboxClock } from './core/clock.js';
import { createIdSource } from './core/ids.js';
import type { Logger } from './core/logger.js';
import type { RateLimitMode } from './core/rate-limit.js';
import { openStore } from './core/open-store.js';
import type { PostgresOptions } from './core/store.js';
import type { VendorModule } from './core/vendor.js';

export interface SandboxOptions {
  /** A SQLite path (default `:memory:`), or a `postgres://` URL: every sandbox on one database is one sandbox. */
  db?: string;
  /** PostgreSQL connection pool settings. */
  postgres?: PostgresOptions;
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
  /** Bytes the journal holds before its oldest entries go (default 16 MiB). */
  journalBytes?: number;
  /** Locks the control API: every /_sandbox call must present this token. */
  adminToken?: string;
  /** Host names besides loopback ones and `host` that control calls may be addressed to; `*` for any. */
  allowedHosts?: readonly string[];
  /** The vendors to serve; default every registered one (tests add vendors of their own). */
  vendors?: readonly VendorModule[];
  /** Vendor switches, e.g. `{ mailingcore: { tenantHeader: 'optional' } }`. */
  vendorOptions?: Record<string, Record<string, string>>;
  /** One JSON line per request (`createLogger(level)`); default none. */
  logger?: Logger;
  port?: number;
  host?: string;
  /** Also serve these vendors alone at the root of their own port (0 picks one), paths as on the vendor's host. */
  vendorPorts?: Record<string, number>;
  /**
   * Slow clients are cut off: headers must arrive within `headersMs` (default 10 s) and the
   * whole request within `requestMs` (default 30 s).
   */
  timeouts?: { headersMs?: number; requestMs?: number };
}

export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Base URLs of the vendors served alone on their own port (`vendorPorts`), by vendor. */
  vendorUrls: Record<string, string>;
  /** `fetch` relative to `url`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The control API, typed. */
  admin: AdminClient;
  clock: SandboxClock;
  app: SandboxApp;
  /**
   * Stops accepting connections, lets requests in flight finish (at most `graceMs`, default 0:
   * connections are cut at once, as a test teardown wants), then closes the store.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = await openStore(options.db ?? ':memory:', options.postgres ? { postgres: options.postgres } : {});
  const clock = options.clock ?? new SandboxClock();
  let sandboxApp: SandboxApp;
  try {
    sandboxApp = await createApp({
      store,
      clock,
      ids: createIdSource(options.idSeed),
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      ...(options.demo !== undefined ? { demo: options.demo } : {}),
      ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
      ...(options.vendorOptions ? { vendorOptions: options.vendorOptions } : {}),
      ...(options.vendors ? { vendors: options.vendors } : {}),
      ...(options.journalCapacity !== undefined ? { journalCapacity: options.journalCapacity } : {}),
      ...(options.journalBytes !== undefined ? { journalBytes: options.journalBytes } : {}),
      ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
      allowedHosts: allowedHostsFor(options.host ?? '127.0.0.1', options.allowedHosts),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    if (options.seed !== undefined) await applySeed(sandboxApp, options.seed);
  } catch (error) {
    await store.close();
    throw error;
  }
  const host = options.host ?? '127.0.0.1';
  const unknown = Object.keys(options.vendorPorts ?? {}).filter((name) => !sandboxApp.vendorApps[name]);
  if (unknown.length > 0) {
    await store.close();
    throw new Error(`--vendor-port: no vendor named ${unknown.join(', ')} (known: ${Object.keys(sandboxApp.vendorApps).join(', ')})`);
  }
  const main = await listen(sandboxApp.app.fetch, options.port ?? 0, host, options.timeouts);
  const extra = await Promise.all(
    Object.entries(options.vendorPorts ?? {}).map(async ([name, port]) => {
      return [name, await listen(sandboxApp.vendorApps[name]!.fetch, port, host, options.timeouts)] as const;
    }),
  );
  const servers = [main.server, ...extra.map(([, l]) => l.server)];
  const url = main.url;
  return {
    url,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    admin: createAdminClient(url, { ...(options.adminToken !== undefined ? { token: options.adminToken } : {}) }),
    clock,
    vendorUrls: Object.fromEntries(extra.map(([name, l]) => [name, l.url])),
    app: sandboxApp,
    async close({ graceMs = 0 } = {}) {
      await Promise.all(servers.map((server) => drain(server as Server, graceMs)));
      await store.close();
    },
  };
}

/**
 * Closes the listener, then waits for the connections left: idle keep-alive ones close at once,
 * busy ones as soon as their response is sent (a finished keep-alive connection turns idle and
 * would otherwise wait out its timeout), and whatever is still open after `graceMs` is cut.
 */
async function drain(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (graceMs > 0) {
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearInterval(idle);
    clearTimeout(timer);
  }
  server.closeAllConnections();
  await closed;
}

/** Serves `fetch` on host:port (0 picks a free port), with the slow-client timeouts. */
async function listen(
  fetchHandler: (request: Request, env?: unknown) => Response | Promise<Response>,
  port: number,
  host: string,
  timeouts: SandboxOptions['timeouts'],
): Promise<{ server: ServerType; url: string }> {
  const headersTimeout = timeouts?.headersMs ?? 10_000;
  const requestTimeout = Math.max(timeouts?.requestMs ?? 30_000, headersTimeout);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      {
        fetch: fetchHandler,
        port,
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
  const { port: actual } = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}` };
}
