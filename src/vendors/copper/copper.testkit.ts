// What the cross-cutting suites (fuzz, isolation, crash safety, secrets, OpenAPI replay) need from Copper.
import fc from 'fast-check';
import { expect } from 'vitest';
import { call, json, recordResponses } from '../../../test/helpers.js';
import type { Stranger, VendorTestKit } from '../../../test/kit/vendor-kit.js';
import { PEOPLE_TABLE } from './store.js';
import { API, copper, copperHeaders, DEMO, OTHER } from './copper.client.js';

const word = fc.stringMatching(/^[a-z0-9_]{1,10}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom('example.com', 'test.org')).map(([u, d]) => `${u}@${d}`);
const as = (who: Stranger) => ({ as: who.credentials === 'other' ? OTHER : DEMO, headers: who.headers });

export const testKit: VendorTestKit = {
  name: 'copper',
  tenant: 'copper_demo',
  method: 'POST',
  routePath: '/developer_api/v1/people/bulk_create',
  validBody: fc.record({
    people: fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 30 }),
        emails: fc.array(fc.record({ email, category: fc.constantFrom('work', 'personal', 'other') }), { maxLength: 2 }),
        title: fc.option(fc.string(), { nil: null }),
      }),
      { minLength: 1, maxLength: 10 },
    ),
  }),
  send: (sandbox, text, headers) => call(sandbox, `${API}/people/bulk_create`, { method: 'POST', headers: { ...copperHeaders(), ...headers }, body: text }),
  authHeaders: async () => {
    const { 'content-type': _, ...auth } = copperHeaders();
    return auth;
  },
  created: (res) => (res.status === 200 && Array.isArray(res.body) ? res.body.filter((p: { success?: boolean }) => p.success !== false).length : 0),
  // Copper words every refused body "Invalid JSON" (its catalogue says why).
  numberOutOfRangeSays: () => 'Invalid JSON',

  clientAuth: async () => copperHeaders(),
  pathValues: (r) => ({ id: String(r.id) }),

  async isolation(sandbox, marker) {
    const res = await copper(sandbox, '/people', { name: `Iso ${marker}`, emails: [{ email: 'iso@example.com', category: 'work' }] });
    expect(res.status).toBe(200);
    const copperId = res.body.id as number;
    const activity = await copper(sandbox, '/activities', { parent: { type: 'person', id: copperId }, type: { category: 'user', id: 0 }, details: `Note ${marker}` });
    expect(activity.status).toBe(200);
    const activityId = activity.body.id as number;
    return {
      readOwn: () => copper(sandbox, `/people/${copperId}`),
      probes: [
        { name: 'GET', denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}`, undefined, as(who)) },
        { name: 'PUT', denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}`, { name: 'HACKED' }, { ...as(who), method: 'PUT' }) },
        { name: 'DELETE', denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}`, undefined, { ...as(who), method: 'DELETE' }) },
        { name: 'fetch_by_email', denied: [404], run: (sb, who) => copper(sb, '/people/fetch_by_email', { email: 'iso@example.com' }, as(who)) },
        { name: 'search', denied: [200], run: (sb, who) => copper(sb, '/people/search', { emails: ['iso@example.com'] }, as(who)) },
        { name: 'bulk_update of the same id', denied: [200], run: (sb, who) => copper(sb, '/people/bulk_update', { people: [{ id: copperId, name: 'HACKED' }] }, as(who)) },
        { name: "the person's activities", denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}/activities`, {}, as(who)) },
        { name: 'GET the activity', denied: [404], run: (sb, who) => copper(sb, `/activities/${activityId}`, undefined, as(who)) },
        {
          name: 'an activity on the person',
          denied: [422],
          run: (sb, who) => copper(sb, '/activities', { parent: { type: 'person', id: copperId }, type: { category: 'user', id: 0 }, details: 'HACKED' }, as(who)),
        },
      ],
    };
  },

  crash: {
    // Copper takes at most 10 people per bulk call.
    batchSize: 10,
    // Copper numbers people itself: the client-chosen id travels as the name, and as the e-mail a read finds the person by.
    batch: (ids) => ({
      method: 'POST',
      path: '/developer_api/v1/people/bulk_create',
      body: JSON.stringify({ people: ids.map((name) => ({ name, emails: [{ email: `${name.toLowerCase()}@example.com`, category: 'work' }] })) }),
    }),
    storedIds: (sql) => `SELECT ${sql.jsonText('data', 'name')} FROM ${PEOPLE_TABLE}`,
    read: (name) => ({
      method: 'POST',
      path: '/developer_api/v1/people/fetch_by_email',
      body: JSON.stringify({ email: `${name.toLowerCase()}@example.com` }),
      idOf: (b) => b?.name,
    }),
  },

  secrets: {
    known: ['copper_demo_token', 'wrong-copper-token', 'new-copper-token-xyz', 'seeded-copper-token', 'refused-copper-token'],
    created: { tenant: 'c_new', token: 'new-copper-token-xyz', email: 'new@example.com' },
    seeded: { tenant: 'c_seed', token: 'seeded-copper-token', email: 'seed@example.com' },
    async traffic(sandbox, leak) {
      const { responses, keep } = recordResponses();
      expect((await keep(call(sandbox, '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'copper', tenant: 'c_x', token: 'refused-copper-token', email: 'not-an-email' }) }))).status).toBe(400);
      // The demo, created and seeded tokens, and a wrong one.
      expect((await keep(copper(sandbox, '/people', { name: 'A B' }))).status).toBeLessThan(300);
      expect((await keep(copper(sandbox, '/people/1', undefined, { as: { token: 'wrong-copper-token', email: DEMO.email } }))).status).toBe(401);
      expect((await keep(copper(sandbox, '/people/1', undefined, { as: { token: 'new-copper-token-xyz', email: 'new@example.com' } }))).status).toBe(404);
      expect((await keep(copper(sandbox, '/people/1', undefined, { as: { token: 'seeded-copper-token', email: 'seed@example.com' } }))).status).toBe(404);
      // The leaking query string and body.
      await keep(copper(sandbox, `/people/1${leak.query}`));
      await keep(copper(sandbox, '/people', leak.body));
      return { responses, issued: [] };
    },
  },

  control: {
    credential: fc.record({ tenant: word, token: word, email: word.map((u) => `${u}@example.com`), revoked: fc.boolean() }, { requiredKeys: ['tenant', 'token', 'email'] }),
    records: fc.array(fc.record({ name: word, emails: fc.constant([] as unknown[]) }), { minLength: 1, maxLength: 3 }).map((r) => ({ copper_demo: r })),
    // As the crash batch's rows: the e-mail is how a read finds the person.
    fixture: (name) => ({ name, emails: [{ email: `${name.toLowerCase()}@example.com`, category: 'work' }] }),
    badFixture: { name: '' },
  },
};
