// MailingCore's store below HTTP: migrating a version-1 file database, and the indexes staying in step with every kind of write.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexNames, integrity, migrationVersions, tempDir } from '../../../test/store-inspect.js';
import { runBulk } from '../../core/bulk.js';
import { SqliteStore } from '../../core/sqlite-store.js';
import type { MailingCoreContact, MailingCoreContactInput } from './schemas.js';
import { CONTACTS_TABLE, MAILINGCORE_MIGRATIONS, MailingCoreStore } from './store.js';
import { mailingcoreBulkEngine, mailingcoreBulkResponse } from './upsert.js';

const dir = tempDir('mailingcore-store-');

const scope = { namespace: '', tenant: 't' };
const T0 = '2026-01-15T10:00:00.000Z';
const T1 = '2026-01-15T10:01:00.000Z';

function contact(id: string, fields: Partial<MailingCoreContact> = {}): MailingCoreContact {
  return {
    id,
    email: `${id}@example.com`,
    externalId: `crm-${id}`,
    locale: 'en',
    optIn: true,
    attributes: {},
    consentVersion: null,
    source: null,
    projectId: null,
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  };
}

describe('mailingcore migrations', () => {
  it('brings a version-1 file database to the latest version: the locale index goes, the contacts stay', async () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new SqliteStore(path);
    await v1.migrate('mailingcore', MAILINGCORE_MIGRATIONS.filter((m) => m.version === 1));
    expect(indexNames(v1, CONTACTS_TABLE)).toEqual([
      `${CONTACTS_TABLE}_email`,
      `${CONTACTS_TABLE}_external_id`,
      `${CONTACTS_TABLE}_locale`,
      `${CONTACTS_TABLE}_updated`,
    ]);
    const old = new MailingCoreStore(v1);
    await old.put(scope, [{ contact: contact('cl1') }, { contact: contact('cl2', { locale: 'es', externalId: null }) }], 1);
    await v1.close();

    const latest = new SqliteStore(path);
    await latest.migrate('mailingcore', MAILINGCORE_MIGRATIONS);
    expect(migrationVersions(latest, 'mailingcore')).toEqual([1, 2, 3, 4]);
    expect(indexNames(latest, CONTACTS_TABLE)).toEqual([`${CONTACTS_TABLE}_email`, `${CONTACTS_TABLE}_external_id`, `${CONTACTS_TABLE}_updated`]);
    const contacts = new MailingCoreStore(latest);
    expect((await contacts.byExternalId(scope, 'crm-cl1'))?.id).toBe('cl1');
    expect((await contacts.related(scope, { emails: ['CL2@example.com'] })).map((c) => c.id)).toEqual(['cl2']);
    expect(await contacts.countByLocale(scope, {}, () => true)).toEqual(new Map([['en', 1], ['es', 1]]));
    expect((await contacts.page(scope, { locale: 'es' }, 10, { asOfSeq: 1, afterUpdatedAt: '', afterId: '', page: 1 }, 0)).contacts.map((c) => c.id)).toEqual(['cl2']);
    // Migrating again is a no-op.
    await latest.migrate('mailingcore', MAILINGCORE_MIGRATIONS);
    expect(migrationVersions(latest, 'mailingcore')).toEqual([1, 2, 3, 4]);
    expect(integrity(latest)).toEqual(['ok']);
    await latest.close();
  });
});

describe('mailingcore contact writes', () => {
  it('keeps every lookup in step whether an update keeps the keys or moves them', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate('mailingcore', MAILINGCORE_MIGRATIONS);
    const contacts = new MailingCoreStore(store);
    let n = 0;
    const engine = mailingcoreBulkEngine(contacts, () => `cl${String(n++).padStart(24, '0')}`);
    const write = async (now: string, items: MailingCoreContactInput[]) => {
      const rows = items.map((row, index) => ({ index, row }));
      return mailingcoreBulkResponse((await runBulk(store, engine, rows, { scope, parsed: { rows: items }, dryRun: false, now: Date.parse(now) })).map((o) => o.element));
    };

    expect(await write(T0, [{ email: 'a@example.com', externalId: 'x-a', locale: 'en' }, { email: 'b@example.com' }])).toMatchObject({ created: 2, failed: 0 });
    // a keeps its keys (locale and opt-in change); b takes an externalId; both change email case or address.
    expect(
      await write(T1, [
        { email: 'A@example.com', externalId: 'x-a', locale: 'fr', optIn: true },
        { email: 'b@example.com', externalId: 'x-b' },
      ]),
    ).toMatchObject({ created: 0, updated: 2, failed: 0 });
    expect(await write(T1, [{ email: 'a2@example.com', externalId: 'x-a' }])).toMatchObject({ updated: 1, failed: 0 });

    expect(await contacts.related(scope, { emails: ['a@example.com'] })).toEqual([]);
    expect(await contacts.related(scope, { emails: ['A2@example.com'] })).toEqual([expect.objectContaining({ externalId: 'x-a', locale: 'fr', optIn: true, updatedAt: T1 })]);
    expect(await contacts.byExternalId(scope, 'x-b')).toMatchObject({ email: 'b@example.com', updatedAt: T1 });
    expect(await contacts.countByLocale(scope, { optIn: true }, () => true)).toEqual(new Map([['fr', 1]]));
    const since = await contacts.page(scope, { updatedSince: T1 }, 10, { asOfSeq: await contacts.currentSeq(scope), afterUpdatedAt: '', afterId: '', page: 1 }, 0);
    expect(since.contacts.map((c) => c.externalId).sort()).toEqual(['x-a', 'x-b']);
    expect(integrity(store)).toEqual(['ok']);
    await store.close();
  });
});
