// Whole-sandbox state operations behind the control API: reset, seed, snapshot and restore.
import { z } from 'zod';
import { toEpochMs, type SandboxClock } from '../clock.js';
import type { ControlPlane } from '../control-plane.js';
import { controlError } from './errors.js';
import { faultTargetProblem } from '../fault-targets.js';
import { StoredFault } from '../faults.js';
import { isPlainObject } from '../json.js';
import { NAMESPACE_PATTERN, NAMESPACE_RULE } from '../router.js';
import { isSharedStateTable } from '../shared-state.js';
import { isConstraintViolation, quoteIdent, type ColumnInfo, type Store, type Tx } from '../store.js';
import type { CoreDeps, VendorInstance, VendorModule } from '../vendor.js';

export interface ControlContext {
  deps: CoreDeps;
  clock: SandboxClock;
  vendors: readonly VendorModule[];
  /** What each vendor built, by vendor name. */
  instances: Record<string, VendorInstance>;
  plane: ControlPlane;
  /** OpenAPI documents by name, filled once the app is built. */
  documents: Record<string, unknown>;
}

/** A namespace as control calls name it: '' is the default namespace (requests without the header). */
export const NamespaceName = z.string().refine((name) => name === '' || NAMESPACE_PATTERN.test(name), `must be empty (the default namespace) or ${NAMESPACE_RULE}`);

export const ResetRequest = z
  .strictObject({ vendor: z.string().optional(), tenant: z.string().optional(), namespace: NamespaceName.optional() })
  .meta({ id: 'SandboxResetRequest' });
export type ResetRequest = z.infer<typeof ResetRequest>;

export function vendorNamed(ctx: ControlContext, name: string): VendorModule {
  const vendor = ctx.vendors.find((v) => v.name === name);
  if (!vendor) throw controlError('UNKNOWN_VENDOR', { message: `Unknown vendor: ${name} (known: ${ctx.vendors.map((v) => v.name).join(', ')})` });
  return vendor;
}

const issuesOf = (error: z.ZodError, prefix = '') => error.issues.map((i) => `${[prefix, ...i.path].filter((p) => p !== '').join('.') || '(body)'}: ${i.message}`);

/**
 * Deletes tenant data (all, or one vendor / tenant / namespace), and the journal, armed faults,
 * rate-limit buckets and coverage counts of the same scope. Credentials stay.
 */
