// The shared store: a PostgreSQL database that any number of sandbox processes use as one sandbox.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import type * as Pg from 'pg';
import { SandboxError } from './errors.js';
import { inSavepoint, insertSql, jsonParam, jsonTextsParam, Mutex, quoteIdent, runsOn, type Awaitable, type Column, type ColumnInfo, type Migration, type PostgresOptions, type Session, type SqlDialect, type Store, type Tx, type Upsert } from './store.js';

// Loaded when a postgres:// store is opened, never at start: the bin's bundle keeps the driver a package.
const pg = createRequire(import.meta.url)('pg') as typeof Pg;

const POSTGRES_DIALECT: SqlDialect = {
  // An array the index is probed with, key by key: as `IN (SELECT ...)` the planner guesses the
  // JSON holds 100 keys and a tenant few rows, and joins the keys against a scan of the tenant
  // (2.3 ms for Copper's 10 emails among 12,000, against 0.08 ms probed; measured).
  inKeys: (column, kind) => `${quoteIdent(column)} = ANY (ARRAY(SELECT value::${pgType(kind)} FROM json_array_elements_text(?::json)))`,
  inKeyTuples: (columns) =>
    `(${columns.map(([name]) => quoteIdent(name)).join(', ')}) IN (SELECT ${columns.map(([, kind], i) => `(value->>${i})::${pgType(kind)}`).join(', ')} FROM json_array_elements(?::json))`,
  indexedBy: () => '',
  jsonText: (column, field) => `(${quoteIdent(column)}::json->>'${field}')`,
};

function pgType(kind: Column['kind']): string {
  return kind === 'integer' ? 'bigint' : 'text';
}

/** The text of a json column's element as `jsonTextsParam` wrote it: a JSON text as sent, a string unescaped, null as NULL. */
const jsonTextOf = (element: string): string => `CASE json_typeof(${element}) WHEN 'null' THEN NULL WHEN 'string' THEN ${element} #>> '{}' ELSE ${element}::text END`;

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
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/**
 * Set to 1 in this repository's tests: each transaction's work runs in an AsyncLocalStorage, and a
 * statement it sends to the store instead of to its transaction (`Tx`) throws, where it would
 * otherwise run on another connection, outside the transaction, unseen. Off by default: on Node 20
 * an AsyncLocalStorage in use slows every promise of the process.
 */
export const CHECK_TRANSACTIONS_ENV = 'SANDBOX_CHECK_TRANSACTIONS';

/**
 * An open transaction: its connection, and the statements it sent without waiting for their answers.
 * In a transaction of `transaction()`, outside any savepoint (`queues`), nothing waits for the
 * answers nobody reads: BEGIN, the tenant locks (`lock`), the batch writes (`writeRows`) and the
 * writes whose count nobody reads (`runDeferred`) are sent ahead, pipelined, and the statement the
 * transaction waits for next (a read, or COMMIT) follows them; sent in the same turn of the event
 * loop, they leave in one write (`corkTurn`). A bulk request's transaction is then BEGIN-lock-read
 * and writes-COMMIT: two round trips. Every statement is a prepared one, planned once per
 * connection. A statement sent ahead that fails is the transaction's error: the server refuses
 * what follows it, and answers COMMIT with a rollback.
 */
interface OpenTx {
  client: Pg.PoolClient;
  /** Whether BEGIN was sent: a dry run's before its work, else ahead of the transaction's first statement. */
  begun: boolean;
  frame: (sql: string, values?: unknown[]) => Promise<void>;
  /** Whether locks and writes go without waiting for their answers: a `transaction()`, outside savepoints. */
  queues: boolean;
  /** Statements sent ahead: settled once their answers are in, never rejected. */
  ahead: Promise<void>[];
  /** The first statement sent ahead that failed: the transaction's error. */
  failed?: { error: unknown };
  /** Until the work it was opened for ends. */
  open: boolean;
}

/** A transaction on `client`: begun already (a dry run's), or not until its first statement; queuing or not. */
const openTx = (client: Pg.PoolClient, frame: OpenTx['frame'], begun: boolean, queues: boolean): OpenTx => ({ client, begun, frame, queues, ahead: [], open: true });

