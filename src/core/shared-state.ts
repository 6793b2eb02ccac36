// Shared mode: the clock, armed faults, rate-limit mode and buckets live in the database every process uses.
import type { MiddlewareHandler } from 'hono';
import type { SandboxClock } from './clock.js';
import type { Credentials } from './credentials.js';
import type { Faults } from './faults.js';
import { splitBucketKey, type BucketScope, type RateLimitDecision, type RateLimits, type SharedBuckets, type SlidingWindowLimiter } from './rate-limit.js';
import { coverageReport, type CoverageApi, type CoverageCount, type CoverageFilter, type CoverageScope, type VendorCoverage } from './coverage.js';
import { described, entrySize, RawBody, type JournalApi, type JournalEntry, type JournalFilter, type JournalRedaction } from './journal.js';
import { describesUnchanged, type SecretSet, type ShownNames } from './redact.js';
import { insertSql, type Column, type Migration, type Session, type Statements, type Store, type Upsert } from './store.js';
import type { VendorModule } from './vendor.js';

/**
 * The core's own tables in a shared database. Their names start with `sandbox_`: snapshots
 * carry this state in their own fields (clock, faults, rate limits), never as tables.
 */
export const SHARED_STATE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE sandbox_state (name TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL);
    CREATE TABLE sandbox_rate_buckets (
      limiter TEXT NOT NULL,
      bucket TEXT NOT NULL,
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      log TEXT NOT NULL,
      PRIMARY KEY (limiter, bucket)
    )`,
  },
  {
    version: 2,
    sql: `CREATE SEQUENCE sandbox_journal_ids;
    CREATE TABLE sandbox_journal (
      id INTEGER NOT NULL PRIMARY KEY,
      time TEXT NOT NULL,
      vendor TEXT NOT NULL,
      namespace TEXT NOT NULL,
      tenant TEXT,
      method TEXT NOT NULL,
      path TEXT NOT NULL,
      status INTEGER,
      operation_id TEXT,
      bytes INTEGER NOT NULL,
      entry TEXT NOT NULL
    );
    CREATE TABLE sandbox_coverage (
      namespace TEXT NOT NULL,
      tenant TEXT NOT NULL,
      vendor TEXT NOT NULL,
      kind TEXT NOT NULL,
      code TEXT NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (namespace, tenant, vendor, kind, code)
    )`,
  },
  {
    // Bodies that redaction leaves as they are, kept as they came (see SharedJournal.add).
    version: 3,
    sql: `ALTER TABLE sandbox_journal ADD COLUMN request_raw TEXT;
    ALTER TABLE sandbox_journal ADD COLUMN request_type TEXT;
    ALTER TABLE sandbox_journal ADD COLUMN response_raw TEXT;
    ALTER TABLE sandbox_journal ADD COLUMN response_type TEXT`,
  },
  {
    // The bodies are compressed with LZ4 where the server has it (PostgreSQL 14 and later, built
    // with it, as Debian's and the official images are): pglz spent about 2 ms of the server's CPU
    // per 500-row Cora entry, LZ4 0.5 ms (measured). These tables exist on PostgreSQL only.
    version: 4,
    sql: `DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE sandbox_journal ALTER COLUMN entry SET COMPRESSION lz4, ALTER COLUMN request_raw SET COMPRESSION lz4,
          ALTER COLUMN response_raw SET COMPRESSION lz4;
      END IF;
    END $$`,
  },
];

/** A body the journal may keep as it came: one redaction leaves unchanged (core/redact.ts describesUnchanged). */
function keptAsIs(body: unknown, secrets: SecretSet, shown?: ShownNames): RawBody | undefined {
  if (!(body instanceof RawBody)) return undefined;
  const text = body.text();
  // PostgreSQL text cannot hold U+0000: such a body is stored described (JSON writes it escaped).
  return !text.includes('\u0000') && describesUnchanged(text, body.contentType, secrets, shown) ? new RawBody(text, body.contentType) : undefined;
}

interface JournalRow {
  entry: string;
  request_raw: string | null;
  request_type: string | null;
  response_raw: string | null;
  response_type: string | null;
}

/** Whether a table is the core's shared state (not records: left out of snapshots and resets). */
export const isSharedStateTable = (table: string): boolean => table.startsWith('sandbox_');

const PULL = 'SELECT name, value, version FROM sandbox_state';
/** The row that carries a journal id with the state (no piece has an empty name). */
const ID_ROW = '';
const PULL_WITH_ID = `${PULL} UNION ALL SELECT '${ID_ROW}', '', nextval('sandbox_journal_ids')`;

/** The lock every change to the shared state takes (a session lock, see Store.withLock). */
const STATE_LOCK = 'sandbox:state';

interface Parts {
  clock: SandboxClock;
  faults: Faults;
  rateLimits: RateLimits;
  credentials: Credentials;
}

/** Each piece of the shared state: how this process's copy reads and takes it. */
const PIECES = {
  clock: { read: (p: Parts) => JSON.stringify(p.clock.settings()), adopt: (p: Parts, value: string) => p.clock.adopt(JSON.parse(value)) },
  faults: { read: (p: Parts) => JSON.stringify(p.faults.settings()), adopt: (p: Parts, value: string) => p.faults.adopt(JSON.parse(value)) },
  'rate-limit-mode': { read: (p: Parts) => p.rateLimits.mode, adopt: (p: Parts, value: string) => (p.rateLimits.mode = value as 'vendor' | 'off') },
  // Not the table itself (that is in the database): the news that a process wrote it, so every
  // other process forgets the lookups it remembers (core/credentials.ts).
  credentials: { read: (p: Parts) => String(p.credentials.changes), adopt: (p: Parts) => p.credentials.invalidate() },
} as const;
type Piece = keyof typeof PIECES;
const NAMES = Object.keys(PIECES) as Piece[];

/**
 * Keeps this process's clock, faults and rate-limit mode in step with the database, and counts
 * rate-limit buckets there. Every request first `pull`s (one query; a piece that did not change
 * is not parsed again). A change (a control call, a fault that fires) runs under one lock across
 * every process, on the newest state, and saves what it changed before the lock is released: a
 * `times: 1` fault fires once however many processes serve the requests.
 */
export class SharedState implements SharedBuckets {
  private readonly versions = new Map<Piece, number>();

  constructor(
    private readonly store: Store,
    private readonly parts: Parts,
  ) {}

  /** Creates the tables; the first process on a database stores its own state as everyone's starting point. */
  async start(): Promise<void> {
    await this.store.migrate('core.shared-state', SHARED_STATE_MIGRATIONS);
    for (const name of NAMES) {
      await this.store.run('INSERT INTO sandbox_state (name, value, version) VALUES (?, ?, 1) ON CONFLICT (name) DO NOTHING', [name, PIECES[name].read(this.parts)]);
    }
    // This process may have just added demo credentials that were missing: the others forget their lookups (an unknown id is remembered too).
    await this.store.run("UPDATE sandbox_state SET version = version + 1 WHERE name = 'credentials'");
    await this.pull();
    this.parts.rateLimits.shared = this;
  }

  /**
   * The middleware every request passes first: this process's state as the database has it. A
   * database that does not answer is left to the request's own store calls, which fail in the
   * vendor's envelope (and health answers 503).
   */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const id = await this.pull(this.store, true).catch(() => undefined);
      if (id !== undefined) c.set('reservedId', id);
      await next();
    };
  }

  /**
   * The control API's middleware: a call that may change the state (anything but a read) runs
   * under the state lock on the newest state, and what it changed is saved only if it succeeded.
   */
  controlMiddleware(): MiddlewareHandler {
    return async (c, next) => {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      await this.exclusive(
        () => next().then(() => c.error === undefined && c.res.status < 400),
        (ok) => ok,
      );
    };
  }

  /**
   * Takes every piece another process changed since this one last looked. With `withId`, the
   * same query takes the request's journal id from the sequence, and answers it.
   */
  async pull(session?: Session): Promise<undefined>;
  async pull(session: Session, withId: true): Promise<number>;
  async pull(session: Session = this.store, withId = false): Promise<number | undefined> {
    const rows = await session.all<{ name: string; value: string; version: number }>(withId ? PULL_WITH_ID : PULL);
    let id: number | undefined;
    for (const row of rows) {
      if (row.name === ID_ROW) id = row.version;
      else if (row.name in PIECES && this.versions.get(row.name as Piece) !== row.version) {
        PIECES[row.name as Piece].adopt(this.parts, row.value);
        this.versions.set(row.name as Piece, row.version);
      }
    }
    return id;
  }

  /**
   * Runs `fn` on the newest state, one process at a time (the state's lock), and saves what it
   * changed before the lock goes. When `keep` says no (the call failed), nothing is saved and this
   * process takes the stored state again.
   */
  async exclusive<T>(fn: () => T | Promise<T>, keep: (result: T) => boolean = () => true): Promise<T> {
    return this.store.withLock(STATE_LOCK, async (session) => {
      let saved = false;
      try {
        await this.pull(session);
        const before = new Map(NAMES.map((name) => [name, PIECES[name].read(this.parts)]));
        const result = await fn();
        if (!keep(result)) return result;
        for (const name of NAMES) {
          const value = PIECES[name].read(this.parts);
          if (value === before.get(name)) continue;
          const version = await session.value<number>('UPDATE sandbox_state SET value = ?, version = version + 1 WHERE name = ? RETURNING version', [value, name]);
          this.versions.set(name, version!);
        }
        saved = true;
        return result;
      } finally {
        // This process's copy may hold changes that were not saved: it reads the stored state next time.
        if (!saved) this.versions.clear();
      }
    });
  }

  async take(limiter: SlidingWindowLimiter, key: string): Promise<RateLimitDecision> {
    // Bucket keys join their parts with NUL, which PostgreSQL text cannot hold: stored as JSON.
    const bucket = JSON.stringify(key);
    return this.store.transaction(async (tx) => {
      await tx.lock(`sandbox:rate:${limiter.name}:${bucket}`);
      const log = await tx.value<string>('SELECT log FROM sandbox_rate_buckets WHERE limiter = ? AND bucket = ?', [limiter.name, bucket]);
      limiter.adoptLog(key, log === undefined ? [] : (JSON.parse(log) as number[]));
      const decision = limiter.take(key);
      if (decision.allowed) {
        const { namespace, tenant } = splitBucketKey(key);
        // A batch write of one row: nothing reads its answer, so on PostgreSQL it travels with COMMIT.
        await tx.writeRows('sandbox_rate_buckets', BUCKET_COLUMNS, [[limiter.name, bucket, namespace, tenant, JSON.stringify(limiter.log(key))]], BUCKET_UPSERT);
      }
      return decision;
    });
  }

  async load(limiters: ReadonlyMap<string, SlidingWindowLimiter>): Promise<void> {
    const rows = await this.store.all<{ limiter: string; bucket: string; log: string }>('SELECT limiter, bucket, log FROM sandbox_rate_buckets');
    for (const limiter of limiters.values()) limiter.reset();
    for (const row of rows) limiters.get(row.limiter)?.adoptLog(JSON.parse(row.bucket) as string, JSON.parse(row.log) as number[]);
  }

  async reset(scope: BucketScope): Promise<void> {
    const where: string[] = [];
    const params: string[] = [];
    if (scope.vendor !== undefined) (where.push('limiter LIKE ?'), params.push(`${scope.vendor}.%`));
    if (scope.namespace !== undefined) (where.push('namespace = ?'), params.push(scope.namespace));
    if (scope.tenant !== undefined) (where.push('tenant = ?'), params.push(scope.tenant));
    await this.store.run(`DELETE FROM sandbox_rate_buckets${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params);
  }
}


