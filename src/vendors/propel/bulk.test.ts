// Propel's bulk engine through HTTP: rows that depend on a row a fault forces to fail, and reads that do not grow with the rows.
import { describe, expect, it } from 'vitest';
import { call, json, useSandbox, type JsonResponse } from '../../../test/helpers.js';
import { selectsIn, storeCallsDuring } from '../../../test/store-calls.js';
import { bulkById, bulkBySourceId, getContact, token } from './propel.client.js';
import { PROPEL_MESSAGES } from './errors.js';
import { FIRST_CONTACT_ID } from './store.js';

const sandbox = useSandbox({ rateLimits: 'off' });

const armRowErrors = async (route: 'id' | 'sourceId', rowErrors: Record<string, string>) => {
  const arm = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'propel', path: `/v2/contacts/bulk/${route}`, rowErrors }) });
  expect(arm.status).toBe(201);
};

describe('propel row faults and the rows that depend on them', () => {
  it('a forced row is left out of the batch: a later row naming it as parent finds none, and it takes no sequence id', async () => {
    await armRowErrors('sourceId', { '0': 'InvalidAttributeValue' });
    const res = await bulkBySourceId(sandbox(), {
      contacts: [
        { sourceId: 100, source: 'ERP', firstName: 'Parent' },
        { sourceId: 101, source: 'ERP', parent: { sourceId: 100, source: 'ERP' } },
        { sourceId: 102, source: 'ERP', parent: { id: FIRST_CONTACT_ID } },
        { sourceId: 103, source: 'ERP' },
      ],
    });
    expect(res.body.data).toEqual([
      { action: 'create', key: 100, lookupKey: 'sourceId', success: false, error: 'Invalid value provided. Attribute type is [text].' },
      { action: 'create', key: 101, lookupKey: 'sourceId', success: false, error: PROPEL_MESSAGES.parentNotFoundBySourceId(100) },
      { action: 'create', key: 102, lookupKey: 'sourceId', success: false, error: PROPEL_MESSAGES.parentNotFoundById(FIRST_CONTACT_ID) },
      { action: 'create', id: FIRST_CONTACT_ID, key: 103, lookupKey: 'sourceId', success: true },
    ]);
    expect((await getContact(sandbox(), { sourceId: 100, source: 'ERP' })).status).toBe(404);
    const coverage = await call(sandbox(), '/_sandbox/coverage');
    const propel = coverage.body.vendors.find((v: any) => v.vendor === 'propel');
    expect(propel.rowErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'InvalidAttributeValue', count: 1 }),
        expect.objectContaining({ code: 'ParentContactNotFound', count: 2 }),
      ]),
    );
  });

  it('a repeated id after a forced row creates the contact from its own fields only', async () => {
    await armRowErrors('id', { '0': 'ParentContactNotFound' });
    const res = await bulkById(sandbox(), { contacts: [{ id: 5, firstName: 'A', parent: { id: 9 } }, { id: 5, lastName: 'B' }] });
    expect(res.body.data).toEqual([
      { action: 'create', key: 5, lookupKey: 'id', success: false, error: PROPEL_MESSAGES.parentNotFoundById(9) },
      { action: 'create', id: 5, key: 5, lookupKey: 'id', success: true },
    ]);
    expect((await getContact(sandbox(), 5)).body.data).toMatchObject({ firstName: null, lastName: 'B' });
  });

  it("a forced row's action is as the contacts were stored before the request, not after earlier rows", async () => {
    await bulkById(sandbox(), { contacts: [{ id: 7 }] });
    await armRowErrors('id', { '1': 'SourceIdInUse', '2': 'SourceIdInUse' });
    const res = await bulkById(sandbox(), { contacts: [{ id: 6 }, { id: 6, firstName: 'Six' }, { id: 7, firstName: 'Seven' }] });
    expect(res.body.data.map((r: any) => [r.action, r.success])).toEqual([
      ['create', true],
      ['create', false],
      ['update', false],
    ]);
    expect((await getContact(sandbox(), 6)).body.data.firstName).toBeNull();
  });
});

describe('propel bulk reads', () => {
  /** The SELECT queries the store runs while `run` goes (on either engine: counted where every read enters the store). */
  async function selectsDuring(run: () => Promise<JsonResponse>): Promise<number> {
    let status = 0;
    const calls = await storeCallsDuring(sandbox().app.deps.store, async () => (status = (await run()).status));
    expect(status).toBe(200);
    return selectsIn(calls);
  }

  /** Rows that look up much: stored and new ids, repeats, parents by id and by sourceId, identities. */
  const idRows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: 100 + (i % 40),
      firstName: `F${i}`,
      ...(i % 3 === 0 ? { sourceId: 1 + (i % 7), source: 'ERP', language: 'nl' } : i % 3 === 1 ? { source: 'CRM' } : {}),
      ...(i % 4 === 0 ? { parent: { id: 100 + ((i + 1) % 40) } } : i % 4 === 1 ? { parent: { sourceId: 1 + (i % 5), source: 'ERP' } } : {}),
    }));
  const sourceRows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      sourceId: 1 + (i % 30),
      source: 'ERP',
      ...(i % 2 === 0 ? { language: 'nl' } : {}),
      ...(i % 3 === 0 ? { parent: { id: FIRST_CONTACT_ID + (i % 10) } } : i % 3 === 1 ? { parent: { sourceId: 1 + ((i + 1) % 30), source: 'ERP' } } : {}),
      attributes: [{ class: 'user', name: 'POINTS', type: 'integer', value: i % 5 === 0 ? 'x' : String(i) }],
    }));

  it('reads the same number of times for 1 row as for 50, by id and by sourceId', async () => {
    // Some of what the rows name is stored already: ids the sequence must skip, identities, parents.
    await bulkById(sandbox(), { contacts: [...idRows(20), { id: FIRST_CONTACT_ID + 1 }, { id: FIRST_CONTACT_ID + 3 }] });
    await bulkBySourceId(sandbox(), { contacts: sourceRows(10) });
    const bearer = await token(sandbox());
    const counts: Record<string, number[]> = { id: [], sourceId: [] };
    for (const n of [1, 50]) {
      counts.id!.push(await selectsDuring(() => bulkById(sandbox(), { contacts: idRows(n) }, { token: bearer })));
      counts.sourceId!.push(await selectsDuring(() => bulkBySourceId(sandbox(), { contacts: sourceRows(n) }, { token: bearer })));
    }
    expect(counts.id![0]).toBeGreaterThan(0);
    expect(counts.id![1]).toBe(counts.id![0]);
    expect(counts.sourceId![1]).toBe(counts.sourceId![0]);
  });

  it('hands out the sequence ids a client has not taken, in order, in one request', async () => {
    await bulkById(sandbox(), { contacts: [FIRST_CONTACT_ID, FIRST_CONTACT_ID + 1, FIRST_CONTACT_ID + 3, FIRST_CONTACT_ID + 6].map((id) => ({ id })) });
    const res = await bulkBySourceId(sandbox(), { contacts: [1, 2, 3, 4].map((sourceId) => ({ sourceId, source: 'ERP' })) });
    expect(res.body.data.map((r: any) => r.id)).toEqual([FIRST_CONTACT_ID + 2, FIRST_CONTACT_ID + 4, FIRST_CONTACT_ID + 5, FIRST_CONTACT_ID + 7]);
    const next = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 5, source: 'ERP' }] });
    expect(next.body.data[0].id).toBe(FIRST_CONTACT_ID + 8);
  });
});