/** The socket under a pooled connection (the driver corks it too, around each statement's messages). */
const streamOf = (client: Pg.PoolClient): Writable | undefined => (client as unknown as { connection?: { stream?: Writable } }).connection?.stream;

/**
 * Holds what is written to `client`'s socket until this turn of the event loop ends, so the
 * statements sent together (BEGIN, a lock and a read; writes and COMMIT) leave in one write, not one
 * each: every write to the socket is a system call that wakes the server (`test/pg/round-trips.test.ts`
 * counts them: a Copper bulk create makes 4 writes to PostgreSQL, one per round trip, and 9 without this).
 */
function corkTurn(client: Pg.PoolClient): void {
  const stream = streamOf(client);
  if (!stream || stream.writableCorked > 0) return;
  stream.cork();
  process.nextTick(() => stream.uncork());
}

/** A statement as pg sends it: named, so that each connection prepares it once. */
interface Prepared {
  name: string;
  text: string;
}

/** A transaction's lock on a key (a tenant), held until it ends. */
const TX_LOCK = 'SELECT pg_advisory_xact_lock(hashtextextended(?, 0))';
/**
 * In one statement: a shared lock on a key (with other shared holders, never with TX_LOCK's) first,
 * then TX_LOCK on each part of a JSON array, in the order of their hashes (every transaction takes
 * overlapping parts in one order), all held until the transaction ends. The key's lock comes first
 * (`o` 0): a transaction holding a part while it queued for the key behind a whole-key writer
 * could deadlock with one holding the key and waiting for that part.
 */
const TX_LOCK_PARTS =
  'SELECT count(CASE WHEN o = 0 THEN pg_advisory_xact_lock_shared(h) ELSE pg_advisory_xact_lock(h) END) FROM (' +
  'SELECT 0 AS o, hashtextextended(?, 0) AS h UNION SELECT 1, hashtextextended(value, 0) FROM json_array_elements_text(?::json) ORDER BY o, h) k';

/**
 * The most parts a transaction locks one by one (`Tx.lockParts`); one that names more takes the
 * whole key's lock. PostgreSQL's lock table is shared by every connection and bounded (64 locks a
 * connection by default): many parts from many connections would fill it, and every transaction
 * would then fail.
 */
export const MAX_LOCK_PARTS = 64;

/** How often a store found unreachable lets one call try PostgreSQL again (the others fail at once meanwhile). */
export const RETRY_UNREACHABLE_MS = 1_000;

/** What a call gets at once while PostgreSQL is unreachable: a connection failure (`isConnectionLost`), naming no host. */
const unreachable = (): Error => Object.assign(new Error('PostgreSQL did not answer within its timeout; one call a second tries again'), { code: 'ETIMEDOUT' });

/** The driver's words for a wait that ran out: no connection made within the connect timeout, no answer within `query_timeout`. */
const waitedOut = (error: unknown): boolean => /^(Connection terminated due to connection timeout|Query read timeout)/.test(String((error as { message?: unknown } | null)?.message));

/**
 * Whether PostgreSQL answers, as the last statements found. Once a wait ran out (a connection not
 * made within the connect timeout, an answer not back within the statement timeout and the connect
 * timeout more: a host gone silent, a frozen server), every call fails at once instead of waiting
 * as long again, so a request answers within one timeout; one call a RETRY_UNREACHABLE_MS tries
 * again, and the first answer makes it reachable. A refused connection fails at once by itself and
 * changes nothing here.
 */
class Reachability {
  /** When the next try may go; undefined while PostgreSQL answers. */
  private retryAt: number | undefined;

  /** Before a call takes a connection: throws at once while unreachable, but for one try a RETRY_UNREACHABLE_MS. */
  check(): void {
    if (this.retryAt === undefined) return;
    const now = performance.now();
    if (now < this.retryAt) throw unreachable();
    this.retryAt = now + RETRY_UNREACHABLE_MS;
  }

