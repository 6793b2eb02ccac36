// MailingCore's tables: contacts (one row per contact, lookup keys as columns, the contact as JSON), campaigns, and a write counter.
import { parseDataColumn, parseStored } from '../../core/records.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { roomForUpdates, type Awaitable, type Migration, type Store } from '../../core/store.js';
import { createTenantTable, TenantTable, type OnConflict, type TenantTableSchema } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { MailingCoreAudienceFilter, MailingCoreCampaign, MailingCoreContact } from './schemas.js';
import { mailingcoreError } from './errors.js';

export const CONTACTS_TABLE = 'mailingcore_contacts';
export const CAMPAIGNS_TABLE = 'mailingcore_campaigns';
/** One counter per tenant, bumped once per write transaction: what a listing snapshot is pinned to. */
export const SEQUENCES_TABLE = 'mailingcore_sequences';

/** The tables as migration 1 creates them; the stores read their columns' kinds from the same declarations. */
const CONTACTS_SCHEMA: TenantTableSchema = {
  table: CONTACTS_TABLE,
  columns: {
    id: 'TEXT NOT NULL',
    external_id: 'TEXT',
    email_key: 'TEXT NOT NULL',
    locale: 'TEXT',
    opt_in: 'INTEGER NOT NULL',
    project_id: 'TEXT',
    seq: 'INTEGER NOT NULL',
    created_at: 'TEXT NOT NULL',
    updated_at: 'TEXT NOT NULL',
    data: 'TEXT NOT NULL',
  },
  primaryKey: ['id'],
};
const CAMPAIGNS_SCHEMA: TenantTableSchema = { table: CAMPAIGNS_TABLE, columns: { id: 'TEXT NOT NULL', data: 'TEXT NOT NULL', created_at: 'TEXT NOT NULL' }, primaryKey: ['id'] };
const SEQUENCES_SCHEMA: TenantTableSchema = { table: SEQUENCES_TABLE, columns: { value: 'INTEGER NOT NULL' }, primaryKey: [] };

