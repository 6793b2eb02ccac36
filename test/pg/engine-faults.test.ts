// Shared mode when PostgreSQL goes away: vendor calls fail fast in the vendor's envelope, control calls answer 503 STORE_UNAVAILABLE, health says so, and all recovers without a restart.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkCreate, storedPeople } from '../../src/vendors/copper/copper.client.js';
import { bulk as coraBulk, DEMO_KEY, getAccount, newAccount } from '../../src/vendors/cora/cora.client.js';
import type { Sandbox } from '../../src/sandbox.js';
import { call, json, startSandbox } from '../helpers.js';
import { findPgBin, startCluster, type PgCluster } from './cluster.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

const person = (name: string) => ({ name, emails: [{ email: `${name}@example.com`, category: 'work' }] });

describe.skipIf(!pgAvailable)('PostgreSQL down and back', () => {
  let cluster: PgCluster;
  let sandbox: Sandbox;
  beforeAll(async () => {
    // A cluster of this file's own: halting the run's shared one would fail every other file.
    cluster = await startCluster(findPgBin()!);
    sandbox = await startSandbox({ db: cluster.url('postgres'), rateLimits: 'off', postgres: { connectTimeoutMs: 1_000 } });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    cluster?.stop();
  });

  it('answers the vendor’s 500 within the connect timeout and health 503 while it is down, then serves again without a restart', async () => {
    expect((await bulkCreate(sandbox, [person('before')])).status).toBe(200);
    expect((await call(sandbox, '/_sandbox/health')).body).toEqual({ status: 'ok' });

    cluster.halt();
    const started = performance.now();
    const failed = await bulkCreate(sandbox, [person('during')]);
    expect(performance.now() - started).toBeLessThan(3_000);
    // Copper's own 500 envelope, naming no host, user or password.
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ success: false, status: 500, message: 'Internal server error' });
    expect(failed.text).not.toMatch(/127\.0\.0\.1|sandbox@|ECONNREFUSED/);
    const health = await call(sandbox, '/_sandbox/health');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'unavailable', store: 'postgres' });

    cluster.resume();
    expect((await call(sandbox, '/_sandbox/health')).body).toEqual({ status: 'ok' });
    expect((await bulkCreate(sandbox, [person('after')])).status).toBe(200);
    expect((await storedPeople(sandbox)).map((p) => p.name).sort()).toEqual(['after', 'before']);
  }, 60_000);

  it('answers control reads and writes 503 STORE_UNAVAILABLE within the connect timeout while it is down, then does them once it is back', async () => {
    expect((await call(sandbox, '/_sandbox/reset', { method: 'POST', ...json({}) })).status).toBe(200);
    expect((await bulkCreate(sandbox, [person('kept')])).status).toBe(200);
    const arm = () => call(sandbox, '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'copper', error: 'INTERNAL_ERROR', times: 1 }) });
    const reset = () => call(sandbox, '/_sandbox/reset', { method: 'POST', ...json({ vendor: 'copper' }) });
    const journal = () => call(sandbox, '/_sandbox/requests?vendor=copper');

    cluster.halt();
    try {
      for (const send of [arm, reset, journal]) {
        const started = performance.now();
        const res = await send();
        expect(performance.now() - started).toBeLessThan(3_000);
        expect(res.status, res.text).toBe(503);
        expect(res.body).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: "The sandbox's store (postgres) is unreachable; retry when GET /_sandbox/health answers ok" } });
        expect(res.text).not.toMatch(/127\.0\.0\.1|localhost|sandbox@|ECONNREFUSED|connect|terminated/i);
      }
      // A read this process answers from its own copy still answers: the refused arm armed nothing.
      expect((await call(sandbox, '/_sandbox/faults')).body).toEqual({ faults: [] });
    } finally {
      cluster.resume();
    }

    // The journal holds the one vendor call made before; the refused control calls changed nothing.
    const kept = await journal();
    expect(kept.status).toBe(200);
    expect(kept.body.requests.map((r: { method: string; path: string; status: number }) => [r.method, r.path, r.status])).toEqual([['POST', '/developer_api/v1/people/bulk_create', 200]]);
    expect((await storedPeople(sandbox)).map((p) => p.name)).toEqual(['kept']);
    const armed = await arm();
    expect(armed.status, armed.text).toBe(201);
    expect((await call(sandbox, '/_sandbox/faults')).body.faults.map((f: { id: string }) => f.id)).toEqual([armed.body.id]);
    const cleared = await reset();
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body).toEqual({ deleted: 1 });
    expect(await storedPeople(sandbox)).toEqual([]);
    expect((await call(sandbox, '/_sandbox/faults')).body).toEqual({ faults: [] });
  }, 60_000);

  it('answers 503 STORE_UNAVAILABLE to a control call whose connection the server drops mid-call, the database still up, and the vendor’s 500 to a vendor call; neither writes', async () => {
    expect((await call(sandbox, '/_sandbox/reset', { method: 'POST', ...json({}) })).status).toBe(200);
    expect((await bulkCreate(sandbox, [person('kept')])).status).toBe(200);
    // Another session holds the lock the call will wait for; the server then terminates the backend that waits (an operator's pg_terminate_backend, a failover).
    const holder = new pg.Client({ connectionString: cluster.url('postgres') });
    await holder.connect();
    const dropWaiter = async () => {
      for (let tries = 0; tries < 1_000; tries++) {
        const { rows } = await holder.query("SELECT pg_terminate_backend(pid) AS done FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        if (rows.length > 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('the call never waited for the lock');
    };
    try {
      // Control writes wait for the shared state's lock.
      await holder.query("SELECT pg_advisory_lock(hashtextextended('sandbox:state', 0))");
      const reset = call(sandbox, '/_sandbox/reset', { method: 'POST', ...json({ vendor: 'copper' }) });
      await dropWaiter();
      const refused = await reset;
      expect(refused.status, refused.text).toBe(503);
      expect(refused.body).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: "The sandbox's store (postgres) is unreachable; retry when GET /_sandbox/health answers ok" } });
      expect(refused.text).not.toMatch(/127\.0\.0\.1|sandbox@|terminat|administrator/i);
      await holder.query("SELECT pg_advisory_unlock(hashtextextended('sandbox:state', 0))");

      // A bulk request waits for its tenant's lock (the default namespace is '', the demo account copper_demo).
      await holder.query("SELECT pg_advisory_lock(hashtextextended('tenant::copper_demo', 0))");
      const create = bulkCreate(sandbox, [person('dropped')]);
      await dropWaiter();
      const failed = await create;
      expect(failed.status, failed.text).toBe(500);
      expect(failed.body).toEqual({ success: false, status: 500, message: 'Internal server error' });
      await holder.query("SELECT pg_advisory_unlock(hashtextextended('tenant::copper_demo', 0))");
    } finally {
      await holder.end();
    }
    expect((await call(sandbox, '/_sandbox/health')).body).toEqual({ status: 'ok' });
    expect((await storedPeople(sandbox)).map((p) => p.name)).toEqual(['kept']);
  }, 60_000);

  it('a replica starting on the database leaves a demo credential as an operator changed it', async () => {
    const rotated = 'cora_org_demo.rotated-by-operator-4K9P';
    expect((await call(sandbox, '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'cora', tenant: 'org_demo', key: rotated }) })).status).toBe(201);
    const replica = await startSandbox({ db: cluster.url('postgres'), rateLimits: 'off', postgres: { connectTimeoutMs: 1_000 } });
    try {
      // Both processes: the replica's start made the first forget its remembered lookups.
      for (const each of [replica, sandbox]) {
        expect((await getAccount(each, 'NO-SUCH', rotated)).status).toBe(404);
        expect((await getAccount(each, 'NO-SUCH', DEMO_KEY)).status).toBe(401);
      }
      const stored = (await call(replica, '/_sandbox/credentials?vendor=cora')).body.credentials.find((c: { id: string }) => c.id === 'cora_org_demo');
      expect(stored).toEqual({ vendor: 'cora', id: 'cora_org_demo', tenant: 'org_demo', secret: '****4K9P', revoked: false, data: {} });
    } finally {
      await replica.close();
    }
  }, 60_000);
});

describe.skipIf(!pgAvailable)('text PostgreSQL cannot hold', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ db: await freshPgSchemaUrl(), rateLimits: 'off' });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('refuses a NUL character in a stored key with the vendor’s 400, writing nothing (never a 500)', async () => {
    const res = await coraBulk(sandbox, { accounts: [newAccount('FINE-1'), newAccount('NUL\u0000-2')] });
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({ success: false, code: 'INVALID_REQUEST_BODY', message: 'Text containing the NUL character (U+0000) cannot be stored on PostgreSQL' });
    expect((await call(sandbox, '/_sandbox/cora/records')).body.records).toEqual([]);
    const created = await call(sandbox, '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'cora', tenant: 'org\u0000x', apiKey: 'cora_org_x.secret-value-1' }) });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('INVALID_REQUEST');
  });

  it('stores a NUL character inside a record’s JSON (escaped as \\u0000, never a raw NUL) and reads it back', async () => {
    const res = await coraBulk(sandbox, { accounts: [newAccount('NUL-IN-DATA', { metadata: { filenumber: 'a\u0000b', note: 'c\u0000' } })] });
    expect(res.status, res.text).toBe(200);
    expect(res.body.summary.created).toBe(1);
    const stored = (await call(sandbox, '/_sandbox/cora/records')).body.records.find((r: { externalId: string }) => r.externalId === 'NUL-IN-DATA');
    expect(stored.metadata).toEqual({ filenumber: 'a\u0000b', note: 'c\u0000' });
  });

  it('stores a key holding a lone surrogate as U+FFFD and finds it again by the same text (never a 500)', async () => {
    const body = JSON.stringify({ accounts: [newAccount('SUR-1')] }).replace('SUR-1', 'SUR-\\ud800');
    const first = await coraBulk(sandbox, body);
    expect(first.status, first.text).toBe(200);
    expect(first.body.summary.created).toBe(1);
    const again = await coraBulk(sandbox, body);
    expect(again.body.summary).toMatchObject({ created: 0, unchanged: 1 });
    const stored = (await call(sandbox, '/_sandbox/cora/records')).body.records.map((r: { externalId: string }) => r.externalId);
    expect(stored).toContain('SUR-\ufffd');
  });
});