const BUCKET_COLUMNS: readonly Column[] = ['limiter', 'bucket', 'namespace', 'tenant', 'log'].map((name) => ({ name, kind: 'text' as const }));
const BUCKET_UPSERT: Upsert = { keys: ['limiter', 'bucket'], update: ['log'] };

/** Journal inserts between two trims: the bounds hold within this many entries, as the in-memory journal's chunked trim does. */
const TRIM_EVERY = 64;

/** A group of journal entries written in one statement: at most this many, and this much text (a larger entry goes alone). */
const GROUP_ENTRIES = 64;
const GROUP_CHARS = 1_000_000;

const JOURNAL_COLUMNS: readonly Column[] = [
  ...['id', 'time', 'vendor', 'namespace', 'tenant', 'method', 'path', 'status', 'operation_id', 'bytes', 'entry'],
  ...['request_raw', 'request_type', 'response_raw', 'response_type'],
].map((name) => ({ name, kind: name === 'id' || name === 'status' || name === 'bytes' ? ('integer' as const) : ('text' as const) }));
/**
 * An id some entry already holds (a snapshot another process restored meanwhile): this entry is
 * lost, as it was when inserted alone, and the rest of its group is written.
 */
const KEEP_STORED: Upsert = { keys: ['id'], update: [] };
/** A snapshot's entries replace any entry of the same id written after the journal was emptied. */
const REPLACE_STORED: Upsert = { keys: ['id'], update: JOURNAL_COLUMNS.slice(1).map((c) => c.name) };

