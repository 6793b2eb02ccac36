// What the cross-cutting suites (fuzz, isolation, crash safety, secrets, OpenAPI replay) need from Propel.
import fc from 'fast-check';
import { expect } from 'vitest';
import { call, recordResponses } from '../../../test/helpers.js';
import type { Server, VendorTestKit } from '../../../test/kit/vendor-kit.js';
import type { Sandbox } from '../../sandbox.js';
import { CONTACTS_TABLE } from './store.js';
import { DEMO_CLIENT, OTHER_CLIENT, propelCall, requestToken, token } from './propel.client.js';

const word = fc.stringMatching(/^[a-z0-9_]{1,10}$/);

/**
 * The numeric sourceId a kit id ([A-Za-z0-9-], any length) travels as: a 52-bit FNV-1a hash of it,
 * plus 1 (a sourceId is at least 1). Sources are numbers, so the kit's id itself rides in `lastName`.
 */
function sourceIdOf(id: string): number {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(id, 'utf8')) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return Number(hash % 2n ** 52n) + 1;
}
const email = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom('example.com', 'test.org')).map(([u, d]) => `${u}@${d}`);

/** One token per sandbox: the fuzzer sends thousands of requests, and a token lives 30 minutes of a frozen clock. */
const tokens = new WeakMap<Sandbox, string>();
const demoToken = async (sandbox: Sandbox) => {
  let t = tokens.get(sandbox);
  if (!t) tokens.set(sandbox, (t = await token(sandbox)));
  return t;
};

