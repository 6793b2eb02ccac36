// Opens the store `--db` names: a SQLite file (or `:memory:`) by default, PostgreSQL for a postgres:// URL.
import { SqliteStore } from './sqlite-store.js';
import { isPostgresUrl, type Store } from './store.js';
import type { PostgresOptions } from './store.js';

export interface StoreOptions {
  postgres?: PostgresOptions;
  onCheckpointError?: (error: Error) => void;
}

/** The PostgreSQL driver is loaded only when a postgres:// URL asks for it. */
export async function openStore(db: string, options: StoreOptions = {}): Promise<Store> {
  if (!isPostgresUrl(db)) return new SqliteStore(db, options.onCheckpointError ? { onCheckpointError: options.onCheckpointError } : {});
  const { PostgresStore } = await import('./postgres-store.js');
  const store = new PostgresStore(db, options.postgres);
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw new Error(`cannot reach the database at ${store.label}: ${(error as Error).message}`);
  }
  return store;
}
