// Copper's tables: people as JSON by (namespace, account, id), an email index for uniqueness, per-account id sequences, and the people's activities.
import { thenDo, type Awaitable, type Migration, type Store } from '../../core/store.js';
import { createTenantTable, TenantTable, type TenantTableSchema } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { CopperActivity, CopperPerson } from './schemas.js';

export const PEOPLE_TABLE = 'copper_people';
export const EMAILS_TABLE = 'copper_person_emails';
export const SEQUENCES_TABLE = 'copper_id_sequences';
export const ACTIVITIES_TABLE = 'copper_activities';
export const ACTIVITY_SEQUENCES_TABLE = 'copper_activity_id_sequences';

// Each table is declared once: its migration creates it from this, and its TenantTable reads its column kinds from it.
const PEOPLE_SCHEMA: TenantTableSchema = { table: PEOPLE_TABLE, columns: { id: 'INTEGER NOT NULL', data: 'TEXT NOT NULL' }, primaryKey: ['id'] };
const EMAILS_SCHEMA: TenantTableSchema = { table: EMAILS_TABLE, columns: { email: 'TEXT NOT NULL', person_id: 'INTEGER NOT NULL' }, primaryKey: ['email'] };
const SEQUENCES_SCHEMA: TenantTableSchema = { table: SEQUENCES_TABLE, columns: { last_id: 'INTEGER NOT NULL' }, primaryKey: [] };
// An activity is kept by its id, with its person's id beside the JSON so a person's activities are read (and deleted) by index.
const ACTIVITIES_SCHEMA: TenantTableSchema = {
  table: ACTIVITIES_TABLE,
  columns: { id: 'INTEGER NOT NULL', person_id: 'INTEGER NOT NULL', data: 'TEXT NOT NULL' },
  primaryKey: ['id'],
};
const ACTIVITY_SEQUENCES_SCHEMA: TenantTableSchema = { table: ACTIVITY_SEQUENCES_TABLE, columns: { last_id: 'INTEGER NOT NULL' }, primaryKey: [] };

export const COPPER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable(PEOPLE_SCHEMA)};
    ${createTenantTable(EMAILS_SCHEMA)};
    CREATE INDEX ${EMAILS_TABLE}_person ON ${EMAILS_TABLE} (namespace, tenant, person_id);
    ${createTenantTable(SEQUENCES_SCHEMA)}`,
  },
  {
    version: 2,
    sql: `${createTenantTable(ACTIVITIES_SCHEMA)};
    CREATE INDEX ${ACTIVITIES_TABLE}_person ON ${ACTIVITIES_TABLE} (namespace, tenant, person_id);
    ${createTenantTable(ACTIVITY_SEQUENCES_SCHEMA)}`,
  },
];

/** People first: a reset's `deleted` counts the first table's records. */
export const COPPER_TABLES = [PEOPLE_TABLE, EMAILS_TABLE, SEQUENCES_TABLE, ACTIVITIES_TABLE, ACTIVITY_SEQUENCES_TABLE];

/** Emails are unique per account regardless of case, so the index holds them lowercased. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

// The statements written by hand, built once here and the same text on both engines (the stores
// cache a statement by its text). The batch lookups and writes are the TenantTables' own.
const SQL = {
  emailOwner: `SELECT person_id FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND email = ?`,
  all: `SELECT data FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? ORDER BY id`,
  delete: `DELETE FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`,
  lastId: `SELECT last_id FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
  activitiesOf: `SELECT data FROM ${ACTIVITIES_TABLE} WHERE namespace = ? AND tenant = ? AND person_id = ? ORDER BY id`,
  lastActivityId: `SELECT last_id FROM ${ACTIVITY_SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
  setLastActivityId: `INSERT INTO ${ACTIVITY_SEQUENCES_TABLE} (namespace, tenant, last_id) VALUES (?, ?, ?)
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
  private readonly sequences: TenantTable;

  constructor(store: Store) {
    this.people = new TenantTable(store, { schema: PEOPLE_SCHEMA, key: 'id', start: 0 });
    this.emails = new TenantTable(store, { schema: EMAILS_SCHEMA, key: 'email', start: '' });
    this.sequences = new TenantTable(store, { schema: SEQUENCES_SCHEMA, key: 'last_id', start: 0 });
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
    // A batch write, as the people's: nothing reads its answer (on PostgreSQL it travels with the next statement or COMMIT).
    if (creates.length > 0) await this.sequences.write(scope, ['last_id'], [[lastId]], { keys: [], update: ['last_id'] });
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

/** The people's activities: created one at a time, read by id or by person, deleted with their person. */
export class CopperActivities {
  private readonly activities: TenantTable;

  constructor(store: Store) {
    this.activities = new TenantTable(store, { schema: ACTIVITIES_SCHEMA, key: 'id', start: 0 });
  }

  get(scope: TenantScope, id: number): Awaitable<CopperActivity | undefined> {
    return this.activities.record<CopperActivity>(scope, id);
  }

  /** Every activity of one person, in id order. */
  async ofPerson(scope: TenantScope, personId: number): Promise<CopperActivity[]> {
    return (await this.activities.column<string>(scope, SQL.activitiesOf, personId)).map((data) => JSON.parse(data) as CopperActivity);
  }

  /** The last activity id the account issued (0 before its first): a sequence per account, never reused. */
  lastId(scope: TenantScope): Awaitable<number> {
    return thenDo(this.activities.value<number>(scope, SQL.lastActivityId), (id) => id ?? 0);
  }

  /** Stores a new activity (its id the account's next) and moves the sequence past it, inside the caller's transaction. */
  async create(scope: TenantScope, activity: CopperActivity): Promise<void> {
    await this.activities.run(scope, SQL.setLastActivityId, activity.id);
    await this.activities.write(scope, ['id', 'person_id', 'data'], [[activity.id, activity.parent.id, JSON.stringify(activity)]]);
  }

  /** Deletes a person's activities with the person, inside the caller's transaction. */
  deleteOfPerson(scope: TenantScope, personId: number): Awaitable<number> {
    return this.activities.deleteByKeys(scope, [personId], 'person_id');
  }
}
