// Propel's store below HTTP: migrating a version-1 file database, the identity and parent lookups after every kind of write, and the sequence's free ids.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexesOf as tableIndexes, integrity, migrationVersions, tempDir } from '../../../test/store-inspect.js';
import { SqliteStore } from '../../core/sqlite-store.js';
import { blankContact } from './contact.js';
import type { PropelContact } from './schemas.js';
import { CONTACTS_TABLE, FIRST_CONTACT_ID, PROPEL_MIGRATIONS, PropelContacts } from './store.js';

const dir = tempDir('propel-store-');

const scope = { namespace: '', tenant: 't' };
const T0 = '2026-01-15T10:00:00.000Z';
const T1 = '2026-01-15T10:01:00.000Z';

const indexesOf = (store: SqliteStore) => tableIndexes(store, CONTACTS_TABLE);

const contact = (id: number, fields: Partial<PropelContact> = {}): PropelContact => ({ ...blankContact(id, T0), ...fields });
const ids = (contacts: PropelContact[]) => contacts.map((c) => c.id);

describe('propel migrations', () => {
  it('brings a version-1 file database to the latest version: the parent and identity indexes become partial, lookups still find', async () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new SqliteStore(path);
    await v1.migrate('propel', PROPEL_MIGRATIONS.filter((m) => m.version === 1));
    expect(indexesOf(v1).map((i) => i.name)).toEqual([`${CONTACTS_TABLE}_identity`, `${CONTACTS_TABLE}_parent`]);
    expect(indexesOf(v1).map((i) => i.sql).join()).not.toContain('WHERE');
    const old = new PropelContacts(v1);
    await old.put(scope, contact(1, { sourceId: 1, source: 'crm' }));
    await old.put(scope, contact(2, { parent: { id: 1 } }));
    await old.put(scope, contact(3, { parent: { id: 1 }, sourceId: 3, source: 'crm', language: 'NL' }));
    await v1.close();

    const latest = new SqliteStore(path);
    await latest.migrate('propel', PROPEL_MIGRATIONS);
    expect(migrationVersions(latest, 'propel')).toEqual([1, 2, 3, 4]);
    const indexes = indexesOf(latest);
    expect(indexes.map((i) => i.name)).toEqual([`${CONTACTS_TABLE}_identity`, `${CONTACTS_TABLE}_parent`]);
    expect(indexes[0]!.sql).toMatch(/\(namespace, tenant, source, source_id, language\)\s+WHERE source IS NOT NULL AND source_id IS NOT NULL$/);
    expect(indexes[1]!.sql).toMatch(/\(namespace, tenant, parent_id\) WHERE parent_id IS NOT NULL$/);
    const contacts = new PropelContacts(latest);
    expect(ids(await contacts.childrenOf(scope, 1))).toEqual([2, 3]);
    expect((await contacts.findByIdentity(scope, { sourceId: 3, source: 'crm', language: 'NL' }))?.id).toBe(3);
    expect((await contacts.findBySource(scope, 1, 'crm'))?.id).toBe(1);
    await latest.migrate('propel', PROPEL_MIGRATIONS);
    expect(integrity(latest)).toEqual(['ok']);
    await latest.close();
  });
});

