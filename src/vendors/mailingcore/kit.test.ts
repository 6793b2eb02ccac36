// MailingCore on the core's bulk kit: a forced row is absent from the batch, reads stay bounded, and the write counter moves once per write.
import { describe, expect, it } from 'vitest';
import { call, json, useSandbox } from '../../../test/helpers.js';
import { selectsIn, storeCallsDuring } from '../../../test/store-calls.js';
import { bulk, contact, OTHER_KEY, putContact, storedContacts } from './mailingcore.client.js';
import { MC_MESSAGES, MC_ROW_ERRORS } from './errors.js';
import { SEQUENCES_TABLE } from './store.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const armRowErrors = async (rowErrors: Record<string, string>) => {
  const res = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'mailingcore', method: 'POST', path: '/contacts/bulk', rowErrors }) });
  expect(res.status).toBe(201);
};

/** Runs `fn` counting the SELECT statements the sandbox's store runs meanwhile, on either engine. */
const countSelects = async (fn: () => Promise<unknown>): Promise<number> => selectsIn(await storeCallsDuring(sandbox().app.deps.store, fn));

const writeCounter = () =>
  sandbox().app.deps.store.value<number>(`SELECT value FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`, ['', 'tenant_demo']);

describe('mailingcore row faults and the rows after them', () => {
  it('a later item that would repeat a forced item\'s key is not a duplicate: the forced item is not in the batch', async () => {
    await armRowErrors({ '0': 'CONTACT_CONFLICT' });
    const res = await bulk(sandbox(), { contacts: [contact('d-1'), contact('d-1', { locale: 'fr' })] });
    expect(res.body).toEqual({
      total: 2,
      created: 1,
      updated: 0,
      failed: 1,
      errors: [{ index: 0, externalId: 'd-1', email: 'd-1@example.com', message: MC_ROW_ERRORS.CONTACT_CONFLICT.message }],
    });
    expect(await storedContacts(sandbox())).toEqual([expect.objectContaining({ externalId: 'd-1', locale: 'fr' })]);
  });

  it('a later item does not see a forced item\'s contact: no conflict with it, and its own write stands', async () => {
    // Without the fault, item 1 conflicts with the contact item 0 creates (its email, another externalId).
    const unfaulted = await bulk(sandbox(), { contacts: [contact('e-1', { email: 'shared@example.com' }), contact('e-2', { email: 'shared@example.com' })] }, { key: OTHER_KEY });
    expect(unfaulted.body.errors).toEqual([{ index: 1, externalId: 'e-2', email: 'shared@example.com', message: MC_MESSAGES.emailTaken('shared@example.com') }]);

    await armRowErrors({ '0': 'DUPLICATE_KEY' });
    const res = await bulk(sandbox(), { contacts: [contact('e-1', { email: 'shared@example.com' }), contact('e-2', { email: 'shared@example.com' })] });
    expect(res.body).toEqual({
      total: 2,
      created: 1,
      updated: 0,
      failed: 1,
      errors: [{ index: 0, externalId: 'e-1', email: 'shared@example.com', message: MC_ROW_ERRORS.DUPLICATE_KEY.message }],
    });
    expect((await storedContacts(sandbox())).map((c) => c.externalId)).toEqual(['e-2']);
  });
});

describe('mailingcore bulk reads', () => {
  it('runs as many SELECTs for 50 items as for 1, creating or updating', async () => {
    const items = (n: number, prefix: string, extra = {}) => Array.from({ length: n }, (_, i) => contact(`${prefix}-${i}`, extra));
    // The first request also reads what the core caches (the secrets its redactor hides): leave it out.
    await bulk(sandbox(), { contacts: items(1, 'warm') });
    const one = await countSelects(async () => expect((await bulk(sandbox(), { contacts: items(1, 'one') })).body.created).toBe(1));
    const fifty = await countSelects(async () => expect((await bulk(sandbox(), { contacts: items(50, 'fifty') })).body.created).toBe(50));
    const updates = await countSelects(async () => expect((await bulk(sandbox(), { contacts: items(50, 'fifty', { optIn: true }) })).body.updated).toBe(50));
    expect(one).toBeGreaterThan(0);
    expect(fifty).toBe(one);
    expect(updates).toBe(one);
  });
});

describe('mailingcore write counter', () => {
  it('moves once per request that writes, and not for one that writes nothing', async () => {
    expect(await writeCounter()).toBeUndefined();
    await bulk(sandbox(), { contacts: [contact('w-1'), contact('w-2'), contact('w-3')] });
    expect(await writeCounter()).toBe(1);
    // Same data again: every item is "updated", nothing changes, nothing is written.
    expect((await bulk(sandbox(), { contacts: [contact('w-1'), contact('w-2')] })).body).toMatchObject({ updated: 2, failed: 0 });
    expect((await putContact(sandbox(), contact('w-3'))).status).toBe(200);
    expect((await bulk(sandbox(), { contacts: [contact('w-1'), contact('w-1')] })).body).toMatchObject({ failed: 1 });
    expect(await writeCounter()).toBe(1);
    await bulk(sandbox(), { contacts: [contact('w-1', { optIn: true }), contact('w-4')] });
    expect(await writeCounter()).toBe(2);
  });
});
