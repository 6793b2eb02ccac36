// Vendor credentials (API keys, OAuth clients, tokens), kept in one core table shared by all vendors.
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
  constructor(private readonly store: Store) {
    store.migrate('core.credentials', CREDENTIAL_MIGRATIONS);
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

/** Shows enough of a secret to recognise it, never enough to use it. */
export function maskSecret(secret: string): string {
  if (secret.length <= 4) return '****';
  return `${secret.slice(0, 2)}${'*'.repeat(Math.min(8, secret.length - 4))}${secret.slice(-2)}`;
}
