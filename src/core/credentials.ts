// Vendor credentials (API keys, OAuth clients, tokens), kept in one core table shared by all vendors.
import { SecretSet } from './redact.js';
import type { Migration, Statements, Store } from './store.js';

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

/** Lookups `find` keeps at most (a vendor's credentials, and the unknown ids clients sent). */
const MAX_FOUND = 10_000;

export class Credentials {
  /**
   * Every secret seen in the table since start: a replaced or restored-away secret may still sit
   * in older journal entries, so it stays redacted.
   */
  private readonly seen = new Set<string>();
  /** Built from `seen` on first use after a change; undefined means the table must be read again. */
  private known: SecretSet | undefined;
  /**
   * What `find` answered, by vendor and id (null: no such credential): every vendor request looks
   * its credential up, and the table changes only through control calls, which clear this when
   * they end (`invalidate`), as a process that learns of another's change does.
   */
  private readonly found = new Map<string, CredentialRecord | null>();
  /** Moves at every `invalidate`: a lookup that was under way then is not kept. */
  private generation = 0;
  /** Counts this process's writes to the table; shared mode tells the other processes when it moves. */
  changes = 0;

  constructor(private readonly store: Store) {}

  /** Creates the table where it is missing (at start, before the first request). */
  migrate(): Promise<void> {
    return this.store.migrate('core.credentials', CREDENTIAL_MIGRATIONS);
  }

  /** The secrets outputs must never show (see core/redact.ts). Cached: outputs ask on every debug line. */
  secrets(): SecretSet {
    this.known ??= new SecretSet(this.seen);
    return this.known;
  }

  /**
   * Reads every secret in the table into `seen`: after start, and after code that wrote the table
   * directly (snapshot restore). Every write through `put` adds its own secret.
   */
  async refresh(): Promise<void> {
    for (const secret of await this.store.column<string>('SELECT secret FROM credentials')) this.seen.add(secret);
    this.known = undefined;
    this.changed();
  }

  /**
   * Forgets every lookup: after a control call that may have written the table (once its
   * transaction has ended, so a rolled-back write is not remembered), and in shared mode when
   * another process says it wrote it.
   */
  invalidate(): void {
    this.found.clear();
    this.generation += 1;
  }

  private changed(): void {
    this.changes += 1;
    this.invalidate();
  }

  /** The credential `id` of `vendor`, frozen (callers share it). */
  async find(vendor: string, id: string): Promise<CredentialRecord | undefined> {
    const key = `${vendor}\n${id}`;
    const cached = this.found.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const generation = this.generation;
    const [row] = await this.store.all<CredentialRow>('SELECT * FROM credentials WHERE vendor = ? AND id = ?', [vendor, id]);
    // Another process may have issued it (shared mode): its secret is redacted here from now on.
    if (row && !this.seen.has(row.secret)) {
      this.seen.add(row.secret);
      this.known = undefined;
    }
    const record = row ? fromRow(row) : null;
    if (record) Object.freeze(Object.freeze(record).data);
    if (generation === this.generation) {
      // Ids come from clients: unknown ones are remembered too, so the map is bounded.
      if (this.found.size >= MAX_FOUND) this.found.clear();
      this.found.set(key, record);
    }
    return record ?? undefined;
  }

  /** Creates the credential, or replaces the one with the same vendor and id: on `on` (a seed's transaction), else on the store. */
  async put(record: CredentialRecord, on: Statements = this.store): Promise<void> {
    await this.write(record, 'DO UPDATE SET tenant = excluded.tenant, secret = excluded.secret, data = excluded.data, revoked = excluded.revoked', on);
  }

  /**
   * Creates the credential unless one with the same vendor and id is stored, which is left as it
   * is: how the demo credentials are loaded at start, so a process (re)starting on a shared
   * database or file never undoes what an operator changed (a rotated secret, a revocation).
   * Answers whether it was created.
   */
  async putIfAbsent(record: CredentialRecord): Promise<boolean> {
    return this.write(record, 'DO NOTHING', this.store);
  }

  private async write(record: CredentialRecord, onConflict: string, on: Statements): Promise<boolean> {
    const written = await on.run(
      `INSERT INTO credentials (vendor, id, tenant, secret, data, revoked) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (vendor, id) ${onConflict}`,
      [record.vendor, record.id, record.tenant, record.secret, JSON.stringify(record.data), record.revoked ? 1 : 0],
    );
    if (written === 0) return false;
    this.seen.add(record.secret);
    this.known = undefined;
    this.changed();
    return true;
  }

  /** Marks a credential revoked; returns false when there is none. */
  async revoke(vendor: string, id: string): Promise<boolean> {
    const revoked = (await this.store.run('UPDATE credentials SET revoked = 1 WHERE vendor = ? AND id = ?', [vendor, id])) > 0;
    this.changed();
    return revoked;
  }

  async list(vendor?: string): Promise<CredentialRecord[]> {
    const rows =
      vendor === undefined
        ? await this.store.all<CredentialRow>('SELECT * FROM credentials ORDER BY vendor, tenant, id')
        : await this.store.all<CredentialRow>('SELECT * FROM credentials WHERE vendor = ? ORDER BY tenant, id', [vendor]);
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
