// Propel's store below HTTP: migrating a version-1 file database, and the identity and parent lookups after every kind of write.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexesOf as tableIndexes, integrity, migrationVersions, tempDir } from '../../../test/store-inspect.js';
import { Store } from '../../core/store.js';
import { blankContact } from './contact.js';
import type { PropelContact } from './schemas.js';
import { CONTACTS_TABLE, PROPEL_MIGRATIONS, PropelContacts } from './store.js';

const dir = tempDir('propel-store-');

const scope = { namespace: '', tenant: 't' };
const T0 = '2026-01-15T10:00:00.000Z';
const T1 = '2026-01-15T10:01:00.000Z';

const indexesOf = (store: Store) => tableIndexes(store, CONTACTS_TABLE);

const contact = (id: number, fields: Partial<PropelContact> = {}): PropelContact => ({ ...blankContact(id, T0), ...fields });
const ids = (contacts: PropelContact[]) => contacts.map((c) => c.id);

describe('propel migrations', () => {
  it('brings a version-1 file database to the latest version: the parent and identity indexes become partial, lookups still find', () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new Store(path);
    v1.migrate('propel', PROPEL_MIGRATIONS.filter((m) => m.version === 1));
    expect(indexesOf(v1).map((i) => i.name)).toEqual([`${CONTACTS_TABLE}_identity`, `${CONTACTS_TABLE}_parent`]);
    expect(indexesOf(v1).map((i) => i.sql).join()).not.toContain('WHERE');
    const old = new PropelContacts(v1);
    old.put(scope, contact(1, { sourceId: 's1', source: 'crm' }));
    old.put(scope, contact(2, { parent: { id: 1 } }));
    old.put(scope, contact(3, { parent: { id: 1 }, sourceId: 's3', source: 'crm', language: 'NL' }));
    v1.close();

    const latest = new Store(path);
    latest.migrate('propel', PROPEL_MIGRATIONS);
    expect(migrationVersions(latest, 'propel')).toEqual([1, 2]);
    const indexes = indexesOf(latest);
    expect(indexes.map((i) => i.name)).toEqual([`${CONTACTS_TABLE}_identity`, `${CONTACTS_TABLE}_parent`]);
    expect(indexes[0]!.sql).toMatch(/\(namespace, tenant, source, source_id, language\)\s+WHERE source IS NOT NULL AND source_id IS NOT NULL$/);
    expect(indexes[1]!.sql).toMatch(/\(namespace, tenant, parent_id\) WHERE parent_id IS NOT NULL$/);
    const contacts = new PropelContacts(latest);
    expect(ids(contacts.childrenOf(scope, 1))).toEqual([2, 3]);
    expect(contacts.findByIdentity(scope, { sourceId: 's3', source: 'crm', language: 'NL' })?.id).toBe(3);
    expect(contacts.findBySource(scope, 's1', 'crm')?.id).toBe(1);
    latest.migrate('propel', PROPEL_MIGRATIONS);
    expect(integrity(latest)).toEqual(['ok']);
    latest.close();
  });
});

describe('propel contact writes', () => {
  it('keeps the identity and parent lookups in step whether an update keeps them or moves them', () => {
    const store = new Store(':memory:');
    store.migrate('propel', PROPEL_MIGRATIONS);
    const contacts = new PropelContacts(store);
    contacts.put(scope, contact(1, { sourceId: 'p1', source: 'crm' }));
    contacts.put(scope, contact(2, { sourceId: 'p2', source: 'crm' }));
    contacts.put(scope, contact(10, { sourceId: 'c', source: 'crm', language: 'NL', parent: { id: 1 } }));

    // Same identity and parent: only the data changes.
    const stored = contacts.get(scope, 10)!;
    contacts.put(scope, { ...stored, firstName: 'Ann', updatedAt: T1 }, stored);
    expect(contacts.findByIdentity(scope, { sourceId: 'c', source: 'crm', language: 'NL' })).toMatchObject({ id: 10, firstName: 'Ann', updatedAt: T1 });
    expect(ids(contacts.childrenOf(scope, 1))).toEqual([10]);

    // Another parent and language.
    const renamed = contacts.get(scope, 10)!;
    contacts.put(scope, { ...renamed, language: 'FR', parent: { id: 2 }, updatedAt: T1 }, renamed);
    expect(ids(contacts.childrenOf(scope, 1))).toEqual([]);
    expect(ids(contacts.childrenOf(scope, 2))).toEqual([10]);
    expect(contacts.findByIdentity(scope, { sourceId: 'c', source: 'crm', language: 'NL' })).toBeUndefined();
    expect(contacts.findByIdentity(scope, { sourceId: 'c', source: 'crm', language: 'FR' })?.firstName).toBe('Ann');

    // No parent any more, and no identity.
    const moved = contacts.get(scope, 10)!;
    contacts.put(scope, { ...moved, parent: null, sourceId: null, source: null }, moved);
    expect(ids(contacts.childrenOf(scope, 2))).toEqual([]);
    expect(contacts.findBySource(scope, 'c', 'crm')).toBeUndefined();
    expect(integrity(store)).toEqual(['ok']);
    store.close();
  });
});
