// With an admin token, the control API answers only callers that present it (health aside); vendor APIs are unaffected.
import { describe, expect, it } from 'vitest';
import { call, useSandbox } from './helpers.js';
import { getAccount } from '../src/vendors/cora/cora.client.js';

const TOKEN = 'test-admin-token-0123456789';
const sandbox = useSandbox({ adminToken: TOKEN });

describe('locked control plane', () => {
  it('answers 401 without the token, for every control path but health, the document included', async () => {
    for (const path of ['/_sandbox/requests', '/_sandbox/snapshot', '/_sandbox/openapi.json', '/_sandbox/nothing', '/_sandbox/health/', '/_sandbox/health/x', '/_sandbox/ui']) {
      const res = await call(sandbox(), path);
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('ADMIN_TOKEN_REQUIRED');
    }
    for (const bad of ['Bearer wrong-token', `Bearer ${TOKEN}x`, TOKEN]) {
      expect((await call(sandbox(), '/_sandbox/requests', { headers: { authorization: bad } })).status).toBe(401);
    }
    // Health is open to reads only: any other method meets the lock before the 405.
    for (const method of ['POST', 'DELETE']) expect((await call(sandbox(), '/_sandbox/health', { method })).status, method).toBe(401);
  });

  it('accepts the token as a bearer token or in X-Sandbox-Admin-Token, and the admin client sends it', async () => {
    expect((await call(sandbox(), '/_sandbox/requests', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await call(sandbox(), '/_sandbox/requests', { headers: { 'x-sandbox-admin-token': TOKEN } })).status).toBe(200);
    expect(await sandbox().admin.health()).toEqual({ status: 'ok' });
    expect((await sandbox().admin.records('cora')).records).toEqual([]);
  });

  it('answers health without the token, saying nothing but the status and the store', async () => {
    const ok = await call(sandbox(), '/_sandbox/health');
    expect([ok.status, ok.text]).toEqual([200, '{"status":"ok"}']);
    expect((await sandbox().fetch('/_sandbox/health', { method: 'HEAD' })).status).toBe(200);
    // A wrong token changes nothing: health does not look at it.
    expect((await call(sandbox(), '/_sandbox/health', { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(200);
    sandbox().app.deps.store.ping = () => Promise.reject(new Error('sqlite:/secret/path/db.sqlite is gone'));
    const down = await call(sandbox(), '/_sandbox/health');
    expect([down.status, down.text]).toEqual([503, '{"status":"unavailable","store":"sqlite"}']);
  });

  it('documents health without a 401, every other control route with it', () => {
    const paths = sandbox().app.documents.sandbox!.paths!;
    expect(Object.keys(paths['/health']!.get!.responses!).sort()).toEqual(['200', '400', '403', '503']);
    // The admin token is the document's requirement (any of its three forms); health alone lifts it.
    expect(sandbox().app.documents.sandbox!.security).toEqual([{ adminBearer: [] }, { adminHeader: [] }, { adminBasic: [] }]);
    expect(paths['/health']!.get!.security).toEqual([]);
    const others = Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [`${method} ${path}`, op as { responses: object }] as const));
    expect(others.length).toBeGreaterThan(20);
    for (const [name, op] of others) if (name !== 'get /health') expect(Object.keys(op.responses), name).toContain('401');
  });

  it('leaves the vendor APIs alone', async () => {
    expect((await getAccount(sandbox(), 'NOPE')).body.code).toBe('ACCOUNT_NOT_FOUND');
  });
});
