// The bulk upsert: contacts processed in request order inside one synchronous transaction, each succeeding or failing alone.
import { type WriteContext, type WriteOutcome, forcedRowMessage, identityOf, mergeContact } from './contact.js';
import type { PropelRowErrorName } from './errors.js';
import type { PropelBulkResult, PropelContact } from './schemas.js';
import type { BulkRequest } from './validation.js';

export interface BulkOutcome {
  data: PropelBulkResult[];
  /** Row-error codes of the failed rows, for coverage. */
  failedCodes: PropelRowErrorName[];
}

/**
 * Runs an already validated bulk request. Rows run in order, so a row can name as parent a
 * contact an earlier row of the same request created, and a repeated id updates what the earlier
 * row wrote. Everything happens in one transaction: the rows reported as succeeded are written
 * together, the failed ones not at all.
 */
export function bulkUpsert(request: BulkRequest & { rowFaults?: ReadonlyMap<number, PropelRowErrorName> | undefined }, ctx: WriteContext): BulkOutcome {
  const { lookupKey } = request;
  const failedCodes: PropelRowErrorName[] = [];
  const data = ctx.contacts.transaction(() =>
    request.contacts.map((input, index): PropelBulkResult => {
      const key = lookupKey === 'id' ? input.id! : input.sourceId!;
      const identity = lookupKey === 'sourceId' ? identityOf(input) : undefined;
      const existing: PropelContact | undefined = identity ? ctx.contacts.findByIdentity(ctx.scope, identity) : ctx.contacts.get(ctx.scope, input.id!);
      const action = existing ? 'update' : 'create';
      const forced = request.rowFaults?.get(index);
      const outcome: WriteOutcome =
        forced !== undefined
          ? { ok: false, code: forced, message: forcedRowMessage(forced, input) }
          : mergeContact(ctx, input, existing, input.id, identity && { identity, holder: existing });
      if (!outcome.ok) {
        failedCodes.push(outcome.code);
        return { action, key, lookupKey, success: false, error: outcome.message };
      }
      const contact = outcome.contact;
      // bulk/sourceId numbers a new contact only once it is sure to be written.
      if (!existing && lookupKey === 'sourceId') contact.id = ctx.contacts.nextId(ctx.scope);
      if (contact !== existing) ctx.contacts.put(ctx.scope, contact, existing);
      return { action, id: contact.id, key, lookupKey, success: true };
    }),
  );
  return { data, failedCodes };
}
