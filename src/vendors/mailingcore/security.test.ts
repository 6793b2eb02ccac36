// MailingCore security through HTTP: keys, scopes, the tenant header and its switch, tenant and namespace isolation, credential handling.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../app.js';
import { SqliteStore } from '../../core/sqlite-store.js';
import { call, json, startSandbox, T0_ISO, useSandbox } from '../../../test/helpers.js';
import {
  bulk,
  contact,
  createCampaign,
  deleteContact,
  DEMO_KEY,
  DEMO_TENANT,
  getContact,
  listContacts,
  mc,
  OTHER_KEY,
  OTHER_TENANT,
  patchContact,
  putContact,
  READONLY_KEY,
  storedContacts,
} from './mailingcore.client.js';
import { credentialId } from './auth.js';
import { MC_MESSAGES } from './errors.js';
import { mailingcore } from './index.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const envelope = (statusCode: number, message: string, path = '/contacts/bulk') => ({ statusCode, message, path, timestamp: T0_ISO });
const createCredential = (body: Record<string, unknown>) => call(sandbox(), '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'mailingcore', ...body }) });

describe('mailingcore API keys: 401', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['no Authorization header', {}, MC_MESSAGES.missingKey],
    ['a non-bearer scheme', { authorization: `Basic ${DEMO_KEY}` }, MC_MESSAGES.invalidKey],
    ['a malformed key', { authorization: 'Bearer sk_live_demo' }, MC_MESSAGES.invalidKey],
    ['an unknown key', { authorization: 'Bearer mc_live_unknown' }, MC_MESSAGES.invalidKey],
    ['a live key that only differs in its prefix', { authorization: 'Bearer mc_live_demo' }, MC_MESSAGES.invalidKey],
  ];
  for (const [name, headers, message] of cases) {
    it(`refuses ${name}, writing nothing and counting nothing`, async () => {
      const res = await mc(sandbox(), 'POST', '/contacts/bulk', { contacts: [contact('a')] }, { key: null, headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(envelope(401, message));
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      expect(await storedContacts(sandbox())).toEqual([]);
    });
  }

  it('refuses a revoked key, whether created revoked or revoked later', async () => {
    const created = await createCredential({ tenant: DEMO_TENANT, key: 'mc_live_fresh', scopes: ['contacts:read'] });
    expect(created.status).toBe(201);
    expect((await listContacts(sandbox(), {}, { key: 'mc_live_fresh' })).status).toBe(200);
    const revoked = await call(sandbox(), `/_sandbox/credentials?vendor=mailingcore&id=${created.body.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const after = await listContacts(sandbox(), {}, { key: 'mc_live_fresh' });
    expect(after.status).toBe(401);
    expect(after.body).toEqual(envelope(401, MC_MESSAGES.revokedKey, '/contacts'));

    await createCredential({ tenant: DEMO_TENANT, key: 'mc_test_gone', scopes: ['contacts:read'], revoked: true });
    expect((await listContacts(sandbox(), {}, { key: 'mc_test_gone' })).body.message).toBe(MC_MESSAGES.revokedKey);
  });
});

describe('mailingcore scopes and tenants: 403 and 400', () => {
  it('refuses a write with a read-only key, naming the missing scope, and writes nothing', async () => {
    const res = await bulk(sandbox(), { contacts: [contact('a')] }, { key: READONLY_KEY });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(envelope(403, MC_MESSAGES.missingScope('contacts:write')));
    expect(await storedContacts(sandbox())).toEqual([]);
    for (const [method, path, body, scope] of [
      ['PUT', '/contacts', contact('a'), 'contacts:write'],
      ['DELETE', '/contacts/a', undefined, 'contacts:write'],
      ['POST', '/campaigns', { name: 'x', audienceFilter: {} }, 'campaigns:write'],
      ['GET', '/campaigns/cm1/locale-coverage', undefined, 'campaigns:read'],
    ] as const) {
      const denied = await mc(sandbox(), method, path, body, { key: READONLY_KEY });
      expect(denied.status, `${method} ${path}`).toBe(403);
      expect(denied.body.message).toBe(MC_MESSAGES.missingScope(scope));
    }
    // What the key may do, it does.
    await bulk(sandbox(), { contacts: [contact('a')] });
    expect((await listContacts(sandbox(), {}, { key: READONLY_KEY })).body.meta.total).toBe(1);
    expect((await getContact(sandbox(), 'a', { key: READONLY_KEY })).status).toBe(200);
  });

  it('grants exactly the scopes a created key carries', async () => {
    await createCredential({ tenant: DEMO_TENANT, key: 'mc_test_writer', scopes: ['contacts:write'] });
    expect((await bulk(sandbox(), { contacts: [contact('a')] }, { key: 'mc_test_writer' })).status).toBe(200);
    const read = await listContacts(sandbox(), {}, { key: 'mc_test_writer' });
    expect(read.status).toBe(403);
    expect(read.body.message).toBe(MC_MESSAGES.missingScope('contacts:read'));
  });

  it("refuses an X-Tenant-Id that is not the key's tenant, and a missing one", async () => {
    for (const tenant of [OTHER_TENANT, 'tenant_nobody', 'TENANT_DEMO']) {
      const res = await bulk(sandbox(), { contacts: [contact('a')] }, { tenant });
      expect(res.status, tenant).toBe(403);
      expect(res.body).toEqual(envelope(403, MC_MESSAGES.unauthorizedTenant));
    }
    const missing = await bulk(sandbox(), { contacts: [contact('a')] }, { tenant: null });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(envelope(400, MC_MESSAGES.tenantHeaderRequired));
    expect(await storedContacts(sandbox())).toEqual([]);
    expect(await storedContacts(sandbox(), OTHER_TENANT)).toEqual([]);
  });

  it('checks the key before the tenant, and the tenant before the scope', async () => {
    const noKey = await bulk(sandbox(), { contacts: [] }, { key: null, tenant: OTHER_TENANT });
    expect(noKey.status).toBe(401);
    const wrongTenant = await bulk(sandbox(), { contacts: [] }, { key: READONLY_KEY, tenant: OTHER_TENANT });
    expect(wrongTenant.body.message).toBe(MC_MESSAGES.unauthorizedTenant);
    const scope = await bulk(sandbox(), { contacts: [] }, { key: READONLY_KEY });
    expect(scope.body.message).toBe(MC_MESSAGES.missingScope('contacts:write'));
  });
});

describe('mailingcore tenantHeader=optional', () => {
  it('accepts requests without X-Tenant-Id as the key\'s tenant, still refuses a wrong one, and documents the header as optional', async () => {
    const optional = await startSandbox({ rateLimits: 'off', vendorOptions: { mailingcore: { tenantHeader: 'optional' } } });
    try {
      const res = await bulk(optional, { contacts: [contact('a')] }, { tenant: null });
      expect(res.status).toBe(200);
      expect(await storedContacts(optional)).toHaveLength(1);
      const other = await bulk(optional, { contacts: [contact('b')] }, { key: OTHER_KEY, tenant: null });
      expect(other.status).toBe(200);
      expect((await storedContacts(optional, OTHER_TENANT)).map((c) => c.externalId)).toEqual(['b']);
      const wrong = await bulk(optional, { contacts: [contact('c')] }, { tenant: OTHER_TENANT });
      expect(wrong.status).toBe(403);
      const header = (doc: any) => doc.paths['/contacts/bulk'].post.parameters.find((p: any) => p.name === 'X-Tenant-Id');
      expect(header(optional.app.documents.mailingcore).required).toBe(false);
      expect(header(sandbox().app.documents.mailingcore).required).toBe(true);
    } finally {
      await optional.close();
    }
  });

  it('refuses any other value of the switch when the app is built', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await expect(createApp({ store, vendors: [mailingcore], vendorOptions: { mailingcore: { tenantHeader: 'sometimes' } } })).rejects.toThrow(/tenantHeader/);
    } finally {
      await store.close();
    }
  });
});

describe('mailingcore isolation', () => {
  it('keeps tenants apart: same externalId and email are two contacts, and no key reaches the other tenant', async () => {
    await bulk(sandbox(), { contacts: [contact('crm-1', { locale: 'en' })] });
    const demo = (await getContact(sandbox(), 'crm-1')).body;
    expect((await getContact(sandbox(), 'crm-1', { key: OTHER_KEY })).status).toBe(404);
    expect((await getContact(sandbox(), demo.id, { key: OTHER_KEY })).status).toBe(404);
    expect((await patchContact(sandbox(), demo.id, { locale: 'de' }, { key: OTHER_KEY })).status).toBe(404);
    expect((await deleteContact(sandbox(), 'crm-1', { key: OTHER_KEY })).status).toBe(404);
    expect((await listContacts(sandbox(), {}, { key: OTHER_KEY })).body.data).toEqual([]);

    const other = await bulk(sandbox(), { contacts: [contact('crm-1', { locale: 'de' })] }, { key: OTHER_KEY });
    expect(other.body).toMatchObject({ created: 1, failed: 0 });
    const theirs = await putContact(sandbox(), contact('crm-1', { locale: 'it' }), { key: OTHER_KEY });
    expect(theirs.body.id).not.toBe(demo.id);
    expect(await getContact(sandbox(), 'crm-1')).toMatchObject({ status: 200, body: demo });
    expect(await storedContacts(sandbox(), OTHER_TENANT)).toEqual([expect.objectContaining({ externalId: 'crm-1', locale: 'it' })]);

    const campaign = await createCampaign(sandbox(), { name: 'all', audienceFilter: {} }, { key: OTHER_KEY });
    expect((await mc(sandbox(), 'GET', `/campaigns/${campaign.body.id}/locale-coverage`, undefined, { key: OTHER_KEY })).body).toEqual([
      { locale: 'it', count: 1, hasTemplate: false },
    ]);
  });

  it('keeps namespaces apart', async () => {
    const ns = { headers: { 'x-sandbox-namespace': 'ci-42' } };
    await bulk(sandbox(), { contacts: [contact('crm-1')] }, ns);
    expect(await storedContacts(sandbox())).toEqual([]);
    expect(await storedContacts(sandbox(), DEMO_TENANT, 'ci-42')).toHaveLength(1);
    expect((await getContact(sandbox(), 'crm-1')).status).toBe(404);
    expect((await getContact(sandbox(), 'crm-1', ns)).status).toBe(200);
    expect((await bulk(sandbox(), { contacts: [contact('crm-1')] })).body.created).toBe(1);
  });
});

describe('mailingcore credentials in the control API', () => {
  it('never uses the key as the id, masks it, and the created key works with its tenant', async () => {
    const listed = await call(sandbox(), '/_sandbox/credentials?vendor=mailingcore');
    expect(listed.status).toBe(200);
    expect(listed.body.credentials).toHaveLength(3);
    for (const credential of listed.body.credentials) {
      expect(credential.id).toMatch(/^mck_[0-9a-f]{16}$/);
      expect(JSON.stringify(credential)).not.toMatch(/mc_test_(demo|readonly|other)/);
    }
    expect(listed.body.credentials.map((c: any) => c.id).sort()).toEqual([DEMO_KEY, READONLY_KEY, OTHER_KEY].map(credentialId).sort());
    const readonly = listed.body.credentials.find((c: any) => c.id === credentialId(READONLY_KEY));
    expect(readonly).toMatchObject({ tenant: DEMO_TENANT, revoked: false, data: { scopes: ['contacts:read'] } });

    const created = await createCredential({ tenant: 'tenant_new', key: 'mc_live_abc123', scopes: ['contacts:write', 'contacts:read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: credentialId('mc_live_abc123'), tenant: 'tenant_new', revoked: false });
    expect(created.body.secret).not.toBe('mc_live_abc123');
    const res = await bulk(sandbox(), { contacts: [contact('n-1')] }, { key: 'mc_live_abc123', tenant: 'tenant_new' });
    expect(res.status).toBe(200);
    expect(await storedContacts(sandbox(), 'tenant_new')).toHaveLength(1);
  });

  it('refuses a malformed create body', async () => {
    for (const body of [
      { tenant: 't', key: 'sk_live_x', scopes: [] },
      { tenant: 't', key: 'mc_test_x' },
      { tenant: 't', key: 'mc_test_x', scopes: ['everything'] },
    ]) {
      const res = await createCredential(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});
