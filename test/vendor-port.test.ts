// A vendor served alone on its own port: the vendor's own paths at the root, the same state as the mount.
import { describe, expect, it } from 'vitest';
import { signCoraRequest } from '../src/vendors/cora/auth.js';
import { startSandbox } from './helpers.js';
import { DEMO_KEY, getAccount, newAccount } from '../src/vendors/cora/cora.client.js';

describe('vendorPorts', () => {
  it('serves Cora at the root of its own port, signed over the vendor path, sharing the store', async () => {
    const sandbox = await startSandbox({ rateLimits: 'off', vendorPorts: { cora: 0 } });
    try {
      const root = sandbox.vendorUrls.cora!;
      expect(root).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const body = JSON.stringify({ accounts: [newAccount('ALONE')] });
      const timestamp = String(Math.floor(sandbox.clock.now() / 1000));
      const path = '/external-api/accounts/bulk-upsert';
      const signature = signCoraRequest({ apiKey: DEMO_KEY, timestamp, method: 'POST', pathWithQuery: path, body });
      const res = await fetch(`${root}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO_KEY}`, 'x-cora-timestamp': timestamp, 'x-cora-signature': signature, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(200);
      // Written through the vendor port, read through the /cora mount: one store.
      expect((await getAccount(sandbox, 'ALONE')).status).toBe(200);
      const unknown = await fetch(`${root}/cora/external-api/accounts/ALONE`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
      expect(await unknown.json()).toEqual({ success: false, code: 'NOT_FOUND', message: 'Not found' });
      expect((await fetch(`${root}/_sandbox/health`)).status).toBe(404);
      const journal = await sandbox.admin.requests({ vendor: 'cora' });
      expect(journal.map((e) => e.path)).toContain('/external-api/accounts/bulk-upsert');
    } finally {
      await sandbox.close();
    }
  });

  it('refuses an unknown vendor', async () => {
    await expect(startSandbox({ vendorPorts: { nope: 0 } })).rejects.toThrow(/no vendor named nope/);
  });
});
