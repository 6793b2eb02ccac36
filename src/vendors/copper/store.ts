// Copper's tables: people as JSON by (namespace, account, id), an email index for uniqueness, and per-account id sequences.
import { thenDo, type Awaitable, type Migration, type Store } from '../../core/store.js';
import { createTenantTable, TenantTable, type TenantTableSchema } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { CopperPerson } from './schemas.js';

export const PEOPLE_TABLE = 'copper_people';
export const EMAILS_TABLE = 'copper_person_emails';
export const SEQUENCES_TABLE = 'copper_id_sequences';

// Each table is declared once: its migration creates it from this, and its TenantTable reads its column kinds from it.
const PEOPLE_SCHEMA: TenantTableSchema = { table: PEOPLE_TABLE, columns: { id: 'INTEGER NOT NULL', data: 'TEXT NOT NULL' }, primaryKey: ['id'] };
const EMAILS_SCHEMA: TenantTableSchema = { table: EMAILS_TABLE, columns: { email: 'TEXT NOT NULL', person_id: 'INTEGER NOT NULL' }, primaryKey: ['email'] };
const SEQUENCES_SCHEMA: TenantTableSchema = { table: SEQUENCES_TABLE, columns: { last_id: 'INTEGER NOT NULL' }, primaryKey: [] };

export const COPPER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable(PEOPLE_SCHEMA)};
    ${createTenantTable(EMAILS_SCHEMA)};
    CREATE INDEX ${EMAILS_TABLE}_person ON ${EMAILS_TABLE} (namespace, tenant, person_id);
    ${createTenantTable(SEQUENCES_SCHEMA)}`,
  },
];

export const COPPER_TABLES = [PEOPLE_TABLE, EMAILS_TABLE, SEQUENCES_TABLE];

/** Emails are unique per account regardless of case, so the index holds them lowercased. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

// The statements written by hand, built once here and the same text on both engines (the stores
// cache a statement by its text). The batch lookups and writes are the TenantTables' own.
const SQL = {
  emailOwner: `SELECT person_id FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND email = ?`,
  all: `SELECT data FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? ORDER BY id`,
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
    this.people = new TenantTable(store, { schema: PEOPLE_SCHEMA, key: 'id', start: 0 });
    this.emails = new TenantTable(store, { schema: EMAILS_SCHEMA, key: 'email', start: '' });
  }

  get(scope: TenantScope, id: number): Awaitable<CopperPerson | undefined> {
    return this.people.record<CopperPerson>(scope, id);
  }

  /** The stored people among `ids`, by id, in one query. */
  getMany(scope: TenantScope, ids: readonly number[]): Awaitable<Map<number, CopperPerson>> {
    return this.people.recordsByKey(scope, ids);
  }

  /** The id of the person holding `email` (any case), if any. */
  emailOwner(scope: TenantScope, email: string): Awaitable<number | undefined> {
    return this.emails.value<number>(scope, SQL.emailOwner, emailKey(email));
  }

  /** Who holds each of `keys` (emails already lowercased by `emailKey`), in one query. */
  emailOwners(scope: TenantScope, keys: readonly string[]): Awaitable<Map<string, number>> {
    return thenDo(this.emails.readByKeys<{ person_id: number }>(scope, keys, { select: 'person_id' }), (rows) => new Map(rows.map((row) => [row.k0 as string, row.person_id])));
  }

  /** Every person of the account, in id order: search filters and sorts them in memory. */
  async all(scope: TenantScope): Promise<CopperPerson[]> {
    return (await this.people.column<string>(scope, SQL.all)).map((data) => JSON.parse(data) as CopperPerson);
  }

  /** The last id the account issued (0 before its first person): ids are a sequence per account, never reused after a delete. */
  lastId(scope: TenantScope): Awaitable<number> {
    return thenDo(this.people.value<number>(scope, SQL.lastId), (id) => id ?? 0);
  }

  /**
   * Writes a batch inside the caller's transaction, in at most four statements whatever its size:
   * the id sequence moves past the new people, the updated people's old emails leave the index,
   * new and changed people are stored, and their emails are indexed again.
   */
  async write(scope: TenantScope, { creates, updates, lastId }: CopperWrites): Promise<void> {
    if (creates.length > 0) await this.people.run(scope, SQL.setLastId, lastId);
    const people = [...updates, ...creates];
    // Clear the updated people's old emails first, so a batch that moves an address between people
    // still indexes it. New people hold none: their ids come from the sequence, never issued before.
    if (updates.length > 0) await this.emails.deleteByKeys(scope, updates.map((person) => person.id), 'person_id');
    await this.people.write(scope, ['id', 'data'], people.map((person) => [person.id, JSON.stringify(person)]), { keys: ['id'], update: ['data'] });
    // No onConflict: validation already refused taken emails, so a conflict here is a bug and must surface.
    await this.emails.write(scope, ['email', 'person_id'], people.flatMap((person) => person.emails.map(({ email }) => [emailKey(email), person.id])));
  }

  /** Deletes a person and frees its emails, inside the caller's transaction; false when there was no such person. */
  async delete(scope: TenantScope, id: number): Promise<boolean> {
    await this.emails.deleteByKeys(scope, [id], 'person_id');
    return (await this.people.run(scope, SQL.delete, id)) > 0;
  }

  /** People in (account, id) order, for the control API. */
  list(filter: RecordFilter): Promise<RecordPage> {
    return this.people.list(filter);
  }

  count(scope: TenantScope): Awaitable<number> {
    return this.people.count(scope);
  }
}