export const MAILINGCORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable(CONTACTS_SCHEMA)};
    CREATE UNIQUE INDEX ${CONTACTS_TABLE}_email ON ${CONTACTS_TABLE} (namespace, tenant, email_key);
    CREATE UNIQUE INDEX ${CONTACTS_TABLE}_external_id ON ${CONTACTS_TABLE} (namespace, tenant, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX ${CONTACTS_TABLE}_updated ON ${CONTACTS_TABLE} (namespace, tenant, updated_at, id);
    CREATE INDEX ${CONTACTS_TABLE}_locale ON ${CONTACTS_TABLE} (namespace, tenant, locale);
    ${createTenantTable(CAMPAIGNS_SCHEMA)};
    ${createTenantTable(SEQUENCES_SCHEMA)};`,
  },
  {
    // The locale index only served the campaign coverage count and the listing's locale filter,
    // and both read the tenant's primary-key range as cheaply; every write paid for it.
    version: 2,
    sql: `DROP INDEX IF EXISTS ${CONTACTS_TABLE}_locale;`,
  },
  {
    // PostgreSQL only: the listing's index on updatedAt goes. A column every write changes, once
    // indexed, makes each update of a contact a new row version with an entry in every index
    // (PostgreSQL updates in place, "HOT", only when no indexed column changes), where SQLite
    // rewrites the one index entry that moved. Without it, and with room for updates in place
    // (version 4), the bench's 1,000-contact imports went from 31 to 39 a second; a listing page
    // sorts the tenant's contacts instead of walking the index, as its total's count already reads
    // them all (10,000 contacts: 11 ms a page, 21 without; 1,000,000: 155 ms, 740 without; measured).
    version: 3,
    engines: ['postgres'],
    sql: `DROP INDEX IF EXISTS ${CONTACTS_TABLE}_updated;`,
  },
  roomForUpdates(4, CONTACTS_TABLE),
];

/** Emails are unique per tenant compared case-insensitively (*sourced*): this is the compared form. */
export const emailKey = (email: string): string => email.toLowerCase();

export interface ContactListFilter {
  locale?: string | undefined;
  optIn?: boolean | undefined;
  /** ISO, normalised to the stored format. */
  updatedSince?: string | undefined;
}

/** Where a listing stands: the snapshot it reads and the last (updatedAt, id) it returned. */
export interface ListPosition {
  asOfSeq: number;
  afterUpdatedAt: string;
  afterId: string;
  page: number;
}

export interface ContactPage {
  contacts: MailingCoreContact[];
  total: number;
  page: number;
  next: ListPosition | null;
}

interface ContactRow {
  id: string;
  updated_at: string;
  data: string;
}

const parse = (row: { data: string }) => parseDataColumn(row) as MailingCoreContact;
const parseData = parseStored<MailingCoreContact>;

/** What a cursor carries: where the walk stands, and the filters it was started with. */
export interface ListCursor {
  position: ListPosition;
  filter: ContactListFilter;
}

export function encodeListCursor({ position, filter }: ListCursor): string {
  return encodeCursor([
    position.asOfSeq,
    position.afterUpdatedAt,
    position.afterId,
    position.page,
    filter.locale ?? null,
    filter.optIn ?? null,
    filter.updatedSince ?? null,
  ]);
}

const optionalString = (value: unknown): value is string | null => value === null || typeof value === 'string';

/** A cursor this vendor handed out, or INVALID_CURSOR. */
export function decodeListCursor(cursor: string): ListCursor {
  let key: unknown[];
  try {
    key = decodeCursor(cursor, 7);
  } catch {
    throw mailingcoreError('INVALID_CURSOR');
  }
  const [asOfSeq, afterUpdatedAt, afterId, page, locale, optIn, updatedSince] = key;
  if (
    !Number.isSafeInteger(asOfSeq) ||
    typeof afterUpdatedAt !== 'string' ||
    typeof afterId !== 'string' ||
    !Number.isSafeInteger(page) ||
    (page as number) < 1 ||
    !optionalString(locale) ||
    !(optIn === null || typeof optIn === 'boolean') ||
    !optionalString(updatedSince)
  ) {
    throw mailingcoreError('INVALID_CURSOR');
  }
  return {
    position: { asOfSeq: asOfSeq as number, afterUpdatedAt, afterId, page: page as number },
    filter: { locale: locale ?? undefined, optIn: optIn ?? undefined, updatedSince: updatedSince ?? undefined },
  };
}

// SQL is built once: here where both engines spell it alike, in the store's constructor where it
// needs the engine's dialect (`store.sql`), and once per combination of filters for the listing
// and the audience (an absent filter is left out of the statement, never bound as NULL). Both
// stores find a prepared statement by its text, and a per-request call must not rebuild (and
// rehash) a long string. Parameters are positional.
const T = CONTACTS_TABLE;
const SQL = {
  byExternalId: `SELECT data FROM ${T} WHERE namespace = ? AND tenant = ? AND external_id = ?`,
  currentSeq: `SELECT value FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
  setSeq: `INSERT INTO ${SEQUENCES_TABLE} (namespace, tenant, value) VALUES (?, ?, ?)
    ON CONFLICT (namespace, tenant) DO UPDATE SET value = excluded.value`,
  delete: `DELETE FROM ${T} WHERE namespace = ? AND tenant = ? AND id = ?`,
} as const;

/** The columns a contact write sets after namespace and tenant, in `contactRow`'s order. */
const CONTACT_COLUMNS = ['id', 'external_id', 'email_key', 'locale', 'opt_in', 'project_id', 'seq', 'created_at', 'updated_at', 'data'] as const;
/** A write that gives a contact other keys (a new one, or a stored one's externalId or email) sets every column but created_at. */
const SETS_KEYS: OnConflict = { keys: ['id'], update: ['external_id', 'email_key', 'locale', 'opt_in', 'project_id', 'seq', 'updated_at', 'data'] };
/**
 * A write that keeps a stored contact's externalId and email leaves their columns alone, and so
 * the indexes on them (SQLite rewrites the index entries of every column an UPDATE sets, changed or not).
 */
const KEEPS_KEYS: OnConflict = { keys: ['id'], update: ['locale', 'opt_in', 'project_id', 'seq', 'updated_at', 'data'] };

const contactRow = (contact: MailingCoreContact, seq: number): unknown[] => [
  contact.id,
  contact.externalId,
  emailKey(contact.email),
  contact.locale,
  contact.optIn ? 1 : 0,
  contact.projectId,
  seq,
  contact.createdAt,
  contact.updatedAt,
  JSON.stringify(contact),
];

/** Whether two versions of a contact have the same lookup keys: externalId, and email as compared. */
const sameKeys = (a: MailingCoreContact, b: MailingCoreContact): boolean => a.externalId === b.externalId && emailKey(a.email) === emailKey(b.email);

/**
 * One contact to write, and the contact just before it: as the store holds it, or as an earlier
 * write of the same request left it (absent for a new one).
 */
export interface ContactWrite {
  contact: MailingCoreContact;
  stored?: MailingCoreContact | undefined;
}

