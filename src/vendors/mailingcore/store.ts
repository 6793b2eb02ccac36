// MailingCore's tables: contacts (one row per contact, lookup keys as columns, the contact as JSON), campaigns, and a write counter.
import { parseDataColumn, parseStored } from '../../core/records.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { Migration, Store } from '../../core/store.js';
import { createTenantTable, TenantTable } from '../../core/tenant-table.js';
import type { RecordFilter, RecordPage, TenantScope } from '../../core/vendor.js';
import type { MailingCoreAudienceFilter, MailingCoreCampaign, MailingCoreContact } from './schemas.js';
import { mailingcoreError } from './errors.js';

export const CONTACTS_TABLE = 'mailingcore_contacts';
export const CAMPAIGNS_TABLE = 'mailingcore_campaigns';
/** One counter per tenant, bumped once per write transaction: what a listing snapshot is pinned to. */
export const SEQUENCES_TABLE = 'mailingcore_sequences';

export const MAILINGCORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `${createTenantTable({
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
    })};
    CREATE UNIQUE INDEX ${CONTACTS_TABLE}_email ON ${CONTACTS_TABLE} (namespace, tenant, email_key);
    CREATE UNIQUE INDEX ${CONTACTS_TABLE}_external_id ON ${CONTACTS_TABLE} (namespace, tenant, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX ${CONTACTS_TABLE}_updated ON ${CONTACTS_TABLE} (namespace, tenant, updated_at, id);
    CREATE INDEX ${CONTACTS_TABLE}_locale ON ${CONTACTS_TABLE} (namespace, tenant, locale);
    ${createTenantTable({ table: CAMPAIGNS_TABLE, columns: { id: 'TEXT NOT NULL', data: 'TEXT NOT NULL', created_at: 'TEXT NOT NULL' }, primaryKey: ['id'] })};
    ${createTenantTable({ table: SEQUENCES_TABLE, columns: { value: 'INTEGER NOT NULL' }, primaryKey: [] })};`,
  },
  {
    // The locale index only served the campaign coverage count and the listing's locale filter,
    // and both read the tenant's primary-key range as cheaply; every write paid for it.
    version: 2,
    sql: `DROP INDEX IF EXISTS ${CONTACTS_TABLE}_locale;`,
  },
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
  tenant: string;
  updated_at: string;
  data: string;
}

const parse = (row: { data: string }) => parseDataColumn(row) as MailingCoreContact;

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

// Every statement's SQL is built once, here: `Store.statement` finds a statement by its text, and a
// per-row call must not rebuild (and rehash) a long string. The per-row statements bind
// positional parameters, which costs better-sqlite3 less than looking up named ones.
const T = CONTACTS_TABLE;
/** The filters of a listing page and its total, by name (one statement serves every combination). */
const PAGE_WHERE = `namespace = @namespace AND tenant = @tenant AND seq <= @asOfSeq
  AND (@locale IS NULL OR locale = @locale) AND (@optIn IS NULL OR opt_in = @optIn) AND (@since IS NULL OR updated_at >= @since)`;
/** The audience filter of a campaign, by name. */
const AUDIENCE_WHERE = `namespace = @namespace AND tenant = @tenant AND (@anyLocale = 1 OR locale IS @locale)
  AND (@optIn IS NULL OR opt_in = @optIn) AND (@projectId IS NULL OR project_id = @projectId)`;
