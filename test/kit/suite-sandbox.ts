// createSandbox with a chosen vendor list. createApp takes `vendors`, but src/sandbox.ts passes none
// through yet: until it does, this serves the same app (no vendor ports, no slow-client timeouts).
import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminClient } from '../../src/admin-client.js';
import { createApp } from '../../src/app.js';
import { SandboxClock } from '../../src/core/clock.js';
import { allowedHostsFor } from '../../src/core/control-guard.js';
import { applySeed } from '../../src/core/control/state.js';
import { createIdSource } from '../../src/core/ids.js';
import { Store } from '../../src/core/store.js';
import type { VendorModule } from '../../src/core/vendor.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox.js';

export async function createSandboxWith(vendors: readonly VendorModule[], options: SandboxOptions): Promise<Sandbox> {
  const { db = ':memory:', clock = new SandboxClock(), idSeed, seed, host = '127.0.0.1', port = 0, allowedHosts, vendorPorts, timeouts, ...appOptions } = options;
  if (vendorPorts !== undefined || timeouts !== undefined) throw new Error('createSandboxWith: vendorPorts and timeouts need createSandbox');
  const store = new Store(db);
  const app = createApp({ ...appOptions, store, clock, vendors, ids: createIdSource(idSeed), allowedHosts: allowedHostsFor(host, allowedHosts) });
  if (seed !== undefined) applySeed(app, seed);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    vendorUrls: {},
    fetch: (path, init) => fetch(`${url}${path}`, init),
    admin: createAdminClient(url, appOptions.adminToken !== undefined ? { token: appOptions.adminToken } : {}),
    clock,
    app,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as Server).closeAllConnections();
      await closed;
      store.close();
    },
  };
}
