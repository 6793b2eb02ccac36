// The control API through HTTP: health, clock, credentials and reset.
import { describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../src/sandbox.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, json, startSandbox, T0, T0_ISO, useSandbox } from './helpers.js';
import { freshPgSchemaUrl, TEST_ENGINE } from './pg/database.js';
import { bulk, DEMO_KEY, getAccount, newAccount, OTHER_KEY } from '../src/vendors/cora/cora.client.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const post = (path: string, body: unknown) => call(sandbox(), path, { method: 'POST', ...json(body) });

describe('control API', () => {
  it('reports health', async () => {
    const res = await call(sandbox(), '/_sandbox/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers a control call that failed 503 STORE_UNAVAILABLE while the store does not answer, and 500 INTERNAL while it does', async () => {
    const { deps } = sandbox().app;
    // The driver's error names the host and user: no answer may show it.
    const driverError = new Error('connect ECONNREFUSED 10.9.8.7:5432 (user admin)');
    vi.spyOn(deps.credentials, 'list').mockRejectedValue(driverError);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      // The store answers: a failure the sandbox cannot name stays the 500 it is (a bug), logged as one.
      const bug = await call(sandbox(), '/_sandbox/credentials');
      expect(bug.status).toBe(500);
      expect(bug.body).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
      expect(logged).toHaveBeenCalledTimes(1);
      // The store does not answer (health's own test): 503 naming the engine, not logged as a bug.
      vi.spyOn(deps.store, 'ping').mockRejectedValue(driverError);
      const down = await call(sandbox(), '/_sandbox/credentials');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        error: { code: 'STORE_UNAVAILABLE', message: `The sandbox's store (${deps.store.engine}) is unreachable; retry when GET /_sandbox/health answers ok` },
      });
      expect(down.text).not.toMatch(/10\.9\.8\.7|ECONNREFUSED|admin/);
      expect(logged).toHaveBeenCalledTimes(1);
      expect(await call(sandbox(), '/_sandbox/health')).toMatchObject({ status: 503, body: { status: 'unavailable', store: deps.store.engine } });
    } finally {
      vi.restoreAllMocks();
    }
    expect((await call(sandbox(), '/_sandbox/credentials')).status).toBe(200);
  });

  it('shows, sets, advances and freezes the clock', async () => {
    expect((await call(sandbox(), '/_sandbox/clock')).body).toEqual({ now: T0_ISO, frozen: true });
    expect((await post('/_sandbox/clock', { advanceMs: 1500 })).body).toEqual({ now: new Date(T0 + 1500).toISOString(), frozen: true });
    expect((await post('/_sandbox/clock', { set: '2030-05-01T00:00:00Z' })).body.now).toBe('2030-05-01T00:00:00.000Z');
    expect((await post('/_sandbox/clock', { set: 1_700_000_000_000 })).body.now).toBe('2023-11-14T22:13:20.000Z');
    const thawed = await post('/_sandbox/clock', { freeze: false });
    expect(thawed.body.frozen).toBe(false);
    expect(sandbox().clock.isFrozen).toBe(false);
  });

  it('refuses bad clock input with a clear 400', async () => {
    for (const body of [{ set: 'not a date' }, { advanceMs: 'x' }, { unknown: 1 }]) {
      const res = await post('/_sandbox/clock', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    expect((await call(sandbox(), '/_sandbox/clock', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  it('lists credentials with secrets masked, creates and revokes them', async () => {
    const list = await call(sandbox(), '/_sandbox/credentials?vendor=cora');
    expect(list.body.credentials).toContainEqual({ vendor: 'cora', id: 'cora_org_demo', tenant: 'org_demo', secret: '****', revoked: false, data: {} });
    expect(list.text).not.toContain('demo_secret');

    const created = await post('/_sandbox/credentials', { vendor: 'cora', tenant: 'org_new', key: 'cora_org_new.new_secret_value' });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('new_secret_value');
    const key = 'cora_org_new.new_secret_value';
    const res = await bulk(sandbox(), { accounts: [newAccount('N1')] }, { key });
    expect(res.status).toBe(200);
    expect((await getAccount(sandbox(), 'N1', key)).body.account.organizationId).toBe('org_new');

    expect((await call(sandbox(), '/_sandbox/credentials?vendor=cora&id=cora_org_new', { method: 'DELETE' })).body).toEqual({ revoked: true });
    expect((await getAccount(sandbox(), 'N1', key)).body.code).toBe('INVALID_API_KEY');
    expect((await call(sandbox(), '/_sandbox/credentials?vendor=cora&id=cora_org_nobody', { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses credentials it cannot use', async () => {
    expect((await post('/_sandbox/credentials', { vendor: 'nope', tenant: 't' })).body.error.code).toBe('UNKNOWN_VENDOR');
    const bad = await post('/_sandbox/credentials', { vendor: 'cora', tenant: 'org_x', key: 'no-dot' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0]).toMatch(/^key: /);
  });

  it('resets records by tenant, by vendor, or all, keeping credentials', async () => {
    await bulk(sandbox(), { accounts: [newAccount('D1')] });
    await bulk(sandbox(), { accounts: [newAccount('O1')] }, { key: OTHER_KEY });
    expect((await post('/_sandbox/reset', { tenant: 'org_other' })).body).toEqual({ deleted: 1 });
    expect((await getAccount(sandbox(), 'O1', OTHER_KEY)).status).toBe(404);
    expect((await getAccount(sandbox(), 'D1')).status).toBe(200);
    expect((await post('/_sandbox/reset', { vendor: 'cora' })).body).toEqual({ deleted: 1 });
    expect((await getAccount(sandbox(), 'D1')).status).toBe(404);
    expect((await post('/_sandbox/reset', { vendor: 'nope' })).body.error.code).toBe('UNKNOWN_VENDOR');
    expect((await call(sandbox(), '/_sandbox/reset', { method: 'POST' })).body).toEqual({ deleted: 0 });
    expect((await getAccount(sandbox(), 'D1')).body.code).toBe('ACCOUNT_NOT_FOUND');
  });

  it('answers unknown control paths and methods in its own envelope', async () => {
    expect(await call(sandbox(), '/_sandbox/nothing')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const wrong = await call(sandbox(), '/_sandbox/health', { method: 'DELETE' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED' } } });
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await call(sandbox(), '/nowhere')).status).toBe(404);
  });
});

describe('demo credentials at start', () => {
  it('are added where absent, and a second start on the same database leaves a rotated or revoked one as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulk-sandbox-demo-'));
    const db = TEST_ENGINE === 'postgres' ? await freshPgSchemaUrl() : join(dir, 'sandbox.db');
    const rotated = 'cora_org_demo.rotated-secret-7Q2Z';
    const coraCredentials = async (s: Sandbox) => (await call(s, '/_sandbox/credentials?vendor=cora')).body.credentials;
    try {
      const first = await startSandbox({ db, rateLimits: 'off' });
      try {
        expect(await coraCredentials(first)).toEqual([
          { vendor: 'cora', id: 'cora_org_demo', tenant: 'org_demo', secret: '****', revoked: false, data: {} },
          { vendor: 'cora', id: 'cora_org_revoked', tenant: 'org_demo', secret: '****cret', revoked: true, data: {} },
          { vendor: 'cora', id: 'cora_org_other', tenant: 'org_other', secret: '****cret', revoked: false, data: {} },
        ]);
        // An operator rotates the demo organization's secret and revokes the other one's key.
        expect((await call(first, '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'cora', tenant: 'org_demo', key: rotated }) })).status).toBe(201);
        expect((await call(first, '/_sandbox/credentials?vendor=cora&id=cora_org_other', { method: 'DELETE' })).status).toBe(200);
      } finally {
        await first.close();
      }
      const second = await startSandbox({ db, rateLimits: 'off' });
      try {
        expect(await coraCredentials(second)).toEqual([
          { vendor: 'cora', id: 'cora_org_demo', tenant: 'org_demo', secret: '****7Q2Z', revoked: false, data: {} },
          { vendor: 'cora', id: 'cora_org_revoked', tenant: 'org_demo', secret: '****cret', revoked: true, data: {} },
          { vendor: 'cora', id: 'cora_org_other', tenant: 'org_other', secret: '****cret', revoked: true, data: {} },
        ]);
        // Cora's auth agrees: the rotated key opens its API (an unknown account is its 404), the demo and the revoked keys do not.
        expect((await getAccount(second, 'NO-SUCH', rotated)).status).toBe(404);
        expect((await getAccount(second, 'NO-SUCH', DEMO_KEY)).status).toBe(401);
        expect((await getAccount(second, 'NO-SUCH', OTHER_KEY)).status).toBe(401);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
