// The bulk upsert itself: validate every row, decide each outcome, then write the successes at once.
import { deepEqual, isPlainObject } from '../../core/json.js';
import { CORA_MESSAGES, CORA_ROW_ERRORS, type CoraRowErrorName } from './errors.js';
import { accountChanges, applyUpdate } from './merge.js';
import type { CoraAccount, CoraBulkUpsertResult } from './schemas.js';
import type { CoraAccounts } from './store.js';
import { checkUpsert, missingOnCreate, newAccount, type Detail } from './validation.js';
import type { TenantScope } from '../../core/vendor.js';

export interface BulkUpsertInput {
  rows: readonly unknown[];
  dryRun: boolean;
  includeChanges: boolean;
  /** Rows a fault forces to fail, with the row-error code to report. */
  rowFaults?: ReadonlyMap<number, CoraRowErrorName> | undefined;
}

export interface BulkUpsertContext {
  scope: TenantScope;
  accounts: CoraAccounts;
  now: string;
  newId: () => string;
}

export interface BulkUpsertOutcome {
  dryRun: boolean;
  summary: { total: number; created: number; updated: number; unchanged: number; failed: number };
  results: CoraBulkUpsertResult[];
}

/** `acc_` and 24 hex digits, like Cora's own ids. */
export const newAccountId = (deps: { ids: { hex(bytes: number): string } }): string => `acc_${deps.ids.hex(12)}`;

const externalIdOf = (row: unknown): string | undefined =>
  isPlainObject(row) && typeof row.externalId === 'string' && row.externalId !== '' ? row.externalId : undefined;

function failed(index: number, externalId: string | undefined, code: CoraRowErrorName, message: string, details: Detail[]): CoraBulkUpsertResult {
  return { index, ...(externalId !== undefined ? { externalId } : {}), status: 'failed', code, message, details };
}

/**
 * Processes a batch with partial success: every row gets a result in request order, and the
 * rows that succeeded are written in one transaction (none when `dryRun`).
 */
export function bulkUpsert(input: BulkUpsertInput, ctx: BulkUpsertContext): BulkUpsertOutcome {
  const occurrences = new Map<string, number>();
  for (const row of input.rows) {
    const id = externalIdOf(row);
    if (id !== undefined) occurrences.set(id, (occurrences.get(id) ?? 0) + 1);
  }

  const writes: CoraAccount[] = [];
  const results = input.rows.map((row, index): CoraBulkUpsertResult => {
    const externalId = externalIdOf(row);
    if (externalId !== undefined && occurrences.get(externalId)! > 1) {
      return failed(index, externalId, 'DUPLICATE_EXTERNAL_ID', CORA_MESSAGES.duplicate(externalId), [
        { field: 'externalId', message: CORA_MESSAGES.duplicate(externalId) },
      ]);
    }
    if (isPlainObject(row) && Object.hasOwn(row, 'organizationId')) {
      const { message } = CORA_ROW_ERRORS.ORGANIZATION_ID_NOT_ALLOWED;
      return failed(index, externalId, 'ORGANIZATION_ID_NOT_ALLOWED', message, [{ field: 'organizationId', message }]);
    }
    const forced = input.rowFaults?.get(index);
    if (forced !== undefined) {
      const { message } = CORA_ROW_ERRORS[forced];
      return failed(index, externalId, forced, message, [{ field: '', message }]);
    }
    const check = checkUpsert(row);
    if (!check.ok) return failed(index, externalId, 'VALIDATION_ERROR', CORA_MESSAGES.rowFailed(externalId, index), check.details);

    const upsert = check.value;
    const existing = ctx.accounts.get(ctx.scope, upsert.externalId);
    if (!existing) {
      const missing = missingOnCreate(upsert);
      if (missing.length > 0) return failed(index, externalId, 'VALIDATION_ERROR', CORA_MESSAGES.rowFailed(externalId, index), missing);
      if (input.dryRun) return { index, externalId: upsert.externalId, status: 'created' };
      const account = newAccount(upsert, { id: ctx.newId(), organizationId: ctx.scope.tenant, now: ctx.now });
      writes.push(account);
      return { index, externalId: account.externalId, status: 'created', accountId: account.id, updatedAt: account.updatedAt };
    }

    const merged = applyUpdate(existing, upsert);
    if (deepEqual(merged, existing)) {
      return { index, externalId: existing.externalId, status: 'unchanged', accountId: existing.id, updatedAt: existing.updatedAt };
    }
    const changes = input.includeChanges ? accountChanges(existing, merged) : undefined;
    const updatedAt = input.dryRun ? existing.updatedAt : ctx.now;
    if (!input.dryRun) writes.push({ ...merged, updatedAt });
    return {
      index,
      externalId: existing.externalId,
      status: 'updated',
      accountId: existing.id,
      updatedAt,
      ...(changes ? { changes } : {}),
    };
  });

  if (!input.dryRun) ctx.accounts.write(ctx.scope, writes);

  const summary = { total: results.length, created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const r of results) summary[r.status] += 1;
  return { dryRun: input.dryRun, summary, results };
}