/**
 * Inserts a group of journal entries' rows in one statement, its text built once per group size,
 * the same on both engines. Rows of VALUES rather than `writeRows`' JSON arrays: the raw bodies
 * then travel as they are, where JSON would escape every quote of a 500-row body on the way in and
 * PostgreSQL unescape it (0.17 ms of this process per 56 kB body, measured).
 */
async function insertGroup(store: Pick<Statements, 'run'>, group: readonly { row: unknown[] }[], upsert: Upsert): Promise<void> {
  const texts = upsert === KEEP_STORED ? KEEPING : REPLACING;
  const sql = (texts[group.length - 1] ??= insertSql('sandbox_journal', JOURNAL_COLUMNS, upsert, `VALUES ${Array(group.length).fill(ONE_ROW).join(', ')}`));
  await store.run(sql, group.flatMap((entry) => entry.row));
}
const ONE_ROW = `(${JOURNAL_COLUMNS.map(() => '?').join(', ')})`;
const KEEPING: string[] = [];
const REPLACING: string[] = [];

/**
 * A value of a column the journal filters on, which PostgreSQL text cannot hold when it has a NUL
 * (a snapshot's entry may: requests' paths are journaled percent-encoded). The column holds U+FFFD
 * instead and the entry keeps the NUL, escaped in its JSON, so no entry fails the statement it
 * goes in, or a restore.
 */
