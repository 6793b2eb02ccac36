// Copper's tables: people as JSON by (namespace, account, id), an email index for uniqueness, and per-account id sequences.
import type { Migration, Store } from '../../core/store.js';
import { createTenantTable, TenantTable } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { CopperPerson } from './schemas.js';

export const PEOPLE_TABLE = 'copper_people';
export const EMAILS_TABLE = 'copper_person_emails';
export const SEQUENCES_TABLE = 'copper_id_sequences';

export const COPPER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable({ table: PEOPLE_TABLE, columns: { id: 'INTEGER NOT NULL', data: 'TEXT NOT NULL' }, primaryKey: ['id'] })};
    ${createTenantTable({ table: EMAILS_TABLE, columns: { email: 'TEXT NOT NULL', person_id: 'INTEGER NOT NULL' }, primaryKey: ['email'] })};
    CREATE INDEX ${EMAILS_TABLE}_person ON ${EMAILS_TABLE} (namespace, tenant, person_id);
    ${createTenantTable({ table: SEQUENCES_TABLE, columns: { last_id: 'INTEGER NOT NULL' }, primaryKey: [] })}`,
  },
];

export const COPPER_TABLES = [PEOPLE_TABLE, EMAILS_TABLE, SEQUENCES_TABLE];

/** Emails are unique per account regardless of case, so the index holds them lowercased. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

// Every statement's SQL is built once, here: `Store.statement` finds a statement by its text, and a
// per-row call must not rebuild (and rehash) the string. Positional parameters cost better-sqlite3
// less than named ones.
const SQL = {
  emailOwner: `SELECT person_id FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND email = ?`,
  all: `SELECT data FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? ORDER BY id`,
  upsert: `INSERT INTO ${PEOPLE_TABLE} (namespace, tenant, id, data) VALUES (?, ?, ?, ?)
    ON CONFLICT (namespace, tenant, id) DO UPDATE SET data = excluded.data`,
  clearEmails: `DELETE FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND person_id = ?`,
  // No ON CONFLICT: validation already refused taken emails, so a conflict here is a bug and must surface.
  addEmail: `INSERT INTO ${EMAILS_TABLE} (namespace, tenant, email, person_id) VALUES (?, ?, ?, ?)`,
  delete: `DELETE FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`,
  lastId: `SELECT last_id FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
  setLastId: `INSERT INTO ${SEQUENCES_TABLE} (namespace, tenant, last_id) VALUES (?, ?, ?)
    ON CONFLICT (namespace, tenant) DO UPDATE SET last_id = excluded.last_id`,
} as const;

/** What a batch writes: the new people (ids assigned), the changed ones, and the account's id sequence after the new ones. */
export interface CopperWrites {
  creates: CopperPerson[];
  updates: CopperPerson[];
  lastId: number;
}

export class CopperPeople {
  private readonly people: TenantTable;
  private readonly emails: TenantTable;

  constructor(store: Store) {
    this.people = new TenantTable(store, { table: PEOPLE_TABLE, key: 'id', start: 0 });
    this.emails = new TenantTable(store, { table: EMAILS_TABLE, key: 'email', start: '' });
  }

  get(scope: TenantScope, id: number): CopperPerson | undefined {
    return this.people.record<CopperPerson>(scope, id);
  }

  /** The stored people among `ids`, by id, in one query. */
  getMany(scope: TenantScope, ids: readonly number[]): Map<number, CopperPerson> {
    return this.people.recordsByKey(scope, ids);
  }

  /** The id of the person holding `email` (any case), if any. */
  emailOwner(scope: TenantScope, email: string): number | undefined {
    return this.emails.value(scope, SQL.emailOwner, emailKey(email)) as number | undefined;
  }

  /** Who holds each of `keys` (emails already lowercased by `emailKey`), in one query. */
  emailOwners(scope: TenantScope, keys: readonly string[]): Map<string, number> {
    const rows = this.emails.readByKeys<{ person_id: number }>(scope, keys, { select: 'person_id' });
    return new Map(rows.map((row) => [row.k0 as string, row.person_id]));
  }

  /** Every person of the account, in id order: search filters and sorts them in memory. */
  all(scope: TenantScope): CopperPerson[] {
    return this.people.rows<{ data: string }>(scope, SQL.all).map((row) => JSON.parse(row.data) as CopperPerson);
  }

  /** The last id the account issued (0 before its first person): ids are a sequence per account, never reused after a delete. */
  lastId(scope: TenantScope): number {
    return (this.people.value(scope, SQL.lastId) as number | undefined) ?? 0;
  }

  /**
   * Writes a batch inside the caller's transaction: the id sequence moves past the new people,
   * new and changed people are stored, and the email index follows both.
   */
  write(scope: TenantScope, { creates, updates, lastId }: CopperWrites): void {
    if (creates.length > 0) this.people.run(scope, SQL.setLastId, lastId);
    const people = [...updates, ...creates];
    // Clear every old email first, so a batch that moves an address between people still indexes it.
    for (const person of people) this.emails.run(scope, SQL.clearEmails, person.id);
    for (const person of people) {
      this.people.run(scope, SQL.upsert, person.id, JSON.stringify(person));
      for (const { email } of person.emails) this.emails.run(scope, SQL.addEmail, emailKey(email), person.id);
    }
  }

  /** Deletes a person and frees its emails, inside the caller's transaction; false when there was no such person. */
  delete(scope: TenantScope, id: number): boolean {
    this.emails.run(scope, SQL.clearEmails, id);
    return this.people.run(scope, SQL.delete, id) > 0;
  }

  /** People in (account, id) order, for the control API. */
  list(filter: RecordFilter): RecordPage {
    return this.people.list(filter);
  }

  count(scope: TenantScope): number {
    return this.people.count(scope);
  }
}
