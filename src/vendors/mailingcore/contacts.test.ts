// MailingCore happy paths through HTTP: bulk import and re-import, upsert keys, conflicts, PUT, reads, PATCH, DELETE, seeding.
import { describe, expect, it } from 'vitest';
import { advanceClock, T0_ISO, useSandbox } from '../../../test/helpers.js';
import {
  bulk,
  contact,
  deleteContact,
  getContact,
  patchContact,
  putContact,
  storedContacts,
} from './mailingcore.client.js';
import { MC_MESSAGES, MC_ROW_ERRORS } from './errors.js';
import { BULK_EXAMPLE } from './routes.js';
import { MAILINGCORE_MIGRATIONS, MailingCoreStore } from './store.js';
import { mailingcoreBulkEngine, mailingcoreBulkResponse } from './upsert.js';
import { runBulk } from '../../core/bulk.js';
import { SqliteStore } from '../../core/sqlite-store.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const T1_ISO = '2026-01-15T10:01:00.000Z';
const ID = expect.stringMatching(/^cl[0-9a-f]{24}$/);

describe('mailingcore bulk import', () => {
  it("creates the vendor example's two contacts, and re-sending it updates them", async () => {
    const first = await bulk(sandbox(), BULK_EXAMPLE);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ total: 2, created: 2, updated: 0, failed: 0, errors: [] });
    const stored = await storedContacts(sandbox());
    expect(stored).toHaveLength(2);
    const alice = stored.find((c) => c.externalId === 'crm-1');
    expect(alice).toEqual({
      id: ID,
      email: 'alice@example.com',
      externalId: 'crm-1',
      locale: 'en',
      optIn: true,
      attributes: { firstName: 'Alice' },
      consentVersion: null,
      source: null,
      projectId: null,
      createdAt: T0_ISO,
      updatedAt: T0_ISO,
    });
    expect(stored.find((c) => c.externalId === 'crm-2')).toMatchObject({ email: 'bob@example.com', locale: 'es', optIn: true, attributes: {} });

    await advanceClock(sandbox(), 60_000);
    const again = await bulk(sandbox(), BULK_EXAMPLE);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ total: 2, created: 0, updated: 2, failed: 0, errors: [] });
    // Same data: same rows, same ids, and updatedAt does not move for a change that changes nothing.
    expect(await storedContacts(sandbox())).toEqual(stored);
  });

  it('replaces the fields sent, keeps the others, replaces attributes whole, and moves updatedAt', async () => {
    await bulk(sandbox(), { contacts: [contact('crm-1', { locale: 'en', optIn: true, attributes: { a: 1, b: 2 }, source: 'crm', consentVersion: 'v1' })] });
    await advanceClock(sandbox(), 60_000);
    const res = await bulk(sandbox(), { contacts: [contact('crm-1', { email: 'NEW@Example.com', optIn: false, attributes: { c: 3 }, locale: null })] });
    expect(res.body).toEqual({ total: 1, created: 0, updated: 1, failed: 0, errors: [] });
    const got = await getContact(sandbox(), 'crm-1');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      email: 'NEW@Example.com',
      externalId: 'crm-1',
      locale: null,
      optIn: false,
      attributes: { c: 3 },
      source: 'crm',
      consentVersion: 'v1',
      createdAt: T0_ISO,
      updatedAt: T1_ISO,
    });
  });

  it('upserts by email when externalId is absent, comparing emails case-insensitively', async () => {
    const created = await bulk(sandbox(), { contacts: [{ email: 'Ann@Example.com', locale: 'fr' }] });
    expect(created.body).toMatchObject({ created: 1, updated: 0 });
    const [before] = await storedContacts(sandbox());
    const res = await bulk(sandbox(), { contacts: [{ email: 'ann@example.COM', optIn: true }] });
    expect(res.body).toEqual({ total: 1, created: 0, updated: 1, failed: 0, errors: [] });
    const after = await storedContacts(sandbox());
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before.id, email: 'ann@example.COM', externalId: null, locale: 'fr', optIn: true });
  });

  it('gives an email-keyed contact the externalId of a later item with the same email', async () => {
    await bulk(sandbox(), { contacts: [{ email: 'ann@example.com' }] });
    const res = await bulk(sandbox(), { contacts: [{ email: 'ann@example.com', externalId: 'crm-9' }] });
    expect(res.body).toMatchObject({ created: 0, updated: 1, failed: 0 });
    expect(await storedContacts(sandbox())).toEqual([expect.objectContaining({ email: 'ann@example.com', externalId: 'crm-9' })]);
  });

  it('fails conflicting and repeated items alone, writes the rest, and says which', async () => {
    await bulk(sandbox(), { contacts: [contact('crm-1', { email: 'a@example.com' }), contact('crm-2', { email: 'b@example.com' })] });
    const before = await storedContacts(sandbox());
    const res = await bulk(sandbox(), {
      contacts: [
        contact('crm-1', { email: 'b@example.com' }), // crm-1 is A, b@ is B
        contact('crm-3', { email: 'A@example.com' }), // a@ is A, which has another externalId
        contact('crm-4', { email: 'd@example.com', locale: 'de' }),
        contact('crm-4', { email: 'e@example.com' }), // same upsert key as the item before
        { email: 'f@example.com' },
        { email: 'F@example.com', optIn: true }, // same email key
        contact('crm-2', { email: 'b@example.com', locale: 'it' }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 7,
      created: 2,
      updated: 1,
      failed: 4,
      errors: [
        { index: 0, externalId: 'crm-1', email: 'b@example.com', message: MC_MESSAGES.externalIdTaken('crm-1') },
        { index: 1, externalId: 'crm-3', email: 'A@example.com', message: MC_MESSAGES.emailTaken('A@example.com') },
        { index: 3, externalId: 'crm-4', email: 'e@example.com', message: MC_MESSAGES.duplicateKey('externalId', 'crm-4') },
        { index: 5, externalId: null, email: 'F@example.com', message: MC_MESSAGES.duplicateKey('email', 'F@example.com') },
      ],
    });
    const after = await storedContacts(sandbox());
    expect(after).toHaveLength(4);
    expect(after.find((c) => c.externalId === 'crm-1')).toEqual(before.find((c) => c.externalId === 'crm-1'));
    expect(after.find((c) => c.externalId === 'crm-2')).toMatchObject({ email: 'b@example.com', locale: 'it' });
    expect(after.find((c) => c.externalId === 'crm-4')).toMatchObject({ email: 'd@example.com', locale: 'de' });
    expect(after.find((c) => c.email === 'f@example.com')).toMatchObject({ externalId: null, optIn: false });
    expect(after.some((c) => c.externalId === 'crm-3' || c.email === 'e@example.com')).toBe(false);
  });

  it('honours row faults: the chosen rows fail with the row error, the others are written', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate('mailingcore', MAILINGCORE_MIGRATIONS);
    const contacts = new MailingCoreStore(store);
    const scope = { namespace: '', tenant: 't' };
    let n = 0;
    const engine = mailingcoreBulkEngine(contacts, () => `cl${String(n++).padStart(24, '0')}`);
    const items = [contact('x-1'), contact('x-2'), contact('x-3')];
    const rows = items.map((row, index) => ({ index, row }));
    const outcomes = await runBulk(store, engine, rows, { scope, parsed: { rows: items }, dryRun: false, now: Date.parse(T0_ISO) }, new Map([[1, 'CONTACT_CONFLICT' as const]]));
    expect(mailingcoreBulkResponse(outcomes.map((o) => o.element))).toEqual({
      total: 3,
      created: 2,
      updated: 0,
      failed: 1,
      errors: [{ index: 1, externalId: 'x-2', email: 'x-2@example.com', message: MC_ROW_ERRORS.CONTACT_CONFLICT.message }],
    });
    expect(outcomes.flatMap((o) => (o.ok ? [] : [o.code]))).toEqual(['CONTACT_CONFLICT']);
    expect(await contacts.byExternalId(scope, 'x-2')).toBeUndefined();
    expect(await contacts.count(scope)).toBe(2);
    await store.close();
  });
});

