// A complete vitest suite against an in-process sandbox: docs/testing.md shows this file verbatim.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSandbox, signCoraRequest, SandboxClock, type Sandbox } from 'bulk-sandbox';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox({ clock: SandboxClock.frozen('2026-01-15T10:00:00Z') });
});
afterEach(() => sandbox.close());

/** What an integration under test would do: sign and send one Cora bulk upsert. */
async function upsertAccounts(accounts: object[]) {
  const apiKey = 'cora_org_demo.demo_secret';
  const path = '/external-api/accounts/bulk-upsert';
  const body = JSON.stringify({ accounts });
  const timestamp = String(Math.floor(sandbox.clock.now() / 1000));
  const signature = signCoraRequest({ apiKey, timestamp, method: 'POST', pathWithQuery: path, body });
  const res = await sandbox.fetch(`/cora${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'x-cora-timestamp': timestamp, 'x-cora-signature': signature, 'content-type': 'application/json' },
    body,
  });
  const json = (await res.json()) as { summary: Record<string, number>; results: Array<{ status: string }> };
  return { status: res.status, body: json };
}

const account = (externalId: string) => ({ externalId, phoneNumber: '+15555550111', portfolioId: 'P1', metadata: { filenumber: externalId } });

it('stores what the client sent', async () => {
  const res = await upsertAccounts([account('FILE_1')]);
  expect(res.body.summary.created).toBe(1);
  const { records } = await sandbox.admin.records('cora', { tenant: 'org_demo' });
  expect(records).toMatchObject([{ externalId: 'FILE_1', phoneNumber: '+15555550111' }]);
});

it('handles a failed row the way Cora reports it', async () => {
  await sandbox.admin.armFault({ vendor: 'cora', path: '/external-api/accounts/bulk-upsert', rowErrors: { 0: 'VALIDATION_ERROR' } });
  const res = await upsertAccounts([account('FILE_1'), account('FILE_2')]);
  expect(res.body.results.map((r) => r.status)).toEqual(['failed', 'created']);
});

it('gets rate limited, then retries after moving the clock', async () => {
  expect((await upsertAccounts([account('A')])).status).toBe(200);
  expect((await upsertAccounts([account('B')])).status).toBe(429);
  await sandbox.admin.advanceClock(20_000);
  expect((await upsertAccounts([account('B')])).status).toBe(200);
  const journal = await sandbox.admin.requests({ vendor: 'cora' });
  expect(journal.map((entry) => entry.status)).toEqual([200, 429, 200]);
});