const SQL = {
  byId: `SELECT data FROM ${T} WHERE namespace = ? AND tenant = ? AND id = ?`,
  byExternalId: `SELECT data FROM ${T} WHERE namespace = ? AND tenant = ? AND external_id = ?`,
  /**
   * The contacts with any of a batch's ids, externalIds or email keys (each a JSON array), in one
   * statement. INDEXED BY: without it SQLite reads `col IN (SELECT ... json_each)` off the
   * (namespace, tenant) primary-key range, which scans the tenant (42 ms against 3 ms for 1000 keys
   * among 300k contacts). Each branch binds the scope again: positional parameters cannot repeat.
   */
  related: `SELECT data FROM ${T} WHERE namespace = ? AND tenant = ? AND id IN (SELECT value FROM json_each(?))
    UNION ALL SELECT data FROM ${T} INDEXED BY ${T}_external_id
      WHERE namespace = ? AND tenant = ? AND external_id IS NOT NULL AND external_id IN (SELECT value FROM json_each(?))
    UNION ALL SELECT data FROM ${T} INDEXED BY ${T}_email WHERE namespace = ? AND tenant = ? AND email_key IN (SELECT value FROM json_each(?))`,
  currentSeq: `SELECT value FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`,
  nextSeq: `INSERT INTO ${SEQUENCES_TABLE} (namespace, tenant, value) VALUES (?, ?, 1)
    ON CONFLICT (namespace, tenant) DO UPDATE SET value = value + 1 RETURNING value`,
  put: `INSERT INTO ${T} (namespace, tenant, id, external_id, email_key, locale, opt_in, project_id, seq, created_at, updated_at, data)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, tenant, id) DO UPDATE SET external_id = excluded.external_id, email_key = excluded.email_key,
      locale = excluded.locale, opt_in = excluded.opt_in, project_id = excluded.project_id, seq = excluded.seq,
      updated_at = excluded.updated_at, data = excluded.data`,
  /**
   * An update that keeps the contact's externalId and email: the indexes on them are left alone
   * (SQLite rewrites the index entries of every column an UPDATE sets, changed or not).
   */
  update: `UPDATE ${T} SET locale = ?, opt_in = ?, project_id = ?, seq = ?, updated_at = ?, data = ?
    WHERE namespace = ? AND tenant = ? AND id = ?`,
  delete: `DELETE FROM ${T} WHERE namespace = ? AND tenant = ? AND id = ?`,
  pageTotal: `SELECT count(*) FROM ${T} WHERE ${PAGE_WHERE}`,
  pageRows: `SELECT id, tenant, updated_at, data FROM ${T}
    WHERE ${PAGE_WHERE} AND (updated_at, id) > (@afterUpdatedAt, @afterId)
    ORDER BY updated_at, id LIMIT @limit OFFSET @offset`,
  countByLocale: `SELECT locale, count(*) AS n FROM ${T} WHERE ${AUDIENCE_WHERE} GROUP BY locale`,
  audience: `SELECT data FROM ${T} WHERE ${AUDIENCE_WHERE}`,
  putCampaign: `INSERT INTO ${CAMPAIGNS_TABLE} (namespace, tenant, id, data, created_at) VALUES (?, ?, ?, ?, ?)`,
  campaign: `SELECT data FROM ${CAMPAIGNS_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`,
} as const;

const parseData = parseStored<MailingCoreContact>;

/** One contact to write, and the contact as the store holds it just before (absent for a new one). */
export interface ContactWrite {
  contact: MailingCoreContact;
  stored?: MailingCoreContact | undefined;
}

/** The keys to read contacts by; emails are compared case-insensitively. */
export interface ContactKeys {
  ids?: readonly string[];
  externalIds?: readonly string[];
  emails?: readonly string[];
}

export class MailingCoreStore {
  private readonly contacts: TenantTable;
  private readonly campaigns: TenantTable;
  /** Only scoped reads and writes of the counter: the table has no records to list. */
  private readonly sequences: TenantTable;

  constructor(private readonly store: Store) {
    this.contacts = new TenantTable(store, { table: CONTACTS_TABLE, key: 'id', start: '' });
    this.campaigns = new TenantTable(store, { table: CAMPAIGNS_TABLE, key: 'id', start: '' });
    this.sequences = new TenantTable(store, { table: SEQUENCES_TABLE, key: 'tenant', start: '' });
  }

  byId(scope: TenantScope, id: string): MailingCoreContact | undefined {
    return parseData(this.contacts.value(scope, SQL.byId, id));
  }

  byExternalId(scope: TenantScope, externalId: string): MailingCoreContact | undefined {
    return parseData(this.contacts.value(scope, SQL.byExternalId, externalId));
  }

  /** The stored contacts with any of `keys`, in one query, each once (in no particular order). */
  related(scope: TenantScope, keys: ContactKeys): MailingCoreContact[] {
    const { namespace, tenant } = scope;
    const rows = this.contacts.rows<{ data: string }>(
      scope,
      SQL.related,
      JSON.stringify(keys.ids ?? []),
      namespace,
      tenant,
      JSON.stringify(keys.externalIds ?? []),
      namespace,
      tenant,
      JSON.stringify((keys.emails ?? []).map(emailKey)),
    );
    const byId = new Map<string, MailingCoreContact>();
    for (const row of rows) {
      const contact = parse(row);
      byId.set(contact.id, contact);
    }
    return [...byId.values()];
  }

  /** The tenant's write counter now: a listing started now sees every write up to it. */
  currentSeq(scope: TenantScope): number {
    return (this.sequences.value(scope, SQL.currentSeq) as number | undefined) ?? 0;
  }

