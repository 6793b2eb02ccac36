// Propel's tables: contacts per (namespace, tenant, id) with their identity columns, and the per-tenant id sequence.
import { parseStored } from '../../core/records.js';
import { roomForUpdates, type Awaitable, type Migration, type Store } from '../../core/store.js';
import { createTenantTable, TenantTable, type TenantTableSchema } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import { contactBody } from './contact.js';
import type { PropelContact } from './schemas.js';
import type { ContactWrite } from './view.js';

export const CONTACTS_TABLE = 'propel_contacts';
export const SEQUENCE_TABLE = 'propel_contact_sequence';
/** New contacts of bulk/sourceId are numbered from here, per tenant (spec/propel.md). */
export const FIRST_CONTACT_ID = 25000;

/** The contacts table as migration 1 creates it (migration 2 only redefines its indexes). */
const CONTACTS_SCHEMA: TenantTableSchema = {
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
};
const SEQUENCE_SCHEMA: TenantTableSchema = { table: SEQUENCE_TABLE, columns: { next_id: 'INTEGER NOT NULL' }, primaryKey: [] };

/** SQL both engines speak: `source_id` holds the digits of a sourceId the bodies accept (1 to 2^53 - 1, no leading zero). */
const SOURCE_ID_DIGITS = `source_id <> '' AND LTRIM(source_id, '0123456789') = '' AND SUBSTR(source_id, 1, 1) <> '0'
  AND (LENGTH(source_id) < 16 OR (LENGTH(source_id) = 16 AND source_id <= '${Number.MAX_SAFE_INTEGER}'))`;
/** SQL both engines speak: `source_id` as JSON.stringify wrote it into `data` (quotes and backslashes escaped). */
const JSON_QUOTED_SOURCE_ID = `('"' || REPLACE(REPLACE(source_id, '\\', '\\\\'), '"', '\\"') || '"')`;

