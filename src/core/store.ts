// The store seam: one async interface over the embedded SQLite file and a shared PostgreSQL database.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Migration {
  /** Applied in order; a version is never applied twice. */
  version: number;
  /**
   * Written once, in the SQL both engines speak. Table definitions come from `createTenantTable`;
   * PostgreSQL reads the SQLite spellings of types and clustering as `postgresDdl` says.
   */
  sql: string;
}

/** One column of a table, as the engine declares it. */
export interface ColumnInfo {
  name: string;
  /** The declared type, upper case in SQLite's words (`TEXT`, `INTEGER`, ...; '' when none was declared). */
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
}

export type Engine = 'sqlite' | 'postgres';

/** A column's kind where an engine needs it spelled out (a key list's element type on PostgreSQL). */
export type ColumnKind = 'text' | 'integer';

/**
 * The few SQL fragments the two engines spell differently, so that every query is written once.
 * Each `?` is a positional parameter on both engines.
 */
export interface SqlDialect {
  /** `column` equals one of a JSON array of keys, bound as one parameter (one statement text for any batch size). */
  inKeys(column: string, kind: ColumnKind): string;
  /** Several columns equal one of a JSON array of key tuples (arrays), bound as one parameter. */
  inKeyTuples(columns: ReadonlyArray<readonly [name: string, kind: ColumnKind]>): string;
  /** SQLite's `INDEXED BY` hint (its planner has no statistics); nothing on PostgreSQL, whose planner has them. */
  indexedBy(index: string): string;
  /** A text field of the JSON held in a text column, e.g. `data`'s `name`. */
  jsonText(column: string, field: string): string;
}

/**
 * Where the sandbox's records, credentials and tokens live. Every method is async so that one
 * vendor store serves both engines; on SQLite the work itself is synchronous and never yields.
 * SQL is written with `?` parameters.
 */
export interface Store {
  readonly engine: Engine;
  /** What the health check names: `sqlite:<path>` or `postgres://host:port/db` (never a password). */
  readonly label: string;
  readonly sql: SqlDialect;
  all<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** The first column of every row. */
  column<T = unknown>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The first column of the first row, or undefined when there is none. */
  value<T = unknown>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a write; answers how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Inserts rows into `table` in one statement on PostgreSQL (one round trip for the batch) and
   * with one cached single-row statement per row on SQLite (no round trip to save). On a conflict
   * on `upsert.keys`, the `upsert.update` columns take the new values; without `upsert`, a conflict
   * throws. When several rows share a conflict key, the last one wins, as row-by-row would.
   */
  writeRows(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): Promise<void>;
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it throws.
   * Called inside a transaction, `fn` runs in a savepoint of it: a throw undoes `fn`'s writes only,
   * and the outer transaction commits or rolls back the rest. `fn` may await only this store.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other transaction holds `key` (e.g. a tenant), and holds
   * it until this one ends, across every process on the database. On SQLite, whose transactions
   * already run one at a time, it does nothing.
   */
  lock(key: string): Promise<void>;
  /** Runs `fn` in a transaction (or a savepoint inside one) that is always rolled back: a dry run. */
  rolledBack<T>(fn: () => Promise<T>): Promise<T>;
  /** Applies the owner's migrations not yet applied, each in its own transaction (safe when several processes start at once). */
  migrate(owner: string, migrations: readonly Migration[]): Promise<void>;
  /** Every data table (migrations bookkeeping excluded), by name. */
  tableNames(): Promise<string[]>;
  columnInfo(table: string): Promise<ColumnInfo[]>;
  /** Throws when the engine cannot answer (the health check). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A column a write names, with its kind (PostgreSQL types the batch's arrays by it). */
export interface Column {
  name: string;
  kind: ColumnKind;
}

export interface Upsert {
  /** The conflict target: a primary key or unique index's columns. */
  keys: readonly string[];
  /** The columns a conflicting row overwrites (none: keep the stored row). */
  update: readonly string[];
}

/** The single-row INSERT both engines run (SQLite per row; the conflict clause is shared with PostgreSQL's batch). */
export function insertSql(table: string, columns: readonly Column[], upsert: Upsert | undefined, values = `VALUES (${columns.map(() => '?').join(', ')})`): string {
  const insert = `INSERT INTO ${quoteIdent(table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) ${values}`;
  if (!upsert) return insert;
  const target = `ON CONFLICT (${upsert.keys.map(quoteIdent).join(', ')})`;
  if (upsert.update.length === 0) return `${insert} ${target} DO NOTHING`;
  return `${insert} ${target} DO UPDATE SET ${upsert.update.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`;
}

/** PostgreSQL connection pool settings (`--pg-pool-max`, ...). */
export interface PostgresOptions {
  /** Connections this process keeps at most (default 10). */
  poolMax?: number;
  /** How long a request waits for a free connection or a new one before failing, ms (default 5000). */
  connectTimeoutMs?: number;
  /** The longest one statement may run, ms (default 10000): a stuck database fails a request, it never hangs it. */
  statementTimeoutMs?: number;
}

/** Quotes an identifier that was checked against the schema; never used on raw client input. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A write refused by a constraint (a duplicate key, a NOT NULL), on either engine. */
export function isConstraintViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // better-sqlite3: SQLITE_CONSTRAINT_*; PostgreSQL: SQLSTATE class 23 (integrity constraint violation).
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || /^23[0-9A-Z]{3}$/.test(code));
}

/** Whether `db` names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * The transaction a piece of async work runs in, when any: both engines use it to tell their own
 * transaction (join it) from another request's (wait for it).
 */
export class TransactionScope<Tx> {
  private readonly als = new AsyncLocalStorage<Tx>();
  current(): Tx | undefined {
    return this.als.getStore();
  }
  run<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
    return this.als.run(tx, fn);
  }
}

/**
 * Runs `fn` in a savepoint of the open transaction (`exec` runs one statement on its connection):
 * undone when `fn` throws, and also when it succeeds unless `keep` (a dry run inside a transaction).
 * Savepoints nest: each one is the most recent of its name while it is open.
 */
export async function inSavepoint<T>(exec: (sql: string) => unknown, fn: () => Promise<T>, keep: boolean): Promise<T> {
  await exec('SAVEPOINT nested');
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await exec('ROLLBACK TO nested');
    await exec('RELEASE nested');
    throw error;
  }
  if (!keep) await exec('ROLLBACK TO nested');
  await exec('RELEASE nested');
  return result;
}

/** A FIFO lock: one holder at a time, the others wait in order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}
