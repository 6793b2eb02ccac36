// Contact upserts: the key rules (externalId, else email), conflicts, and the bulk import's one-transaction write.
import { deepEqual } from '../../core/json.js';
import { MC_MESSAGES, MC_ROW_ERRORS, type McRowErrorName } from './errors.js';
import type { MailingCoreBulkResponse, MailingCoreBulkRowError, MailingCoreContact, MailingCoreContactInput, MailingCoreContactPatch } from './schemas.js';
import { emailKey, type MailingCoreStore } from './store.js';
import type { TenantScope } from '../../core/vendor.js';

export interface WriteContext {
  scope: TenantScope;
  contacts: MailingCoreStore;
  now: string;
  newId: () => string;
}

export type UpsertOutcome =
  | { status: 'created' | 'updated'; contact: MailingCoreContact }
  | { status: 'conflict'; message: string };

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
 * Decides and writes one upsert inside the caller's transaction. By externalId when present,
 * else by email. A conflict (the externalId's contact is not the email's) writes nothing.
 */
export function upsertOne(ctx: WriteContext, item: MailingCoreContactInput, seq: number): UpsertOutcome {
  const { scope, contacts } = ctx;
  let target: MailingCoreContact | undefined;
  if (item.externalId !== undefined) {
    const byExternalId = contacts.byExternalId(scope, item.externalId);
    // Emails are unique per tenant: when the externalId's contact has this email, it is the email's contact too.
    const byEmail =
      byExternalId && emailKey(byExternalId.email) === emailKey(item.email) ? byExternalId : contacts.byEmail(scope, item.email);
    if (byExternalId) {
      if (byEmail && byEmail.id !== byExternalId.id) return { status: 'conflict', message: MC_MESSAGES.externalIdTaken(item.externalId) };
      target = byExternalId;
    } else if (byEmail) {
      // The email's contact has another externalId: a new contact would break email uniqueness.
      if (byEmail.externalId !== null) return { status: 'conflict', message: MC_MESSAGES.emailTaken(item.email) };
      // It has none yet (it came in keyed by email): it takes this externalId (*decision*).
      target = byEmail;
    }
  } else {
    target = contacts.byEmail(scope, item.email);
  }
  if (!target) {
    const contact = newContact(item, ctx.newId(), ctx.now);
    contacts.put(scope, contact, seq);
    return { status: 'created', contact };
  }
  const { contact, changed } = applyFields(target, item, ctx.now);
  if (changed) contacts.put(scope, contact, seq, target);
  return { status: 'updated', contact };
}

/** What a bulk import reports, plus the row-error code of each failed item for coverage. */
export interface BulkOutcome {
  response: MailingCoreBulkResponse;
  /** Catalogue row-error codes (or a fault's code), one per failed item. */
  rowErrorCodes: McRowErrorName[];
}

/** The upsert key of an item: externalId when present, else the compared email. */
const upsertKey = (item: MailingCoreContactInput): string =>
  item.externalId !== undefined ? `externalId\u0000${item.externalId}` : `email\u0000${emailKey(item.email)}`;

/**
 * Imports already-validated items in request order, in one transaction: each sees the items
 * before it. A conflict, a repeated upsert key, or a fault-chosen row fails that item alone.
 */
export function bulkUpsert(ctx: WriteContext, items: readonly MailingCoreContactInput[], rowFaults?: ReadonlyMap<number, McRowErrorName>): BulkOutcome {
  const errors: MailingCoreBulkRowError[] = [];
  const codes: McRowErrorName[] = [];
  let created = 0;
  let updated = 0;
  const fail = (index: number, item: MailingCoreContactInput, code: McRowErrorName, message: string) => {
    errors.push({ index, externalId: item.externalId ?? null, email: item.email, message });
    codes.push(code);
  };
  ctx.contacts.transaction(() => {
    const seq = ctx.contacts.nextSeq(ctx.scope);
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = upsertKey(item);
      const repeated = seen.has(key);
      seen.add(key);
      const forced = rowFaults?.get(index);
      if (forced !== undefined) {
        return fail(index, item, forced, MC_ROW_ERRORS[forced].message);
      }
      if (repeated) {
        const message =
          item.externalId !== undefined ? MC_MESSAGES.duplicateKey('externalId', item.externalId) : MC_MESSAGES.duplicateKey('email', item.email);
        return fail(index, item, 'DUPLICATE_KEY', message);
      }
      const outcome = upsertOne(ctx, item, seq);
      if (outcome.status === 'conflict') return fail(index, item, 'CONTACT_CONFLICT', outcome.message);
      if (outcome.status === 'created') created += 1;
      else updated += 1;
    });
  });
  return { response: { total: items.length, created, updated, failed: errors.length, errors }, rowErrorCodes: codes };
}
