// Propel's tables: contacts per (namespace, tenant, id) with their identity columns, and the per-tenant id sequence.
import { pageTenantRecords, parseDataColumn } from '../../core/records.js';
import type { Migration, Store } from '../../core/store.js';
import type { RecordFilter, RecordPage } from '../../core/vendor.js';
import type { PropelContact } from './schemas.js';

export const CONTACTS_TABLE = 'propel_contacts';
export const SEQUENCE_TABLE = 'propel_contact_sequence';
/** New contacts of bulk/sourceId are numbered from here, per tenant (spec/propel.md). */
export const FIRST_CONTACT_ID = 25000;

export const PROPEL_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE ${CONTACTS_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      id INTEGER NOT NULL,
      source_id TEXT,
      source TEXT,
      language TEXT,
      parent_id INTEGER,
      data TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (namespace, tenant, id)
    ) WITHOUT ROWID;
    CREATE INDEX ${CONTACTS_TABLE}_identity ON ${CONTACTS_TABLE} (namespace, tenant, source, source_id, language);
    CREATE INDEX ${CONTACTS_TABLE}_parent ON ${CONTACTS_TABLE} (namespace, tenant, parent_id);
    CREATE TABLE ${SEQUENCE_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      next_id INTEGER NOT NULL,
      PRIMARY KEY (namespace, tenant)
    ) WITHOUT ROWID;`,
  },
];

export interface Scope {
  namespace: string;
  tenant: string;
}

/** The (sourceId, source, language) identity; language null means "sent without one". */
export interface Identity {
  sourceId: string;
  source: string;
  language: string | null;
}

const parse = (data: string | undefined): PropelContact | undefined => (data === undefined ? undefined : (JSON.parse(data) as PropelContact));

export class PropelContacts {
  constructor(private readonly store: Store) {}

  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }

  get(scope: Scope, id: number): PropelContact | undefined {
    return parse(
      this.store
        .statement(`SELECT data FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`)
        .pluck()
        .get(scope.namespace, scope.tenant, id) as string | undefined,
    );
  }

  findByIdentity(scope: Scope, identity: Identity): PropelContact | undefined {
    return parse(
      this.store
        .statement(
          `SELECT data FROM ${CONTACTS_TABLE}
           WHERE namespace = @namespace AND tenant = @tenant AND source = @source AND source_id = @sourceId AND language IS @language
           ORDER BY id LIMIT 1`,
        )
        .pluck()
        .get({ ...scope, ...identity }) as string | undefined,
    );
  }

  /** A parent named by sourceId and source: any language, the lowest id first (*decision*). */
  findBySource(scope: Scope, sourceId: string, source: string): PropelContact | undefined {
    return parse(
      this.store
        .statement(
          `SELECT data FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND source = ? AND source_id = ? ORDER BY id LIMIT 1`,
        )
        .pluck()
        .get(scope.namespace, scope.tenant, source, sourceId) as string | undefined,
    );
  }

  childrenOf(scope: Scope, parentId: number): PropelContact[] {
    return (
      this.store
        .statement(`SELECT data FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND parent_id = ? ORDER BY id`)
        .pluck()
        .all(scope.namespace, scope.tenant, parentId) as string[]
    ).map((d) => parse(d)!);
  }

  /** Inserts or replaces one contact; call inside `transaction` for a batch. */
  put(scope: Scope, contact: PropelContact): void {
    this.store
      .statement(
        `INSERT INTO ${CONTACTS_TABLE} (namespace, tenant, id, source_id, source, language, parent_id, data, created_at, updated_at)
         VALUES (@namespace, @tenant, @id, @sourceId, @source, @language, @parentId, @data, @createdAt, @updatedAt)
         ON CONFLICT (namespace, tenant, id) DO UPDATE SET source_id = excluded.source_id, source = excluded.source,
           language = excluded.language, parent_id = excluded.parent_id, data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run({
        namespace: scope.namespace,
        tenant: scope.tenant,
        id: contact.id,
        sourceId: contact.sourceId,
        source: contact.source,
        language: contact.language,
        parentId: contact.parent?.id ?? null,
        data: JSON.stringify(contact),
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
      });
  }

  delete(scope: Scope, id: number): boolean {
    return this.store.statement(`DELETE FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`).run(scope.namespace, scope.tenant, id).changes > 0;
  }

  /**
   * The next free id of the tenant's sequence. Ids a client chose through bulk/id are skipped,
   * so the sequence never hands out an id that is taken.
   */
  nextId(scope: Scope): number {
    let id =
      (this.store
        .statement(`SELECT next_id FROM ${SEQUENCE_TABLE} WHERE namespace = ? AND tenant = ?`)
        .pluck()
        .get(scope.namespace, scope.tenant) as number | undefined) ?? FIRST_CONTACT_ID;
    while (this.get(scope, id) !== undefined) id += 1;
    this.store
      .statement(
        `INSERT INTO ${SEQUENCE_TABLE} (namespace, tenant, next_id) VALUES (?, ?, ?)
         ON CONFLICT (namespace, tenant) DO UPDATE SET next_id = excluded.next_id`,
      )
      .run(scope.namespace, scope.tenant, id + 1);
    return id;
  }

  /** Contacts in (tenant, id) order, for the control API. */
  list(filter: RecordFilter): RecordPage {
    return pageTenantRecords(this.store, filter, { table: CONTACTS_TABLE, key: 'id', start: -1, columns: 'data', toRecord: parseDataColumn });
  }

}
