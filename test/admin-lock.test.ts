// With an admin token, the control API answers only callers that present it; vendor APIs are unaffected.
import { describe, expect, it } from 'vitest';
import { call, useSandbox } from './helpers.js';
import { getAccount } from '../src/vendors/cora/cora.client.js';

const TOKEN = 'test-admin-token-0123456789';
const sandbox = useSandbox({ adminToken: TOKEN });

describe('locked control plane', () => {
  it('answers 401 without the token, for every control path, the document included', async () => {
    for (const path of ['/_sandbox/health', '/_sandbox/requests', '/_sandbox/snapshot', '/_sandbox/openapi.json', '/_sandbox/nothing']) {
      const res = await call(sandbox(), path);
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('ADMIN_TOKEN_REQUIRED');
    }
    for (const bad of ['Bearer wrong-token', `Bearer ${TOKEN}x`, TOKEN]) {
      expect((await call(sandbox(), '/_sandbox/health', { headers: { authorization: bad } })).status).toBe(401);
    }
  });

  it('accepts the token as a bearer token or in X-Sandbox-Admin-Token, and the admin client sends it', async () => {
    expect((await call(sandbox(), '/_sandbox/health', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await call(sandbox(), '/_sandbox/health', { headers: { 'x-sandbox-admin-token': TOKEN } })).status).toBe(200);
    expect(await sandbox().admin.health()).toEqual({ status: 'ok' });
  });

  it('leaves the vendor APIs alone', async () => {
    expect((await getAccount(sandbox(), 'NOPE')).body.code).toBe('ACCOUNT_NOT_FOUND');
  });
});