export async function resetState(ctx: ControlContext, filter: ResetRequest): Promise<{ deleted: number }> {
  const { deps, plane } = ctx;
  const targets = filter.vendor === undefined ? ctx.vendors : [vendorNamed(ctx, filter.vendor)];
  let deleted = 0;
  await deps.store.transaction(async (tx) => {
    for (const vendor of targets) {
      for (const [i, table] of vendor.tables.entries()) {
        const where: string[] = [];
        const params: string[] = [];
        if (filter.tenant !== undefined) (where.push('tenant = ?'), params.push(filter.tenant));
        if (filter.namespace !== undefined) (where.push('namespace = ?'), params.push(filter.namespace));
        const sql = `DELETE FROM ${quoteIdent(table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
        const changes = await tx.run(sql, params);
        // Records are what the first table holds; the others (indexes, sequences) go with them.
        if (i === 0) deleted += changes;
      }
    }
  });
  if (filter.tenant === undefined) {
    for (const vendor of targets) plane.faults.disarm({ vendor: vendor.name, ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}) });
    if (filter.vendor === undefined) await plane.journal.clear(filter.namespace);
  }
  const scope = { ...(filter.vendor !== undefined ? { vendor: filter.vendor } : {}), ...(filter.tenant !== undefined ? { tenant: filter.tenant } : {}), ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}) };
  await deps.rateLimits.reset(scope);
  await plane.coverage.reset(scope);
  return { deleted };
}

export const SeedDocument = z
  .record(
    z.string(),
    z.strictObject({
      credentials: z.array(z.record(z.string(), z.unknown())).optional().describe("Create bodies as for POST /credentials, without `vendor`"),
      records: z.record(z.string(), z.array(z.unknown())).optional().describe("Records by tenant, each in the shape the vendor's create call takes"),
    }),
  )
  .meta({ id: 'SandboxSeed', description: 'Fixtures by vendor name.' });
export type SeedDocument = z.infer<typeof SeedDocument>;

/**
 * Loads fixtures, all or nothing: credentials through each vendor's create schema, records
 * through each vendor's own create rules, all in one transaction. Every bad fixture is collected
 * (`<vendor>.credentials.<i>: ...` / `<vendor>.records.<tenant>: <the vendor's issue>`), and any one of them rolls the
 * whole seed back.
 */
export async function applySeed(ctx: ControlContext, input: unknown, namespace = ''): Promise<{ credentials: number; records: number }> {
  const parsed = SeedDocument.safeParse(input);
  if (!parsed.success) throw controlError('INVALID_REQUEST', { message: 'Invalid seed document', extra: { issues: issuesOf(parsed.error) } });
  const totals = { credentials: 0, records: 0 };
  const issues: string[] = [];
  await ctx.deps.store.transaction(async (tx) => {
    for (const [name, fixtures] of Object.entries(parsed.data)) {
      const vendor = vendorNamed(ctx, name);
      for (const [i, body] of (fixtures.credentials ?? []).entries()) {
        const credential = vendor.credentials.createSchema.safeParse(body);
        if (!credential.success) {
          issues.push(...issuesOf(credential.error, `${name}.credentials.${i}`));
          continue;
        }
        await ctx.deps.credentials.put(vendor.credentials.toRecord(credential.data), tx);
        totals.credentials += 1;
      }
      for (const [tenant, records] of Object.entries(fixtures.records ?? {})) {
        const outcome = await ctx.instances[name]!.seedRecords({ namespace, tenant, tx }, records);
        issues.push(...outcome.issues.map((issue) => `${name}.records.${tenant}: ${issue}`));
        totals.records += outcome.loaded;
      }
    }
    // Thrown inside the transaction: everything written above rolls back with it.
    if (issues.length > 0) throw controlError('INVALID_REQUEST', { message: 'Invalid fixtures: nothing was loaded', extra: { issues } });
  });
  return totals;
}

/** What `GET /_sandbox/snapshot` shows instead of each credential's secret, unless asked for `?secrets=include`. */
export const WITHHELD_SECRET = '[withheld]';

/**
 * The body limit of `POST /_sandbox/snapshot`: an export of any size the sandbox holds must
 * restore, and V8's longest string (about 512 MiB) bounds what JSON.parse could take anyway.
 */
export const SNAPSHOT_BODY_LIMIT = 512 * 1024 * 1024;

/** Issues named in one refusal: a snapshot with every row wrong must not answer with megabytes of them. */
const MAX_ISSUES = 50;

/** The core table of credentials (src/core/credentials.ts); its rows carry the secrets. */
const CREDENTIALS_TABLE = 'credentials';

/** A JSON value that must be present (`z.unknown()` alone lets a missing key through). */
const presentJson = z.unknown().refine((value): boolean => value !== undefined, 'Required');

/** A journal entry as `Journal.all()` exports it (see JournalEntry in src/core/journal.ts). */
export const StoredJournalEntry = z
  .strictObject({
    id: z.int().min(1),
    time: z.iso.datetime({ offset: true }),
    vendor: z.string().min(1),
    namespace: z.string(),
    tenant: z.string().nullable(),
    method: z.string().min(1),
    path: z.string(),
    requestHeaders: z.record(z.string(), z.string()),
    requestBody: presentJson,
    status: z.int().min(100).max(599).nullable(),
    responseHeaders: z.record(z.string(), z.string()),
    responseBody: presentJson,
    durationMs: z.number().min(0),
    error: z.string().nullable(),
    rowErrors: z.array(z.string()),
    fault: z.string().nullable(),
    operationId: z.string().nullable().optional(),
  })
  .meta({ id: 'SandboxStoredJournalEntry', description: 'One journal entry, bodies parsed and redacted.' });
export type StoredJournalEntry = z.infer<typeof StoredJournalEntry>;

export const Snapshot = z
  .strictObject({
    format: z.literal('bulk-sandbox-snapshot'),
    version: z.literal(1),
    clock: z.strictObject({
      now: z.string().superRefine((now, check) => {
        // The clock's own rule, so a snapshot the clock would refuse is refused before anything changes.
        try {
          toEpochMs(now);
        } catch (error) {
          check.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
      frozen: z.boolean(),
    }),
    rateLimits: z.enum(['vendor', 'off']),
    tables: z
      .record(z.string(), z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))))
      .describe(`Every row of every table by table name. Credential secrets read "${WITHHELD_SECRET}" unless exported with ?secrets=include.`),
    faults: z.array(StoredFault),
    journal: z.array(StoredJournalEntry).describe('Oldest first, ids ascending.'),
  })
  .meta({ id: 'SandboxSnapshot', description: 'The whole state: every table, clock, rate-limit mode, armed faults and journal.' });
export type Snapshot = z.infer<typeof Snapshot>;
/** What a restore accepts: a snapshot whose faults may predate fault targeting. */
export type SnapshotInput = z.input<typeof Snapshot>;
type Row = Snapshot['tables'][string][number];

export interface ExportOptions {
  /** `include`: credential secrets in clear (the file is then a credential); otherwise each reads WITHHELD_SECRET. */
  secrets?: 'include' | undefined;
}

export async function exportSnapshot(ctx: ControlContext, options: ExportOptions = {}): Promise<Snapshot> {
  const { store } = ctx.deps;
  const tables: Snapshot['tables'] = {};
  // Ordered by every column, in declaration order (the scope and key come first): the same
  // order on both engines, and an export of a restored snapshot is the snapshot again.
  const reads: Array<{ table: string; order: string }> = [];
  for (const table of await recordTables(store)) reads.push({ table, order: (await store.columnInfo(table)).map((c) => quoteIdent(c.name)).join(', ') });
  // One transaction: every table as of one instant, even while other processes write (shared mode).
  await store.transaction(async (tx) => {
    for (const { table, order } of reads) tables[table] = await tx.all<Row>(`SELECT * FROM ${quoteIdent(table)} ORDER BY ${order}`);
  });
  if (options.secrets !== 'include' && tables[CREDENTIALS_TABLE]) {
    tables[CREDENTIALS_TABLE] = tables[CREDENTIALS_TABLE].map((row) => ({ ...row, secret: WITHHELD_SECRET }));
  }
  return {
    format: 'bulk-sandbox-snapshot',
    version: 1,
    clock: ctx.clock.state(),
    rateLimits: ctx.deps.rateLimits.mode,
    tables,
    faults: ctx.plane.faults.all(),
    journal: await ctx.plane.journal.all(),
  };
}

/** Collects `path: message` issues, keeping the first MAX_ISSUES and counting the rest. */
class Issues {
  readonly list: string[] = [];
  private count = 0;

  add(path: Array<string | number | PropertyKey>, message: string): void {
    this.count += 1;
    if (this.list.length < MAX_ISSUES) this.list.push(`${path.map(String).join('.')}: ${message}`);
  }

  get empty(): boolean {
    return this.count === 0;
  }

  summary(): string[] {
    return this.count > this.list.length ? [...this.list, `... and ${this.count - this.list.length} more`] : this.list;
  }
}

/** What SQLite makes of a declared column type (its affinity rules, https://sqlite.org/datatype3.html 3.1). */
function affinity(type: string): 'integer' | 'text' | 'real' | 'other' {
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'real';
  return 'other';
}

/** Why `value` does not fit the column, or undefined when it does. */
function misfit(column: ColumnInfo, value: string | number | null | undefined): string | undefined {
  if (value === undefined) return column.notNull && !column.hasDefault ? `required (column ${column.type} NOT NULL)` : undefined;
  // A NOT NULL default applies only when the column is left out, never to an explicit null.
  if (value === null) return column.notNull ? `must not be null (column ${column.type} NOT NULL)` : undefined;
  switch (affinity(column.type)) {
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : `must be an integer (column ${column.type})`;
    case 'text':
      return typeof value === 'string' ? undefined : `must be a string (column ${column.type})`;
    case 'real':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number (column ${column.type})`;
    default:
      return undefined;
  }
}

/** A table's rows as they will be written: checked, withheld secrets filled in. */
interface TableRows {
  table: string;
  columns: ColumnInfo[];
  rows: Row[];
}

/**
 * Checks everything a snapshot says against this sandbox before anything is written: faults and
 * journal entries name registered vendors and unique ids, every table and column exists, every
 * value fits its column, every `data` column holds the JSON object its vendor stores, and every
 * withheld secret belongs to a credential this sandbox holds. Throws INVALID_REQUEST naming each
 * problem by its path in the document; returns the rows to write.
 */
async function checkSnapshot(ctx: ControlContext, snapshot: Snapshot, held: readonly string[]): Promise<TableRows[]> {
  const issues = new Issues();
  const vendors = new Map(ctx.vendors.map((v) => [v.name, v]));
  const knownVendors = `known: ${[...vendors.keys()].join(', ')}`;

  const faultIds = new Set<string>();
  for (const [i, fault] of snapshot.faults.entries()) {
    if (faultIds.has(fault.id)) issues.add(['faults', i, 'id'], `duplicate fault id ${fault.id}`);
    faultIds.add(fault.id);
    const vendor = vendors.get(fault.vendor);
    if (!vendor) {
      issues.add(['faults', i, 'vendor'], `unknown vendor ${fault.vendor} (${knownVendors})`);
      continue;
    }
    // What POST /faults accepts: a fault that could never fire, or names another vendor's error, is refused.
    const problem = faultTargetProblem(vendor, ctx.instances[vendor.name]!.routes, fault);
    if (problem !== undefined) issues.add(['faults', i], problem);
  }

  let lastId = 0;
  for (const [i, entry] of snapshot.journal.entries()) {
    if (!vendors.has(entry.vendor)) issues.add(['journal', i, 'vendor'], `unknown vendor ${entry.vendor} (${knownVendors})`);
    // The journal keeps its entries in id order and numbers new ones after the largest.
    if (entry.id <= lastId) issues.add(['journal', i, 'id'], `ids must be unique and ascending (oldest first): ${entry.id} follows ${lastId}`);
    lastId = Math.max(lastId, entry.id);
  }

  const { store } = ctx.deps;
  const known = new Set(held);
  const shapes = new Map<string, z.ZodType>();
  for (const vendor of ctx.vendors) for (const [table, shape] of Object.entries(vendor.storedShapes ?? {})) shapes.set(table, shape);
  const missingSecrets: string[] = [];
  const tables: TableRows[] = [];
  for (const [table, rows] of Object.entries(snapshot.tables)) {
    if (!known.has(table)) {
      issues.add(['tables', table], `unknown table (known: ${[...known].join(', ')})`);
      continue;
    }
    const columns = await store.columnInfo(table);
    const names = new Set(columns.map((c) => c.name));
    const shape = shapes.get(table);
    const checked: Row[] = [];
    for (const [i, row] of rows.entries()) {
      const at = ['tables', table, i];
      for (const name of Object.keys(row)) if (!names.has(name)) issues.add([...at, name], 'unknown column');
      for (const column of columns) {
        const value = row[column.name];
        const wrong = misfit(column, value);
        if (wrong !== undefined) issues.add([...at, column.name], wrong);
        else if (column.name === 'data' && typeof value === 'string') checkData(value, shape, [...at, 'data'], issues);
      }
      if (table === CREDENTIALS_TABLE) {
        checked.push(await checkCredential(ctx, row, at, issues, missingSecrets));
      } else {
        checked.push(row);
      }
    }
    tables.push({ table, columns, rows: checked });
  }

  if (!issues.empty) {
    const message =
      missingSecrets.length > 0
        ? `Snapshot withholds the secrets of credentials this sandbox does not hold: ${missingSecrets.join(', ')}. ` +
          'Create them first (POST /_sandbox/credentials), or export with GET /_sandbox/snapshot?secrets=include.'
        : 'Invalid snapshot';
    throw controlError('INVALID_REQUEST', { message, extra: { issues: issues.summary() } });
  }
  return tables;
}

/** A `data` column: JSON, an object, and (in a vendor table) the record shape the vendor reads back. */
function checkData(text: string, shape: z.ZodType | undefined, at: Array<string | number>, issues: Issues): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    issues.add(at, 'must be JSON text');
    return;
  }
  if (!isPlainObject(parsed)) {
    issues.add(at, 'must be a JSON object');
    return;
  }
  const result = shape?.safeParse(parsed);
  if (result && !result.success) for (const issue of result.error.issues) issues.add([...at, ...issue.path], issue.message);
}

/** A credentials row: a registered vendor, revoked 0 or 1, and a withheld secret replaced by the one held now. */
async function checkCredential(ctx: ControlContext, row: Row, at: Array<string | number>, issues: Issues, missingSecrets: string[]): Promise<Row> {
  const { vendor, id, revoked, secret } = row;
  if (revoked !== undefined && revoked !== 0 && revoked !== 1) issues.add([...at, 'revoked'], 'must be 0 or 1');
  if (typeof vendor === 'string' && !ctx.vendors.some((v) => v.name === vendor)) {
    issues.add([...at, 'vendor'], `unknown vendor ${vendor}`);
    return row;
  }
  if (secret !== WITHHELD_SECRET || typeof vendor !== 'string' || typeof id !== 'string') return row;
  const held = await ctx.deps.credentials.find(vendor, id);
  if (!held) {
    missingSecrets.push(`${vendor}/${id}`);
    issues.add([...at, 'secret'], `withheld, and this sandbox holds no ${vendor} credential ${id} to take it from`);
    return row;
  }
  return { ...row, secret: held.secret };
}

/** The tables a snapshot holds: every table but the shared state's (a snapshot has its own fields for it). */
async function recordTables(store: Store): Promise<string[]> {
  return (await store.tableNames()).filter((table) => !isSharedStateTable(table));
}

/** A table's rows grouped by the columns they name, with their indexes in the table. */
function batchesOf(tableRows: readonly Row[]): Array<Array<{ index: number; row: Row }>> {
  const batches = new Map<string, Array<{ index: number; row: Row }>>();
  for (const [index, row] of tableRows.entries()) {
    const key = Object.keys(row).join('\u0000');
    let batch = batches.get(key);
    if (!batch) batches.set(key, (batch = []));
    batch.push({ index, row });
  }
  return [...batches.values()];
}

/** Writes one batch of rows naming the same columns (one statement on PostgreSQL), in the restore's transaction. */
async function insertRows(tx: Tx, table: string, columns: readonly ColumnInfo[], batch: ReadonlyArray<{ row: Row }>): Promise<void> {
  const named = columns.filter((c) => c.name in batch[0]!.row).map((c) => ({ name: c.name, kind: c.type.includes('INT') ? ('integer' as const) : ('text' as const) }));
  if (named.length === 0) for (const _ of batch) await tx.run(`INSERT INTO ${quoteIdent(table)} DEFAULT VALUES`);
  else await tx.writeRows(table, named, batch.map(({ row }) => named.map((c) => row[c.name])));
}

/** Empties every table a snapshot holds (`tables`, from `recordTables`), in the restore's transaction. */
async function deleteAll(tx: Tx, tables: readonly string[]): Promise<void> {
  for (const table of tables) await tx.run(`DELETE FROM ${quoteIdent(table)}`);
}

/**
 * The first row a restore cannot write, found again row by row in a transaction that is rolled
 * back (only after a batched restore failed): the refusal names the row, as a row-by-row restore would.
 */
async function firstBrokenRow(store: Store, held: readonly string[], tables: readonly TableRows[]): Promise<{ table: string; index: number | string; message: string }> {
  return store.rolledBack(async (tx) => {
    await deleteAll(tx, held);
    for (const { table, columns, rows } of tables) {
      for (const [index, row] of rows.entries()) {
        // A savepoint per row: on PostgreSQL a failed statement spoils the transaction around it.
        try {
          await tx.savepoint(async () => {
            await insertRows(tx, table, columns, [{ row }]);
            throw KEEP;
          });
        } catch (error) {
          if (error !== KEEP) return { table, index, message: (error as Error).message };
        }
        await insertRows(tx, table, columns, [{ row }]);
      }
    }
    return { table: '(unknown)', index: '(unknown)', message: 'a constraint failed' };
  });
}

/** Thrown to leave a savepoint whose insert worked (the row is then written for real). */
const KEEP = Symbol('keep');

/**
 * Replaces the whole state with a snapshot's, all or nothing: the whole document is checked
 * first (checkSnapshot), the tables are replaced in one transaction, and only once it has
 * committed do the clock, rate-limit mode, faults and journal follow, none of which can fail then.
 */
export async function restoreSnapshot(ctx: ControlContext, input: unknown): Promise<{ tables: number; rows: number }> {
  const parsed = Snapshot.safeParse(input);
  if (!parsed.success) {
    const all = issuesOf(parsed.error);
    const shown = all.length > MAX_ISSUES ? [...all.slice(0, MAX_ISSUES), `... and ${all.length - MAX_ISSUES} more`] : all;
    throw controlError('INVALID_REQUEST', { message: 'Invalid snapshot', extra: { issues: shown } });
  }
  // What was sent, now known valid: zod's copy has its objects' keys in schema order, and an
  // export must restore to the very same export.
  const snapshot = input as Snapshot;
  const { store } = ctx.deps;
  // The tables a snapshot holds, read once: checked against, emptied, and emptied again to find a broken row.
  const held = await recordTables(store);
  const tables = await checkSnapshot(ctx, snapshot, held);
  let rows = 0;
  try {
    await store.transaction(async (tx) => {
      await deleteAll(tx, held);
      for (const { table, columns, rows: tableRows } of tables) {
        // Rows of one table almost always share their columns: one batch per column set.
        for (const batch of batchesOf(tableRows)) await insertRows(tx, table, columns, batch);
        rows += tableRows.length;
      }
    });
  } catch (error) {
    // Two rows with one primary key and the like: the transaction rolled back, nothing changed.
    if (isConstraintViolation(error)) {
      const { table, index, message } = await firstBrokenRow(store, held, tables);
      throw controlError('INVALID_REQUEST', {
        message: `Snapshot table ${table} breaks a constraint: ${message}`,
        extra: { issues: [`tables.${table}.${index}: ${message}`] },
      });
    }
    throw error;
  }
  // The transaction wrote the credentials table directly: its secrets are read again.
  await ctx.deps.credentials.refresh();
  // Frozen or not, the restored clock reads exactly the snapshot's instant right now.
  ctx.clock.freeze(true);
  ctx.clock.set(snapshot.clock.now);
  ctx.clock.freeze(snapshot.clock.frozen);
  ctx.deps.rateLimits.mode = snapshot.rateLimits;
  await ctx.deps.rateLimits.reset();
  ctx.plane.faults.restore(snapshot.faults);
  await ctx.plane.journal.restore(snapshot.journal.map((entry) => ({ ...entry, operationId: entry.operationId ?? null })));
  return { tables: Object.keys(snapshot.tables).length, rows };
}
