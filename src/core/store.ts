// The embedded SQLite store: opened once, migrated per owner, statements prepared once and cached.
import Database from 'better-sqlite3';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js';

export interface Migration {
  /** Applied in order; a version is never applied twice. */
  version: number;
  sql: string;
}

/** One column of a table, as `PRAGMA table_info` declares it. */
export interface ColumnInfo {
  name: string;
  /** The declared type, upper case (`TEXT`, `INTEGER`, ...; '' when none was declared). */
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
}

/** Thrown to roll a dry run back; never escapes `rolledBack`. */
const ROLLBACK = Symbol('rollback');

export class Store {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** File databases: checkpoints run on a worker thread, started by the first write transaction. */
  private checkpointer: Checkpointer | undefined;
  private readonly checkpointsOffThread: boolean;
  private readonly onCheckpointError: (error: Error) => void;

  constructor(
    private readonly path: string,
    options: { onCheckpointError?: (error: Error) => void } = {},
  ) {
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
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (owner, version))',
    );
  }

  /** Applies the owner's migrations not yet applied, each in its own transaction. */
  migrate(owner: string, migrations: readonly Migration[]): void {
    const applied = new Set(
      this.db
        .prepare('SELECT version FROM schema_migrations WHERE owner = ?')
        .pluck()
        .all(owner) as number[],
    );
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

  /**
   * Runs `fn` in one synchronous transaction: nothing inside may be awaited. Called inside a
   * transaction, `fn` simply joins it (one layer, never nested): the outer one commits or rolls back.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    const result = this.db.transaction(fn)();
    if (this.checkpointsOffThread && !this.db.inTransaction) {
      this.checkpointer ??= startCheckpointer(this.path, this.onCheckpointError);
      this.checkpointer.nudge();
    }
    return result;
  }

  /** Runs `fn` in a transaction that is always rolled back (a savepoint inside another one): a dry run. */
  rolledBack<T>(fn: () => T): T {
    const result: { value?: T } = {};
    try {
      this.db.transaction(() => {
        result.value = fn();
        throw ROLLBACK;
      })();
    } catch (thrown) {
      // Anything else than our own rollback (fn threw) propagates; the transaction is undone either way.
      if (thrown !== ROLLBACK) throw thrown;
    }
    return result.value as T;
  }

  /** Every data table (migrations bookkeeping excluded), for snapshots. */
  tableNames(): string[] {
    return this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name")
      .pluck()
      .all() as string[];
  }

  columnsOf(table: string): string[] {
    return this.columnInfo(table).map((c) => c.name);
  }

  /** The table's columns as SQLite declares them (`PRAGMA table_info`), for checking rows before they are written. */
  columnInfo(table: string): ColumnInfo[] {
    const rows = this.db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as Array<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: unknown;
      pk: number;
    }>;
    return rows.map((c) => ({ name: c.name, type: c.type.toUpperCase(), notNull: c.notnull === 1, hasDefault: c.dflt_value !== null, primaryKey: c.pk > 0 }));
  }

  close(): void {
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

/** Quotes an identifier that was checked against the schema; never used on raw client input. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
