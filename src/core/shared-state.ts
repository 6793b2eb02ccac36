// Shared mode: the clock, armed faults, rate-limit mode and buckets live in the database every process uses.
import type { MiddlewareHandler } from 'hono';
import type { SandboxClock } from './clock.js';
import type { Faults } from './faults.js';
import { splitBucketKey, type BucketScope, type RateLimitDecision, type RateLimits, type SharedBuckets, type SlidingWindowLimiter } from './rate-limit.js';
import type { Migration, Store } from './store.js';

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
];

/** Whether a table is the core's shared state (not records: left out of snapshots and resets). */
export const isSharedStateTable = (table: string): boolean => table.startsWith('sandbox_');

/** The lock every change to the shared state takes. */
const STATE_LOCK = 'sandbox:state';

interface Parts {
  clock: SandboxClock;
  faults: Faults;
  rateLimits: RateLimits;
}

/** Each piece of the shared state: how this process's copy reads and takes it. */
const PIECES = {
  clock: { read: (p: Parts) => JSON.stringify(p.clock.settings()), adopt: (p: Parts, value: string) => p.clock.adopt(JSON.parse(value)) },
  faults: { read: (p: Parts) => JSON.stringify(p.faults.settings()), adopt: (p: Parts, value: string) => p.faults.adopt(JSON.parse(value)) },
  'rate-limit-mode': { read: (p: Parts) => p.rateLimits.mode, adopt: (p: Parts, value: string) => (p.rateLimits.mode = value as 'vendor' | 'off') },
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
    await this.pull();
    this.parts.rateLimits.shared = this;
  }

  /**
   * The middleware every request passes first: this process's state as the database has it. A
   * database that does not answer is left to the request's own store calls, which fail in the
   * vendor's envelope (and health answers 503).
   */
  middleware(): MiddlewareHandler {
    return async (_c, next) => {
      await this.pull().catch(() => undefined);
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

  /** Takes every piece another process changed since this one last looked. */
  async pull(): Promise<void> {
    const rows = await this.store.all<{ name: Piece; value: string; version: number }>('SELECT name, value, version FROM sandbox_state');
    for (const row of rows) {
      if (!(row.name in PIECES) || this.versions.get(row.name) === row.version) continue;
      PIECES[row.name].adopt(this.parts, row.value);
      this.versions.set(row.name, row.version);
    }
  }

  /**
   * Runs `fn` on the newest state, one process at a time, and saves what it changed. When `keep`
   * says no (the call failed), nothing is saved and this process takes the stored state again.
   */
  async exclusive<T>(fn: () => T | Promise<T>, keep: (result: T) => boolean = () => true): Promise<T> {
    const discard = Symbol('discard');
    let result: T | undefined;
    try {
      return await this.store.transaction(async () => {
        await this.store.lock(STATE_LOCK);
        await this.pull();
        const before = new Map(NAMES.map((name) => [name, PIECES[name].read(this.parts)]));
        result = await fn();
        if (!keep(result)) throw discard;
        for (const name of NAMES) {
          const value = PIECES[name].read(this.parts);
          if (value === before.get(name)) continue;
          const version = await this.store.value<number>('UPDATE sandbox_state SET value = ?, version = version + 1 WHERE name = ? RETURNING version', [value, name]);
          this.versions.set(name, version!);
        }
        return result;
      });
    } catch (error) {
      // This process's copy may hold changes that were not saved: read the stored state next time.
      this.versions.clear();
      if (error === discard) return result as T;
      throw error;
    }
  }

  async take(limiter: SlidingWindowLimiter, key: string): Promise<RateLimitDecision> {
    // Bucket keys join their parts with NUL, which PostgreSQL text cannot hold: stored as JSON.
    const bucket = JSON.stringify(key);
    return this.store.transaction(async () => {
      await this.store.lock(`sandbox:rate:${limiter.name}:${bucket}`);
      const log = await this.store.value<string>('SELECT log FROM sandbox_rate_buckets WHERE limiter = ? AND bucket = ?', [limiter.name, bucket]);
      limiter.adoptLog(key, log === undefined ? [] : (JSON.parse(log) as number[]));
      const decision = limiter.take(key);
      if (decision.allowed) {
        const { namespace, tenant } = splitBucketKey(key);
        await this.store.run(
          `INSERT INTO sandbox_rate_buckets (limiter, bucket, namespace, tenant, log) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (limiter, bucket) DO UPDATE SET log = excluded.log`,
          [limiter.name, bucket, namespace, tenant, JSON.stringify(limiter.log(key))],
        );
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

