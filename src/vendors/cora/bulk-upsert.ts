// The bulk upsert's row engine: read the batch's accounts at once, decide every row, then write the successes.
import type { BulkContext, BulkEngine, BulkRow, RowOutcome } from '../../core/bulk.js';
import { deepEqual, isPlainObject } from '../../core/json.js';
import { CORA_MESSAGES, CORA_ROW_ERRORS, type CoraRowErrorName } from './errors.js';
import { accountChanges, applyUpdate } from './merge.js';
import type { CoraAccount, CoraAccountUpsert, CoraBulkUpsertResult } from './schemas.js';
import type { CoraAccounts } from './store.js';
import { checkUpsert, missingOnCreate, newAccount, type Detail, type RowCheck } from './validation.js';

/** A bulk upsert as its request-level checks left it, every row already checked against the schema. */
export interface CoraBatch {
  rows: readonly unknown[];
  /** `checkUpsert` of each row, by position: a row's schema check reads nothing stored. */
  checks: readonly RowCheck<CoraAccountUpsert>[];
  dryRun: boolean;
  includeChanges: boolean;
}

/**
 * A batch of `rows`, each checked against the schema now: before the transaction, so that on a
 * shared database the tenant's lock is not held while 500 rows are validated (a tenth of the time
 * a 500-row request holds it, measured).
 */
export function coraBatch(rows: readonly unknown[], flags: { dryRun: boolean; includeChanges: boolean }): CoraBatch {
  return { rows, checks: rows.map(checkUpsert), ...flags };
}

type Ctx = BulkContext<CoraBatch>;
export type CoraBulkEngine = BulkEngine<unknown, CoraBatch, Map<string, CoraAccount>, CoraBulkUpsertResult, CoraRowErrorName, CoraAccount[]>;

/** `acc_` and 24 hex digits, like Cora's own ids. */
export const newAccountId = (deps: { ids: { hex(bytes: number): string } }): string => `acc_${deps.ids.hex(12)}`;

const externalIdOf = (row: unknown): string | undefined =>
  isPlainObject(row) && typeof row.externalId === 'string' && row.externalId !== '' ? row.externalId : undefined;

function failed(index: number, externalId: string | undefined, code: CoraRowErrorName, message: string, details: Detail[]): RowOutcome<CoraBulkUpsertResult, CoraRowErrorName> {
  return { ok: false, code, element: { index, ...(externalId !== undefined ? { externalId } : {}), status: 'failed', code, message, details } };
}

/**
 * Partial success: every row gets a result in request order; the rows that succeeded are written
 * together (none on a dry run). A row sees the accounts as stored before the request: an
 * externalId sent twice fails both rows, so no row depends on another.
 */
export function coraBulkEngine(accounts: CoraAccounts, newId: () => string): CoraBulkEngine {
  return {
    // One query: every externalId of the batch at once.
    async load(rows, ctx) {
      const ids = new Set<string>();
      for (const { row } of rows) {
        const id = externalIdOf(row);
        if (id !== undefined) ids.add(id);
      }
      return accounts.getMany(ctx.scope, [...ids]);
    },
    decide(rows, stored, ctx) {
      const occurrences = new Map<string, number>();
      for (const { row } of rows) {
        const id = externalIdOf(row);
        if (id !== undefined) occurrences.set(id, (occurrences.get(id) ?? 0) + 1);
      }
      const writes: CoraAccount[] = [];
      const now = new Date(ctx.now).toISOString();
      const outcomes = rows.map((row) => decideRow(row, { occurrences, stored, writes, now, newId, ctx }));
      return { outcomes, writes };
    },
    // One statement for every account the batch creates or changes (none when nothing changed).
    async save(writes, ctx) {
      await accounts.write(ctx.scope, writes);
    },
    forced({ index, row }, code) {
      const { message } = CORA_ROW_ERRORS[code];
      return failed(index, externalIdOf(row), code, message, [{ field: '', message }]).element;
    },
  };
}

interface RowContext {
  occurrences: ReadonlyMap<string, number>;
  stored: ReadonlyMap<string, CoraAccount>;
  writes: CoraAccount[];
  now: string;
  newId: () => string;
  ctx: Ctx;
}

function decideRow({ index, row }: BulkRow<unknown>, r: RowContext): RowOutcome<CoraBulkUpsertResult, CoraRowErrorName> {
  const { dryRun, includeChanges } = r.ctx.parsed;
  const externalId = externalIdOf(row);
  if (externalId !== undefined && r.occurrences.get(externalId)! > 1) {
    return failed(index, externalId, 'DUPLICATE_EXTERNAL_ID', CORA_MESSAGES.duplicate(externalId), [{ field: 'externalId', message: CORA_MESSAGES.duplicate(externalId) }]);
  }
  if (isPlainObject(row) && Object.hasOwn(row, 'organizationId')) {
    const { message } = CORA_ROW_ERRORS.ORGANIZATION_ID_NOT_ALLOWED;
    return failed(index, externalId, 'ORGANIZATION_ID_NOT_ALLOWED', message, [{ field: 'organizationId', message }]);
  }
  const check = r.ctx.parsed.checks[index]!;
  if (!check.ok) return failed(index, externalId, 'VALIDATION_ERROR', CORA_MESSAGES.rowFailed(externalId, index), check.details);

  const upsert = check.value;
  const existing = r.stored.get(upsert.externalId);
  if (!existing) {
    const missing = missingOnCreate(upsert);
    if (missing.length > 0) return failed(index, externalId, 'VALIDATION_ERROR', CORA_MESSAGES.rowFailed(externalId, index), missing);
    if (dryRun) return { ok: true, element: { index, externalId: upsert.externalId, status: 'created' } };
    const account = newAccount(upsert, { id: r.newId(), organizationId: r.ctx.scope.tenant, now: r.now });
    r.writes.push(account);
    return { ok: true, element: { index, externalId: account.externalId, status: 'created', accountId: account.id, updatedAt: account.updatedAt } };
  }

  const merged = applyUpdate(existing, upsert);
  if (deepEqual(merged, existing)) {
    return { ok: true, element: { index, externalId: existing.externalId, status: 'unchanged', accountId: existing.id, updatedAt: existing.updatedAt } };
  }
  const changes = includeChanges ? accountChanges(existing, merged) : undefined;
  const updatedAt = dryRun ? existing.updatedAt : r.now;
  r.writes.push({ ...merged, updatedAt });
  return {
    ok: true,
    element: { index, externalId: existing.externalId, status: 'updated', accountId: existing.id, updatedAt, ...(changes ? { changes } : {}) },
  };
}

/** Cora's answer: a summary of the statuses, and every row's result in request order. */
export function coraBulkResponse(results: CoraBulkUpsertResult[], ctx: Ctx) {
  const summary = { total: results.length, created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const r of results) summary[r.status] += 1;
  return { dryRun: ctx.parsed.dryRun, summary, results };
}
