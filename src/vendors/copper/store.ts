// Copper's tables: people as JSON by (namespace, account, id), an email index for uniqueness, and per-account id sequences.
import { pageTenantRecords, parseDataColumn, parseStored } from '../../core/records.js';
import type { Migration, Store } from '../../core/store.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { CopperPerson } from './schemas.js';

export const PEOPLE_TABLE = 'copper_people';
export const EMAILS_TABLE = 'copper_person_emails';
export const SEQUENCES_TABLE = 'copper_id_sequences';

export const COPPER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE ${PEOPLE_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      id INTEGER NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (namespace, tenant, id)
    ) WITHOUT ROWID;
    CREATE TABLE ${EMAILS_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      email TEXT NOT NULL,
      person_id INTEGER NOT NULL,
      PRIMARY KEY (namespace, tenant, email)
    ) WITHOUT ROWID;
    CREATE INDEX ${EMAILS_TABLE}_person ON ${EMAILS_TABLE} (namespace, tenant, person_id);
    CREATE TABLE ${SEQUENCES_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      last_id INTEGER NOT NULL,
      PRIMARY KEY (namespace, tenant)
    ) WITHOUT ROWID`,
  },
];

export const COPPER_TABLES = [PEOPLE_TABLE, EMAILS_TABLE, SEQUENCES_TABLE];

/** Emails are unique per account regardless of case, so the index holds them lowercased. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

// Every statement's SQL is built once, here: `Store.statement` finds a statement by its text, and a
// per-row call must not rebuild (and rehash) the string. Positional parameters cost better-sqlite3
// less than named ones.
const SQL = {
  get: `SELECT data FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`,
  emailOwner: `SELECT person_id FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND email = ?`,
  all: `SELECT data FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? ORDER BY id`,
  upsert: `INSERT INTO ${PEOPLE_TABLE} (namespace, tenant, id, data) VALUES (?, ?, ?, ?)
    ON CONFLICT (namespace, tenant, id) DO UPDATE SET data = excluded.data`,
  clearEmails: `DELETE FROM ${EMAILS_TABLE} WHERE namespace = ? AND tenant = ? AND person_id = ?`,
  // No ON CONFLICT: validation already refused taken emails, so a conflict here is a bug and must surface.
  addEmail: `INSERT INTO ${EMAILS_TABLE} (namespace, tenant, email, person_id) VALUES (?, ?, ?, ?)`,
  delete: `DELETE FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`,
  count: `SELECT count(*) FROM ${PEOPLE_TABLE} WHERE namespace = ? AND tenant = ?`,
  // Once per request: named parameters, as `@count` appears twice.
  reserveIds: `INSERT INTO ${SEQUENCES_TABLE} (namespace, tenant, last_id) VALUES (@namespace, @tenant, @count)
    ON CONFLICT (namespace, tenant) DO UPDATE SET last_id = last_id + @count RETURNING last_id`,
} as const;

export class CopperPeople {
  constructor(private readonly store: Store) {}

  get(scope: TenantScope, id: number): CopperPerson | undefined {
    return parseStored<CopperPerson>(this.store.statement(SQL.get).pluck().get(scope.namespace, scope.tenant, id));
  }

  /** The id of the person holding `email` (any case), if any. */
  emailOwner(scope: TenantScope, email: string): number | undefined {
    return this.store.statement(SQL.emailOwner).pluck().get(scope.namespace, scope.tenant, emailKey(email)) as number | undefined;
  }

  /** Every person of the account, in id order: search filters and sorts them in memory. */
  all(scope: TenantScope): CopperPerson[] {
    const rows = this.store.statement(SQL.all).pluck().all(scope.namespace, scope.tenant) as string[];
    return rows.map((data) => JSON.parse(data) as CopperPerson);
  }

  /**
   * Writes a batch in one transaction: new people get the account's next ids in order (the
   * callback sees each id), changed people are replaced, and the email index follows both.
   */
  write(scope: TenantScope, creates: readonly CopperPerson[], updates: readonly CopperPerson[]): CopperPerson[] {
    if (creates.length === 0 && updates.length === 0) return [];
    const upsert = this.store.statement(SQL.upsert);
    const clearEmails = this.store.statement(SQL.clearEmails);
    const addEmail = this.store.statement(SQL.addEmail);
    const { namespace, tenant } = scope;
    return this.store.transaction(() => {
      const firstId = this.reserveIds(scope, creates.length);
      const created = creates.map((person, i) => ({ ...person, id: firstId + i }));
      const people = [...updates, ...created];
      // Clear every old email first, so a batch that moves an address between people still indexes it.
      for (const person of people) clearEmails.run(namespace, tenant, person.id);
      for (const person of people) {
        upsert.run(namespace, tenant, person.id, JSON.stringify(person));
        for (const { email } of person.emails) addEmail.run(namespace, tenant, emailKey(email), person.id);
      }
      return created;
    });
  }

  delete(scope: TenantScope, id: number): boolean {
    return this.store.transaction(() => {
      this.store.statement(SQL.clearEmails).run(scope.namespace, scope.tenant, id);
      return this.store.statement(SQL.delete).run(scope.namespace, scope.tenant, id).changes > 0;
    });
  }

  /** People in (account, id) order, for the control API. */
  list(filter: RecordFilter): RecordPage {
    return pageTenantRecords(this.store, filter, { table: PEOPLE_TABLE, key: 'id', start: 0, columns: 'data', toRecord: parseDataColumn });
  }

  count(scope: TenantScope): number {
    return this.store.statement(SQL.count).pluck().get(scope.namespace, scope.tenant) as number;
  }

  /** Ids are an integer sequence per account, starting at 1 and never reused after a delete. */
  private reserveIds(scope: TenantScope, count: number): number {
    if (count === 0) return 0;
    const last = this.store.statement(SQL.reserveIds).pluck().get({ namespace: scope.namespace, tenant: scope.tenant, count }) as number;
    return last - count + 1;
  }
}
