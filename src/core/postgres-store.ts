// The shared store: a PostgreSQL database that any number of sandbox processes use as one sandbox.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import { SandboxError } from './errors.js';
import { inSavepoint, insertSql, jsonParam, Mutex, quoteIdent, type Awaitable, type Column, type ColumnInfo, type Migration, type PostgresOptions, type Session, type SqlDialect, type Store, type Upsert } from './store.js';

// Loaded when a postgres:// store is opened, never at start: the bin's bundle keeps the driver a package.
const pg = createRequire(import.meta.url)('pg') as typeof Pg;

const POSTGRES_DIALECT: SqlDialect = {
  inKeys: (column, kind) => `${quoteIdent(column)} IN (SELECT value::${pgType(kind)} FROM json_array_elements_text(?::json))`,
  inKeyTuples: (columns) =>
    `(${columns.map(([name]) => quoteIdent(name)).join(', ')}) IN (SELECT ${columns.map(([, kind], i) => `(value->>${i})::${pgType(kind)}`).join(', ')} FROM json_array_elements(?::json))`,
  indexedBy: () => '',
  jsonText: (column, field) => `(${quoteIdent(column)}::json->>'${field}')`,
};

function pgType(kind: Column['kind']): string {
  return kind === 'integer' ? 'bigint' : 'text';
}

/**
 * A migration's DDL as PostgreSQL reads it. Migrations are written once, in SQLite's spelling:
 * integers are 64-bit (SQLite's INTEGER is), text compares and sorts bytewise as SQLite's does
 * (so keyset pages and listings come out in the same order on both engines), and SQLite's
 * clustering hint has no PostgreSQL equivalent.
 */
export function postgresDdl(sql: string): string {
  return sql
    .replace(/\)\s*WITHOUT ROWID/gi, ')')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"');
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (quoted text and identifiers left alone). */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The transaction a piece of async work runs in, when any: its queries go to its connection. */
class TransactionScope<Tx> {
  private readonly als = new AsyncLocalStorage<Tx>();
  current(): Tx | undefined {
    return this.als.getStore();
  }
  run<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
    return this.als.run(tx, fn);
  }
}

/**
 * An open transaction: its connection, and whether BEGIN went out yet. BEGIN waits for the first
 * statement, so that a tenant lock taken first travels with it in one round trip (`lock`).
 */
interface OpenTx {
  client: Pg.PoolClient;
  begun: boolean;
  frame: (sql: string, values?: unknown[]) => Promise<void>;
}

/** A statement as pg sends it: named, so that each connection prepares it once. */
interface Prepared {
  name: string;
  text: string;
}

