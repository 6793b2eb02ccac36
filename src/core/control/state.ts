// Whole-sandbox state operations behind the control API: reset, seed, snapshot and restore.
import { z } from 'zod';
import type { SandboxClock } from '../clock.js';
import type { ControlPlane } from '../control-plane.js';
import { SandboxError } from '../errors.js';
import type { Fault } from '../faults.js';
import type { JournalEntry } from '../journal.js';
import { NAMESPACE_PATTERN, NAMESPACE_RULE } from '../router.js';
import { quoteIdent } from '../store.js';
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
  if (!vendor) throw new SandboxError('UNKNOWN_VENDOR', { message: `Unknown vendor: ${name} (known: ${ctx.vendors.map((v) => v.name).join(', ')})` });
  return vendor;
}

const issuesOf = (error: z.ZodError, prefix = '') => error.issues.map((i) => `${[prefix, ...i.path].filter((p) => p !== '').join('.') || '(body)'}: ${i.message}`);

/**
 * Deletes tenant data (all, or one vendor / tenant / namespace), and the journal, armed faults,
 * rate-limit buckets and coverage counts of the same scope. Credentials stay.
 */
export function resetState(ctx: ControlContext, filter: ResetRequest): { deleted: number } {
  const { deps, plane } = ctx;
  const targets = filter.vendor === undefined ? ctx.vendors : [vendorNamed(ctx, filter.vendor)];
  let deleted = 0;
  deps.store.transaction(() => {
    for (const vendor of targets) {
      for (const table of vendor.tables) {
        const where: string[] = [];
        const params: string[] = [];
        if (filter.tenant !== undefined) (where.push('tenant = ?'), params.push(filter.tenant));
        if (filter.namespace !== undefined) (where.push('namespace = ?'), params.push(filter.namespace));
        const sql = `DELETE FROM ${quoteIdent(table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
        deleted += deps.store.statement(sql).run(...params).changes;
      }
    }
  });
  if (filter.tenant === undefined) {
    for (const vendor of targets) plane.faults.disarm({ vendor: vendor.name, ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}) });
    if (filter.vendor === undefined) plane.journal.clear(filter.namespace);
  }
  const scope = { ...(filter.vendor !== undefined ? { vendor: filter.vendor } : {}), ...(filter.tenant !== undefined ? { tenant: filter.tenant } : {}), ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}) };
  deps.rateLimits.reset(scope);
  plane.coverage.reset(scope);
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

/** Loads fixtures, all or nothing: one invalid credential or record and nothing is written. */
export function applySeed(ctx: ControlContext, input: unknown, namespace = ''): { credentials: number; records: number } {
  const parsed = SeedDocument.safeParse(input);
  if (!parsed.success) throw new SandboxError('INVALID_REQUEST', { message: 'Invalid seed document', extra: { issues: issuesOf(parsed.error) } });
  const totals = { credentials: 0, records: 0 };
  ctx.deps.store.transaction(() => {
    for (const [name, fixtures] of Object.entries(parsed.data)) {
      const vendor = vendorNamed(ctx, name);
      for (const [i, body] of (fixtures.credentials ?? []).entries()) {
        const credential = vendor.credentials.createSchema.safeParse(body);
        if (!credential.success) {
          throw new SandboxError('INVALID_REQUEST', { message: `Invalid ${name} credential`, extra: { issues: issuesOf(credential.error, `${name}.credentials.${i}`) } });
        }
        ctx.deps.credentials.put(vendor.credentials.toRecord(credential.data));
        totals.credentials += 1;
      }
      for (const [tenant, records] of Object.entries(fixtures.records ?? {})) {
        totals.records += ctx.instances[name]!.seedRecords({ namespace, tenant }, records).loaded;
      }
    }
  });
  return totals;
}

export const Snapshot = z
  .object({
    format: z.literal('bulk-sandbox-snapshot'),
    version: z.literal(1),
    clock: z.object({ now: z.string(), frozen: z.boolean() }),
    rateLimits: z.enum(['vendor', 'off']),
    tables: z.record(z.string(), z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])))),
    faults: z.array(z.record(z.string(), z.unknown())),
    journal: z.array(z.record(z.string(), z.unknown())),
  })
  .meta({ id: 'SandboxSnapshot', description: 'The whole state: every table, clock, rate-limit mode, armed faults and journal.' });
export type Snapshot = z.infer<typeof Snapshot>;

export function exportSnapshot(ctx: ControlContext): Snapshot {
  const { store } = ctx.deps;
  const tables: Snapshot['tables'] = {};
  for (const table of store.tableNames()) tables[table] = store.db.prepare(`SELECT * FROM ${quoteIdent(table)}`).all() as Snapshot['tables'][string];
  return {
    format: 'bulk-sandbox-snapshot',
    version: 1,
    clock: ctx.clock.state(),
    rateLimits: ctx.deps.rateLimits.mode,
    tables,
    faults: ctx.plane.faults.all() as unknown as Snapshot['faults'],
    journal: ctx.plane.journal.all() as unknown as Snapshot['journal'],
  };
}

/** Replaces the whole state with a snapshot's, exactly; an unknown table or column refuses it whole. */
export function restoreSnapshot(ctx: ControlContext, input: unknown): { tables: number; rows: number } {
  const parsed = Snapshot.safeParse(input);
  if (!parsed.success) throw new SandboxError('INVALID_REQUEST', { message: 'Invalid snapshot', extra: { issues: issuesOf(parsed.error) } });
  const snapshot = parsed.data;
  const { store } = ctx.deps;
  const known = new Set(store.tableNames());
  for (const [table, rows] of Object.entries(snapshot.tables)) {
    if (!known.has(table)) throw new SandboxError('INVALID_REQUEST', { message: `Snapshot names an unknown table: ${table}` });
    const columns = new Set(store.columnsOf(table));
    for (const row of rows) {
      const unknown = Object.keys(row).find((col) => !columns.has(col));
      if (unknown) throw new SandboxError('INVALID_REQUEST', { message: `Snapshot names an unknown column: ${table}.${unknown}` });
    }
  }
  let rows = 0;
  store.transaction(() => {
    for (const table of known) store.db.prepare(`DELETE FROM ${quoteIdent(table)}`).run();
    for (const [table, tableRows] of Object.entries(snapshot.tables)) {
      for (const row of tableRows) {
        const cols = Object.keys(row);
        store.db
          .prepare(`INSERT INTO ${quoteIdent(table)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
          .run(...cols.map((c) => row[c]));
        rows += 1;
      }
    }
  });
  // Frozen or not, the restored clock reads exactly the snapshot's instant right now.
  ctx.clock.freeze(true);
  ctx.clock.set(snapshot.clock.now);
  ctx.clock.freeze(snapshot.clock.frozen);
  ctx.deps.rateLimits.mode = snapshot.rateLimits;
  ctx.deps.rateLimits.reset();
  ctx.plane.faults.restore(snapshot.faults as unknown as Fault[]);
  ctx.plane.journal.restore(snapshot.journal as unknown as JournalEntry[]);
  return { tables: Object.keys(snapshot.tables).length, rows };
}