  /**
   * `sent` (a statement, or with `answers` false a connection from the pool), noting what its
   * outcome says of PostgreSQL: an answer that it is reachable (a pooled connection is no answer:
   * it may have been idle since before the host went silent), a wait run out that it is not.
   */
  watch<T>(sent: Promise<T>, answers = true): Promise<T> {
    return sent.then(
      (result) => {
        if (answers) this.retryAt = undefined;
        return result;
      },
      (error: unknown) => {
        if (waitedOut(error)) this.retryAt = performance.now() + RETRY_UNREACHABLE_MS;
        throw error;
      },
    );
  }
}

/** The migrations of every owner are applied under this advisory lock: processes starting together take turns. */
const MIGRATION_LOCK = 0x62756c6b; // 'bulk'

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly sql = POSTGRES_DIALECT;
  readonly label: string;
  private readonly pool: Pg.Pool;
  /** With CHECK_TRANSACTIONS_ENV only: the transaction whose work is running, to refuse statements that bypass it. */
  private readonly checker = process.env[CHECK_TRANSACTIONS_ENV] === '1' ? new AsyncLocalStorage<OpenTx>() : undefined;
  private readonly prepared = new Map<string, Prepared>();
  /** Rows this process wrote per table, and when it analyzes the table next (see noteWrites). */
  private readonly written = new Map<string, { rows: number; analyzeAt: number }>();
  private readonly analyzeDue = new Set<string>();
  /** `withLock` callers of this process queue here, so at most one of them holds a connection while it waits. */
  private readonly sessions = new Mutex();
  private readonly reach = new Reachability();
  /** Round trips this process has made (statements sent together count once), for GET /_sandbox/metrics. */
  roundTrips = 0;

  constructor(url: string, options: PostgresOptions = {}) {
    const parsed = new URL(url);
    this.label = `postgres://${parsed.host}${parsed.pathname}`;
    const types = new pg.TypeOverrides();
    // count(*) and BIGINT columns: numbers, as SQLite answers them (every value the sandbox stores is a safe integer).
    types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
    const { connectTimeoutMs = 5_000, statementTimeoutMs = 10_000 } = options;
    this.pool = new pg.Pool({
      connectionString: url,
      types,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      // A live server answers within the statement timeout; this much longer without an answer
      // (a host gone silent, a frozen server) and the statement fails, its connection dropped.
      query_timeout: statementTimeoutMs + connectTimeoutMs,
      application_name: 'bulk-sandbox',
      // Queries go out without waiting for the answer before them (the transaction's writes sent
      // ahead, see sendAhead); the store itself still waits for every answer it reads.
      pipeline: true,
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

  /** `sql` with `params` as the driver takes a prepared statement. */
  private queryConfig(sql: string, params: readonly unknown[], rowMode?: 'array'): Pg.QueryConfig {
    return { ...this.statement(sql), values: params as unknown[], ...(rowMode ? { rowMode } : {}) };
  }

  /** The four statement methods on `on` (the pool, or one connection). */
  private session(on: () => Pg.Pool | Pg.PoolClient): Session {
    return this.methods(async (sql, params, rowMode) => {
      this.roundTrips += 1;
      return this.reach.watch(on().query(this.queryConfig(sql, storable(params), rowMode)));
    });
  }

  private methods(query: (sql: string, params: readonly unknown[], rowMode?: 'array') => Promise<Pg.QueryResult>): Session {
    const column = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => ((await query(sql, params, 'array')).rows as unknown[][]).map((row) => row[0] as T);
    return {
      all: async <Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> => (await query(sql, params)).rows as Row[],
      column,
      value: async <T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> => (await column<T>(sql, params))[0],
      run: async (sql: string, params: readonly unknown[] = []): Promise<number> => (await query(sql, params)).rowCount ?? 0,
    };
  }

  /** A statement on the transaction's connection (`exchange`), or the store's own on the pool. */
  private async query(tx: OpenTx | undefined, sql: string, params: readonly unknown[], rowMode?: 'array'): Promise<Pg.QueryResult> {
    if (tx) return this.exchange(tx, sql, storable(params), rowMode);
    this.outsideTransactions();
    const config = this.queryConfig(sql, storable(params), rowMode);
    this.reach.check();
    this.roundTrips += 1;
    return this.reach.watch(this.pool.query(config));
  }

  /** With CHECK_TRANSACTIONS_ENV: throws when a transaction's work sends a statement to the store instead of to it. */
  private outsideTransactions(): void {
    if (this.checker?.getStore()?.open) throw new Error("a statement sent to the store inside a transaction's work would run outside the transaction: send it to the transaction (tx)");
  }

  /** Sends a statement on the transaction's connection, with what else it sends this turn (`corkTurn`): prepared when it has parameters. */
  private send(tx: OpenTx, sql: string, params?: readonly unknown[], rowMode?: 'array'): Promise<Pg.QueryResult> {
    corkTurn(tx.client);
    return this.reach.watch(tx.client.query(params === undefined ? sql : this.queryConfig(sql, params, rowMode)));
  }

  /**
   * Before each statement of the transaction: sends its BEGIN ahead, once (it goes with the
   * transaction's first statement). A handle kept past its transaction's end is refused: its
   * connection is back in the pool, maybe in another transaction.
   */
  private begin(tx: OpenTx): void {
    if (!tx.open) throw new Error('a statement on a transaction that has ended');
    if (tx.begun) return;
    tx.begun = true;
    this.track(tx, this.send(tx, 'BEGIN'));
  }

  /** Keeps a statement sent ahead: its failure, the first one, becomes the transaction's error. */
  private track(tx: OpenTx, sent: Promise<unknown>): void {
    tx.ahead.push(
      sent.then(
        () => {},
        (error: unknown) => {
          tx.failed ??= { error };
        },
      ),
    );
  }

  /** Sends a statement whose answer nobody reads, without waiting for it (pipelined behind what went before). */
  private sendAhead(tx: OpenTx, sql: string, params: readonly unknown[]): void {
    this.begin(tx);
    this.track(tx, this.send(tx, sql, params));
  }

  /**
   * A statement the transaction waits for, behind what was sent ahead: one round trip for all of
   * them. When it fails because one sent ahead failed first (the server refuses the rest of a failed
   * transaction), that one's error is the one thrown.
   */
  private async exchange(tx: OpenTx, sql: string, params?: readonly unknown[], rowMode?: 'array'): Promise<Pg.QueryResult> {
    this.begin(tx);
    this.roundTrips += 1;
    try {
      return await this.send(tx, sql, params, rowMode);
    } catch (error) {
      throw (await this.aheadFailure(tx))?.error ?? error;
    }
  }

  private readonly own = this.methods((sql, params, rowMode) => this.query(undefined, sql, params, rowMode));
  readonly all = this.own.all;
  readonly column = this.own.column;
  readonly value = this.own.value;
  readonly run = this.own.run;

  writeRows(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): Promise<void> {
    return this.write(undefined, table, columns, rows, upsert);
  }

  runDeferred(sql: string, params: readonly unknown[] = []): Promise<void> {
    return this.runDeferredOn(undefined, sql, params);
  }

  /** The handle `fn` of `transaction` and `rolledBack` is given: every statement on `tx`'s connection. */
  private handle(tx: OpenTx): Tx {
    const handle: Tx = {
      engine: this.engine,
      sql: this.sql,
      ...this.methods((sql, params, rowMode) => this.query(tx, sql, params, rowMode)),
      runDeferred: (sql, params = []) => this.runDeferredOn(tx, sql, params),
      writeRows: (table, columns, rows, upsert) => this.write(tx, table, columns, rows, upsert),
      lock: (key) => this.lock(tx, TX_LOCK, [key]),
      lockParts: async (key, partsOf) => {
        const parts = partsOf();
        if (parts.length > MAX_LOCK_PARTS) return this.lock(tx, TX_LOCK, [key]);
        // Checked as values, as `write` does: in JSON, a NUL would reach the server escaped, and fail there.
        await this.lock(tx, TX_LOCK_PARTS, [key, jsonParam(storable(parts) as string[])]);
      },
      savepoint: (fn, keep) => this.savepoint(tx, () => fn(handle), keep),
    };
    return handle;
  }

  private async write(tx: OpenTx | undefined, table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], upsert?: Upsert): Promise<void> {
    if (rows.length === 0) return;
    // One statement for any batch size: each column travels as one JSON array, zipped back into
    // rows by ROWS FROM. JSON rather than PostgreSQL array literals: V8 writes it natively, where the
    // driver escapes every element of an array in JavaScript (a tenth of a 500-row request, measured).
    // A json column's elements are JSON values, each kept as the text it was sent as (PostgreSQL's
    // json type keeps text as written): its JSON texts are not escaped into strings and back.
    const names = columns.map((_, i) => `v${i}`);
    const values =
      `SELECT ${columns.map((c, i) => (c.kind === 'json' ? jsonTextOf(names[i]!) : `${names[i]}::${pgType(c.kind)}`)).join(', ')} ` +
      `FROM ROWS FROM (${columns.map((c) => (c.kind === 'json' ? 'json_array_elements(?::json)' : 'json_array_elements_text(?::json)')).join(', ')}) AS t(${names.join(', ')})`;
    const batch = upsert ? lastPerKey(columns, rows, upsert) : rows;
    // Checked as values: JSON would carry a NUL escaped, and PostgreSQL would refuse it while
    // unescaping (a text column's) or parsing (a json column's JSON text, which carries it raw).
    const arrays = columns.map((_, i) => batch.map((row) => row[i] ?? null));
    storable(arrays);
    const params = arrays.map((texts, i) => (columns[i]!.kind === 'json' ? jsonTextsParam(texts) : jsonParam(texts)));
    await this.deferWrite(tx, insertSql(table, columns, upsert, values), params);
    this.noteWrites(table, batch.length, tx);
  }

  private async runDeferredOn(tx: OpenTx | undefined, sql: string, params: readonly unknown[]): Promise<void> {
    // Checked now: sent ahead, a NUL would fail at the server (and later) instead of being refused.
    storable(params);
    await this.deferWrite(tx, sql, params);
  }

  /** A write whose answer nobody reads: in a transaction that queues, sent ahead; elsewhere (no transaction, a savepoint) run at once. */
  private async deferWrite(tx: OpenTx | undefined, sql: string, params: readonly unknown[]): Promise<void> {
    if (tx?.queues) this.sendAhead(tx, sql, params);
    else await this.query(tx, sql, params);
  }

  /** Waits for the statements sent ahead; answers the first one's failure, if any. */
  private async aheadFailure(tx: OpenTx): Promise<{ error: unknown } | undefined> {
    if (tx.ahead.length > 0) await Promise.all(tx.ahead);
    return tx.failed;
  }

  /**
   * Keeps the planner's statistics up with bulk loads. Every tenant query filters on namespace and
   * tenant, which a table without statistics is guessed to narrow to a few rows: the planner then
   * reads a whole tenant per key lookup (16 ms at 50,000 accounts, measured) until autovacuum's next
   * ANALYZE, up to a minute later. So each time this process has written as many rows into a table
   * again as at its last ANALYZE (1,000 at first), the table is analyzed once its transaction ends.
   */
  private noteWrites(table: string, rows: number, tx: OpenTx | undefined): void {
    const seen = this.written.get(table) ?? { rows: 0, analyzeAt: 1_000 };
    seen.rows += rows;
    this.written.set(table, seen);
    if (seen.rows < seen.analyzeAt) return;
    seen.analyzeAt = seen.rows * 2;
    this.analyzeDue.add(table);
    if (!tx) this.analyzeNow();
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
    this.reach.check();
    const client = await this.reach.watch(this.pool.connect(), false);
    let broken = false;
    // The server may end the connection meanwhile (an operator's pg_terminate_backend, a restart, a
    // failover): the driver then fails its statement and also emits 'error' on the connection,
    // which the pool listens for only while the connection is idle. Unheard, that event would end
    // the process; here it marks the connection broken, for the pool to drop.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    const frame = async (sql: string, values?: unknown[]) => {
      this.roundTrips += 1;
      corkTurn(client);
      try {
        await this.reach.watch(client.query(sql, values));
      } catch (error) {
        broken = true;
        throw error;
      }
    };
    try {
      return await fn(client, frame);
    } finally {
      client.removeListener('error', lost);
      client.release(broken);
    }
  }

  async transaction<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    this.notNested('use tx.savepoint()');
    return this.withClient(async (client, frame) => {
      const tx = openTx(client, frame, false, true);
      let result: T;
      try {
        result = await this.work(tx, fn);
      } catch (error) {
        throw await this.abandon(tx, error);
      }
      // No statement ran: nothing was begun, nothing to commit.
      if (!tx.begun) return result;
      try {
        // With the writes sent ahead, in one round trip.
        await frame('COMMIT');
      } catch (error) {
        throw (await this.aheadFailure(tx))?.error ?? error;
      }
      // A write sent ahead failed: the server answered COMMIT with a rollback, and nothing was written.
      const failed = await this.aheadFailure(tx);
      if (failed) throw failed.error;
      if (this.analyzeDue.size > 0) this.analyzeNow();
      return result;
    });
  }

  /** Runs a transaction's work on its handle (in the checker's storage, when checking); the transaction is no longer open once it ends. */
  private async work<T>(tx: OpenTx, fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    const handle = this.handle(tx);
    try {
      return await (this.checker ? this.checker.run(tx, async () => fn(handle)) : fn(handle));
    } finally {
      tx.open = false;
    }
  }

  /** With CHECK_TRANSACTIONS_ENV: throws when a transaction's work opens another (it would wait for a connection of its own, and commit apart). */
  private notNested(instead: string): void {
    if (this.checker?.getStore()?.open) throw new Error(`a transaction inside a transaction: ${instead}`);
  }

  /** Rolls back a transaction whose work threw `error`; answers the error to throw (a statement sent ahead that failed first). */
  private async abandon(tx: OpenTx, error: unknown): Promise<unknown> {
    const failed = await this.aheadFailure(tx);
    if (tx.begun) await tx.frame('ROLLBACK');
    return failed ? failed.error : error;
  }

  private savepoint<T>(open: OpenTx, fn: () => Awaitable<T>, keep = true): Promise<T> {
    // Inside the savepoint every statement is waited for, so a failure is undone by it, as it expects.
    const queues = open.queues;
    return inSavepoint(
      (sql) => this.exchange(open, sql),
      async () => {
        open.queues = false;
        try {
          return await fn();
        } finally {
          open.queues = queues;
        }
      },
      keep,
    );
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

  async rolledBack<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    this.notNested('use tx.savepoint(fn, false)');
    return this.withClient(async (client, frame) => {
      await frame('BEGIN');
      const tx = openTx(client, frame, true, false);
      try {
        return await this.work(tx, fn);
      } finally {
        await frame('ROLLBACK');
      }
    });
  }

  /**
   * Takes a lock held until the transaction ends (`sql`: TX_LOCK or TX_LOCK_PARTS),
   * across every process on the database: transactions that take the same key (a tenant's writes,
   * or the same part of it) run one after the other, as one process runs requests.
   */
  private async lock(tx: OpenTx, sql: string, params: readonly string[]): Promise<void> {
    storable(params);
    // Nothing reads the lock's answer: it goes ahead, with BEGIN and the transaction's next statement
    // (a failure to get it, e.g. its statement timeout, fails that statement).
    if (tx.queues) this.sendAhead(tx, sql, params);
    else await this.exchange(tx, sql, params);
  }

  async migrate(owner: string, migrations: readonly Migration[]): Promise<void> {
    await this.withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (owner, version))');
        const applied = new Set((await client.query('SELECT version FROM schema_migrations WHERE owner = $1', [owner])).rows.map((r: { version: number }) => r.version));
        for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            if (runsOn(m, this.engine)) await client.query(postgresDdl(m.sql));
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
    });
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
    this.reach.check();
    await this.reach.watch(this.pool.query('SELECT 1'));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
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
