// Shared mode: three sandbox processes on one PostgreSQL database are one sandbox, with requests spread round-robin over them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { bulkCreate, bulkUpdate } from '../../src/vendors/copper/copper.client.js';
import { bulk as coraBulk, getAccount, newAccount } from '../../src/vendors/cora/cora.client.js';
import { bulk as mcBulk, contact, DEMO_TENANT } from '../../src/vendors/mailingcore/mailingcore.client.js';
import { bulkById, getContact, token } from '../../src/vendors/propel/propel.client.js';
import { call, json } from '../helpers.js';
import { spawnServer, type ServerProcess } from '../process.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

const REPLICAS = 3;

/**
 * A server process as the vendors' test clients see a sandbox: they send through `fetch` and sign
 * with `clock.now()` (the wall clock, as each process's own is); nothing else of `Sandbox` is read.
 */
const asSandbox = (server: ServerProcess) => ({ url: server.url, fetch: server.fetch, clock: { now: () => Date.now() } }) as unknown as Sandbox;

/** What a vendor stores for a tenant, read over HTTP from the control API (`GET /_sandbox/:vendor/records`). */
async function stored(replica: Sandbox, vendor: string, tenant: string): Promise<any[]> {
  const res = await call(replica, `/_sandbox/${vendor}/records?tenant=${tenant}&limit=1000`);
  expect(res.status, res.text).toBe(200);
  expect(res.body.nextCursor).toBeNull();
  return res.body.records;
}