/** A fresh token from any server, as a client would fetch one. */
async function serverToken(server: Server): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret });
  const res = await server.fetch('/propel/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export const testKit: VendorTestKit = {
  name: 'propel',
  tenant: 'propel_demo',
  method: 'POST',
  routePath: '/v2/contacts/bulk/id',
  validBody: fc.record({
    contacts: fc.array(
      fc.record({ id: fc.integer({ min: 1, max: 5000 }), firstName: fc.string({ maxLength: 20 }), email, gender: fc.constantFrom('M', 'F', 'U') }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  async send(sandbox, text, headers) {
    return call(sandbox, '/propel/v2/contacts/bulk/id', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await demoToken(sandbox)}`, ...headers },
      body: text,
    });
  },
  authHeaders: async (sandbox) => ({ authorization: `Bearer ${await demoToken(sandbox)}` }),
  created: (res) => (res.status === 200 ? res.body.data.filter((d: { success: boolean; action: string }) => d.success && d.action === 'create').length : 0),

  clientAuth: async (server) => ({ authorization: `Bearer ${await serverToken(server)}` }),
  pathValues: (r) => ({ lookupKey: 'id', lookupValue: String(r.id) }),

  async isolation(sandbox, marker) {
    const res = await propelCall(sandbox, 'POST', '/contacts/bulk/sourceId', { contacts: [{ sourceId: 4242, source: 'ERP', firstName: marker }] });
    expect(res.status).toBe(200);
    const propelId = res.body.data[0].id as number;
    const as = async (sb: Sandbox, who: { credentials: 'owner' | 'other'; headers: Record<string, string> }) => ({
      token: await token(sb, who.credentials === 'other' ? OTHER_CLIENT : DEMO_CLIENT),
      headers: who.headers,
    });
    return {
      readOwn: () => propelCall(sandbox, 'GET', `/contacts/id/${propelId}`),
      probes: [
        { name: 'GET by id', denied: [404], run: async (sb, who) => propelCall(sb, 'GET', `/contacts/id/${propelId}`, undefined, await as(sb, who)) },
        { name: 'GET by sourceId', denied: [404], run: async (sb, who) => propelCall(sb, 'GET', '/contacts/sourceId/4242?source=ERP', undefined, await as(sb, who)) },
        { name: 'PATCH', denied: [404], run: async (sb, who) => propelCall(sb, 'PATCH', `/contacts/id/${propelId}`, { firstName: 'HACKED' }, await as(sb, who)) },
        { name: 'DELETE', denied: [404], run: async (sb, who) => propelCall(sb, 'DELETE', `/contacts/id/${propelId}`, undefined, await as(sb, who)) },
        {
          name: 'bulk by id of the same id',
          denied: [200],
          run: async (sb, who) => propelCall(sb, 'POST', '/contacts/bulk/id', { contacts: [{ id: propelId, firstName: 'HACKED' }] }, await as(sb, who)),
        },
      ],
    };
  },

  crash: {
    batchSize: 25,
    // Ids and sourceIds are numbers: the client-chosen string id travels as lastName, beside the sourceId it hashes to.
    batch: (ids) => ({
      method: 'POST',
      path: '/v2/contacts/bulk/sourceId',
      body: JSON.stringify({ contacts: ids.map((id) => ({ sourceId: sourceIdOf(id), source: 'crash', lastName: id })) }),
    }),
    storedIds: (sql) => `SELECT ${sql.jsonText('data', 'lastName')} FROM ${CONTACTS_TABLE}`,
    read: (id) => ({ method: 'GET', path: `/v2/contacts/sourceId/${sourceIdOf(id)}?source=crash`, body: '', idOf: (b) => b?.data?.lastName }),
  },

  secrets: {
    known: [
      'demo_secret',
      'wrong-secret-abc',
      'new-propel-secret-xyz',
      'seeded-propel-secret',
      // HTTP Basic for demo_client:demo_secret, as sent.
      Buffer.from(`${DEMO_CLIENT.clientId}:${DEMO_CLIENT.clientSecret}`).toString('base64'),
    ],
    created: { tenant: 'p_new', clientId: 'new_client', clientSecret: 'new-propel-secret-xyz' },
    seeded: { tenant: 'p_seed', clientId: 'seed_client', clientSecret: 'seeded-propel-secret' },
    async traffic(sandbox, leak) {
      const { responses, keep } = recordResponses();
      // Tokens by form body and by Basic, wrong secrets both ways, a forged token.
      const issued: string[] = [];
      for (const client of [DEMO_CLIENT, { clientId: 'new_client', clientSecret: 'new-propel-secret-xyz' }, { clientId: 'seed_client', clientSecret: 'seeded-propel-secret' }]) {
        for (const basic of [false, true]) {
          const res = await requestToken(sandbox, client, { basic });
          expect(res.status).toBe(200);
          issued.push(res.body.access_token as string);
        }
      }
      for (const basic of [false, true]) expect((await keep(requestToken(sandbox, { clientId: 'demo_client', clientSecret: 'wrong-secret-abc' }, { basic }))).status).toBe(401);
      expect((await keep(propelCall(sandbox, 'POST', '/contacts/bulk/id', { contacts: [{ id: 1, firstName: 'A' }] }, { token: issued[0]! }))).status).toBeLessThan(300);
      expect((await keep(propelCall(sandbox, 'GET', '/contacts/id/1', undefined, { token: issued[3]! }))).status).toBe(404);
      expect((await keep(propelCall(sandbox, 'GET', '/contacts/id/1', undefined, { token: 'wrong-secret-abc' }))).status).toBe(401);
      // The leaking query string and body.
      await keep(call(sandbox, `/propel/oauth2/token${leak.query}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }));
      await keep(propelCall(sandbox, 'GET', `/contacts/id/1${leak.query}`, undefined, { token: issued[0]! }));
      await keep(propelCall(sandbox, 'POST', '/contacts/bulk/id', leak.body, { token: issued[0]! }));
      return { responses, issued };
    },
  },

  control: {
    credential: fc.record({ tenant: word, clientId: word, clientSecret: word, revoked: fc.boolean() }, { requiredKeys: ['tenant', 'clientId', 'clientSecret'] }),
    records: fc
      .array(fc.record({ id: fc.integer({ min: 1, max: 5000 }), firstName: word, email: word.map((u) => `${u}@example.com`), gender: fc.constantFrom('M', 'F', 'U') }), { minLength: 1, maxLength: 3 })
      .map((r) => ({ propel_demo: r })),
    // Without an id a fixture follows bulk/sourceId, as the crash batch's rows do.
    fixture: (id) => ({ sourceId: sourceIdOf(id), source: 'crash', lastName: id }),
    badFixture: { sourceId: 1, source: 'crash', email: 'not-an-email' },
  },
};
