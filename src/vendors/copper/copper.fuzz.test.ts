// Property-based fuzzing of Copper's inputs beyond its bulk route (which test/reliability/fuzz.test.ts covers): logging an
// activity, listing a person's activities, and the people search, each with mutated bodies.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteDef } from '../../core/vendor.js';
import type { Sandbox } from '../../sandbox.js';
import { call, startSandbox } from '../../../test/helpers.js';
import { mutate, mutationKey, MUTATIONS, nasty, snapshotPrototype, type Json } from '../../../test/reliability/json-mutations.js';
import { API, bulkCreate, copperHeaders, storedActivities } from './copper.client.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 424242);

describe('fuzzing Copper activities and people search', () => {
  let sandbox: Sandbox;
  let personId: number;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: 'off' });
    const created = await bulkCreate(sandbox, [{ name: 'Fuzz Target', emails: [{ email: 'fuzz@example.com', category: 'work' }], address: { city: 'Oslo' } }]);
    personId = created.body[0].id;
  });
  afterAll(() => sandbox.close());

  /** Sends `text` (with the mutation's header changes) and checks the answer against the route's document and the vendor's envelope. */
  async function check(method: 'post', routePath: string, path: string, text: string, headers: Record<string, string>): Promise<number> {
    const route = sandbox.app.instances.copper!.routes.find((r: RouteDef) => r.method === method && r.path === routePath)!;
    expect(route, routePath).toBeDefined();
    const res = await call(sandbox, `${API}${path}`, { method: 'POST', headers: { ...copperHeaders(), ...headers }, body: text });
    const context = `${res.status} ${res.text.slice(0, 300)} for ${text.slice(0, 200)} ${JSON.stringify(headers)}`;
    expect(res.status, context).toBeLessThan(500);
    if (res.status >= 400) {
      expect(sandbox.app.vendors.find((v) => v.name === 'copper')!.errors.envelopeSchema.safeParse(res.body).success, `error envelope: ${context}`).toBe(true);
    } else {
      const schema = route.responses[res.status]?.schema;
      expect(schema, `documented status: ${context}`).toBeDefined();
      expect(schema!.safeParse(res.body).success, `response schema: ${context}`).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted, context).toBeUndefined();
    return res.status;
  }

  const mutated = (body: fc.Arbitrary<Json>) =>
    fc
      .record({ body, pick: fc.nat(), mutation: fc.constantFrom(...MUTATIONS), value: nasty, key: mutationKey, depth: fc.integer({ min: 30, max: 3000 }) })
      .map((input) => mutate(input));

  it('POST /activities never answers 5xx, answers in the envelope, and stores exactly the activities it reports', async () => {
    const prototypeBefore = snapshotPrototype();
    const body = fc.record({
      parent: fc.constant({ type: 'person', id: personId } as Json),
      type: fc.constant({ category: 'user', id: 0 } as Json),
      details: fc.string({ maxLength: 40 }),
      activity_date: fc.integer({ min: 0, max: 2_000_000_000 }),
    });
    await fc.assert(
      fc.asyncProperty(mutated(body), async ({ text, headers }) => {
        const before = (await storedActivities(sandbox)).length;
        const status = await check('post', `${API.replace('/copper', '')}/activities`, '/activities', text, headers);
        expect((await storedActivities(sandbox)).length - before, text.slice(0, 200)).toBe(status === 200 ? 1 : 0);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(snapshotPrototype()).toBe(prototypeBefore);
  }, 120_000);

  it('POST /people/{id}/activities and POST /people/search never answer 5xx and answer in the envelope, writing nothing', async () => {
    const list = fc.record({ page_size: fc.integer({ min: 1, max: 200 }), page_number: fc.integer({ min: 1, max: 5 }), activity_types: fc.constant([{ category: 'user', id: 0 }] as Json) });
    const search = fc.record({
      name: fc.string({ maxLength: 10 }),
      city: fc.string({ maxLength: 10 }),
      sort_by: fc.constantFrom('name', 'city', 'date_modified', 'interaction_count', 'socials'),
      minimum_created_date: fc.integer({ min: 0, max: 2_000_000_000 }),
      followed: fc.constantFrom(1, 2),
      page_size: fc.integer({ min: 1, max: 200 }),
    });
    const before = (await storedActivities(sandbox)).length;
    await fc.assert(
      fc.asyncProperty(mutated(list), mutated(search), async (a, s) => {
        await check('post', `${API.replace('/copper', '')}/people/:id/activities`, `/people/${personId}/activities`, a.text, a.headers);
        await check('post', `${API.replace('/copper', '')}/people/search`, '/people/search', s.text, s.headers);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect((await storedActivities(sandbox)).length).toBe(before);
  }, 120_000);
});