export const PROPEL_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable(CONTACTS_SCHEMA)};
    CREATE INDEX ${CONTACTS_TABLE}_identity ON ${CONTACTS_TABLE} (namespace, tenant, source, source_id, language);
    CREATE INDEX ${CONTACTS_TABLE}_parent ON ${CONTACTS_TABLE} (namespace, tenant, parent_id);
    ${createTenantTable(SEQUENCE_SCHEMA)};`,
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
  {
    // sourceId is a number (both vendor pages type it so). The column stays text and holds its
    // digits, so the identity index serves as it did. A contact stored with a string sourceId
    // that is such a number's digits (1 to 2^53 - 1, no leading zero) gets the number in its data;
    // any other string (`ERP-1`) is no sourceId Propel could hold: the contact keeps everything
    // else (its source too) and loses it, in its data and in the column. Both rewrite the JSON
    // text in place, so its keys keep their order; updatedAt stays (no client changed anything).
    version: 3,
    sql: `UPDATE ${CONTACTS_TABLE}
      SET data = REPLACE(REPLACE(data, ',"sourceId":"' || source_id || '"', ',"sourceId":' || source_id), '{"sourceId":"' || source_id || '"', '{"sourceId":' || source_id)
      WHERE source_id IS NOT NULL AND (${SOURCE_ID_DIGITS});
    UPDATE ${CONTACTS_TABLE}
      SET data = REPLACE(REPLACE(data, ',"sourceId":' || ${JSON_QUOTED_SOURCE_ID}, ',"sourceId":null'), '{"sourceId":' || ${JSON_QUOTED_SOURCE_ID}, '{"sourceId":null'),
        source_id = NULL
      WHERE source_id IS NOT NULL AND NOT (${SOURCE_ID_DIGITS});`,
  },
  roomForUpdates(4, CONTACTS_TABLE),
];

/** The (sourceId, source, language) identity; language null means "sent without one". */
export interface Identity {
  sourceId: number;
  source: string;
  language: string | null;
}

const T = CONTACTS_TABLE;
/**
 * A sourceId (a number since migration 3) as the `source_id` column holds it: its decimal digits.
 * The column stays text, so the identity index and contacts stored before are read as they were.
 */
const sourceIdColumn = (sourceId: number): string => String(sourceId);
/** Every column a contact write stores, after namespace and tenant. */
const WRITE_COLUMNS = ['id', 'source_id', 'source', 'language', 'parent_id', 'data', 'created_at', 'updated_at'] as const;
/** What a write that moves a contact's identity or parent overwrites (`created_at` stays). */
const UPDATE_ALL = { keys: ['id'], update: ['source_id', 'source', 'language', 'parent_id', 'data', 'updated_at'] } as const;
/**
 * What a write that keeps the contact's identity and parent overwrites: the indexes on them are
 * left alone (SQLite rewrites the index entries of every column an UPDATE sets, changed or not,
 * and an upsert's DO UPDATE is an UPDATE). The row still carries every column, so that it is
 * stored whole should it be missing.
 */
const UPDATE_DATA = { keys: ['id'], update: ['data', 'updated_at'] } as const;
/** How many taken ids the first read for free ids asks for (each further read asks for twice as many): as many as a request's rows at most. */
const ID_CHUNK = 1000;

/**
 * Every statement's SQL, built once per store (what the engines spell differently comes from
 * `store.sql`): statements are cached by their text, and a call must not rebuild (and rehash) a
 * long string. Without ANALYZE statistics SQLite's planner prefers the primary key's
 * (namespace, tenant) range to the identity and parent indexes, and so reads every contact of the
 * tenant per lookup (7 ms a row at 100,000 contacts instead of 8 µs): `indexedBy` keeps the
 * lookups on their index there (PostgreSQL's planner has statistics and takes no hint). Both
 * indexes are partial: `source = ? AND source_id = ?` and `parent_id = ?` imply their WHERE; a
 * row-value IN does not, so `bySource` states it.
 */
function contactStatements(store: Store) {
  const { sql } = store;
  return {
    findByIdentity: `SELECT data FROM ${T}${sql.indexedBy(`${T}_identity`)}
      WHERE namespace = ? AND tenant = ? AND source = ? AND source_id = ? AND language IS NOT DISTINCT FROM ?
      ORDER BY id LIMIT 1`,
    /** Every contact holding one of a JSON array of [source, sourceId] pairs, any language. */
    bySource: `SELECT data FROM ${T}${sql.indexedBy(`${T}_identity`)}
      WHERE namespace = ? AND tenant = ? AND source IS NOT NULL AND source_id IS NOT NULL
        AND ${sql.inKeyTuples([
          ['source', 'text'],
          ['source_id', 'text'],
        ])}`,
    childrenOf: `SELECT data FROM ${T}${sql.indexedBy(`${T}_parent`)} WHERE namespace = ? AND tenant = ? AND parent_id = ? ORDER BY id`,
    delete: `DELETE FROM ${T} WHERE namespace = ? AND tenant = ? AND id = ?`,
    nextId: `SELECT next_id FROM ${SEQUENCE_TABLE} WHERE namespace = ? AND tenant = ?`,
    /** The taken ids from one on, in order, a chunk at a time: read only as far as the free ids wanted. */
    idsFrom: `SELECT id FROM ${T} WHERE namespace = ? AND tenant = ? AND id >= ? ORDER BY id LIMIT ?`,
    setNextId: `INSERT INTO ${SEQUENCE_TABLE} (namespace, tenant, next_id) VALUES (?, ?, ?)
      ON CONFLICT (namespace, tenant) DO UPDATE SET next_id = excluded.next_id`,
  } as const;
}

const parse = parseStored<PropelContact>;
const parseAll = (rows: ReadonlyArray<{ data: string }>): PropelContact[] => rows.map((row) => JSON.parse(row.data) as PropelContact);

/** Whether a write of `contact` over `stored` keeps the identity and parent columns as they are. */
const keepsIndexedColumns = (contact: PropelContact, stored: PropelContact | undefined): boolean =>
  stored !== undefined &&
  stored.id === contact.id &&
  stored.sourceId === contact.sourceId &&
  stored.source === contact.source &&
  stored.language === contact.language &&
  (stored.parent?.id ?? null) === (contact.parent?.id ?? null);

const rowOf = (contact: PropelContact): unknown[] => [
  contact.id,
  contact.sourceId === null ? null : sourceIdColumn(contact.sourceId),
  contact.source,
  contact.language,
  contact.parent?.id ?? null,
  JSON.stringify(contact),
  contact.createdAt,
  contact.updatedAt,
];

export class PropelContacts {
  private readonly table: TenantTable;
  private readonly sql: ReturnType<typeof contactStatements>;

  constructor(store: Store) {
    this.table = new TenantTable(store, { schema: CONTACTS_SCHEMA, key: 'id', start: -1 });
    this.sql = contactStatements(store);
  }

  get(scope: TenantScope, id: number): Awaitable<PropelContact | undefined> {
    return this.table.record<PropelContact>(scope, id);
  }

  /** The stored contacts among `ids`, by id, in one query. */
  getMany(scope: TenantScope, ids: readonly number[]): Awaitable<Map<number, PropelContact>> {
    return this.table.recordsByKey(scope, ids);
  }

  async findByIdentity(scope: TenantScope, identity: Identity): Promise<PropelContact | undefined> {
    return parse(await this.table.value(scope, this.sql.findByIdentity, identity.source, sourceIdColumn(identity.sourceId), identity.language));
  }

  /** Every contact holding one of the (sourceId, source) pairs, whatever its language, in one query. */
  async bySource(scope: TenantScope, pairs: ReadonlyArray<readonly [sourceId: number, source: string]>): Promise<PropelContact[]> {
    if (pairs.length === 0) return [];
    return parseAll(await this.table.rows(scope, this.sql.bySource, JSON.stringify(pairs.map(([sourceId, source]) => [source, sourceIdColumn(sourceId)]))));
  }

  /** A parent named by sourceId and source: any language, the lowest id first (*decision*). */
  async findBySource(scope: TenantScope, sourceId: number, source: string): Promise<PropelContact | undefined> {
    return (await this.bySource(scope, [[sourceId, source]])).reduce<PropelContact | undefined>((low, c) => (low && low.id < c.id ? low : c), undefined);
  }

  async childrenOf(scope: TenantScope, parentId: number): Promise<PropelContact[]> {
    return parseAll(await this.table.rows(scope, this.sql.childrenOf, parentId));
  }

  /**
   * Inserts or replaces contacts (distinct ids), inside the caller's transaction, in two
   * statements at most whatever their number. `stored` is the contact as stored before the write
   * when it replaces one: the contacts whose write keeps the identity and parent get only their
   * data and `updatedAt` rewritten, the others every column but `createdAt`.
   */
  async write(scope: TenantScope, writes: readonly ContactWrite[]): Promise<void> {
    const dataOnly: unknown[][] = [];
    const whole: unknown[][] = [];
    for (const { contact, stored } of writes) (keepsIndexedColumns(contact, stored) ? dataOnly : whole).push(rowOf(contact));
    await this.table.write(scope, WRITE_COLUMNS, dataOnly, UPDATE_DATA);
    await this.table.write(scope, WRITE_COLUMNS, whole, UPDATE_ALL);
  }

  /** Inserts or replaces one contact: `write` of one. */
  put(scope: TenantScope, contact: PropelContact, stored?: PropelContact): Promise<void> {
    return this.write(scope, [{ contact, stored }]);
  }

  async delete(scope: TenantScope, id: number): Promise<boolean> {
    return (await this.table.run(scope, this.sql.delete, id)) > 0;
  }

  /**
   * The next `count` free ids of the tenant's sequence, in order. Ids a client chose through
   * bulk/id are skipped, so the sequence never hands out an id that is taken: the taken ids from
   * the sequence's next on are read in chunks (the first of ID_CHUNK ids, each next one twice as
   * long) until enough free ids lie among them, so two queries unless clients took more than
   * ID_CHUNK ids ahead of the sequence.
   */
  async freeIds(scope: TenantScope, count: number): Promise<number[]> {
    const free: number[] = [];
    if (count === 0) return free;
    let next = (await this.table.value<number>(scope, this.sql.nextId)) ?? FIRST_CONTACT_ID;
    for (let limit = ID_CHUNK; free.length < count; limit *= 2) {
      const taken = await this.table.column<number>(scope, this.sql.idsFrom, next, limit);
      for (const id of taken) {
        while (next < id && free.length < count) free.push(next++);
        if (free.length === count) break;
        next = id + 1;
      }
      // A short chunk is the last taken id: every id from `next` on is free.
      if (taken.length < limit) while (free.length < count) free.push(next++);
    }
    return free;
  }

  /** Where the tenant's sequence goes on after the ids handed out. */
  async setNextId(scope: TenantScope, nextId: number): Promise<void> {
    await this.table.run(scope, this.sql.setNextId, nextId);
  }

  /** Contacts in (tenant, id) order, for the control API: as the read endpoints answer them. */
  list(filter: RecordFilter): Promise<RecordPage> {
    return this.table.list(filter, (row) => contactBody(JSON.parse(row.data as string) as PropelContact));
  }
}
