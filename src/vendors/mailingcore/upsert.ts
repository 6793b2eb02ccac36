// Contact upserts: the key rules (externalId, else email), conflicts, and the bulk import's row engine.
import type { BulkEngine, RowOutcome } from '../../core/bulk.js';
import { deepEqual } from '../../core/json.js';
import { MC_MESSAGES, MC_ROW_ERRORS, type McRowErrorName } from './errors.js';
import type { MailingCoreBulkResponse, MailingCoreBulkRowError, MailingCoreContact, MailingCoreContactInput, MailingCoreContactPatch } from './schemas.js';
import { emailKey, type ContactWrite, type MailingCoreStore } from './store.js';

/** A bulk import as its request-level checks left it (also one `PUT /contacts`, and a seed). */
export interface McBatch {
  rows: readonly MailingCoreContactInput[];
}

/** What became of one item: the contact as it now stands, or the item's entry in `errors`. */
export type McRowResult = { status: 'created' | 'updated'; contact: MailingCoreContact } | { status: 'failed'; error: MailingCoreBulkRowError };

/** The stored contacts the batch's items name, by externalId and by compared email. */
export interface McLoaded {
  byExternalId: ReadonlyMap<string, MailingCoreContact>;
  byEmail: ReadonlyMap<string, MailingCoreContact>;
  /** The tenant's write counter as read under its lock: the writes go under the next value. */
  seq: number;
}

/** What a batch writes, and the write counter it moves on from. */
export interface McWrites {
  writes: ContactWrite[];
  seq: number;
}

export type McBulkEngine = BulkEngine<MailingCoreContactInput, McBatch, McLoaded, McRowResult, McRowErrorName, McWrites>;

/**
 * cuid-like ids, as the vendor's own (`cl...`): like a cuid they start with the time (12 hex
 * digits of the sandbox clock's ms), then 12 random hex digits. Time first keeps new rows
 * together in the table's id order: random ids scattered each 1000-row import over the whole
 * table and made its commit 5× slower.
 */
export const newContactId = (deps: { ids: { hex(bytes: number): string }; clock: { now(): number } }): string =>
  `cl${Math.max(0, Math.floor(deps.clock.now())).toString(16).padStart(12, '0').slice(-12)}${deps.ids.hex(6)}`;