describe('mailingcore single-contact endpoints', () => {
  it('PUT creates then updates one contact, and answers a conflict with 409 writing nothing', async () => {
    const created = await putContact(sandbox(), contact('crm-1', { locale: 'ca' }));
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: ID,
      email: 'crm-1@example.com',
      externalId: 'crm-1',
      locale: 'ca',
      optIn: false,
      attributes: {},
      consentVersion: null,
      source: null,
      projectId: null,
      createdAt: T0_ISO,
      updatedAt: T0_ISO,
    });
    await advanceClock(sandbox(), 60_000);
    const updated = await putContact(sandbox(), contact('crm-1', { projectId: 'p1' }));
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, locale: 'ca', projectId: 'p1', updatedAt: T1_ISO });

    await putContact(sandbox(), contact('crm-2'));
    const before = await storedContacts(sandbox());
    const conflict = await putContact(sandbox(), contact('crm-1', { email: 'crm-2@example.com' }));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ statusCode: 409, message: MC_MESSAGES.externalIdTaken('crm-1'), path: '/contacts', timestamp: T1_ISO });
    expect(await storedContacts(sandbox())).toEqual(before);
  });

  it('GET finds a contact by id or by externalId, and 404s otherwise', async () => {
    const { body } = await putContact(sandbox(), contact('crm-1'));
    expect((await getContact(sandbox(), body.id)).body).toEqual(body);
    expect((await getContact(sandbox(), 'crm-1')).body).toEqual(body);
    const missing = await getContact(sandbox(), 'nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ statusCode: 404, message: MC_MESSAGES.contactNotFound, path: '/contacts/nope', timestamp: T0_ISO });
  });

  it('PATCH changes fields by id, clears with null, and 409s on another contact\'s email or externalId', async () => {
    const a = (await putContact(sandbox(), contact('crm-1', { locale: 'en', attributes: { x: 1 } }))).body;
    await putContact(sandbox(), contact('crm-2'));
    await advanceClock(sandbox(), 60_000);
    const res = await patchContact(sandbox(), a.id, { locale: null, attributes: { y: 2 }, externalId: 'crm-1b' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...a, locale: null, attributes: { y: 2 }, externalId: 'crm-1b', updatedAt: T1_ISO });
    expect((await getContact(sandbox(), 'crm-1')).status).toBe(404);

    const byEmail = await patchContact(sandbox(), a.id, { email: 'CRM-2@example.com' });
    expect(byEmail.status).toBe(409);
    expect(byEmail.body.message).toBe(MC_MESSAGES.emailTaken('CRM-2@example.com'));
    const byExternalId = await patchContact(sandbox(), a.id, { externalId: 'crm-2' });
    expect(byExternalId.status).toBe(409);
    expect(byExternalId.body.message).toBe(MC_MESSAGES.externalIdTaken('crm-2'));
    expect((await getContact(sandbox(), a.id)).body).toEqual(res.body);

    // PATCH is by id only: an externalId is not found.
    expect((await patchContact(sandbox(), 'crm-2', { optIn: true })).status).toBe(404);
  });

  it('DELETE removes a contact by externalId', async () => {
    await putContact(sandbox(), contact('crm-1'));
    const res = await deleteContact(sandbox(), 'crm-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: true, externalId: 'crm-1' });
    expect(await storedContacts(sandbox())).toEqual([]);
    const again = await deleteContact(sandbox(), 'crm-1');
    expect(again.status).toBe(404);
    expect(again.body.message).toBe(MC_MESSAGES.contactNotFound);
  });
});