/**
 * What a request's writes (in request order) leave, one row per contact (its last write wins, as
 * row by row; its first write's `stored` is what the store holds), in two batches:
 * - `settingKeys`: new contacts, and stored ones whose externalId or compared email changes, in
 *   the order of the write that last set their keys. A stored contact's keys change at most once
 *   in a request (a bulk item keyed by its externalId may change its email, or give an email-keyed
 *   contact an externalId; a later item for it repeats a key or conflicts), and only stored
 *   contacts give keys up. So a contact that takes a key another one gave up comes after it, and
 *   written in this order, every unique index sees the keys pass through states the request's
 *   items went through, never one key on two contacts.
 * - `keepingKeys`: stored contacts whose keys end as they were (none of their key columns is rewritten).
 */
function planContactWrites(writes: readonly ContactWrite[]): { settingKeys: MailingCoreContact[]; keepingKeys: MailingCoreContact[] } {
  const byId = new Map<string, { stored: MailingCoreContact | undefined; last: MailingCoreContact; keyedAt: number }>();
  writes.forEach(({ contact, stored }, at) => {
    const setsKeys = !stored || !sameKeys(stored, contact);
    const seen = byId.get(contact.id);
    if (!seen) byId.set(contact.id, { stored, last: contact, keyedAt: setsKeys ? at : -1 });
    else {
      seen.last = contact;
      if (setsKeys) seen.keyedAt = at;
    }
  });
  const setting: Array<{ last: MailingCoreContact; keyedAt: number }> = [];
  const keepingKeys: MailingCoreContact[] = [];
  for (const entry of byId.values()) {
    if (entry.stored && sameKeys(entry.stored, entry.last)) keepingKeys.push(entry.last);
    else setting.push(entry);
  }
  setting.sort((a, b) => a.keyedAt - b.keyedAt);
  return { settingKeys: setting.map((entry) => entry.last), keepingKeys };
}

/** The keys to read contacts by; emails are compared case-insensitively. */
export interface ContactKeys {
  ids?: readonly string[];
  externalIds?: readonly string[];
  emails?: readonly string[];
}

/** A WHERE for the filters a query has, and their values in order. */
interface Filtered {
  /** Identifies the combination of filters (the statement cache's key). */
  key: string;
  conditions: string[];
  params: unknown[];
}

export class MailingCoreStore {
  private readonly contacts: TenantTable;
  private readonly campaigns: TenantTable;
  /** Only scoped reads and writes of the counter: the table has no records to list. */
  private readonly sequences: TenantTable;
  /**
   * The contacts with any of a batch's ids, externalIds or email keys (each a JSON array), in one
   * statement. SQLite reads `col IN (<keys>)` off the (namespace, tenant) primary-key range, which
   * scans the tenant (42 ms against 3 ms for 1000 keys among 300k contacts), unless INDEXED BY
   * names the key's index; PostgreSQL's planner needs no hint (`indexedBy` is empty there). Each
   * branch binds the scope again: positional parameters cannot repeat. Each row is a contact's
   * `data`, or (`relatedWithSeqSql`, one branch more) the tenant's write counter in `seq`.
   */
  private readonly relatedSql: string;
  private readonly relatedWithSeqSql: string;
  /** A listing page's statements (its total, its rows), by combination of filters. */
  private readonly pageSql = new Map<string, { total: string; rows: string }>();
  /** The audience's statements (counted by locale, or every contact), by combination of filters. */
  private readonly audienceSql = new Map<string, { countByLocale: string; contacts: string }>();

  constructor(store: Store) {
    this.contacts = new TenantTable(store, { schema: CONTACTS_SCHEMA, key: 'id', start: '' });
    this.campaigns = new TenantTable(store, { schema: CAMPAIGNS_SCHEMA, key: 'id', start: '' });
    this.sequences = new TenantTable(store, { schema: SEQUENCES_SCHEMA, key: 'tenant', start: '' });
    const { sql } = store;
    // The counter's column is typed in every branch: PostgreSQL would read an untyped NULL as text.
    this.relatedSql = `SELECT data, CAST(NULL AS BIGINT) AS seq FROM ${T} WHERE namespace = ? AND tenant = ? AND ${sql.inKeys('id', 'text')}
    UNION ALL SELECT data, CAST(NULL AS BIGINT) FROM ${T}${sql.indexedBy(`${T}_external_id`)}
      WHERE namespace = ? AND tenant = ? AND external_id IS NOT NULL AND ${sql.inKeys('external_id', 'text')}
    UNION ALL SELECT data, CAST(NULL AS BIGINT) FROM ${T}${sql.indexedBy(`${T}_email`)} WHERE namespace = ? AND tenant = ? AND ${sql.inKeys('email_key', 'text')}`;
    this.relatedWithSeqSql = `${this.relatedSql}
    UNION ALL SELECT NULL, value FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`;
  }