const filterable = <T extends string | null>(value: T): T => (value !== null && value.includes('\u0000') ? (value.replaceAll('\u0000', '\ufffd') as T) : value);

/** An entry waiting to be written: its row, how much text it holds, and its `add` to resolve once written. */
interface Waiting {
  row: unknown[];
  chars: number;
  written: () => void;
}

/** Takes the first of `rows` that go in one statement off the list: at least one, within GROUP_ENTRIES and GROUP_CHARS. */
function takeGroup<T extends { chars: number }>(rows: T[]): T[] {
  let chars = rows[0]!.chars;
  let n = 1;
  while (n < rows.length && n < GROUP_ENTRIES && chars + rows[n]!.chars <= GROUP_CHARS) chars += rows[n++]!.chars;
  return rows.splice(0, n);
}

/**
 * The journal of every process on the database, newest first, with the in-memory journal's
 * filters and bounds: reads see the newest `capacity` entries, and every TRIM_EVERY inserts the
 * oldest go, by count and by bytes (down to three quarters of the budget). Entries are stored
 * parsed and redacted (a process cannot know the secrets another will hold), and redacted again
 * when read.
 *
 * Entries are written in groups (group commit): while one insert is on its way, the entries added
 * meanwhile wait and go together in one statement as soon as it is back. A lone entry is written
 * at once; no timer ever holds one. Under load that is one statement for many requests instead of
 * one each: every statement costs this process and PostgreSQL CPU.
 */