describe('mailingcore fixtures (seedRecords / listRecords)', () => {
  it('loads valid fixtures with the bulk rules', async () => {
    const instance = sandbox().app.instances.mailingcore!;
    // Fixtures load inside the core's seed transaction.
    const result = await sandbox().app.deps.store.transaction((tx) => instance.seedRecords({ namespace: '', tenant: 'tenant_demo', tx }, [contact('s-1'), { email: 's2@example.com' }]));
    expect(result).toEqual({ loaded: 2, issues: [] });
    const page = await instance.listRecords({ namespace: '', tenant: 'tenant_demo', limit: 1 });
    expect(page.records).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const rest = await instance.listRecords({ namespace: '', tenant: 'tenant_demo', limit: 1, cursor: page.nextCursor! });
    expect(rest.nextCursor).toBeNull();
    expect([...page.records, ...rest.records].map((r: any) => r.email).sort()).toEqual(['s-1@example.com', 's2@example.com']);
  });

  it('reports invalid or conflicting fixtures, and the seed that carries them writes none of them', async () => {
    const instance = sandbox().app.instances.mailingcore!;
    const scope = { namespace: '', tenant: 'tenant_demo' };
    // Inside the core's seed transaction (which rolls back on any issue); run alone, the valid one stays.
    expect(await sandbox().app.deps.store.transaction((tx) => instance.seedRecords({ ...scope, tx }, [contact('s-1'), { email: 'not-an-email' }]))).toEqual({ loaded: 0, issues: [MC_MESSAGES.email('contacts.1.email')] });
    expect(await sandbox().app.deps.store.transaction((tx) => instance.seedRecords({ ...scope, tx }, [contact('s-2'), contact('s-2')]))).toEqual({
      loaded: 1,
      issues: [`contacts.1: ${MC_MESSAGES.duplicateKey('externalId', 's-2')}`],
    });
    const seed = await sandbox().fetch('/_sandbox/seed', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mailingcore: { records: { tenant_demo: [contact('s-3'), contact('s-3')] } } }),
    });
    expect(seed.status).toBe(400);
    expect((await storedContacts(sandbox())).map((c: { externalId: string }) => c.externalId)).toEqual(['s-2']);
  });
});
