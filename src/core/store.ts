// The store seam: one async interface over the embedded SQLite file and a shared PostgreSQL database.
export interface Migration {
  /** Applied in order; a version is never applied twice. */
  version: number;
  /**
   * Written once, in the SQL both engines speak. Table definitions come from `createTenantTable`;
   * PostgreSQL reads the SQLite spellings of types and clustering as `postgresDdl` says.
   */
  sql: string;
  /**
   * The engines it runs on (default: both). Elsewhere it is recorded as applied and not run. For
   * physical design only, where the engines differ (an index, a storage setting): never for what a
   * query reads or returns, which stays one definition.
   */
  engines?: readonly Engine[];
}

/** Whether `engine` runs `migration` (one of its engines, or any when it names none). */
export const runsOn = (migration: Migration, engine: Engine): boolean => migration.engines?.includes(engine) ?? true;

/**
 * A PostgreSQL migration that leaves a fifth of each page of `table` free, for the new versions of
 * the rows on it. PostgreSQL writes an update as a new version of the row: on the same page, and
 * then with no new index entry ("HOT"), only when no indexed column changed and the page has room.
 * A page filled to the brim has none, so each first update of a row otherwise moves it and adds an
 * entry to every index (measured on the bench's loads: Propel's updates 0% in place before, 77%
 * after; Cora's 2% and 91%; MailingCore's, without its updatedAt index, 76%). For a table
 * whose rows are updated in place; SQLite rewrites a row where it is anyway. On a table that holds
 * rows already, it applies to the pages written from then on.
 */
export const roomForUpdates = (version: number, table: string): Migration => ({
  version,
  engines: ['postgres'],
  sql: `ALTER TABLE ${quoteIdent(table)} SET (fillfactor = 80)`,
});

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

/** A value now (SQLite) or later (PostgreSQL): always awaited. */
export type Awaitable<T> = T | Promise<T>;

/** `f` of an awaitable value: at once when the value is there (SQLite), else when it comes. */
export const thenDo = <T, U>(value: Awaitable<T>, f: (value: T) => U): Awaitable<U> => (value instanceof Promise ? value.then(f) : f(value));

/**
 * A column's kind where an engine needs it spelled out (a key list's element type, a batch's column
 * on PostgreSQL). `json` is text that holds JSON text (a record as JSON.stringify wrote it) or null:
 * stored as that text on both engines, but a PostgreSQL batch carries it as JSON rather than as a
 * string escaped a second time (`jsonTextsParam`). SQLite treats it as `text`.
 */
export type ColumnKind = 'text' | 'integer' | 'json';

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

/** Statements on one connection (see `Store.withLock`). */
export type Session = Pick<Statements, 'all' | 'column' | 'value' | 'run'>;

/**
 * What runs statements: the store itself (outside any transaction: on PostgreSQL each on a pooled
 * connection) or an open transaction (`Tx`). SQL is written with `?` parameters. Callers `await`
 * every answer, so one vendor store serves both engines: PostgreSQL answers with promises, SQLite
 * with the values themselves (its work is synchronous, and a promise per statement was a
 * measurable share of a small request).
 */
export interface Statements {
  readonly engine: Engine;
  readonly sql: SqlDialect;
  all<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Awaitable<Row[]>;
  /** The first column of every row. */
  column<T = unknown>(sql: string, params?: readonly unknown[]): Awaitable<T[]>;
  /** The first column of the first row, or undefined when there is none. */
  value<T = unknown>(sql: string, params?: readonly unknown[]): Awaitable<T | undefined>;
  /** Runs a write; answers how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Awaitable<number>;
  /**
   * Runs a write whose answer nobody reads (e.g. a DELETE whose count does not matter). On
   * PostgreSQL, in a transaction and outside its savepoints, it is sent without waiting for its
   * answer, as a `writeRows` batch is, and travels with the transaction's next statement or its
   * COMMIT: a failure then fails that statement or the commit with the write's own error, and the
   * transaction is rolled back. Elsewhere it runs at once, as `run`.
   */
  runDeferred(sql: string, params?: readonly unknown[]): Awaitable<void>;
  /**
   * Inserts rows into `table` in one statement on PostgreSQL (one round trip for the batch, or none
   * of its own: in a transaction it travels with the next statement or COMMIT, and a failure
   * then fails that statement or the commit with the write's own error) and
   * with one cached single-row statement per row on SQLite (no round trip to save). On a conflict
   * on `upsert.keys`, the `upsert.update` columns take the new values; without `upsert`, a conflict
   * throws. When several rows share a conflict key, the last one wins, as row-by-row would.
   */
  writeRows(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): Awaitable<void>;
}