describe.skipIf(!pgAvailable)('three sandbox processes on one database', () => {
  let servers: ServerProcess[] = [];
  let replicas: Sandbox[] = [];
  /** The replica that serves request `i`: round-robin. */
  const at = (i: number) => replicas[i % REPLICAS]!;

  beforeAll(async () => {
    const db = await freshPgSchemaUrl();
    // Started together: their migrations take turns under the migration lock.
    servers = await Promise.all(Array.from({ length: REPLICAS }, () => spawnServer(['--db', db])));
    replicas = servers.map(asSandbox);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('a times: 1 fault armed on one replica fires exactly once over 50 concurrent requests spread over all three', async () => {
    const armed = await call(at(0), '/_sandbox/faults', {
      method: 'POST',
      ...json({ vendor: 'copper', method: 'POST', path: '/developer_api/v1/people/bulk_create', error: 'INTERNAL_ERROR', times: 1 }),
    });
    expect(armed.status, armed.text).toBe(201);
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => bulkCreate(at(i), [{ name: `F ${i}`, emails: [{ email: `f${i}@example.com`, category: 'work' }] }])),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect((await stored(at(1), 'copper', 'copper_demo')).length).toBe(49);
    for (const replica of replicas) expect((await call(replica, '/_sandbox/faults')).body.faults).toEqual([]);
    await call(at(2), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) });
  });

  it('Cora’s limiter lets exactly one bulk request per window through, under 30 concurrent ones over all three', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => coraBulk(at(i), { accounts: [newAccount(`RL${i}`)] })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(29);
    const buckets = (await call(at(1), '/_sandbox/rate-limits')).body.buckets.filter((b: { limiter: string }) => b.limiter === 'cora.bulk-upsert');
    expect(buckets).toHaveLength(1);
    expect(buckets[0].count).toBe(1);
    // A reset on one replica empties the bucket for all.
    expect((await call(at(2), '/_sandbox/reset', { method: 'POST', ...json({ vendor: 'cora' }) })).status).toBe(200);
    expect((await coraBulk(at(0), { accounts: [newAccount('after-reset')] })).status).toBe(200);
    await call(at(0), '/_sandbox/reset', { method: 'POST', ...json({ vendor: 'cora' }) });
  });

  it('Copper’s unique emails hold under 12 concurrent bulk_creates of the same emails on different replicas', async () => {
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) });
    const people = [0, 1, 2].map((n) => ({ name: `U ${n}`, emails: [{ email: `unique${n}@example.com`, category: 'work' }] }));
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => bulkCreate(at(i), people)));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    const kept = (await stored(at(2), 'copper', 'copper_demo')).filter((p) => p.name.startsWith('U '));
    expect(kept.map((p) => p.emails[0].email).sort()).toEqual(['unique0@example.com', 'unique1@example.com', 'unique2@example.com']);
    // Exactly one request created each person; every other answered the email as taken.
    const created = responses.flatMap((r) => r.body).filter((row: { id?: number }) => typeof row.id === 'number');
    expect(created).toHaveLength(3);
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) });
  });

  it('Copper’s unique emails hold while concurrent bulk_updates move addresses between people and bulk_creates claim them, on different replicas', async () => {
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) });
    const email = (address: string) => [{ email: address, category: 'work' }];
    const seeded = await bulkCreate(at(0), [{ name: 'M A', emails: email('move-a@example.com') }, { name: 'M B', emails: email('move-b@example.com') }]);
    const [a, b] = seeded.body as Array<{ id: number }>;
    // Updates of different people run side by side (each locks its person and the addresses it sends); every request sends one contested address.
    const sends = Array.from({ length: 12 }, (_, i) => {
      const replica = at(i);
      if (i % 3 === 0) return bulkUpdate(replica, [{ id: a!.id, emails: email(i % 2 ? 'move-x@example.com' : 'move-b@example.com') }]);
      if (i % 3 === 1) return bulkUpdate(replica, [{ id: b!.id, emails: email(i % 2 ? 'move-x@example.com' : 'move-a@example.com') }]);
      return bulkCreate(replica, [{ name: `M C${i}`, emails: email(i % 2 ? 'Move-X@example.com' : 'move-a@example.com') }]);
    });
    expect((await Promise.all(sends)).map((r) => r.status)).toEqual(Array(12).fill(200));
    const people = (await stored(at(1), 'copper', 'copper_demo')).filter((p) => p.name.startsWith('M '));
    const held = people.flatMap((p) => p.emails.map((e: { email: string }) => e.email.toLowerCase()));
    // No address held twice, and the email index agrees with the people: each held address is refused to a newcomer, and a free one is not.
    expect(new Set(held).size).toBe(held.length);
    const probes = ['move-a@example.com', 'move-b@example.com', 'move-x@example.com'];
    for (const address of probes) {
      const probe = await bulkCreate(at(2), [{ name: 'probe', emails: email(address) }]);
      expect(probe.body[0].success === false, `${address} held: ${held.includes(address)}`).toBe(held.includes(address));
    }
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) });
  });

  it('MailingCore’s upsert of one externalId from every replica at once leaves one contact', async () => {
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) });
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => mcBulk(at(i), { contacts: [contact('SAME-1', { email: `same${i}@example.com` })] })));
    expect(responses.map((r) => r.status).every((s) => s === 200 || s === 207)).toBe(true);
    const same = (await stored(at(1), 'mailingcore', DEMO_TENANT)).filter((c) => c.externalId === 'SAME-1');
    expect(same).toHaveLength(1);
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) });
  });

  it('the clock set on one replica is the clock another signs and checks against', async () => {
    const future = '2031-05-01T12:00:00.000Z';
    expect((await call(at(0), '/_sandbox/clock', { method: 'POST', ...json({ set: future, freeze: true }) })).status).toBe(200);
    expect((await call(at(1), '/_sandbox/clock')).body).toEqual({ now: future, frozen: true });
    // Signed with the shared clock's time: replica 2 accepts it (its own process clock was never set).
    const signedAt = String(Date.parse(future) / 1000);
    const res = await coraBulk(at(2), { accounts: [newAccount('CLOCK-1')] }, { timestamp: signedAt });
    expect(res.status, res.text).toBe(200);
    expect((await getAccount(at(0), 'CLOCK-1')).body.account.createdAt).toBe(future);
    // And a request signed with real time is outside that window on every replica.
    const stale = await coraBulk(at(1), { accounts: [newAccount('CLOCK-2')] }, { timestamp: String(Math.floor(Date.now() / 1000)) });
    expect(stale.status).toBe(401);
    expect((await call(at(2), '/_sandbox/clock', { method: 'DELETE' })).body.frozen).toBe(false);
    expect((await call(at(0), '/_sandbox/clock')).body.frozen).toBe(false);
    await call(at(0), '/_sandbox/reset', { method: 'POST', ...json({ vendor: 'cora' }) });
  });

  it('a credential created on one replica works on the others at once, and once revoked there is refused by all', async () => {
    const key = 'cora_org_replica.replica-secret-1';
    // Known to none yet: each replica looks it up (and remembers the answer) before it exists.
    for (const replica of replicas) expect((await coraBulk(replica, { accounts: [newAccount('CRED-0')] }, { key })).status).toBe(401);
    const created = await call(at(0), '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'cora', tenant: 'org_replica', key }) });
    expect(created.status, created.text).toBe(201);
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) });
    for (const [i, replica] of replicas.entries()) expect((await coraBulk(replica, { accounts: [newAccount(`CRED-${i}`)] }, { key })).status).toBe(200);
    expect((await call(at(1), '/_sandbox/credentials?vendor=cora&id=cora_org_replica', { method: 'DELETE' })).status).toBe(200);
    for (const replica of replicas) expect((await coraBulk(replica, { accounts: [newAccount('CRED-9')] }, { key })).status).toBe(401);
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) });
  });

  it('a Propel token issued by one replica is accepted by the others', async () => {
    const bearer = await token(at(0));
    const res = await bulkById(at(1), { contacts: [{ id: 7001, firstName: 'Shared' }] }, { token: bearer });
    expect(res.status, res.text).toBeLessThan(300);
    expect((await getContact(at(2), 7001, { token: bearer })).body.data.firstName).toBe('Shared');
  });

  it('a journal read on one replica shows the requests every replica served, newest first, and coverage counts them all', async () => {
    await call(at(0), '/_sandbox/reset', { method: 'POST', ...json({}) });
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) });
    const served: Array<string | null> = [];
    for (let i = 0; i < 6; i++) {
      const res = await bulkCreate(at(i), [{ name: `J ${i}`, emails: [{ email: i === 5 ? 'not-an-email' : `j${i}@example.com`, category: 'work' }] }]);
      served.push(res.headers.get('x-sandbox-request-id'));
    }
    const journal = (await call(at(1), '/_sandbox/requests?vendor=copper&limit=100')).body.requests as Array<{ id: number; requestBody: { people: Array<{ name: string }> } }>;
    expect(journal.map((e) => e.requestBody.people[0]!.name)).toEqual(['J 5', 'J 4', 'J 3', 'J 2', 'J 1', 'J 0']);
    expect(journal.map((e) => String(e.id))).toEqual([...served].reverse());
    expect((await call(at(2), '/_sandbox/requests/count?vendor=copper')).body.count).toBe(6);
    const coverage = (await call(at(2), '/_sandbox/coverage?vendor=copper')).body.vendors[0];
    expect(coverage.rowErrors.find((r: { code: string }) => r.code === 'invalid')?.count).toBe(1);
    // A snapshot taken on one replica carries every replica's entries.
    expect((await call(at(0), '/_sandbox/snapshot')).body.journal.filter((e: { vendor: string }) => e.vendor === 'copper')).toHaveLength(6);
    await call(at(0), '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) });
  });
});