/** The migrations of every owner are applied under this advisory lock: processes starting together take turns. */
const MIGRATION_LOCK = 0x62756c6b; // 'bulk'

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly sql = POSTGRES_DIALECT;
  readonly label: string;
  private readonly pool: Pg.Pool;
  private readonly tx = new TransactionScope<OpenTx>();
  private readonly prepared = new Map<string, Prepared>();
  /** Rows this process wrote per table, and when it analyzes the table next (see noteWrites). */
  private readonly written = new Map<string, { rows: number; analyzeAt: number }>();
  private readonly analyzeDue = new Set<string>();
  /** `withLock` callers of this process queue here, so at most one of them holds a connection while it waits. */
  private readonly sessions = new Mutex();
  /** Statements this process has sent (each one network round trip), for GET /_sandbox/metrics. */
  roundTrips = 0;

  constructor(url: string, options: PostgresOptions = {}) {
    const parsed = new URL(url);
    this.label = `postgres://${parsed.host}${parsed.pathname}`;
    const types = new pg.TypeOverrides();
    // count(*) and BIGINT columns: numbers, as SQLite answers them (every value the sandbox stores is a safe integer).
    types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
    this.pool = new pg.Pool({
      connectionString: url,
      types,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      application_name: 'bulk-sandbox',
    });
    // An idle connection the server drops (restart, network) is discarded by the pool; the next query opens a new one.
    this.pool.on('error', () => {});

  }

  private statement(sql: string): Prepared {
    let stmt = this.prepared.get(sql);
    if (!stmt) {
      stmt = { name: `s${this.prepared.size}`, text: numberPlaceholders(sql) };
      this.prepared.set(sql, stmt);
    }
    return stmt;
  }

  /** Where a statement goes: the open transaction's connection (BEGIN sent first), else the pool. */
  private async client(): Promise<Pg.Pool | Pg.PoolClient> {
    const tx = this.tx.current();
    if (!tx) return this.pool;
    if (!tx.begun) await begin(tx);
    return tx.client;
  }

  /** The four statement methods on `on` (the pool, or one connection). */
  private session(on: () => Pg.Pool | Pg.PoolClient | Promise<Pg.Pool | Pg.PoolClient>): Session {
    const query = async (sql: string, params: readonly unknown[], rowMode?: 'array') => {
      const target = await on();
      this.roundTrips += 1;
      return target.query({ ...this.statement(sql), values: storable(params), ...(rowMode ? { rowMode } : {}) });
    };
    const column = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => ((await query(sql, params, 'array')).rows as unknown[][]).map((row) => row[0] as T);
    return {
      all: async <Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> => (await query(sql, params)).rows as Row[],
      column,
      value: async <T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> => (await column<T>(sql, params))[0],
      run: async (sql: string, params: readonly unknown[] = []): Promise<number> => (await query(sql, params)).rowCount ?? 0,
    };
  }

  private readonly own = this.session(() => this.client());
  readonly all = this.own.all;
  readonly column = this.own.column;
  readonly value = this.own.value;
  readonly run = this.own.run;

  async writeRows(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): Promise<void> {
    if (rows.length === 0) return;
    // One statement for any batch size: each column travels as one JSON array, zipped back into
    // rows by ROWS FROM. JSON rather than PostgreSQL array literals: V8 writes it natively, where the
    // driver escapes every element of an array in JavaScript (a tenth of a 500-row request, measured).
    const names = columns.map((_, i) => `v${i}`);
    const values =
      `SELECT ${columns.map((c, i) => `${names[i]}::${pgType(c.kind)}`).join(', ')} ` +
      `FROM ROWS FROM (${columns.map(() => 'json_array_elements_text(?::json)').join(', ')}) AS t(${names.join(', ')})`;
    const batch = upsert ? lastPerKey(columns, rows, upsert) : rows;
    // Checked as values: JSON would carry a NUL escaped, and PostgreSQL would refuse it while unescaping.
    const arrays = columns.map((_, i) => batch.map((row) => row[i] ?? null));
    storable(arrays);
    await this.run(insertSql(table, columns, upsert, values), arrays.map(jsonParam));
    this.noteWrites(table, batch.length);
  }

  /**
   * Keeps the planner's statistics up with bulk loads. Every tenant query filters on namespace and
   * tenant, which a table without statistics is guessed to narrow to a few rows: the planner then
   * reads a whole tenant per key lookup (16 ms at 50,000 accounts, measured) until autovacuum's next
   * ANALYZE, up to a minute later. So each time this process has written as many rows into a table
   * again as at its last ANALYZE (1,000 at first), the table is analyzed once its transaction ends.
   */
  private noteWrites(table: string, rows: number): void {
    const seen = this.written.get(table) ?? { rows: 0, analyzeAt: 1_000 };
    seen.rows += rows;
    this.written.set(table, seen);
    if (seen.rows < seen.analyzeAt) return;
    seen.analyzeAt = seen.rows * 2;
    this.analyzeDue.add(table);
    if (!this.tx.current()) this.analyzeNow();
  }

  /** Analyzes the tables due, in the background on the pool (a failure only leaves the old statistics). */
  private analyzeNow(): void {
    this.roundTrips += this.analyzeDue.size;
    for (const table of this.analyzeDue) this.pool.query(`ANALYZE ${quoteIdent(table)}`).catch(() => {});
    this.analyzeDue.clear();
  }

  /**
   * A pooled connection for `fn`. `frame` runs the statements around `fn`'s work (BEGIN, COMMIT,
   * ROLLBACK, lock calls): when one of them fails, the connection's state is unknown and the pool
   * drops it instead of handing it out again.
   */
  private async withClient<T>(fn: (client: Pg.PoolClient, frame: (sql: string, values?: unknown[]) => Promise<void>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    const frame = async (sql: string, values?: unknown[]) => {
      this.roundTrips += 1;
      try {
        await client.query(sql, values);
      } catch (error) {
        broken = true;
        throw error;
      }
    };
    try {
      return await fn(client, frame);
    } finally {
      client.release(broken);
    }
  }

  async transaction<T>(fn: () => Awaitable<T>): Promise<T> {
    if (this.tx.current()) throw new Error('a transaction inside a transaction: use savepoint()');
    return this.withClient(async (client, frame) => {
      const tx: OpenTx = { client, begun: false, frame };
      let result: T;
      try {
        result = await this.tx.run(tx, async () => fn());
      } catch (error) {
        if (tx.begun) await frame('ROLLBACK');
        throw error;
      }
      // No statement ran: nothing was begun, nothing to commit.
      if (tx.begun) await frame('COMMIT');
      if (this.analyzeDue.size > 0) this.analyzeNow();
      return result;
    });
  }

  savepoint<T>(fn: () => Awaitable<T>, keep = true): Promise<T> {
    const open = this.tx.current();
    if (!open) throw new Error('savepoint() outside a transaction');
    return inSavepoint(async (sql) => {
      if (!open.begun) await begin(open);
      this.roundTrips += 1;
      return open.client.query(sql);
    }, fn, keep);
  }

  async withLock<T>(key: string, fn: (session: Session) => Promise<T>): Promise<T> {
    // One connection per process waits for the lock; the others wait here, holding none.
    const release = await this.sessions.acquire();
    try {
      return await this.withClient(async (client, frame) => {
        await frame('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
        try {
          // The session's statements go to this connection; anything else `fn` does (a control
          // call's own transaction) takes connections of its own.
          return await fn(this.session(() => client));
        } finally {
          await frame('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
        }
      });
    } finally {
      release();
    }
  }

  async rolledBack<T>(fn: () => Awaitable<T>): Promise<T> {
    if (this.tx.current()) throw new Error('a transaction inside a transaction: use savepoint(fn, false)');
    return this.withClient(async (client, frame) => {
      await frame('BEGIN');
      try {
        return await this.tx.run({ client, begun: true, frame }, async () => fn());
      } finally {
        await frame('ROLLBACK');
      }
    });
  }

  /**
   * Serialises the transactions that take the same `key` (a tenant's writes), across every
   * process on the database, until the transaction ends: what one process gets from running
   * requests one at a time. Outside a transaction it does nothing.
   */
  async lock(key: string): Promise<void> {
    const tx = this.tx.current();
    if (!tx) return;
    if (tx.begun) {
      this.roundTrips += 1;
      await tx.client.query({ ...this.statement('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))'), values: storable([key]) });
      return;
    }
    // The transaction's first statement: BEGIN and the lock go out as one simple query, one round trip.
    tx.begun = true;
    storable([key]);
    await tx.frame(`BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(${tx.client.escapeLiteral(key)}, 0))`);
  }

  async migrate(owner: string, migrations: readonly Migration[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (owner, version))');
        const applied = new Set((await client.query('SELECT version FROM schema_migrations WHERE owner = $1', [owner])).rows.map((r: { version: number }) => r.version));
        for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(postgresDdl(m.sql));
            await client.query('INSERT INTO schema_migrations (owner, version) VALUES ($1, $2)', [owner, m.version]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async tableNames(): Promise<string[]> {
    return this.column(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
       ORDER BY table_name COLLATE "C"`,
    );
  }

  async columnInfo(table: string): Promise<ColumnInfo[]> {
    const rows = await this.all<{ name: string; type: string; nullable: string; dflt: string | null; pk: boolean }>(
      `SELECT c.column_name AS name, c.data_type AS type, c.is_nullable AS nullable, c.column_default AS dflt,
         EXISTS (SELECT 1 FROM information_schema.key_column_usage k JOIN information_schema.table_constraints t
           ON t.constraint_name = k.constraint_name AND t.table_schema = k.table_schema
           WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name) AS pk
       FROM information_schema.columns c
       WHERE c.table_schema = current_schema() AND c.table_name = ?
       ORDER BY c.ordinal_position`,
      [table],
    );
    return rows.map((c) => ({ name: c.name, type: sqliteType(c.type), notNull: c.nullable === 'NO', hasDefault: c.dflt !== null, primaryKey: c.pk }));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Sends the transaction's BEGIN (marked first: statements queued behind it must not send another). */
async function begin(tx: OpenTx): Promise<void> {
  tx.begun = true;
  await tx.frame('BEGIN');
}

/**
 * The parameters as sent, refused when text holds U+0000: PostgreSQL text cannot (SQLite's can),
 * and the driver would fail the statement with a 500. The request is refused whole, as invalid,
 * before anything is written (JSON text never holds one: JSON.stringify writes `\u0000`).
 */
function storable(params: readonly unknown[]): unknown[] {
  for (const param of params) {
    if ((typeof param === 'string' && param.includes('\u0000')) || (Array.isArray(param) && param.some((v) => typeof v === 'string' && v.includes('\u0000')))) {
      throw new SandboxError('INVALID_BODY', { message: 'Text containing the NUL character (U+0000) cannot be stored on PostgreSQL' });
    }
  }
  return params as unknown[];
}

/** A PostgreSQL column type in SQLite's words, as `ColumnInfo` reports it on both engines. */
function sqliteType(type: string): string {
  if (/int/i.test(type)) return 'INTEGER';
  if (/double|real|numeric/i.test(type)) return 'REAL';
  return 'TEXT';
}

/** One row per conflict key, the last of the batch (PostgreSQL refuses to update one row twice in a statement). */
function lastPerKey(columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert: Upsert): readonly (readonly unknown[])[] {
  const at = upsert.keys.map((key) => columns.findIndex((c) => c.name === key));
  if (at.some((i) => i < 0)) throw new Error(`writeRows: conflict keys ${upsert.keys.join(', ')} are not all written`);
  const byKey = new Map<string, readonly unknown[]>();
  for (const row of rows) {
    const key = JSON.stringify(at.map((i) => row[i]));
    if (upsert.update.length > 0 || !byKey.has(key)) {
      byKey.delete(key);
      byKey.set(key, row);
    }
  }
  return byKey.size === rows.length ? rows : [...byKey.values()];
}