/**
 * An open transaction, handed to the function `Store.transaction` runs: its statements run in the
 * transaction, where the store's own run outside it. Passed along explicitly (a vendor table finds
 * it on the request's `TenantScope`), not found through AsyncLocalStorage, which on Node 20 slows
 * every promise of the process (without it, shared mode served 4–7% more rows a second, measured).
 */
export interface Tx extends Statements {
  /**
   * Holds `key` (e.g. a tenant) until the transaction ends, across every process on the database,
   * once no other transaction holds it. Everything the transaction reads or writes after `lock`
   * runs holding it; on PostgreSQL the lock may travel with the next statement (one round trip),
   * so code between the two must touch nothing but this transaction. On SQLite, whose
   * transactions already run one at a time, it does nothing.
   */
  lock(key: string): Awaitable<void>;
  /**
   * Holds `key` shared until the transaction ends: with other shared holders, never with a
   * `lock` of it. Then holds each of `parts()` (`lock`, as one statement, in one order every
   * process uses, so two transactions naming the same parts never wait for each other crosswise).
   * A write of some of a tenant's records takes the tenant shared and the records' keys: writes of
   * different records run side by side, and a write of the whole tenant (`lock`) waits for them
   * all and they for it. More parts than the engine can hold at once take `lock(key)` instead
   * (PostgreSQL: MAX_LOCK_PARTS). Travels as `lock` does; on SQLite, which runs one transaction
   * at a time, it does nothing and never asks for the parts.
   */
  lockParts(key: string, parts: () => readonly string[]): Awaitable<void>;
  /**
   * Runs `fn` in a savepoint of this transaction (`fn` is given the transaction). A throw undoes
   * `fn`'s writes only, and so does success unless `keep` (a dry run inside a transaction).
   */
  savepoint<T>(fn: (tx: Tx) => Awaitable<T>, keep?: boolean): Promise<T>;
}

/** Where the sandbox's records, credentials and tokens live: the embedded SQLite file or a shared PostgreSQL database. */
export interface Store extends Statements {
  /** What the health check names: `sqlite:<path>` or `postgres://host:port/db` (never a password). */
  readonly label: string;
  /** Round trips to a server so far: statements sent together count once (PostgreSQL; an embedded engine has none). */
  readonly roundTrips?: number;
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it throws. `fn`
   * runs its statements on the `tx` it is given; the store's own statements run outside it (on
   * PostgreSQL, on another connection). Never inside another transaction (PostgreSQL would wait
   * for a second connection; SQLite for itself): nest with `tx.savepoint`. `fn` may await only
   * this store.
   */
  transaction<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T>;
  /**
   * Runs `fn` holding `key` across every process on the database, outside any transaction: `fn`
   * reads and writes through the session it is given (the connection holding the lock), so
   * processes queueing for the lock use one connection each at most.
   */
  withLock<T>(key: string, fn: (session: Session) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction that is always rolled back: a dry run. Never inside another transaction. */
  rolledBack<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T>;
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
  /**
   * The longest one statement may run, ms (default 10000): a stuck database fails a request, it
   * never hangs it. An answer not back this long and the connect timeout more after its statement
   * was sent (a host gone silent) fails the statement too, and drops its connection.
   */
  statementTimeoutMs?: number;
}

/** ES2024's well-formed string methods (Node 20 has them; the ES2023 lib does not declare them). */
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Values as one JSON array for a statement parameter, each lone UTF-16 surrogate (a client can
 * send `"\ud800"`) replaced by U+FFFD, as the drivers do when they encode a text parameter:
 * PostgreSQL refuses the escaped surrogate as invalid JSON, and a key compares the same however
 * it travels.
 */
