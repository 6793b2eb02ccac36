// Shared mode when PostgreSQL goes away: vendor calls fail fast in the vendor's envelope, health says so, and all recovers without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkCreate, storedPeople } from '../../src/vendors/copper/copper.client.js';
import { bulk as coraBulk, newAccount } from '../../src/vendors/cora/cora.client.js';
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