export class SharedJournal implements JournalApi {
  private inserts = 0;
  /** Entries added while a group was being written, oldest first. */
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly store: Store,
    public capacity: number,
    private readonly byteBudget: number,
    private readonly redaction: JournalRedaction,
  ) {}

  /** The next id of the database's sequence; 0 while the database does not answer (the request then goes unjournaled). */
  async reserveId(): Promise<number> {
    try {
      return (await this.store.value<number>("SELECT nextval('sandbox_journal_ids')"))!;
    } catch {
      return 0;
    }
  }

  /**
   * Stores the entry redacted; resolves once it is written (or lost with the database). A body
   * redaction would leave unchanged is kept as it came, in a column of its own, and described when
   * read, as the in-memory journal does: parsing, copying and serialising a 500-row body on every
   * request cost a fifth of the request (measured).
   */
  add(entry: JournalEntry): Promise<void> {
    if (entry.id === 0) return Promise.resolve();
    const { row, chars } = this.row(entry);
    return new Promise((written) => {
      this.waiting.push({ row, chars, written });
      if (!this.writing) void this.writeWaiting();
    });
  }

  /** The entry's row in sandbox_journal, and how much text it holds. */
  private row(entry: JournalEntry): { row: unknown[]; chars: number } {
    const secrets = this.redaction.secrets();
    const shown = this.redaction.shownResponseFields;
    const request = keptAsIs(entry.requestBody, secrets);
    const response = keptAsIs(entry.responseBody, secrets, shown?.get(entry.vendor));
    const stored = JSON.stringify(
      described({ ...entry, requestBody: request ? null : entry.requestBody, responseBody: response ? null : entry.responseBody }, secrets, shown),
    );
    const row = [
      entry.id,
      entry.time,
      entry.vendor,
      filterable(entry.namespace),
      filterable(entry.tenant),
      filterable(entry.method),
      filterable(entry.path),
      entry.status,
      filterable(entry.operationId),
      entrySize(entry),
      stored,
      request ? request.raw : null,
      request?.contentType ?? null,
      response ? response.raw : null,
      response?.contentType ?? null,
    ];
    return { row, chars: stored.length + entry.path.length + (request?.raw.length ?? 0) + (response?.raw.length ?? 0) };
  }

  /**
   * Writes the waiting entries, a group per statement, until none waits. Runs in the async context
   * of the `add` that started it, never inside a transaction (`add` is called once a request is done).
   */
  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group = takeGroup(this.waiting);
      try {
        await insertGroup(this.store, group, KEEP_STORED);
        const before = this.inserts;
        this.inserts += group.length;
        if (Math.floor(this.inserts / TRIM_EVERY) > Math.floor(before / TRIM_EVERY)) await this.trim();
      } catch {
        // The database went away: the group's entries are lost with it (their requests are answered all the same).
      }
      for (const w of group) w.written();
    }
    this.writing = false;
  }

  private async trim(): Promise<void> {
    await this.store.run(`DELETE FROM sandbox_journal WHERE id <= (SELECT id FROM sandbox_journal ORDER BY id DESC LIMIT 1 OFFSET ?)`, [this.capacity]);
    const total = (await this.store.value<number>('SELECT coalesce(sum(bytes), 0) FROM sandbox_journal')) ?? 0;
    if (total <= this.byteBudget) return;
    await this.store.run(
      `DELETE FROM sandbox_journal WHERE id <= (
         SELECT id FROM (SELECT id, sum(bytes) OVER (ORDER BY id DESC) AS newer FROM sandbox_journal) kept WHERE newer > ? ORDER BY id DESC LIMIT 1)
       AND id < (SELECT max(id) FROM sandbox_journal)`,
      [Math.floor((this.byteBudget * 3) / 4)],
    );
  }

  /** The WHERE clause of a filter, over the newest `capacity` entries. */
  private where(filter: JournalFilter): { sql: string; params: unknown[] } {
    const where = ['id > coalesce((SELECT id FROM sandbox_journal ORDER BY id DESC LIMIT 1 OFFSET ?), 0)'];
    const params: unknown[] = [this.capacity];
    const equal = (column: string, value: unknown) => (where.push(`${column} = ?`), params.push(value));
    if (filter.vendor !== undefined) equal('vendor', filter.vendor);
    if (filter.namespace !== undefined) equal('namespace', filter.namespace);
    if (filter.tenant !== undefined) equal('tenant', filter.tenant);
    if (filter.method !== undefined) equal('method', filter.method.toUpperCase());
    if (filter.status !== undefined) equal('status', filter.status);
    if (filter.operationId !== undefined) equal('operation_id', filter.operationId);
    if (filter.path !== undefined) (where.push('strpos(path, ?) > 0'), params.push(filter.path));
    // Times are the clock's ISO strings (years 0001-9999, UTC): they sort as the instants do.
    if (filter.since !== undefined) (where.push('time >= ?'), params.push(new Date(Date.parse(filter.since)).toISOString()));
    return { sql: where.join(' AND '), params };
  }

  async list(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    const { sql, params } = this.where(filter);
    const rows = await this.store.all<JournalRow>(
      `SELECT entry, request_raw, request_type, response_raw, response_type FROM sandbox_journal WHERE ${sql} ORDER BY id DESC LIMIT ?`,
      [...params, filter.limit ?? 100],
    );
    const secrets = this.redaction.secrets();
    return rows.map((row) => {
      const entry = JSON.parse(row.entry) as JournalEntry;
      if (row.request_raw !== null) entry.requestBody = new RawBody(row.request_raw, row.request_type ?? undefined);
      if (row.response_raw !== null) entry.responseBody = new RawBody(row.response_raw, row.response_type ?? undefined);
      return described(entry, secrets, this.redaction.shownResponseFields);
    });
  }

  async count(filter: JournalFilter = {}): Promise<number> {
    const { sql, params } = this.where(filter);
    return (await this.store.value<number>(`SELECT count(*) FROM sandbox_journal WHERE ${sql}`, params)) ?? 0;
  }

  async clear(namespace?: string): Promise<number> {
    return namespace === undefined ? this.store.run('DELETE FROM sandbox_journal') : this.store.run('DELETE FROM sandbox_journal WHERE namespace = ?', [namespace]);
  }

  /** Everything kept, oldest first (for snapshots). */
  async all(): Promise<JournalEntry[]> {
    const entries = await this.list({ limit: this.capacity });
    return entries.reverse();
  }

  /**
   * Replaces the entries with a snapshot's, all or nothing, in one transaction: a few statements
   * (GROUP_ENTRIES, GROUP_CHARS), the entries in order.
   */
  async restore(entries: JournalEntry[]): Promise<void> {
    const rows = entries.slice(-this.capacity).map((entry) => this.row(entry));
    await this.store.transaction(async (tx) => {
      await tx.run('DELETE FROM sandbox_journal');
      while (rows.length > 0) await insertGroup(tx, takeGroup(rows), REPLACE_STORED);
    });
    const last = entries.reduce((max, e) => Math.max(max, e.id), 0);
    // The next id follows the restored ones, as the in-memory journal's does (never below what the sequence handed out).
    if (last > 0) await this.store.value('SELECT setval(\'sandbox_journal_ids\', greatest(?, (SELECT last_value FROM sandbox_journal_ids)))', [last]);
  }
}

