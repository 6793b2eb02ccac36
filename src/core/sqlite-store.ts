// The embedded SQLite store: opened once, migrated per owner, statements prepared once and cached.
import Database from 'better-sqlite3';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js';
import {
  inSavepoint,
  insertSql,
  Mutex,
  quoteIdent,
  TransactionScope,
  type Column,
  type ColumnInfo,
  type Migration,
  type SqlDialect,
  type Store,
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
 * work never yields to another request. The lock still orders transactions, should one ever await
 * something else than the store.
 */
export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly sql = SQLITE_DIALECT;
  readonly label: string;
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly tx = new TransactionScope<true>();
  private readonly writer = new Mutex();
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
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (owner, version) VALUES (?, ?)').run(owner, m.version);
      })();
    }
  }

  /** The prepared statement for `sql`, compiled on first use. */
  statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  async all<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    // pluck() sets a mode on the cached statement: set it on every call.
    return this.statement(sql).pluck(false).all(...params) as Row[];
  }

  async column<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.statement(sql).pluck(true).all(...params) as T[];
  }

  async value<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return this.statement(sql).pluck(true).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.statement(sql).run(...params).changes;
  }

  async writeRows(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): Promise<void> {
    if (rows.length === 0) return;
    const stmt = this.statement(insertSql(table, columns, upsert));
    for (const row of rows) stmt.run(...row);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.current()) return inSavepoint((sql) => this.db.exec(sql), fn, true);
    const release = await this.writer.acquire();
    try {
      this.db.exec('BEGIN');
      let result: T;
      try {
        result = await this.tx.run(true, fn);
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
      this.db.exec('COMMIT');
      if (this.checkpointsOffThread) {
        this.checkpointer ??= startCheckpointer(this.path, this.onCheckpointError);
        this.checkpointer.nudge();
      }
      return result;
    } finally {
      release();
    }
  }

  async lock(): Promise<void> {}

  async rolledBack<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.current()) return inSavepoint((sql) => this.db.exec(sql), fn, false);
    const release = await this.writer.acquire();
    try {
      this.db.exec('BEGIN');
      try {
        return await this.tx.run(true, fn);
      } finally {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
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
