// The bulk upsert's row engine: read ahead what the rows may look up, run the rows in order in memory, then write the successes.
import type { BulkEngine, RowOutcome } from '../../core/bulk.js';
import { forcedRowMessage, identityOf, mergeContact } from './contact.js';
import { PROPEL_MESSAGES, type PropelRowErrorName } from './errors.js';
import type { PropelBulkResult, PropelContact, PropelContactInput } from './schemas.js';
import type { PropelContacts } from './store.js';
import type { PropelBatch } from './validation.js';
import { ContactKeys, PendingContacts, type ContactLookup, type ContactWrite, type StoredContacts } from './view.js';

/** What the rows may look up, read before any row runs. */
export interface PropelLoaded {
  stored: StoredContacts;
  /** bulk/sourceId: the ids the tenant's sequence hands out next, one per row at most. */
  freeIds: readonly number[];
}

export interface PropelWrites {
  contacts: ContactWrite[];
  /** Where the tenant's sequence goes on, when rows took ids from it. */
  nextId: number | undefined;
}

export type PropelBulkEngine = BulkEngine<PropelContactInput, PropelBatch, PropelLoaded, PropelBulkResult, PropelRowErrorName, PropelWrites>;

/** The contact a row names by its lookup key, if there is one. */
const existingOf = (contacts: ContactLookup, input: PropelContactInput, batch: PropelBatch): PropelContact | undefined =>
  batch.lookupKey === 'sourceId' ? contacts.byIdentity(identityOf(input)) : contacts.byId(input.id!);

const keyOf = (input: PropelContactInput, batch: PropelBatch): number => (batch.lookupKey === 'id' ? input.id! : input.sourceId!);

/**
 * Rows run in request order and each succeeds or fails alone: a row can name as parent a contact
 * an earlier row of the same request created, and a repeated id updates what the earlier row
 * wrote. The rows reported as succeeded are written together, the failed ones not at all; a new
 * contact of bulk/sourceId takes the sequence's next id only once it is sure to be written.
 */
export function propelBulkEngine(contacts: PropelContacts): PropelBulkEngine {
  return {
    async load(rows, { scope, parsed }) {
      const keys = new ContactKeys();
      for (const { row } of rows) {
        if (parsed.lookupKey === 'id') keys.id(row.id!);
        keys.parentOf(row);
      }
      if (parsed.lookupKey === 'id') {
        // A contact's identity may mix what its rows send with what is stored: its stored form first.
        const stored = await keys.readIds(contacts, scope);
        const rowsOf = new Map<number, PropelContactInput[]>();
        for (const { row } of rows) {
          const same = rowsOf.get(row.id!);
          if (same) same.push(row);
          else rowsOf.set(row.id!, [row]);
        }
        for (const [id, same] of rowsOf) keys.identitiesOf(same, stored.get(id));
      } else {
        // sourceId, source and language are all the row's own: the identity it looks up is the one it ends with.
        for (const { row } of rows) keys.identitiesOf([row], undefined);
      }
      return { stored: await keys.read(contacts, scope), freeIds: parsed.lookupKey === 'sourceId' ? await contacts.freeIds(scope, rows.length) : [] };
    },
    decide(rows, { stored, freeIds }, ctx) {
      const batch = ctx.parsed;
      const { lookupKey } = batch;
      const now = new Date(ctx.now).toISOString();
      const view = new PendingContacts(stored);
      let taken = 0;
      const outcomes = rows.map(({ row: input }): RowOutcome<PropelBulkResult, PropelRowErrorName> => {
        const key = keyOf(input, batch);
        const existing = existingOf(view, input, batch);
        const action = existing ? 'update' : 'create';
        const outcome = mergeContact(view, now, input, existing, input.id);
        if (!outcome.ok) return { ok: false, code: outcome.code, element: { action, error: outcome.message, key, lookupKey, success: false } };
        const contact = outcome.contact;
        if (!existing && lookupKey === 'sourceId') contact.id = freeIds[taken++]!;
        if (contact !== existing) view.write(contact, existing);
        return { ok: true, element: { action, id: contact.id, key, lookupKey, success: true } };
      });
      return { outcomes, writes: { contacts: view.writes(), nextId: taken > 0 ? freeIds[taken - 1]! + 1 : undefined } };
    },
    async save({ contacts: writes, nextId }, { scope }) {
      // Every contact in two statements at most (those keeping their identity and parent, the others), then the sequence.
      await contacts.write(scope, writes);
      if (nextId !== undefined) await contacts.setNextId(scope, nextId);
    },
    forced({ row: input }, code, { stored }, ctx) {
      // The row is left out of the batch: its action is as the contacts were stored before the request.
      const action = existingOf(stored, input, ctx.parsed) ? 'update' : 'create';
      return { action, error: forcedRowMessage(code, input), key: keyOf(input, ctx.parsed), lookupKey: ctx.parsed.lookupKey, success: false };
    },
  };
}

/**
 * Propel's answer: every row's result in request order. Keys come in the order of the vendor's
 * example and schema (`data, messages, total`; a row `action, id, key, lookupKey, success`, all
 * alphabetical), and a failed row's `error`, which the page does not show, where that order puts
 * it: after `action` (*decision*).
 */
export const propelBulkResponse = (data: PropelBulkResult[]) => ({ data, messages: [PROPEL_MESSAGES.completed], total: data.length });
