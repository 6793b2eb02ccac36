// What the cross-cutting suites need from the example vendor: the same kit every registered vendor declares.
import fc from 'fast-check';
import { expect } from 'vitest';
import { call, json, recordResponses } from '../helpers.js';
import type { Stranger, VendorTestKit } from '../kit/vendor-kit.js';
import { BULK_PATH, contact, getContact, OTHER_TOKEN, TOKEN, upsert } from './example.client.js';
import { EXAMPLE_TABLE, tokenId } from './index.js';

const word = fc.stringMatching(/^[a-z0-9_]{1,10}$/);
const as = (stranger: Stranger) => ({ token: stranger.credentials === 'other' ? OTHER_TOKEN : TOKEN, headers: stranger.headers });
const WRONG = 'ex-wrong-token-zz9';
const CREATED = 'ex-created-token-xyz';
const SEEDED = 'ex-seeded-token-qrs';
const REFUSED = 'ex-refused-token-nt';

export const testKit: VendorTestKit = {
  name: 'example',
  tenant: 'team_a',
  method: 'POST',
  routePath: BULK_PATH,
  validBody: fc.record({
    contacts: fc.array(fc.record({ email: word.map((w) => `${w}@example.com`), name: fc.string() }, { requiredKeys: ['email'] }), { minLength: 1, maxLength: 5 }),
  }),
  send: (sandbox, text, headers) => upsert(sandbox, text, { headers }),
  authHeaders: async () => ({ authorization: `Bearer ${TOKEN}` }),
  created: (res) => (res.status === 200 ? res.body.created : 0),

  clientAuth: async () => ({ authorization: `Bearer ${TOKEN}` }),
  pathValues: (r) => ({ email: String(r.email) }),

  async isolation(sandbox, marker) {
    expect((await upsert(sandbox, { contacts: [contact('iso', marker)] })).status).toBe(200);
    return {
      readOwn: () => getContact(sandbox, 'iso@example.com'),
      probes: [
        { name: 'GET one', denied: [404], run: (sb, who) => getContact(sb, 'iso@example.com', as(who)) },
        { name: 'bulk upsert of the same email', denied: [200], run: (sb, who) => upsert(sb, { contacts: [contact('iso', 'HACKED')] }, as(who)) },
      ],
    };
  },

  crash: {
    batchSize: 25,
    batch: (ids) => ({ method: 'POST', path: BULK_PATH, body: JSON.stringify({ contacts: ids.map((id) => contact(id)) }) }),
    storedIds: (sql) => `SELECT ${sql.jsonText('data', 'name')} FROM ${EXAMPLE_TABLE}`,
    read: (id) => ({ method: 'GET', path: `/v1/contacts/${encodeURIComponent(`${id}@example.com`)}`, body: '', idOf: (b) => b?.contact?.name }),
  },

  secrets: {
    known: [TOKEN, OTHER_TOKEN, WRONG, CREATED, SEEDED, REFUSED],
    created: { tenant: 'team_new', token: CREATED },
    seeded: { tenant: 'team_seed', token: SEEDED },
    async traffic(sandbox, leak) {
      const { responses, keep } = recordResponses();
      const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', ...json(body) });
      // Refused credentials (no tenant), and a whole token passed as the id: the 404's message must not repeat it.
      expect((await keep(post('/_sandbox/credentials', { vendor: 'example', token: REFUSED }))).status).toBe(400);
      expect((await keep(post('/_sandbox/seed', { example: { credentials: [{ token: REFUSED }] } }))).status).toBe(400);
      expect((await keep(call(sandbox, `/_sandbox/credentials?vendor=example&id=${CREATED}`, { method: 'DELETE' }))).status).toBe(404);
      // A write and a read, a wrong token, the created and seeded tokens, then the created one revoked.
      expect((await keep(upsert(sandbox, { contacts: [contact('S1')] }))).status).toBe(200);
      expect((await keep(getContact(sandbox, 'S1@example.com'))).status).toBe(200);
      expect((await keep(getContact(sandbox, 'S1@example.com', { token: WRONG }))).status).toBe(401);
      expect((await keep(upsert(sandbox, { contacts: [contact('S2')] }, { token: WRONG }))).status).toBe(401);
      expect((await keep(upsert(sandbox, { contacts: [contact('S3')] }, { token: CREATED }))).status).toBe(200);
      expect((await keep(getContact(sandbox, 'S3@example.com', { token: SEEDED }))).status).toBe(404);
      expect((await keep(call(sandbox, `/_sandbox/credentials?vendor=example&id=${tokenId(CREATED)}`, { method: 'DELETE' }))).status).toBe(200);
      expect((await keep(getContact(sandbox, 'S3@example.com', { token: CREATED }))).status).toBe(401);
      // The leaking query string and body, with and without a token.
      await keep(call(sandbox, `/example/v1/contacts/S1%40example.com${leak.query}`, { headers: { authorization: `Bearer ${TOKEN}` } }));
      await keep(call(sandbox, `/example/v1/contacts/S1%40example.com${leak.query}`));
      await keep(upsert(sandbox, leak.body));
      await keep(call(sandbox, `/example${BULK_PATH}`, { method: 'POST', ...json(leak.body) }));
      return { responses, issued: [] };
    },
  },

  control: {
    credential: fc.record({ tenant: word, token: word.map((w) => `ex-tok-${w}`), revoked: fc.boolean() }, { requiredKeys: ['tenant', 'token'] }),
    records: fc.array(word.map((w) => contact(w)), { minLength: 1, maxLength: 3 }).map((r) => ({ team_a: r })),
    fixture: (id) => contact(id),
    badFixture: { email: 'no-at-sign', name: 'Broken' },
  },
};