/** Coverage counts of every process on the database. */
export class SharedCoverage implements CoverageApi {
  constructor(private readonly store: Store) {}

  async countAll(scope: CoverageScope, codes: ReadonlyArray<readonly ['error' | 'row', string]>): Promise<void> {
    const perCode = new Map<string, number>();
    for (const [kind, code] of codes) perCode.set(`${kind}\u0000${code}`, (perCode.get(`${kind}\u0000${code}`) ?? 0) + 1);
    try {
      for (const [key, n] of perCode) {
        const [kind, code] = key.split('\u0000');
        await this.store.run(
          `INSERT INTO sandbox_coverage (namespace, tenant, vendor, kind, code, count) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (namespace, tenant, vendor, kind, code) DO UPDATE SET count = sandbox_coverage.count + excluded.count`,
          [scope.namespace, scope.tenant, scope.vendor, kind, code, n],
        );
      }
    } catch {
      // The database went away after the request was answered: its counts are lost with it.
    }
  }

  async report(vendors: readonly VendorModule[], filter: CoverageFilter = {}): Promise<VendorCoverage[]> {
    const rows = await this.store.all<CoverageCount>('SELECT namespace, tenant, vendor, kind, code, count FROM sandbox_coverage');
    return coverageReport(rows, vendors, filter);
  }

  async reset(filter: CoverageFilter = {}): Promise<void> {
    const where: string[] = [];
    const params: string[] = [];
    for (const column of ['vendor', 'namespace', 'tenant'] as const) {
      if (filter[column] !== undefined) (where.push(`${column} = ?`), params.push(filter[column]));
    }
    await this.store.run(`DELETE FROM sandbox_coverage${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params);
  }
}