  /**
   * Writes contacts in order, inside the caller's transaction, under one new value of the
   * tenant's write counter: bumped once, and only when there is something to write.
   */
  write(scope: TenantScope, writes: readonly ContactWrite[]): void {
    if (writes.length === 0) return;
    const seq = this.sequences.value(scope, SQL.nextSeq) as number;
    for (const { contact, stored } of writes) this.put(scope, contact, seq, stored);
  }

  /**
   * Inserts or replaces one contact under `seq`. `stored` is the contact as the store holds it
   * when this write replaces it: when the write keeps its externalId and email, only the columns
   * that can change are rewritten.
   */
  put(scope: TenantScope, contact: MailingCoreContact, seq: number, stored?: MailingCoreContact): void {
    const data = JSON.stringify(contact);
    const optIn = contact.optIn ? 1 : 0;
    if (stored && stored.id === contact.id && stored.externalId === contact.externalId && emailKey(stored.email) === emailKey(contact.email)) {
      const changes = this.store
        .statement(SQL.update)
        .run(contact.locale, optIn, contact.projectId, seq, contact.updatedAt, data, scope.namespace, scope.tenant, contact.id).changes;
      if (changes === 1) return;
    }
    this.contacts.run(
      scope,
      SQL.put,
      contact.id,
      contact.externalId,
      emailKey(contact.email),
      contact.locale,
      optIn,
      contact.projectId,
      seq,
      contact.createdAt,
      contact.updatedAt,
      data,
    );
  }

  delete(scope: TenantScope, id: string): boolean {
    return this.contacts.run(scope, SQL.delete, id) > 0;
  }

  count(scope: TenantScope): number {
    return this.contacts.count(scope);
  }

  /**
   * One page in (updatedAt, id) order, read from the snapshot `position.asOfSeq`. A contact
   * written after the walk began is left out (its updatedAt is at least every one the walk
   * returns, so the next pull from their largest gets it): keys move on every write, and
   * leaving moved contacts out is what keeps a walk from returning one twice.
   */
  page(scope: TenantScope, filter: ContactListFilter, limit: number, position: ListPosition, offset: number): ContactPage {
    const params = {
      namespace: scope.namespace,
      tenant: scope.tenant,
      asOfSeq: position.asOfSeq,
      locale: filter.locale ?? null,
      optIn: filter.optIn === undefined ? null : filter.optIn ? 1 : 0,
      since: filter.updatedSince ?? null,
    };
    const total = this.store.statement(SQL.pageTotal).pluck().get(params) as number;
    const rows = this.store
      .statement(SQL.pageRows)
      .all({ ...params, afterUpdatedAt: position.afterUpdatedAt, afterId: position.afterId, limit: limit + 1, offset }) as ContactRow[];
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
  countByLocale(scope: TenantScope, filter: MailingCoreAudienceFilter, matchesAttributes: (contact: MailingCoreContact) => boolean): Map<string | null, number> {
    const params = {
      namespace: scope.namespace,
      tenant: scope.tenant,
      anyLocale: filter.locale === undefined ? 1 : 0,
      locale: filter.locale ?? null,
      optIn: filter.optIn === undefined ? null : filter.optIn ? 1 : 0,
      projectId: filter.projectId ?? null,
    };
    const counts = new Map<string | null, number>();
    if (filter.attributes === undefined || Object.keys(filter.attributes).length === 0) {
      const rows = this.store.statement(SQL.countByLocale).all(params) as Array<{ locale: string | null; n: number }>;
      for (const row of rows) counts.set(row.locale, row.n);
      return counts;
    }
    // Attribute values are free JSON: compare them in code, not with SQLite's JSON typing.
    for (const row of this.store.statement(SQL.audience).iterate(params) as Iterable<{ data: string }>) {
      const contact = parse(row);
      if (matchesAttributes(contact)) counts.set(contact.locale, (counts.get(contact.locale) ?? 0) + 1);
    }
    return counts;
  }

  putCampaign(scope: TenantScope, campaign: MailingCoreCampaign): void {
    this.campaigns.run(scope, SQL.putCampaign, campaign.id, JSON.stringify(campaign), campaign.createdAt);
  }

  campaign(scope: TenantScope, id: string): MailingCoreCampaign | undefined {
    return parseStored<MailingCoreCampaign>(this.campaigns.value(scope, SQL.campaign, id));
  }

  /** Contacts in (tenant, id) order, for the control API. */
  list(filter: RecordFilter): RecordPage {
    return this.contacts.list(filter);
  }
}
