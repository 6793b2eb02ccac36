// Propel's tables: contacts per (namespace, tenant, id) with their identity columns, and the per-tenant id sequence.
import { parseStored } from '../../core/records.js';
import type { Migration, Store } from '../../core/store.js';
import { createTenantTable, TenantTable } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { PropelContact } from './schemas.js';

export const CONTACTS_TABLE = 'propel_contacts';
export const SEQUENCE_TABLE = 'propel_contact_sequence';
/** New contacts of bulk/sourceId are numbered from here, per tenant (spec/propel.md). */
export const FIRST_CONTACT_ID = 25000;

export const PROPEL_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable({
      table: CONTACTS_TABLE,
      columns: {
        id: 'INTEGER NOT NULL',
        source_id: 'TEXT',
        source: 'TEXT',
        language: 'TEXT',
        parent_id: 'INTEGER',
        data: 'TEXT NOT NULL',
        created_at: 'TEXT NOT NULL',
        updated_at: 'TEXT NOT NULL',
      },
      primaryKey: ['id'],
    })};
    CREATE INDEX ${CONTACTS_TABLE}_identity ON ${CONTACTS_TABLE} (namespace, tenant, source, source_id, language);
    CREATE INDEX ${CONTACTS_TABLE}_parent ON ${CONTACTS_TABLE} (namespace, tenant, parent_id);
    ${createTenantTable({ table: SEQUENCE_TABLE, columns: { next_id: 'INTEGER NOT NULL' }, primaryKey: [] })};`,
  },
  {
    // Both indexes are only read for one parent or one (source, sourceId): contacts without a
    // parent or without an identity (most contacts of bulk/id) need no entry, and writing one
    // cost every insert.
    version: 2,
    sql: `DROP INDEX IF EXISTS ${CONTACTS_TABLE}_parent;
    CREATE INDEX ${CONTACTS_TABLE}_parent ON ${CONTACTS_TABLE} (namespace, tenant, parent_id) WHERE parent_id IS NOT NULL;
    DROP INDEX IF EXISTS ${CONTACTS_TABLE}_identity;
    CREATE INDEX ${CONTACTS_TABLE}_identity ON ${CONTACTS_TABLE} (namespace, tenant, source, source_id, language)
      WHERE source IS NOT NULL AND source_id IS NOT NULL;`,
  },
];

/** The (sourceId, source, language) identity; language null means "sent without one". */
export interface Identity {
  sourceId: string;
  source: string;
  language: string | null;
}

// Every statement's SQL is built once, here: `Store.statement` finds a statement by its text, and a
// per-row call must not rebuild (and rehash) a long string. The per-row statements bind
// positional parameters, which costs better-sqlite3 less than looking up named ones.
const T = CONTACTS_TABLE;
// Without ANALYZE statistics SQLite's planner prefers the primary key's (namespace, tenant) range
// to these indexes, and so reads every contact of the tenant per lookup (7 ms a row at 100,000
// contacts instead of 8 µs): INDEXED BY keeps the lookups on their index. (Both indexes are
// partial: `source = ? AND source_id = ?` and `parent_id = ?` imply their WHERE; a row-value IN
// does not, so `bySource` states it.)
const SQL = {
  findByIdentity: `SELECT data FROM ${T} INDEXED BY ${T}_identity
    WHERE namespace = ? AND tenant = ? AND source = ? AND source_id = ? AND language IS ?
    ORDER BY id LIMIT 1`,
  /** Every contact holding one of a JSON array of [source, sourceId] pairs, any language. */
  bySource: `SELECT data FROM ${T} INDEXED BY ${T}_identity
    WHERE namespace = ? AND tenant = ? AND source IS NOT NULL AND source_id IS NOT NULL
      AND (source, source_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
  childrenOf: `SELECT data FROM ${T} INDEXED BY ${T}_parent WHERE namespace = ? AND tenant = ? AND parent_id = ? ORDER BY id`,
  put: `INSERT INTO ${T} (namespace, tenant, id, source_id, source, language, parent_id, data, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, tenant, id) DO UPDATE SET source_id = excluded.source_id, source = excluded.source,
      language = excluded.language, parent_id = excluded.parent_id, data = excluded.data, updated_at = excluded.updated_at`,
  /**
   * An update that keeps the contact's identity and parent: the indexes on them are left alone
   * (SQLite rewrites the index entries of every column an UPDATE sets, changed or not).
   */
  update: `UPDATE ${T} SET data = ?, updated_at = ? WHERE namespace = ? AND tenant = ? AND id = ?`,
  delete: `DELETE FROM ${T} WHERE namespace = ? AND tenant = ? AND id = ?`,
  nextId: `SELECT next_id FROM ${SEQUENCE_TABLE} WHERE namespace = ? AND tenant = ?`,
  /** The taken ids from one on, in order: read only as far as the free ids wanted. */
  idsFrom: `SELECT id FROM ${T} WHERE namespace = ? AND tenant = ? AND id >= ? ORDER BY id`,
  setNextId: `INSERT INTO ${SEQUENCE_TABLE} (namespace, tenant, next_id) VALUES (?, ?, ?)
    ON CONFLICT (namespace, tenant) DO UPDATE SET next_id = excluded.next_id`,
} as const;

