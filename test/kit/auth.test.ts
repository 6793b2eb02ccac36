// credentialAuth: a vendor returns the credential, the core sets credential, tenant and scope; a throw stops the request.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { credentialAuth } from '../../src/core/auth.js';
import type { CredentialRecord } from '../../src/core/credentials.js';
import type { SandboxEnv } from '../../src/core/vendor.js';

const record: CredentialRecord = { vendor: 'x', id: 'k1', tenant: 't1', secret: 's', data: {}, revoked: false };

describe('credentialAuth', () => {
  it('sets the credential, the tenant and the scope (namespace + tenant) before the route runs', async () => {
    const app = new Hono<SandboxEnv>();
    app.use(async (c, next) => {
      c.set('namespace', 'job-1');
      await next();
    });
    app.use(credentialAuth(async () => record));
    app.get('/', (c) => c.json({ id: c.get('credential').id, tenant: c.get('tenant'), scope: c.get('scope') }));
    expect(await (await app.request('/')).json()).toEqual({ id: 'k1', tenant: 't1', scope: { namespace: 'job-1', tenant: 't1' } });
  });

  it('runs nothing after a refusal', async () => {
    const app = new Hono<SandboxEnv>();
    let reached = false;
    app.onError(() => new Response('refused', { status: 401 }));
    app.use(credentialAuth(() => {
      throw new Error('no');
    }));
    app.get('/', (c) => {
      reached = true;
      return c.text('ok');
    });
    expect((await app.request('/')).status).toBe(401);
    expect(reached).toBe(false);
  });
});
