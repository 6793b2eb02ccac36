// The embedded SQLite store: opened once, migrated per owner, statements prepared once and cached.
import Database from 'better-sqlite3';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js';
import {
  inSavepoint,
  insertSql,
  Mutex,
  quoteIdent,
  runsOn,
  type Column,
  type ColumnInfo,
  type Awaitable,
  type Migration,
  type Session,
  type SqlDialect,
  type Store,
  type Tx,
  type Upsert,
} from './store.js';

export const SQLITE_DIALECT: SqlDialect = {
  inKeys: (column) => `${quoteIdent(column)} IN (SELECT value FROM json_each(?))`,
  inKeyTuples: (columns) =>
    `(${columns.map(([name]) => quoteIdent(name)).join(', ')}) IN (SELECT ${columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')} FROM json_each(?))`,
  indexedBy: (index) => ` INDEXED BY ${quoteIdent(index)}`,
  jsonText: (column, field) => `json_extract(${quoteIdent(column)}, '$.${field}')`,
};

/**
 * better-sqlite3 answers synchronously: the async methods resolve at once, so a transaction's
 * work never yields to another request's I/O. The writer lock still orders transactions (two
 * pipelined requests may run their first steps in one turn of the event loop). The store is its
 * own transaction handle (`Tx`): its one connection runs one transaction at a time.
 */
export class SqliteStore implements Store, Tx {
  readonly engine = 'sqlite' as const;
  readonly sql = SQLITE_DIALECT;
  readonly label: string;
  /**
   * The better-sqlite3 connection, for this repository's tests. Left out of the published types
   * (stripInternal in tsconfig.build.json): they would name @types/better-sqlite3, which is not
   * among the package's dependencies.
   * @internal
   */
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly insertSqlOf = new WeakMap<readonly Column[], { upsert: Upsert | undefined; text: string }>();
  private readonly writer = new Mutex();
  /** `withLock` holders (one key for all: nothing holds two). */
  private readonly holders = new Mutex();
  /** File databases: checkpoints run on a worker thread, started by the first write transaction. */
  private checkpointer: Checkpointer | undefined;
  private readonly checkpointsOffThread: boolean;
  private readonly onCheckpointError: (error: Error) => void;

  constructor(
    private readonly path: string,
    options: { onCheckpointError?: (error: Error) => void } = {},
  ) {
    this.label = `sqlite:${path === '' ? ':memory:' : path}`;
    this.db = new Database(path);
    // WAL lets readers run while a bulk write commits; NORMAL sync is durable across a process
    // crash (only an OS crash can lose the last commits), which is the sandbox's promise.
    this.checkpointsOffThread = path !== ':memory:' && path !== '';
    if (this.checkpointsOffThread) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    }
    this.onCheckpointError = options.onCheckpointError ?? ((error) => console.error(`checkpoint worker: ${error.message}`));
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (owner, version))');
  }

  async migrate(owner: string, migrations: readonly Migration[]): Promise<void> {
    const applied = new Set(this.db.prepare('SELECT version FROM schema_migrations WHERE owner = ?').pluck().all(owner) as number[]);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        if (runsOn(m, this.engine)) this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (owner, version) VALUES (?, ?)').run(owner, m.version);
      })();
    }
  }

  /**
   * The prepared statement for `sql`, compiled on first use. Left out of the published types, as `db` is.
   * @internal
   */
  statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  all<Row>(sql: string, params: readonly unknown[] = []): Row[] {
    // pluck() sets a mode on the cached statement: set it on every call.
    return this.statement(sql).pluck(false).all(...params) as Row[];
  }

  column<T>(sql: string, params: readonly unknown[] = []): T[] {
    return this.statement(sql).pluck(true).all(...params) as T[];
  }

  value<T>(sql: string, params: readonly unknown[] = []): T | undefined {
    return this.statement(sql).pluck(true).get(...params) as T | undefined;
  }

  run(sql: string, params: readonly unknown[] = []): number {
    return this.statement(sql).run(...params).changes;
  }

  /** At once: nothing is saved by waiting on an embedded engine. */
  runDeferred(sql: string, params: readonly unknown[] = []): void {
    this.statement(sql).run(...params);
  }

  writeRows(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): void {
    if (rows.length === 0) return;
    // Callers pass the same `columns` array for the same write (TenantTable keeps one per write).
    let sql = this.insertSqlOf.get(columns);
    if (sql === undefined || sql.upsert !== upsert) this.insertSqlOf.set(columns, (sql = { upsert, text: insertSql(table, columns, upsert) }));
    const stmt = this.statement(sql.text);
    for (const row of rows) stmt.run(...row);
  }

  async transaction<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    const release = this.writer.tryAcquire() ?? (await this.writer.acquire());
    try {
      this.statement('BEGIN').run();
      let result: T;
      try {
        result = await fn(this);
      } catch (error) {
        if (this.db.inTransaction) this.statement('ROLLBACK').run();
        throw error;
      }
      this.statement('COMMIT').run();
      if (this.checkpointsOffThread) {
        this.checkpointer ??= startCheckpointer(this.path, this.onCheckpointError);
        this.checkpointer.nudge();
      }
      return result;
    } finally {
      release();
    }
  }

  savepoint<T>(fn: (tx: Tx) => Awaitable<T>, keep = true): Promise<T> {
    return inSavepoint((sql) => this.db.exec(sql), () => fn(this), keep);
  }

  /** Nothing to hold: the writer lock runs this process's transactions one at a time, and one process owns the file. */
  lock(): void {}
  /** Nothing to hold either, so the parts are never asked for. */
  lockParts(): void {}

  /** One process owns a SQLite file's sandbox: its holders take turns in this process. */
  async withLock<T>(_key: string, fn: (session: Session) => Promise<T>): Promise<T> {
    const release = await this.holders.acquire();
    try {
      return await fn(this);
    } finally {
      release();
    }
  }

  async rolledBack<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    const release = this.writer.tryAcquire() ?? (await this.writer.acquire());
    try {
      this.statement('BEGIN').run();
      try {
        return await fn(this);
      } finally {
        if (this.db.inTransaction) this.statement('ROLLBACK').run();
      }
    } finally {
      release();
    }
  }

  async tableNames(): Promise<string[]> {
    return this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name")
      .pluck()
      .all() as string[];
  }

  async columnInfo(table: string): Promise<ColumnInfo[]> {
    const rows = this.db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as Array<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: unknown;
      pk: number;
    }>;
    return rows.map((c) => ({ name: c.name, type: c.type.toUpperCase(), notNull: c.notnull === 1, hasDefault: c.dflt_value !== null, primaryKey: c.pk > 0 }));
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** Closes at once (a process exiting cannot await). */
  closeSync(): void {
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}
