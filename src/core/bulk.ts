// Bulk routes: the vendor declares how to parse the request and a row engine; the core runs the rest.
import { readJsonBody } from './body.js';
import type { ErrorCatalogue } from './errors.js';
import type { Awaitable, Store, Tx } from './store.js';
import type { CoreDeps, RouteDef, SandboxContext, SeedOutcome, TenantScope } from './vendor.js';

/** One row of a bulk request, with its position in the request. */
export interface BulkRow<Row> {
  readonly index: number;
  readonly row: Row;
}

/** What became of one row: its element in the response, and its row-error code when it failed. */
export type RowOutcome<Element, Code extends string> = { ok: true; element: Element } | { ok: false; element: Element; code: Code };

/** What a bulk request is running with. */
export interface BulkContext<Parsed> {
  scope: TenantScope;
  /** What the vendor's `parse` returned for the request. */
  parsed: Parsed;
  /** Nothing is written: `save` is not called and the transaction is rolled back. */
  dryRun: boolean;
  /** The sandbox clock (epoch ms), read once per request. */
  now: number;
}

/**
 * A vendor's row engine, in three phases that all run in one transaction:
 * - `load` reads what the rows may need, by key, in a bounded number of queries (never one per row);
 * - `decide` works out every row in memory from what `load` read, and what to write;
 * - `save` writes those changes, in a bounded number of statements (skipped on a dry run).
 * Only `load` and `save` touch the store (async, a network round trip per query on PostgreSQL),
 * and `decide` stays synchronous and pure. The transaction holds the tenant's lock: two requests
 * for one tenant run one after the other, on every process sharing the database.
 *
 * Rows a fault forced to fail never reach `decide`: the core answers them with `forced`, and
 * `decide` runs as if they were not in the request.
 */
export interface BulkEngine<Row, Parsed, Loaded, Element, Code extends string, Writes> {
  /** Every row of the request, forced ones included (their element may depend on what is stored). */
  load(rows: readonly BulkRow<Row>[], ctx: BulkContext<Parsed>): Awaitable<Loaded>;
  /** One outcome per row given, in the same order, and what the successful rows change. */
  decide(rows: readonly BulkRow<Row>[], loaded: Loaded, ctx: BulkContext<Parsed>): { outcomes: RowOutcome<Element, Code>[]; writes: Writes };
  save(writes: Writes, ctx: BulkContext<Parsed>): Awaitable<void>;
  /** The element of a row a fault forced to fail with `code`, in the vendor's row-failure shape. */
  forced(row: BulkRow<Row>, code: Code, loaded: Loaded, ctx: BulkContext<Parsed>): Element;
  /**
   * Optional: every part of the tenant's state the rows may read or write, each named by a key
   * (e.g. `email:a@example.com`, `person:42`, or one key for a counter every create moves). When
   * given, the batch holds the tenant's lock shared and these keys alone: batches of one tenant
   * whose keys differ run side by side on PostgreSQL, where otherwise they would take turns (up
   * to its MAX_LOCK_PARTS keys; a batch naming more takes the whole tenant's lock). It
   * must name everything `load` reads that a concurrent batch could change, and everything
   * `save` writes; a write of the whole tenant (`tenantTransaction`) still runs alone.
   */
  lockParts?(rows: readonly BulkRow<Row>[], ctx: BulkContext<Parsed>): readonly string[];
}

/** A bulk request's rows and failures, as the core's observers (metrics, coverage, logs) read them. */
export interface BulkTally {
  rows: number;
  /** Row-error codes of the failed rows, in row order. */
  failed: string[];
}

/** The lock every write of one tenant's records takes, in a bulk request or not. */
const tenantLockKey = (scope: TenantScope): string => `tenant:${scope.namespace}:${scope.tenant}`;

/** `scope` with its statements in `tx`. */
const inTx = (scope: TenantScope, tx: Tx): TenantScope => ({ namespace: scope.namespace, tenant: scope.tenant, tx });

/**
 * Runs `fn` in one transaction holding the tenant's lock (a bulk request's: two writes of one
 * tenant never interleave, on any process), given the scope bound to the transaction: the vendor
 * tables `fn` reads and writes through it run their statements there.
 */
export function tenantTransaction<T>(store: Store, scope: TenantScope, fn: (scope: TenantScope) => Awaitable<T>): Promise<T> {
  return store.transaction(async (tx) => {
    await tx.lock(tenantLockKey(scope));
    return fn(inTx(scope, tx));
  });
}

/**
 * Runs an engine over `rows` in one transaction: rows in `forced` fail with their code, the
 * others go through load → decide → save. Returns every row's outcome in request order. When the
 * scope is in a transaction already (a seed's), the rows run in a savepoint of it.
 */
