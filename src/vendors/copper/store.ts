// Copper's tables: people as JSON by (namespace, account, id), an email index for uniqueness, per-account id sequences, and the people's activities.
import { jsonParam, roomForUpdates, thenDo, type Awaitable, type Migration, type Store } from '../../core/store.js';
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
  roomForUpdates(3, PEOPLE_TABLE),
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
  activitiesOf: `SELECT data FROM ${ACTIVITIES_TABLE} WHERE namespace = ? AND tenant = ? AND person_id = ? ORDER BY id`,
  lastActivityId: `SELECT last_id FROM ${ACTIVITY_SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
  setLastActivityId: `INSERT INTO ${ACTIVITY_SEQUENCES_TABLE} (namespace, tenant, last_id) VALUES (?, ?, ?)
    ON CONFLICT (namespace, tenant) DO UPDATE SET last_id = excluded.last_id`,
} as const;

/** What a batch writes: the new people (ids assigned), the changed ones, and the account's id sequence after the new ones. */
export interface CopperWrites {
  creates: CopperPerson[];
  updates: CopperPerson[];
  /** The updates whose emails are not the stored ones (as the index keys them): only their index rows are replaced. */
  reindexed: CopperPerson[];
  lastId: number;
}

/** What a batch reads before any object is decided (`CopperPeople.readBatch`). */
export interface CopperBatchReads {
  /** The stored people among the ids asked, by id. */
  people: Map<number, CopperPerson>;
  /** The stored holder of each email asked, by lowercased email. */
  owners: Map<string, number>;
  /** The last id the account issued, when asked (else 0). */
  lastId: number;
}

/** Which table a row of `readBatch`'s query comes from. */
type BatchSource = 'person' | 'email' | 'last_id';

export class CopperPeople {
  private readonly people: TenantTable;
  private readonly emails: TenantTable;
  private readonly sequences: TenantTable;
  /**
   * `readBatch`'s query, a branch per table: each row tagged with its table, scoped to the account,
   * in the two columns every branch fills alike (an integer; text or NULL), so that the branches'
   * column types agree on PostgreSQL as on SQLite.
   */
  private readonly batchBranches: Record<BatchSource, string>;
  private readonly batchSqls = new Map<string, string>();

  constructor(store: Store) {
    this.people = new TenantTable(store, { schema: PEOPLE_SCHEMA, key: 'id', start: 0 });
    this.emails = new TenantTable(store, { schema: EMAILS_SCHEMA, key: 'email', start: '' });
    this.sequences = new TenantTable(store, { schema: SEQUENCES_SCHEMA, key: 'last_id', start: 0 });
    const inKeys = (table: TenantTable, column: string) => store.sql.inKeys(column, table.kind(column));
    this.batchBranches = {
      person: `SELECT 'person' AS source, id AS n, data AS t FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? AND ${inKeys(this.people, 'id')}`,
      email: `SELECT 'email' AS source, person_id AS n, email AS t FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND ${inKeys(this.emails, 'email')}`,
      last_id: `SELECT 'last_id' AS source, last_id AS n, NULL AS t FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
    };
  }

  get(scope: TenantScope, id: number): Awaitable<CopperPerson | undefined> {
    return this.people.record<CopperPerson>(scope, id);
  }

  /**
   * What a batch needs before any object is decided, in one query whatever its size (on PostgreSQL
   * one round trip, which BEGIN and the account's lock travel with): the stored people among
   * `ids`, who holds each of `emails` (lowercased by `emailKey`), and, when `lastId`, the last id
   * the account issued (0 before its first person: ids are a sequence per account, never reused
   * after a delete). Nothing is read for what is not asked.
   */
  readBatch(scope: TenantScope, { ids, emails, lastId }: { ids: readonly number[]; emails: readonly string[]; lastId: boolean }): Awaitable<CopperBatchReads> {
    const read: CopperBatchReads = { people: new Map(), owners: new Map(), lastId: 0 };
    const sources: BatchSource[] = [];
    const params: unknown[] = [];
    const ask = (source: BatchSource, ...keys: string[]) => {
      sources.push(source);
      params.push(scope.namespace, scope.tenant, ...keys);
    };
    if (ids.length > 0) ask('person', jsonParam(ids));
    if (emails.length > 0) ask('email', jsonParam(emails));
    if (lastId) ask('last_id');
    if (sources.length === 0) return read;
    return thenDo(this.people.on(scope).all<{ source: BatchSource; n: number; t: string | null }>(this.batchSql(sources), params), (rows) => {
      for (const { source, n, t } of rows) {
        if (source === 'person') read.people.set(n, JSON.parse(t!) as CopperPerson);
        else if (source === 'email') read.owners.set(t!, n);
        else read.lastId = n;
      }
      return read;
    });
  }

  /** `readBatch`'s query for `sources`, in that order: their branches as one UNION ALL, built once per combination. */
  private batchSql(sources: readonly BatchSource[]): string {
    const key = sources.join(',');
    let sql = this.batchSqls.get(key);
    if (!sql) {
      sql = sources.map((source) => this.batchBranches[source]).join('\nUNION ALL\n');
      this.batchSqls.set(key, sql);
    }
    return sql;
  }

  /** The id of the person holding `email` (any case), if any. */
  emailOwner(scope: TenantScope, email: string): Awaitable<number | undefined> {
    return this.emails.value<number>(scope, SQL.emailOwner, emailKey(email));
  }

  /** Every person of the account, in id order: search filters and sorts them in memory. */
  async all(scope: TenantScope): Promise<CopperPerson[]> {
    return (await this.people.column<string>(scope, SQL.all)).map((data) => JSON.parse(data) as CopperPerson);
  }

  /**
   * Writes a batch inside the caller's transaction, in at most four statements whatever its size:
   * the id sequence moves past the new people, the reindexed people's old emails leave the index,
   * new and changed people are stored, and the new and reindexed people's emails are indexed.
   * An update that keeps its emails (most do) leaves its index rows alone.
   */
  async write(scope: TenantScope, { creates, updates, reindexed, lastId }: CopperWrites): Promise<void> {
    // A batch write, as the people's: nothing reads its answer (on PostgreSQL it travels with the next statement or COMMIT).
    if (creates.length > 0) await this.sequences.write(scope, ['last_id'], [[lastId]], { keys: [], update: ['last_id'] });
    // Clear the reindexed people's old emails first, so a batch that moves an address between people
    // still indexes it. New people hold none: their ids come from the sequence, never issued before.
    // Nothing reads how many went: on PostgreSQL the DELETE travels with the writes and COMMIT.
    if (reindexed.length > 0) await this.emails.deleteByKeysUncounted(scope, reindexed.map((person) => person.id), 'person_id');
    await this.people.write(scope, ['id', 'data'], [...updates, ...creates].map((person) => [person.id, JSON.stringify(person)]), { keys: ['id'], update: ['data'] });
    // No onConflict: validation already refused taken emails, so a conflict here is a bug and must surface.
    const indexed = [...reindexed, ...creates];
    await this.emails.write(scope, ['email', 'person_id'], indexed.flatMap((person) => person.emails.map(({ email }) => [emailKey(email), person.id])));
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