function newContact(item: MailingCoreContactInput, id: string, now: string): MailingCoreContact {
  return {
    id,
    email: item.email,
    externalId: item.externalId ?? null,
    locale: item.locale ?? null,
    optIn: item.optIn ?? false,
    attributes: item.attributes ?? {},
    consentVersion: item.consentVersion ?? null,
    source: item.source ?? null,
    projectId: item.projectId ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Fields sent replace stored ones; fields not sent are kept (`attributes` whole, *decision*).
 * updatedAt moves only when something changed, so re-sending the same data does not flood an
 * `updatedSince` pull with contacts that did not change.
 */
export function applyFields(existing: MailingCoreContact, fields: MailingCoreContactPatch, now: string): { contact: MailingCoreContact; changed: boolean } {
  const next: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) next[key] = value;
  const changed = !deepEqual(next, existing);
  return { contact: { ...(next as MailingCoreContact), updatedAt: changed ? now : existing.updatedAt }, changed };
}

/**
 * The contacts by externalId and by compared email as the items before this one left them: each
 * item's write moves them, so a later item sees it (nothing is written until `save`).
 */
class Overlay {
  private readonly byExternalId: Map<string, MailingCoreContact>;
  private readonly byEmail: Map<string, MailingCoreContact>;

  constructor(loaded: McLoaded) {
    this.byExternalId = new Map(loaded.byExternalId);
    this.byEmail = new Map(loaded.byEmail);
  }

  /**
   * The contact an item upserts (undefined: a new one), or the conflict that refuses it. By
   * externalId when present, else by email.
   */
  target(item: MailingCoreContactInput): { target: MailingCoreContact | undefined } | { conflict: string } {
    const byEmail = this.byEmail.get(emailKey(item.email));
    if (item.externalId === undefined) return { target: byEmail };
    const byExternalId = this.byExternalId.get(item.externalId);
    if (byExternalId) {
      if (byEmail && byEmail.id !== byExternalId.id) return { conflict: MC_MESSAGES.externalIdTaken(item.externalId) };
      return { target: byExternalId };
    }
    // The email's contact has another externalId: a new contact would break email uniqueness.
    if (byEmail && byEmail.externalId !== null) return { conflict: MC_MESSAGES.emailTaken(item.email) };
    // It has none yet (it came in keyed by email): it takes this externalId (*decision*).
    return { target: byEmail };
  }

  /** `after` replaces `before` (absent: `after` is new) under its keys. */
  move(before: MailingCoreContact | undefined, after: MailingCoreContact): void {
    if (before) {
      if (before.externalId !== null && this.byExternalId.get(before.externalId)?.id === before.id) this.byExternalId.delete(before.externalId);
      if (this.byEmail.get(emailKey(before.email))?.id === before.id) this.byEmail.delete(emailKey(before.email));
    }
    if (after.externalId !== null) this.byExternalId.set(after.externalId, after);
    this.byEmail.set(emailKey(after.email), after);
  }
}

/** The upsert key of an item: externalId when present, else the compared email. */
const upsertKey = (item: MailingCoreContactInput): string =>
  item.externalId !== undefined ? `externalId\u0000${item.externalId}` : `email\u0000${emailKey(item.email)}`;

function failed(index: number, item: MailingCoreContactInput, code: McRowErrorName, message: string): RowOutcome<McRowResult, McRowErrorName> {
  return { ok: false, code, element: { status: 'failed', error: { index, externalId: item.externalId ?? null, email: item.email, message } } };
}

/**
 * Imports validated items in request order, all in the bulk route's one transaction: each item
 * sees the items before it. A conflict or a repeated upsert key fails that item alone. `load`
 * reads every contact the items name in two queries (the first also reads the tenant's write
 * counter); `save` stores what the changed contacts end as, under the counter's next value (not
 * moved when nothing changed), in at most three statements whatever the number of items
 * (`MailingCoreStore.write`).
 */
export function mailingcoreBulkEngine(contacts: MailingCoreStore, newId: () => string): McBulkEngine {
  return {
    async load(rows, ctx) {
      const byExternalId = new Map<string, MailingCoreContact>();
      const byEmail = new Map<string, MailingCoreContact>();
      const add = (found: readonly MailingCoreContact[]) => {
        for (const contact of found) {
          if (contact.externalId !== null) byExternalId.set(contact.externalId, contact);
          byEmail.set(emailKey(contact.email), contact);
        }
      };
      // Two queries whatever the batch: by externalId, then the emails those contacts do not already
      // answer (a re-import's items mostly keep their email, so each contact is read once).
      // The first with the tenant's write counter, in the same query.
      const first = await contacts.relatedWithSeq(ctx.scope, { externalIds: [...new Set(rows.flatMap(({ row }) => (row.externalId === undefined ? [] : [row.externalId])))] });
      add(first.contacts);
      const emails = new Map<string, string>();
      for (const { row } of rows) if (!byEmail.has(emailKey(row.email))) emails.set(emailKey(row.email), row.email);
      add(await contacts.related(ctx.scope, { emails: [...emails.values()] }));
      return { byExternalId, byEmail, seq: first.seq };
    },
    decide(rows, loaded, ctx) {
      const now = new Date(ctx.now).toISOString();
      const overlay = new Overlay(loaded);
      const seen = new Set<string>();
      const writes: ContactWrite[] = [];
      const outcomes = rows.map(({ index, row: item }): RowOutcome<McRowResult, McRowErrorName> => {
        const key = upsertKey(item);
        if (seen.has(key)) {
          const message =
            item.externalId !== undefined ? MC_MESSAGES.duplicateKey('externalId', item.externalId) : MC_MESSAGES.duplicateKey('email', item.email);
          return failed(index, item, 'DUPLICATE_KEY', message);
        }
        seen.add(key);
        const found = overlay.target(item);
        if ('conflict' in found) return failed(index, item, 'CONTACT_CONFLICT', found.conflict);
        const { target } = found;
        if (!target) {
          const contact = newContact(item, newId(), now);
          writes.push({ contact });
          overlay.move(undefined, contact);
          return { ok: true, element: { status: 'created', contact } };
        }
        const { contact, changed } = applyFields(target, item, now);
        if (changed) {
          writes.push({ contact, stored: target });
          overlay.move(target, contact);
        }
        return { ok: true, element: { status: 'updated', contact } };
      });
      return { outcomes, writes: { writes, seq: loaded.seq } };
    },
    save({ writes, seq }, ctx) {
      return contacts.write(ctx.scope, writes, seq);
    },
    forced({ index, row }, code) {
      return failed(index, row, code, MC_ROW_ERRORS[code].message).element;
    },
  };
}

/** MailingCore's answer: the counts, and the failed items in request order. */
export function mailingcoreBulkResponse(results: readonly McRowResult[]): MailingCoreBulkResponse {
  const response: MailingCoreBulkResponse = { total: results.length, created: 0, updated: 0, failed: 0, errors: [] };
  for (const result of results) {
    if (result.status === 'failed') {
      response.failed += 1;
      response.errors.push(result.error);
    } else response[result.status] += 1;
  }
  return response;
}
