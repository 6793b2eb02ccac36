// MailingCore's tables: contacts (one row per contact, lookup keys as columns, the contact as JSON), campaigns, and a write counter.
import { pageTenantRecords, parseDataColumn } from '../../core/records.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { SandboxError } from '../../core/errors.js';
import type { Migration, Store } from '../../core/store.js';
import type { RecordFilter, RecordPage } from '../../core/vendor.js';
import type { MailingCoreAudienceFilter, MailingCoreCampaign, MailingCoreContact } from './schemas.js';

export const CONTACTS_TABLE = 'mailingcore_contacts';
export const CAMPAIGNS_TABLE = 'mailingcore_campaigns';
/** One counter per tenant, bumped once per write transaction: what a listing snapshot is pinned to. */
export const SEQUENCES_TABLE = 'mailingcore_sequences';

export const MAILINGCORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE ${CONTACTS_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      id TEXT NOT NULL,
      external_id TEXT,
      email_key TEXT NOT NULL,
      locale TEXT,
      opt_in INTEGER NOT NULL,
      project_id TEXT,
      seq INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (namespace, tenant, id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX ${CONTACTS_TABLE}_email ON ${CONTACTS_TABLE} (namespace, tenant, email_key);
    CREATE UNIQUE INDEX ${CONTACTS_TABLE}_external_id ON ${CONTACTS_TABLE} (namespace, tenant, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX ${CONTACTS_TABLE}_updated ON ${CONTACTS_TABLE} (namespace, tenant, updated_at, id);
    CREATE INDEX ${CONTACTS_TABLE}_locale ON ${CONTACTS_TABLE} (namespace, tenant, locale);
    CREATE TABLE ${CAMPAIGNS_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      id TEXT NOT NULL,
      data TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (namespace, tenant, id)
    ) WITHOUT ROWID;
    CREATE TABLE ${SEQUENCES_TABLE} (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      value INTEGER NOT NULL,
      PRIMARY KEY (namespace, tenant)
    ) WITHOUT ROWID;`,
  },
];

export interface Scope {
  namespace: string;
  tenant: string;
}

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

const parse = (row: { data: string }) => JSON.parse(row.data) as MailingCoreContact;

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
    throw new SandboxError('INVALID_CURSOR');
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
    throw new SandboxError('INVALID_CURSOR');
  }
  return {
    position: { asOfSeq: asOfSeq as number, afterUpdatedAt, afterId, page: page as number },
    filter: { locale: locale ?? undefined, optIn: optIn ?? undefined, updatedSince: updatedSince ?? undefined },
  };
}

export class MailingCoreStore {
  constructor(private readonly store: Store) {}

  /** Runs `fn` in one synchronous transaction. */
  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }

  byId(scope: Scope, id: string): MailingCoreContact | undefined {
    const row = this.store
      .statement(`SELECT data FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`)
      .get(scope.namespace, scope.tenant, id) as { data: string } | undefined;
    return row && parse(row);
  }

  byExternalId(scope: Scope, externalId: string): MailingCoreContact | undefined {
    const row = this.store
      .statement(`SELECT data FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND external_id = ?`)
      .get(scope.namespace, scope.tenant, externalId) as { data: string } | undefined;
    return row && parse(row);
  }

  byEmail(scope: Scope, email: string): MailingCoreContact | undefined {
    const row = this.store
      .statement(`SELECT data FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND email_key = ?`)
      .get(scope.namespace, scope.tenant, emailKey(email)) as { data: string } | undefined;
    return row && parse(row);
  }

  /** The tenant's write counter now: a listing started now sees every write up to it. */
  currentSeq(scope: Scope): number {
    const value = this.store
      .statement(`SELECT value FROM ${SEQUENCES_TABLE} WHERE namespace = ? AND tenant = ?`)
      .pluck()
      .get(scope.namespace, scope.tenant) as number | undefined;
    return value ?? 0;
  }

  /** Bumps the tenant's write counter; call once inside each write transaction. */
  nextSeq(scope: Scope): number {
    return this.store
      .statement(
        `INSERT INTO ${SEQUENCES_TABLE} (namespace, tenant, value) VALUES (?, ?, 1)
         ON CONFLICT (namespace, tenant) DO UPDATE SET value = value + 1 RETURNING value`,
      )
      .pluck()
      .get(scope.namespace, scope.tenant) as number;
  }

  /** Inserts or replaces one contact; callers run it inside their transaction. */
  put(scope: Scope, contact: MailingCoreContact, seq: number): void {
    this.store
      .statement(
        `INSERT INTO ${CONTACTS_TABLE} (namespace, tenant, id, external_id, email_key, locale, opt_in, project_id, seq, created_at, updated_at, data)
         VALUES (@namespace, @tenant, @id, @externalId, @emailKey, @locale, @optIn, @projectId, @seq, @createdAt, @updatedAt, @data)
         ON CONFLICT (namespace, tenant, id) DO UPDATE SET external_id = excluded.external_id, email_key = excluded.email_key,
           locale = excluded.locale, opt_in = excluded.opt_in, project_id = excluded.project_id, seq = excluded.seq,
           updated_at = excluded.updated_at, data = excluded.data`,
      )
      .run({
        namespace: scope.namespace,
        tenant: scope.tenant,
        id: contact.id,
        externalId: contact.externalId,
        emailKey: emailKey(contact.email),
        locale: contact.locale,
        optIn: contact.optIn ? 1 : 0,
        projectId: contact.projectId,
        seq,
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
        data: JSON.stringify(contact),
      });
  }

  delete(scope: Scope, id: string): boolean {
    return (
      this.store.statement(`DELETE FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`).run(scope.namespace, scope.tenant, id)
        .changes > 0
    );
  }

  count(scope: Scope): number {
    return this.store
      .statement(`SELECT count(*) FROM ${CONTACTS_TABLE} WHERE namespace = ? AND tenant = ?`)
      .pluck()
      .get(scope.namespace, scope.tenant) as number;
  }

  /**
   * One page in (updatedAt, id) order, read from the snapshot `position.asOfSeq`. A contact
   * written after the walk began is left out (its updatedAt is at least every one the walk
   * returns, so the next pull from their largest gets it): keys move on every write, and
   * leaving moved contacts out is what keeps a walk from returning one twice.
   */
  page(scope: Scope, filter: ContactListFilter, limit: number, position: ListPosition, offset: number): ContactPage {
    const params = {
      namespace: scope.namespace,
      tenant: scope.tenant,
      asOfSeq: position.asOfSeq,
      locale: filter.locale ?? null,
      optIn: filter.optIn === undefined ? null : filter.optIn ? 1 : 0,
      since: filter.updatedSince ?? null,
    };
    const where = `namespace = @namespace AND tenant = @tenant AND seq <= @asOfSeq
      AND (@locale IS NULL OR locale = @locale) AND (@optIn IS NULL OR opt_in = @optIn) AND (@since IS NULL OR updated_at >= @since)`;
    const total = this.store.statement(`SELECT count(*) FROM ${CONTACTS_TABLE} WHERE ${where}`).pluck().get(params) as number;
    const rows = this.store
      .statement(
        `SELECT id, tenant, updated_at, data FROM ${CONTACTS_TABLE}
         WHERE ${where} AND (updated_at, id) > (@afterUpdatedAt, @afterId)
         ORDER BY updated_at, id LIMIT @limit OFFSET @offset`,
      )
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
  countByLocale(scope: Scope, filter: MailingCoreAudienceFilter, matchesAttributes: (contact: MailingCoreContact) => boolean): Map<string | null, number> {
    const params = {
      namespace: scope.namespace,
      tenant: scope.tenant,
      anyLocale: filter.locale === undefined ? 1 : 0,
      locale: filter.locale ?? null,
      optIn: filter.optIn === undefined ? null : filter.optIn ? 1 : 0,
      projectId: filter.projectId ?? null,
    };
    const where = `namespace = @namespace AND tenant = @tenant AND (@anyLocale = 1 OR locale IS @locale)
      AND (@optIn IS NULL OR opt_in = @optIn) AND (@projectId IS NULL OR project_id = @projectId)`;
    const counts = new Map<string | null, number>();
    if (filter.attributes === undefined || Object.keys(filter.attributes).length === 0) {
      const rows = this.store
        .statement(`SELECT locale, count(*) AS n FROM ${CONTACTS_TABLE} WHERE ${where} GROUP BY locale`)
        .all(params) as Array<{ locale: string | null; n: number }>;
      for (const row of rows) counts.set(row.locale, row.n);
      return counts;
    }
    // Attribute values are free JSON: compare them in code, not with SQLite's JSON typing.
    for (const row of this.store.statement(`SELECT data FROM ${CONTACTS_TABLE} WHERE ${where}`).iterate(params) as Iterable<{ data: string }>) {
      const contact = parse(row);
      if (matchesAttributes(contact)) counts.set(contact.locale, (counts.get(contact.locale) ?? 0) + 1);
    }
    return counts;
  }

  putCampaign(scope: Scope, campaign: MailingCoreCampaign): void {
    this.store
      .statement(`INSERT INTO ${CAMPAIGNS_TABLE} (namespace, tenant, id, data, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(scope.namespace, scope.tenant, campaign.id, JSON.stringify(campaign), campaign.createdAt);
  }

  campaign(scope: Scope, id: string): MailingCoreCampaign | undefined {
    const data = this.store
      .statement(`SELECT data FROM ${CAMPAIGNS_TABLE} WHERE namespace = ? AND tenant = ? AND id = ?`)
      .pluck()
      .get(scope.namespace, scope.tenant, id) as string | undefined;
    return data === undefined ? undefined : (JSON.parse(data) as MailingCoreCampaign);
  }

  /** Contacts in (tenant, id) order, for the control API. */
  list(filter: RecordFilter): RecordPage {
    return pageTenantRecords(this.store, filter, {
      table: CONTACTS_TABLE,
      key: 'id',
      start: '',
      columns: 'id, tenant, updated_at, data',
      toRecord: (row) => parse(row as unknown as ContactRow),
    });
  }

}