export function jsonParam(values: readonly unknown[]): string {
  return values.some(illFormed) ? JSON.stringify(values, (_key, v: unknown) => (typeof v === 'string' ? (v as unknown as WellFormed).toWellFormed() : v)) : JSON.stringify(values);
}

/**
 * A `json` column's values as one JSON array for a statement parameter: each JSON text of an object
 * or array written in as it is, not escaped into a string a second time (a 500-row Cora write holds
 * about 200 kB of it, escaped by V8 and unescaped by PostgreSQL while the tenant's lock is held).
 * Anything else (null, a text that is no object or array) goes as `jsonParam` writes it, so the
 * reader tells them apart by the element's JSON type. A text that starts with `{` or `[` must be
 * JSON: it is not checked here (PostgreSQL refuses the whole statement when it is not).
 */
export function jsonTextsParam(values: readonly unknown[]): string {
  return `[${values.map((v) => (typeof v === 'string' && (v.startsWith('{') || v.startsWith('[')) ? v : JSON.stringify(wellFormed(v ?? null)))).join(',')}]`;
}

/** `v` with any lone surrogate in it replaced by U+FFFD, when it is a string. */
export const wellFormed = <T>(v: T): T => (typeof v === 'string' && !(v as unknown as WellFormed).isWellFormed() ? ((v as unknown as WellFormed).toWellFormed() as T) : v);

/** A string holding a lone surrogate, or an array (a key tuple) with one. */
const illFormed = (v: unknown): boolean => (typeof v === 'string' ? !(v as unknown as WellFormed).isWellFormed() : Array.isArray(v) && v.some(illFormed));

/** Quotes an identifier that was checked against the schema; never used on raw client input. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A write refused by a constraint (a duplicate key, a NOT NULL), on either engine. */
export function isConstraintViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // better-sqlite3: SQLITE_CONSTRAINT_*; PostgreSQL: SQLSTATE class 23 (integrity constraint violation).
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || /^23[0-9A-Z]{3}$/.test(code));
}

/**
 * Whether a statement failed because its connection to the store was lost, whether or not the
 * store answers again by now: the server ended it (an operator's pg_terminate_backend, a
 * restart or failover: SQLSTATE class 08 and 57P01-57P03), or the socket broke or timed out
 * under the driver (no connection made in time, no answer in time, or the store already found
 * unreachable: see PostgresStore's Reachability). SQLite's store runs in this process and has no
 * connection to lose.
 */
export function isConnectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || SOCKET_FAILURES.has(code))) return true;
  // node-postgres's own words for a connection that ended or never came (they carry no code).
  return typeof message === 'string' && /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout)/.test(message);
}
const SOCKET_FAILURES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether the store answers right now (its `ping` succeeds): the one test of "the store is
 * unreachable" (refused, timed out, connection dropped), which GET /_sandbox/health answers and
 * which turns a failed control call into 503 STORE_UNAVAILABLE instead of a 500.
 */
export async function storeAnswers(store: Pick<Store, 'ping'>): Promise<boolean> {
  try {
    await store.ping();
    return true;
  } catch {
    return false;
  }
}

/** Whether `db` names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * Runs `fn` in a savepoint of the open transaction (`exec` runs one statement on its connection):
 * undone when `fn` throws, and also when it succeeds unless `keep` (a dry run inside a transaction).
 * Savepoints nest: each one is the most recent of its name while it is open.
 */
export async function inSavepoint<T>(exec: (sql: string) => unknown, fn: () => Awaitable<T>, keep: boolean): Promise<T> {
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
  private locked = false;
  private readonly waiting: Array<() => void> = [];

  /** The release function when the lock is free now (no promise to wait for: the common case), else undefined. */
  tryAcquire(): (() => void) | undefined {
    if (this.locked) return undefined;
    this.locked = true;
    return this.release;
  }

  acquire(): Promise<() => void> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.release)));
  }

  private readonly release = (): void => {
    const next = this.waiting.shift();
    if (next) next();
    else this.locked = false;
  };
}
