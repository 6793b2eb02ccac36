// Sandbox.close: requests in flight finish within the grace period; past it they are cut, and close never hangs.
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../helpers.js';
import { getAccount } from '../../src/vendors/cora/cora.client.js';

describe('Sandbox.close({ graceMs })', () => {
  it('waits for a request in flight, then refuses new connections', async () => {
    const sandbox = await startSandbox();
    await sandbox.admin.armFault({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', delayMs: 300 });
    const inFlight = getAccount(sandbox, 'SLOW');
    while ((await sandbox.admin.faults()).length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await sandbox.close({ graceMs: 10_000 });
    expect((await inFlight).body.code).toBe('ACCOUNT_NOT_FOUND');
    await expect(fetch(`${sandbox.url}/_sandbox/health`)).rejects.toThrow();
  });

  it('cuts what is still running when the grace period is over', async () => {
    const sandbox = await startSandbox();
    await sandbox.admin.armFault({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', delayMs: 60_000 });
    const inFlight = getAccount(sandbox, 'STUCK');
    while ((await sandbox.admin.faults()).length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // Resolves long before the 60 s delay: the grace period bounds the wait.
    await sandbox.close({ graceMs: 50 });
    await expect(inFlight).rejects.toThrow();
  });
});