describe('propel contact writes', () => {
  it('keeps the identity and parent lookups in step whether an update keeps them or moves them', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate('propel', PROPEL_MIGRATIONS);
    const contacts = new PropelContacts(store);
    await contacts.put(scope, contact(1, { sourceId: 11, source: 'crm' }));
    await contacts.put(scope, contact(2, { sourceId: 12, source: 'crm' }));
    await contacts.put(scope, contact(10, { sourceId: 20, source: 'crm', language: 'NL', parent: { id: 1 } }));

    // Same identity and parent: only the data changes.
    const stored = (await contacts.get(scope, 10))!;
    await contacts.put(scope, { ...stored, firstName: 'Ann', updatedAt: T1 }, stored);
    expect(await contacts.findByIdentity(scope, { sourceId: 20, source: 'crm', language: 'NL' })).toMatchObject({ id: 10, firstName: 'Ann', updatedAt: T1 });
    expect(ids(await contacts.childrenOf(scope, 1))).toEqual([10]);

    // Another parent and language.
    const renamed = (await contacts.get(scope, 10))!;
    await contacts.put(scope, { ...renamed, language: 'FR', parent: { id: 2 }, updatedAt: T1 }, renamed);
    expect(ids(await contacts.childrenOf(scope, 1))).toEqual([]);
    expect(ids(await contacts.childrenOf(scope, 2))).toEqual([10]);
    expect(await contacts.findByIdentity(scope, { sourceId: 20, source: 'crm', language: 'NL' })).toBeUndefined();
    expect((await contacts.findByIdentity(scope, { sourceId: 20, source: 'crm', language: 'FR' }))?.firstName).toBe('Ann');

    // No parent any more, and no identity.
    const moved = (await contacts.get(scope, 10))!;
    await contacts.put(scope, { ...moved, parent: null, sourceId: null, source: null }, moved);
    expect(ids(await contacts.childrenOf(scope, 2))).toEqual([]);
    expect(await contacts.findBySource(scope, 20, 'crm')).toBeUndefined();
    expect(integrity(store)).toEqual(['ok']);
    await store.close();
  });

  it('writes a batch mixing data-only updates, moved identities and new contacts, each stored whole', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate('propel', PROPEL_MIGRATIONS);
    const contacts = new PropelContacts(store);
    await contacts.write(scope, [
      { contact: contact(1, { sourceId: 1, source: 'crm' }), stored: undefined },
      { contact: contact(2, { sourceId: 2, source: 'crm', parent: { id: 1 } }), stored: undefined },
    ]);
    const [one, two] = [(await contacts.get(scope, 1))!, (await contacts.get(scope, 2))!];
    const written = [
      // Keeps identity and parent: data and updatedAt only.
      { contact: { ...two, firstName: 'Two', updatedAt: T1 }, stored: two },
      // Moves its identity.
      { contact: { ...one, language: 'NL', updatedAt: T1 }, stored: one },
      // New, and "stored" names a contact that is not (yet) there: it is written whole.
      { contact: contact(3, { sourceId: 3, source: 'crm', parent: { id: 2 } }), stored: contact(3, { sourceId: 3, source: 'crm', parent: { id: 2 } }) },
    ];
    await contacts.write(scope, written);
    expect(await contacts.getMany(scope, [1, 2, 3])).toEqual(new Map(written.map((w) => [w.contact.id, w.contact])));
    expect((await contacts.findByIdentity(scope, { sourceId: 1, source: 'crm', language: 'NL' }))?.id).toBe(1);
    expect(await contacts.findByIdentity(scope, { sourceId: 1, source: 'crm', language: null })).toBeUndefined();
    expect((await contacts.findByIdentity(scope, { sourceId: 2, source: 'crm', language: null }))?.firstName).toBe('Two');
    expect(ids(await contacts.childrenOf(scope, 1))).toEqual([2]);
    expect(ids(await contacts.childrenOf(scope, 2))).toEqual([3]);
    expect(store.db.prepare(`SELECT id, created_at, updated_at FROM ${CONTACTS_TABLE} ORDER BY id`).all()).toEqual([
      { id: 1, created_at: T0, updated_at: T1 },
      { id: 2, created_at: T0, updated_at: T1 },
      { id: 3, created_at: T0, updated_at: T0 },
    ]);
    expect(integrity(store)).toEqual(['ok']);
    await store.close();
  });
});

describe('propel id sequence', () => {
  it('skips taken ids across more than one read of them, and hands out the same ids as a one-by-one walk', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate('propel', PROPEL_MIGRATIONS);
    const contacts = new PropelContacts(store);
    // 2,500 taken ids from the sequence's start, with a gap after every 700th: three reads of them at least.
    const taken = Array.from({ length: 2500 }, (_, i) => FIRST_CONTACT_ID + i + Math.floor(i / 700));
    await contacts.write(scope, taken.map((id) => ({ contact: contact(id), stored: undefined })));
    const takenSet = new Set(taken);
    const walk = (from: number, count: number) => {
      const free: number[] = [];
      for (let id = from; free.length < count; id++) if (!takenSet.has(id)) free.push(id);
      return free;
    };
    for (const count of [0, 1, 3, 4, 1000]) expect(await contacts.freeIds(scope, count)).toEqual(walk(FIRST_CONTACT_ID, count));
    await contacts.setNextId(scope, FIRST_CONTACT_ID + 701);
    expect(await contacts.freeIds(scope, 3)).toEqual(walk(FIRST_CONTACT_ID + 701, 3));
    await store.close();
  });
});