const parse = parseStored<PropelContact>;
const parseAll = (rows: ReadonlyArray<{ data: string }>): PropelContact[] => rows.map((row) => JSON.parse(row.data) as PropelContact);

export class PropelContacts {
  private readonly table: TenantTable;

  constructor(store: Store) {
    this.table = new TenantTable(store, { table: CONTACTS_TABLE, key: 'id', start: -1 });
  }

  get(scope: TenantScope, id: number): PropelContact | undefined {
    return this.table.record<PropelContact>(scope, id);
  }

  /** The stored contacts among `ids`, by id, in one query. */
  getMany(scope: TenantScope, ids: readonly number[]): Map<number, PropelContact> {
    return this.table.recordsByKey(scope, ids);
  }

  findByIdentity(scope: TenantScope, identity: Identity): PropelContact | undefined {
    return parse(this.table.value(scope, SQL.findByIdentity, identity.source, identity.sourceId, identity.language));
  }

  /** Every contact holding one of the (sourceId, source) pairs, whatever its language, in one query. */
  bySource(scope: TenantScope, pairs: ReadonlyArray<readonly [sourceId: string, source: string]>): PropelContact[] {
    if (pairs.length === 0) return [];
    return parseAll(this.table.rows(scope, SQL.bySource, JSON.stringify(pairs.map(([sourceId, source]) => [source, sourceId]))));
  }

  /** A parent named by sourceId and source: any language, the lowest id first (*decision*). */
  findBySource(scope: TenantScope, sourceId: string, source: string): PropelContact | undefined {
    return this.bySource(scope, [[sourceId, source]]).reduce<PropelContact | undefined>((low, c) => (low && low.id < c.id ? low : c), undefined);
  }

  childrenOf(scope: TenantScope, parentId: number): PropelContact[] {
    return parseAll(this.table.rows(scope, SQL.childrenOf, parentId));
  }

  /**
   * Inserts or replaces one contact, inside the caller's transaction. `stored` is the contact as
   * stored before this write when it replaces one: when the write keeps its identity and parent,
   * only the data is rewritten.
   */
  put(scope: TenantScope, contact: PropelContact, stored?: PropelContact): void {
    const data = JSON.stringify(contact);
    const parentId = contact.parent?.id ?? null;
    if (
      stored &&
      stored.id === contact.id &&
      stored.sourceId === contact.sourceId &&
      stored.source === contact.source &&
      stored.language === contact.language &&
      (stored.parent?.id ?? null) === parentId
    ) {
      // The SET values come before the scope in this statement: it is bound here, not by the table.
      const { changes } = this.table.store.statement(SQL.update).run(data, contact.updatedAt, scope.namespace, scope.tenant, contact.id);
      if (changes === 1) return;
    }
    this.table.run(scope, SQL.put, contact.id, contact.sourceId, contact.source, contact.language, parentId, data, contact.createdAt, contact.updatedAt);
  }

  delete(scope: TenantScope, id: number): boolean {
    return this.table.run(scope, SQL.delete, id) > 0;
  }

  /**
   * The next `count` free ids of the tenant's sequence, in order, in two queries. Ids a client
   * chose through bulk/id are skipped, so the sequence never hands out an id that is taken.
   */
  freeIds(scope: TenantScope, count: number): number[] {
    const free: number[] = [];
    if (count === 0) return free;
    let next = (this.table.value(scope, SQL.nextId) as number | undefined) ?? FIRST_CONTACT_ID;
    // One statement, read lazily: it stops at the last taken id below the free ids wanted.
    for (const taken of this.table.store.statement(SQL.idsFrom).pluck().iterate(scope.namespace, scope.tenant, next) as IterableIterator<number>) {
      while (next < taken && free.length < count) free.push(next++);
      if (free.length === count) break;
      next = taken + 1;
    }
    while (free.length < count) free.push(next++);
    return free;
  }

  /** Where the tenant's sequence goes on after the ids handed out. */
  setNextId(scope: TenantScope, nextId: number): void {
    this.table.run(scope, SQL.setNextId, nextId);
  }

  /** Contacts in (tenant, id) order, for the control API. */
  list(filter: RecordFilter): RecordPage {
    return this.table.list(filter);
  }
}