  byId(scope: TenantScope, id: string): Awaitable<MailingCoreContact | undefined> {
    return this.contacts.record<MailingCoreContact>(scope, id);
  }

  async byExternalId(scope: TenantScope, externalId: string): Promise<MailingCoreContact | undefined> {
    return parseData(await this.contacts.value(scope, SQL.byExternalId, externalId));
  }

  /** The stored contacts with any of `keys`, in one query, each once (in no particular order). */
  async related(scope: TenantScope, keys: ContactKeys): Promise<MailingCoreContact[]> {
    return (await this.readRelated(scope, keys, false)).contacts;
  }

  /**
   * `related`, and in the same query the tenant's write counter as it stands (0 before its first
   * write): what a write under the tenant's lock moves on (`write`), with no round trip of its own.
   */
  relatedWithSeq(scope: TenantScope, keys: ContactKeys): Promise<{ contacts: MailingCoreContact[]; seq: number }> {
    return this.readRelated(scope, keys, true);
  }

  private async readRelated(scope: TenantScope, keys: ContactKeys, withSeq: boolean): Promise<{ contacts: MailingCoreContact[]; seq: number }> {
    const { namespace, tenant } = scope;
    const rows = await this.contacts.rows<{ data: string | null; seq: number | null }>(
      scope,
      withSeq ? this.relatedWithSeqSql : this.relatedSql,
      JSON.stringify(keys.ids ?? []),
      namespace,
      tenant,
      JSON.stringify(keys.externalIds ?? []),
      namespace,
      tenant,
      JSON.stringify((keys.emails ?? []).map(emailKey)),
      ...(withSeq ? [namespace, tenant] : []),
    );
    const byId = new Map<string, MailingCoreContact>();
    let seq = 0;
    for (const row of rows) {
      if (row.data === null) {
        seq = row.seq ?? 0;
        continue;
      }
      const contact = parse(row as { data: string });
      byId.set(contact.id, contact);
    }
    return { contacts: [...byId.values()], seq };
  }

  /** The tenant's write counter now: a listing started now sees every write up to it. */
  async currentSeq(scope: TenantScope): Promise<number> {
    return (await this.sequences.value<number>(scope, SQL.currentSeq)) ?? 0;
  }

  /**
   * Writes contacts (in request order), inside the caller's transaction, under one new value of
   * the tenant's write counter: `seq` (as read under the tenant's lock, `relatedWithSeq`) moved on
   * once, and only when there is something to write. Three statements at most whatever the number
   * of writes, none of them waited for on PostgreSQL (they travel with COMMIT): the counter, then
   * `put`'s two batch writes.
   */
  async write(scope: TenantScope, writes: readonly ContactWrite[], seq: number): Promise<void> {
    if (writes.length === 0) return;
    await this.sequences.on(scope).runDeferred(SQL.setSeq, [scope.namespace, scope.tenant, seq + 1]);
    await this.put(scope, writes, seq + 1);
  }

  /**
   * Stores what `writes` (in request order) leave under `seq`, in two batch writes: the contacts
   * whose keys are set (new ones included), in an order no unique index refuses, then the stored
   * contacts that keep theirs, whose key columns are left alone (see `planContactWrites`).
   */
  async put(scope: TenantScope, writes: readonly ContactWrite[], seq: number): Promise<void> {
    const { settingKeys, keepingKeys } = planContactWrites(writes);
    await this.contacts.write(scope, CONTACT_COLUMNS, settingKeys.map((contact) => contactRow(contact, seq)), SETS_KEYS);
    await this.contacts.write(scope, CONTACT_COLUMNS, keepingKeys.map((contact) => contactRow(contact, seq)), KEEPS_KEYS);
  }

  async delete(scope: TenantScope, id: string): Promise<boolean> {
    return (await this.contacts.run(scope, SQL.delete, id)) > 0;
  }

  count(scope: TenantScope): Awaitable<number> {
    return this.contacts.count(scope);
  }

