// What the cross-cutting suites (fuzz, isolation, crash safety, secrets, OpenAPI replay) need from Cora.
import fc from 'fast-check';
import { expect } from 'vitest';
import { call, json, recordResponses } from '../../../test/helpers.js';
import type { VendorTestKit } from '../../../test/kit/vendor-kit.js';
import { signCoraRequest } from './auth.js';
import { CORA_TABLE } from './store.js';
import { BULK_PATH, bulk, coraSigned, DEMO_KEY, getAccount, newAccount, OTHER_KEY } from './cora.client.js';

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const word = fc.stringMatching(/^[a-z0-9_]{1,10}$/);
const keyOf = (as: { credentials: 'owner' | 'other' }) => (as.credentials === 'other' ? OTHER_KEY : DEMO_KEY);

export const testKit: VendorTestKit = {
  name: 'cora',
  tenant: 'org_demo',
  method: 'POST',
  routePath: BULK_PATH,
  validBody: fc.record({
    dryRun: fc.boolean(),
    accounts: fc.array(
      fc.record({
        externalId: id,
        phoneNumber: fc.constant('+15555550111'),
        portfolioId: id,
        metadata: fc.record({ filenumber: id, note: fc.string() }),
        currentBalance: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()),
        tags: fc.array(fc.string(), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  send: (sandbox, text, headers) => coraSigned(sandbox, BULK_PATH, text, { headers }),
  authHeaders: async () => ({ authorization: `Bearer ${DEMO_KEY}`, 'x-cora-timestamp': '', 'x-cora-signature': '' }),
  created: (res) => (res.status === 200 && res.body?.dryRun === false ? res.body.summary.created : 0),

  async clientAuth(server, { method, path, body }) {
    const timestamp = String(Math.floor(server.now() / 1000));
    const signature = signCoraRequest({ apiKey: DEMO_KEY, timestamp, method, pathWithQuery: path, body });
    return { authorization: `Bearer ${DEMO_KEY}`, 'x-cora-timestamp': timestamp, 'x-cora-signature': signature };
  },
  pathValues: (r) => ({ externalId: String(r.externalId) }),

  async isolation(sandbox, marker) {
    expect((await bulk(sandbox, { accounts: [newAccount('ISO1', { bucket: marker })] })).status).toBe(200);
    const coraId = 'ISO1';
    return {
      readOwn: () => getAccount(sandbox, coraId),
      probes: [
        {
          name: 'GET one',
          denied: [404],
          run: (sb, as) => call(sb, `/cora/external-api/accounts/${coraId}`, { headers: { authorization: `Bearer ${keyOf(as)}`, ...as.headers } }),
        },
        {
          name: 'GET many',
          denied: [200],
          run: (sb, as) => call(sb, `/cora/external-api/accounts?externalIds=${coraId}`, { headers: { authorization: `Bearer ${keyOf(as)}`, ...as.headers } }),
        },
        {
          name: 'PATCH',
          denied: [404],
          run: (sb, as) => coraSigned(sb, `/external-api/accounts/${coraId}`, { bucket: 'HACKED' }, { method: 'PATCH', key: keyOf(as), headers: as.headers }),
        },
        {
          name: 'bulk upsert of the same externalId',
          denied: [200],
          run: (sb, as) => bulk(sb, { accounts: [newAccount(coraId, { bucket: 'HACKED' })] }, { key: keyOf(as), headers: as.headers }),
        },
      ],
    };
  },

  crash: {
    batchSize: 25,
    batch: (ids) => ({
      method: 'POST',
      path: BULK_PATH,
      body: JSON.stringify({ accounts: ids.map((externalId) => ({ externalId, phoneNumber: '+15555550111', portfolioId: 'P', metadata: { filenumber: externalId } })) }),
    }),
    storedIds: () => `SELECT external_id FROM ${CORA_TABLE}`,
    read: (externalId) => ({ method: 'GET', path: `/external-api/accounts/${encodeURIComponent(externalId)}`, body: '', idOf: (b) => b?.account?.externalId }),
  },

  secrets: {
    known: ['demo_secret', 'wrong-secret-abc', 'new-cora-secret-xyz', 'seeded-cora-secret', 'refused-secret-no-dot'],
    created: { tenant: 'org_new', key: 'cora_org_new.new-cora-secret-xyz' },
    seeded: { tenant: 'org_seed', key: 'cora_org_seed.seeded-cora-secret' },
    async traffic(sandbox, leak) {
      const { responses, keep } = recordResponses();
      const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', ...json(body) });
      // Refused credentials, and a whole key passed as the id: the 404's message must not repeat it.
      expect((await keep(post('/_sandbox/credentials', { vendor: 'cora', tenant: 'org_x', key: 'refused-secret-no-dot' }))).status).toBe(400);
      expect((await keep(post('/_sandbox/seed', { cora: { credentials: [{ tenant: 'o', key: 'refused-secret-no-dot' }] } }))).status).toBe(400);
      expect((await keep(call(sandbox, `/_sandbox/credentials?vendor=cora&id=${encodeURIComponent('cora_org_new.new-cora-secret-xyz')}`, { method: 'DELETE' }))).status).toBe(404);
      // A signed write, a read, a wrong secret, the created and seeded keys, then the created key revoked.
      expect((await keep(bulk(sandbox, { accounts: [newAccount('S1')] }))).status).toBe(200);
      expect((await keep(getAccount(sandbox, 'S1'))).status).toBe(200);
      expect((await keep(getAccount(sandbox, 'S1', 'cora_org_demo.wrong-secret-abc'))).status).toBe(401);
      expect((await keep(bulk(sandbox, { accounts: [newAccount('S2')] }, { key: 'cora_org_demo.wrong-secret-abc' }))).status).toBe(401);
      expect((await keep(bulk(sandbox, { accounts: [newAccount('S3')] }, { key: 'cora_org_new.new-cora-secret-xyz' }))).status).toBe(200);
      expect((await keep(getAccount(sandbox, 'S3', 'cora_org_seed.seeded-cora-secret'))).status).toBe(404);
      expect((await keep(call(sandbox, '/_sandbox/credentials?vendor=cora&id=cora_org_new', { method: 'DELETE' }))).status).toBe(200);
      expect((await keep(getAccount(sandbox, 'S3', 'cora_org_new.new-cora-secret-xyz'))).status).toBe(401);
      // The leaking query string and body, with and without credentials.
      await keep(call(sandbox, `/cora/external-api/accounts/S1${leak.query}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } }));
      await keep(call(sandbox, `/cora/external-api/accounts/S1${leak.query}`));
      await keep(bulk(sandbox, leak.body));
      await keep(call(sandbox, `/cora${BULK_PATH}`, { method: 'POST', ...json(leak.body) }));
      return { responses, issued: [] };
    },
  },

  control: {
    credential: fc.record({ tenant: word, key: fc.tuple(word, word).map(([id, secret]) => `cora_org_${id}.${secret}`), revoked: fc.boolean() }, { requiredKeys: ['tenant', 'key'] }),
    records: fc.array(word.map((id) => newAccount(`F${id}`)), { minLength: 1, maxLength: 3 }).map((r) => ({ org_demo: r })),
    fixture: (externalId) => newAccount(externalId),
    // A new account without the fields Cora requires on create.
    badFixture: { externalId: 'BROKEN' },
  },
};