export async function runBulk<Row, Parsed, Loaded, Element, Code extends string, Writes>(
  store: Store,
  engine: BulkEngine<Row, Parsed, Loaded, Element, Code, Writes>,
  rows: readonly BulkRow<Row>[],
  given: BulkContext<Parsed>,
  forced?: ReadonlyMap<number, Code>,
): Promise<RowOutcome<Element, Code>[]> {
  const run = async (tx: Tx): Promise<RowOutcome<Element, Code>[]> => {
    const ctx = { ...given, scope: inTx(given.scope, tx) };
    const { namespace, tenant } = ctx.scope;
    // Asked for only where parts are locked (PostgreSQL), each part named within its tenant.
    const partsOf = () => engine.lockParts!(rows, ctx).map((part) => JSON.stringify([namespace, tenant, part]));
    if (engine.lockParts) await tx.lockParts(tenantLockKey(ctx.scope), partsOf);
    else await tx.lock(tenantLockKey(ctx.scope));
    const loaded = await engine.load(rows, ctx);
    const free = forced?.size ? rows.filter((r) => !forced.has(r.index)) : rows;
    const { outcomes, writes } = engine.decide(free, loaded, ctx);
    if (outcomes.length !== free.length) throw new Error(`bulk engine answered ${outcomes.length} outcomes for ${free.length} rows`);
    if (!ctx.dryRun) await engine.save(writes, ctx);
    if (free === rows) return outcomes;
    let next = 0;
    return rows.map((row) => {
      const code = forced!.get(row.index);
      return code === undefined ? outcomes[next++]! : { ok: false, code, element: engine.forced(row, code, loaded, ctx) };
    });
  };
  if (given.scope.tx) return given.scope.tx.savepoint(run, !given.dryRun);
  return given.dryRun ? store.rolledBack(run) : store.transaction(run);
}

/** The handlers `bulkRoute` built: a route claiming a `batchField` without one would take row faults it never applies. */
const bulkHandlers = new WeakSet<RouteDef['handler']>();

/** Whether `route` is a bulk route `bulkRoute` built (the router refuses a `batchField` on any other). */
export const isBulkRoute = (route: Pick<RouteDef, 'handler'>): boolean => bulkHandlers.has(route.handler);

/** What a bulk route declares besides its documentation: how to read a request, its engine, its answer. */
export interface BulkSpec<Row, Parsed extends { rows: readonly Row[]; dryRun?: boolean }, Loaded, Element, Code extends string, Writes> {
  /** The top-level body field holding the rows. */
  batchField: string;
  /**
   * The request-level checks on the JSON body, in the vendor's words (its envelope, its row
   * limits, its schema): throws the vendor's error, and then nothing is written.
   */
  parse(body: unknown): Parsed;
  engine: BulkEngine<Row, Parsed, Loaded, Element, Code, Writes>;
  /** The response body, from every row's element in request order. */
  respond(elements: Element[], ctx: BulkContext<Parsed>): unknown;
}

/**
 * A bulk route: the core reads the body, runs the vendor's `parse`, substitutes the rows a fault
 * forces to fail, runs the engine in one transaction (rolled back on a dry run), records the row
 * count and every failed row's code for metrics, coverage and logs, and answers with `respond`
 * under the route's one success status.
 */
export function bulkRoute<Name extends string, Code extends string, Row, Parsed extends { rows: readonly Row[]; dryRun?: boolean }, Loaded, Element, Writes>(
  deps: Pick<CoreDeps, 'store' | 'clock' | 'bodyLimit'>,
  catalogue: ErrorCatalogue<Name, Code>,
  route: Omit<RouteDef<Name>, 'handler' | 'batchField'>,
  spec: BulkSpec<Row, Parsed, Loaded, Element, Code, Writes>,
): RouteDef<Name> {
  const statuses = Object.keys(route.responses).map(Number);
  if (statuses.length !== 1) throw new Error(`bulk route ${route.operationId} must declare exactly one success status`);
  const status = statuses[0] as 200;
  const handler = async (c: SandboxContext) => {
    const parsed = spec.parse(await readJsonBody(c, deps.bodyLimit));
    const ctx: BulkContext<Parsed> = { scope: c.get('scope'), parsed, dryRun: parsed.dryRun === true, now: deps.clock.now() };
    const rows = parsed.rows.map((row, index) => ({ index, row }));
    const outcomes = await runBulk(deps.store, spec.engine, rows, ctx, catalogue.rowFaults(c.get('rowFaults')));
    c.set('bulk', { rows: rows.length, failed: outcomes.flatMap((o) => (o.ok ? [] : [o.code])) });
    return c.json(spec.respond(outcomes.map((o) => o.element), ctx) as object, status);
  };
  bulkHandlers.add(handler);
  return { ...route, batchField: spec.batchField, handler };
}

/**
 * Loads one tenant's fixtures through a bulk engine (the vendor's own create rules), inside the
 * seed's transaction: `describe` words each failed row as an issue (e.g. `accounts.3: <why>`), and
 * the core rolls the whole seed back on any.
 */
export async function seedThroughEngine<Row, Parsed extends { rows: readonly Row[] }, Loaded, Element, Code extends string, Writes>(
  deps: Pick<CoreDeps, 'store' | 'clock'>,
  engine: BulkEngine<Row, Parsed, Loaded, Element, Code, Writes>,
  scope: TenantScope,
  parsed: Parsed,
  describe: (element: Element, index: number) => string,
): Promise<SeedOutcome> {
  const rows = parsed.rows.map((row, index) => ({ index, row }));
  if (!scope.tx) throw new Error('seedThroughEngine: the scope must be in the seed\'s transaction');
  const outcomes = await runBulk(deps.store, engine, rows, { scope, parsed, dryRun: false, now: deps.clock.now() });
  const issues = outcomes.flatMap((o, index) => (o.ok ? [] : [describe(o.element, index)]));
  return { loaded: outcomes.length - issues.length, issues };
}
