// Vendor credentials (API keys, OAuth clients, tokens), kept in one core table shared by all vendors.
import { SecretSet } from './redact.js';
import type { Store, Migration } from './store.js';

export interface CredentialRecord {
  vendor: string;
  /** What a request presents to find the credential (a key id, a client id, a token). */
  id: string;
  tenant: string;
  secret: string;
  /** Vendor-specific facts (a user email, scopes). */
  data: Record<string, unknown>;
  revoked: boolean;
}

export const CREDENTIAL_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE credentials (
      vendor TEXT NOT NULL,
      id TEXT NOT NULL,
      tenant TEXT NOT NULL,
      secret TEXT NOT NULL,
      data TEXT NOT NULL DEFAULT '{}',
      revoked INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (vendor, id)
    ) WITHOUT ROWID`,
  },
];

interface CredentialRow {
  vendor: string;
  id: string;
  tenant: string;
  secret: string;
  data: string;
  revoked: number;
}

const fromRow = (row: CredentialRow): CredentialRecord => ({
  vendor: row.vendor,
  id: row.id,
  tenant: row.tenant,
  secret: row.secret,
  data: JSON.parse(row.data) as Record<string, unknown>,
  revoked: row.revoked === 1,
});

export class Credentials {
  /**
   * Every secret seen in the table since start: a replaced or restored-away secret may still sit
   * in older journal entries, so it stays redacted.
   */
  private readonly seen = new Set<string>();
  /** Built from `seen` on first use after a change; undefined means the table must be read again. */
  private known: SecretSet | undefined;

  constructor(private readonly store: Store) {
    store.migrate('core.credentials', CREDENTIAL_MIGRATIONS);
  }

  /** The secrets outputs must never show (see core/redact.ts). Cached: outputs ask on every debug line. */
  secrets(): SecretSet {
    if (this.known === undefined) {
      for (const secret of this.store.statement('SELECT secret FROM credentials').pluck().all() as string[]) this.seen.add(secret);
      this.known = new SecretSet(this.seen);
    }
    return this.known;
  }

  /** Drops the cached secrets; code that writes the credentials table directly (snapshot restore) calls it. */
  forget(): void {
    this.known = undefined;
  }

  find(vendor: string, id: string): CredentialRecord | undefined {
    const row = this.store
      .statement('SELECT * FROM credentials WHERE vendor = ? AND id = ?')
      .get(vendor, id) as CredentialRow | undefined;
    return row && fromRow(row);
  }

  /** Creates the credential, or replaces the one with the same vendor and id. */
  put(record: CredentialRecord): void {
    this.store
      .statement(
        `INSERT INTO credentials (vendor, id, tenant, secret, data, revoked) VALUES (@vendor, @id, @tenant, @secret, @data, @revoked)
         ON CONFLICT (vendor, id) DO UPDATE SET tenant = excluded.tenant, secret = excluded.secret, data = excluded.data, revoked = excluded.revoked`,
      )
      .run({ ...record, data: JSON.stringify(record.data), revoked: record.revoked ? 1 : 0 });
    this.forget();
  }

  /** Marks a credential revoked; returns false when there is none. */
  revoke(vendor: string, id: string): boolean {
    return this.store.statement('UPDATE credentials SET revoked = 1 WHERE vendor = ? AND id = ?').run(vendor, id).changes > 0;
  }

  list(vendor?: string): CredentialRecord[] {
    const rows = (
      vendor === undefined
        ? this.store.statement('SELECT * FROM credentials ORDER BY vendor, tenant, id').all()
        : this.store.statement('SELECT * FROM credentials WHERE vendor = ? ORDER BY tenant, id').all(vendor)
    ) as CredentialRow[];
    return rows.map(fromRow);
  }
}

/**
 * Shows enough of a secret to recognise it, never enough to use it: at most the last 4
 * characters, and nothing of one shorter than 12 (4 characters of 8 would halve the guessing).
 */
export function maskSecret(secret: string): string {
  return secret.length < 12 ? '****' : `****${secret.slice(-4)}`;
}