  /**
   * One page in (updatedAt, id) order, read from the snapshot `position.asOfSeq`. A contact
   * written after the walk began is left out (its updatedAt is at least every one the walk
   * returns, so the next pull from their largest gets it): keys move on every write, and
   * leaving moved contacts out is what keeps a walk from returning one twice.
   */
  async page(scope: TenantScope, filter: ContactListFilter, limit: number, position: ListPosition, offset: number): Promise<ContactPage> {
    const filtered: Filtered = { key: '', conditions: [], params: [] };
    if (filter.locale != null) where(filtered, 'l', 'locale = ?', filter.locale);
    if (filter.optIn !== undefined) where(filtered, 'o', 'opt_in = ?', filter.optIn ? 1 : 0);
    if (filter.updatedSince != null) where(filtered, 's', 'updated_at >= ?', filter.updatedSince);
    let sql = this.pageSql.get(filtered.key);
    if (!sql) {
      const conditions = ['namespace = ? AND tenant = ? AND seq <= ?', ...filtered.conditions].join(' AND ');
      sql = {
        total: `SELECT count(*) FROM ${T} WHERE ${conditions}`,
        rows: `SELECT id, updated_at, data FROM ${T}
    WHERE ${conditions} AND (updated_at, id) > (?, ?)
    ORDER BY updated_at, id LIMIT ? OFFSET ?`,
      };
      this.pageSql.set(filtered.key, sql);
    }
    const total = (await this.contacts.value<number>(scope, sql.total, position.asOfSeq, ...filtered.params)) ?? 0;
    const rows = await this.contacts.rows<ContactRow>(
      scope,
      sql.rows,
      position.asOfSeq,
      ...filtered.params,
      position.afterUpdatedAt,
      position.afterId,
      limit + 1,
      offset,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      contacts: page.map(parse),
      total,
      page: position.page,
      next:
        rows.length > limit && last
          ? { asOfSeq: position.asOfSeq, afterUpdatedAt: last.updated_at, afterId: last.id, page: position.page + 1 }
          : null,
    };
  }

  /** Contacts per locale (null: none) among those matching the audience filter. */
  async countByLocale(
    scope: TenantScope,
    filter: MailingCoreAudienceFilter,
    matchesAttributes: (contact: MailingCoreContact) => boolean,
  ): Promise<Map<string | null, number>> {
    const filtered: Filtered = { key: '', conditions: [], params: [] };
    // An absent locale is any locale; null is none.
    if (filter.locale === null) where(filtered, 'n', 'locale IS NULL');
    else if (filter.locale !== undefined) where(filtered, 'l', 'locale = ?', filter.locale);
    if (filter.optIn !== undefined) where(filtered, 'o', 'opt_in = ?', filter.optIn ? 1 : 0);
    if (filter.projectId != null) where(filtered, 'p', 'project_id = ?', filter.projectId);
    let sql = this.audienceSql.get(filtered.key);
    if (!sql) {
      const conditions = ['namespace = ? AND tenant = ?', ...filtered.conditions].join(' AND ');
      sql = {
        countByLocale: `SELECT locale, count(*) AS n FROM ${T} WHERE ${conditions} GROUP BY locale`,
        contacts: `SELECT data FROM ${T} WHERE ${conditions}`,
      };
      this.audienceSql.set(filtered.key, sql);
    }
    const counts = new Map<string | null, number>();
    if (filter.attributes === undefined || Object.keys(filter.attributes).length === 0) {
      const rows = await this.contacts.rows<{ locale: string | null; n: number }>(scope, sql.countByLocale, ...filtered.params);
      for (const row of rows) counts.set(row.locale, row.n);
      return counts;
    }
    // Attribute values are free JSON: compare them in code, not with either engine's JSON typing.
    for (const row of await this.contacts.rows<{ data: string }>(scope, sql.contacts, ...filtered.params)) {
      const contact = parse(row);
      if (matchesAttributes(contact)) counts.set(contact.locale, (counts.get(contact.locale) ?? 0) + 1);
    }
    return counts;
  }

  async putCampaign(scope: TenantScope, campaign: MailingCoreCampaign): Promise<void> {
    await this.campaigns.write(scope, ['id', 'data', 'created_at'], [[campaign.id, JSON.stringify(campaign), campaign.createdAt]]);
  }

  campaign(scope: TenantScope, id: string): Awaitable<MailingCoreCampaign | undefined> {
    return this.campaigns.record<MailingCoreCampaign>(scope, id);
  }

  /** Contacts in (tenant, id) order, for the control API. */
  list(filter: RecordFilter): Promise<RecordPage> {
    return this.contacts.list(filter);
  }
}

/** Adds a filter's condition (and its value, when it binds one) to `filtered`; `tag` names it in the statement cache's key. */
function where(filtered: Filtered, tag: string, condition: string, ...params: unknown[]): void {
  filtered.key += tag;
  filtered.conditions.push(condition);
  filtered.params.push(...params);
}
