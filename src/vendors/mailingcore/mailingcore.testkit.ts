// What the cross-cutting suites (fuzz, isolation, crash safety, secrets, OpenAPI replay) need from MailingCore.
import fc from 'fast-check';
import { expect } from 'vitest';
import { call, recordResponses } from '../../../test/helpers.js';
import type { Stranger, VendorTestKit } from '../../../test/kit/vendor-kit.js';
import { CONTACTS_TABLE } from './store.js';
import { DEMO_KEY, DEMO_TENANT, mc, OTHER_KEY, OTHER_TENANT } from './mailingcore.client.js';

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const word = fc.stringMatching(/^[a-z0-9_]{1,10}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom('example.com', 'test.org')).map(([u, d]) => `${u}@${d}`);
const as = (who: Stranger) => ({ key: who.credentials === 'other' ? OTHER_KEY : DEMO_KEY, headers: who.headers });

export const testKit: VendorTestKit = {
  name: 'mailingcore',
  tenant: DEMO_TENANT,
  method: 'POST',
  routePath: '/contacts/bulk',
  validBody: fc.record({
    contacts: fc.array(
      fc.record({ email, externalId: fc.option(id, { nil: undefined }), locale: fc.constantFrom('es', 'en', 'it', 'fr', 'ca', 'de'), optIn: fc.boolean() }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  send: (sandbox, text, headers) =>
    call(sandbox, '/mailingcore/contacts/bulk', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_KEY}`, 'x-tenant-id': DEMO_TENANT, ...headers },
      body: text,
    }),
  authHeaders: async () => ({ authorization: `Bearer ${DEMO_KEY}`, 'x-tenant-id': DEMO_TENANT }),
  created: (res) => (res.status === 200 ? res.body.created : 0),

  clientAuth: async () => ({ authorization: `Bearer ${DEMO_KEY}`, 'x-tenant-id': DEMO_TENANT }),
  pathValues: (r) => ({ idOrExternalId: String(r.id) }),

  async isolation(sandbox, marker) {
    const res = await mc(sandbox, 'PUT', '/contacts', { email: 'iso@example.com', externalId: 'ISO-EXT', source: marker });
    expect(res.status).toBe(200);
    const mcId = res.body.id as string;
    return {
      readOwn: () => mc(sandbox, 'GET', `/contacts/${mcId}`),
      probes: [
        { name: 'GET by id', denied: [404], run: (sb, who) => mc(sb, 'GET', `/contacts/${mcId}`, undefined, as(who)) },
        { name: 'GET by externalId', denied: [404], run: (sb, who) => mc(sb, 'GET', '/contacts/ISO-EXT', undefined, as(who)) },
        { name: 'GET list', denied: [200], run: (sb, who) => mc(sb, 'GET', '/contacts?limit=500', undefined, as(who)) },
        { name: 'PATCH', denied: [404], run: (sb, who) => mc(sb, 'PATCH', `/contacts/${mcId}`, { optIn: true, source: 'HACKED' }, as(who)) },
        { name: 'DELETE', denied: [404], run: (sb, who) => mc(sb, 'DELETE', '/contacts/ISO-EXT', undefined, as(who)) },
        {
          name: 'bulk of the same externalId',
          denied: [200],
          run: (sb, who) => mc(sb, 'POST', '/contacts/bulk', { contacts: [{ email: 'iso@example.com', externalId: 'ISO-EXT', source: 'HACKED' }] }, as(who)),
        },
        {
          name: "the owner's key naming the other tenant",
          denied: [403],
          run: (sb) => mc(sb, 'GET', `/contacts/${mcId}`, undefined, { key: DEMO_KEY, tenant: OTHER_TENANT }),
        },
      ],
    };
  },

  crash: {
    batchSize: 25,
    batch: (ids) => ({
      method: 'POST',
      path: '/contacts/bulk',
      body: JSON.stringify({ contacts: ids.map((externalId) => ({ email: `${externalId.toLowerCase()}@example.com`, externalId })) }),
    }),
    storedIds: () => `SELECT external_id FROM ${CONTACTS_TABLE}`,
    read: (externalId) => ({ method: 'GET', path: `/contacts/${encodeURIComponent(externalId)}`, body: '', idOf: (b) => b?.externalId }),
  },

  secrets: {
    known: [DEMO_KEY, 'mc_test_wrongkey', 'mc_test_created_key_xyz', 'mc_test_seeded_key'],
    created: { tenant: 'm_new', key: 'mc_test_created_key_xyz', scopes: ['contacts:read'] },
    seeded: { tenant: 'm_seed', key: 'mc_test_seeded_key', scopes: ['contacts:read'] },
    async traffic(sandbox, leak) {
      const { responses, keep } = recordResponses();
      expect((await keep(call(sandbox, `/_sandbox/credentials?vendor=mailingcore&id=mc_test_seeded_key`, { method: 'DELETE' }))).status).toBe(404);
      // The demo, created and seeded keys, and a wrong one.
      expect((await keep(mc(sandbox, 'PUT', '/contacts', { email: 'a@example.com' }))).status).toBeLessThan(300);
      expect((await keep(mc(sandbox, 'GET', '/contacts', undefined, { key: 'mc_test_wrongkey' }))).status).toBe(401);
      expect((await keep(mc(sandbox, 'GET', '/contacts', undefined, { key: 'mc_test_created_key_xyz', tenant: 'm_new' }))).status).toBe(200);
      expect((await keep(mc(sandbox, 'GET', '/contacts', undefined, { key: 'mc_test_seeded_key', tenant: 'm_seed' }))).status).toBe(200);
      // The leaking query string and body, with and without credentials.
      await keep(mc(sandbox, 'GET', `/contacts${leak.query}`));
      await keep(mc(sandbox, 'POST', '/contacts/bulk', leak.body));
      await keep(mc(sandbox, 'POST', '/contacts/bulk', leak.body, { key: null }));
      return { responses, issued: [] };
    },
  },

  control: {
    credential: fc.record(
      { tenant: word, key: word.map((k) => `mc_test_${k}`), scopes: fc.subarray(['contacts:read', 'contacts:write', 'campaigns:write']), revoked: fc.boolean() },
      { requiredKeys: ['tenant', 'key', 'scopes'] },
    ),
    records: fc.array(fc.record({ email: word.map((u) => `${u}@example.com`), externalId: word }), { minLength: 1, maxLength: 3 }).map((r) => ({ [DEMO_TENANT]: r })),
    fixture: (externalId) => ({ email: `${externalId.toLowerCase()}@example.com`, externalId }),
    badFixture: { email: 'not-an-email', externalId: 'BROKEN' },
  },
};
