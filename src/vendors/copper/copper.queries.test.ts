// Copper's bulk requests read by key: as many SELECTs for a full batch as for one object, through HTTP and through a seed.
import { describe, expect, it } from 'vitest';
import { call, json, useSandbox } from '../../../test/helpers.js';
import { selectsIn, storeCallsDuring } from '../../../test/store-calls.js';
import { bulkCreate, bulkUpdate } from './copper.client.js';
import { MAX_BULK_PEOPLE } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const work = (email: string) => ({ email, category: 'work' });

/** How many SELECTs `send` runs, counted where every read enters the sandbox's store (either engine). */
async function selectsDuring(send: () => Promise<{ status: number }>): Promise<number> {
  let status = 0;
  const calls = await storeCallsDuring(sandbox().app.deps.store, async () => (status = (await send()).status));
  expect(status).toBe(200);
  return selectsIn(calls);
}

describe('copper bulk reads', () => {
  it(`bulk_create and bulk_update run as many SELECTs for ${MAX_BULK_PEOPLE} objects as for 1`, async () => {
    const seed = Array.from({ length: 2 * MAX_BULK_PEOPLE }, (_, i) => ({ name: `P ${i}`, emails: [work(`p${i}@example.com`)] }));
    for (let i = 0; i < seed.length; i += MAX_BULK_PEOPLE) expect((await bulkCreate(sandbox(), seed.slice(i, i + MAX_BULK_PEOPLE))).status).toBe(200);

    const creates = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ name: `${tag} ${i}`, emails: [work(`${tag}${i}@example.com`), work(`p${i}@example.com`)] }));
    const oneCreate = await selectsDuring(() => bulkCreate(sandbox(), creates(1, 'a')));
    expect(oneCreate).toBeGreaterThan(0);
    expect(await selectsDuring(() => bulkCreate(sandbox(), creates(MAX_BULK_PEOPLE, 'b')))).toBe(oneCreate);

    // Updates that name stored people, move emails between them and claim new ones.
    const updates = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, title: `T ${i}`, emails: [work(`p${(i + 1) % n}@example.com`), work(`u${i}@example.com`)] }));
    const oneUpdate = await selectsDuring(() => bulkUpdate(sandbox(), updates(1)));
    expect(oneUpdate).toBeGreaterThan(0);
    expect(await selectsDuring(() => bulkUpdate(sandbox(), updates(MAX_BULK_PEOPLE)))).toBe(oneUpdate);
  });

  it('a seed runs as many SELECTs for 50 people as for 1', async () => {
    const seed = (tenant: string, n: number) => () =>
      call(sandbox(), '/_sandbox/seed', {
        method: 'POST',
        ...json({ copper: { records: { [tenant]: Array.from({ length: n }, (_, i) => ({ name: `S ${i}`, emails: [work(`s${i}@example.com`)] })) } } }),
      });
    const one = await selectsDuring(seed('one', 1));
    expect(one).toBeGreaterThan(0);
    expect(await selectsDuring(seed('fifty', 50))).toBe(one);
  });
});
