// The batch engine behind bulk_create, bulk_update and the single-record writes: validate every object, then write once.
import { isPlainObject } from '../../core/json.js';
import { FAULT_FIELD, type CopperRowReason } from './errors.js';
import { addError, applyUpdate, hasErrors, newPerson, readFields, type PersonDefaults } from './people.js';
import type { CopperBulkFailure, CopperFieldErrors, CopperPerson } from './schemas.js';
import { emailKey, type CopperPeople } from './store.js';
import type { TenantScope } from '../../core/vendor.js';

export type BatchMode = 'create' | 'update';

export interface BatchInput {
  mode: BatchMode;
  rows: readonly unknown[];
  /** Rows a fault forces to fail, with the row reason to report. */
  rowFaults?: ReadonlyMap<number, CopperRowReason> | undefined;
  /** Validate only: report what would happen, write nothing (used to check fixtures). */
  dryRun?: boolean;
}

export interface BatchContext {
  scope: TenantScope;
  people: CopperPeople;
  /** Unix seconds. */
  now: number;
  defaults: PersonDefaults;
}

export type RowOutcome = { ok: true; person: CopperPerson } | { ok: false; failure: CopperBulkFailure; reasons: CopperRowReason[]; notFound: boolean };

type Plan = { kind: 'create'; person: CopperPerson } | { kind: 'update'; person: CopperPerson; changed: boolean } | { kind: 'failed'; outcome: RowOutcome & { ok: false } };

const failure = (mode: BatchMode, id: unknown, message: CopperFieldErrors): RowOutcome & { ok: false } => ({
  ok: false,
  failure: { success: false, message, ...(mode === 'update' ? { id: id ?? null } : {}) },
  reasons: [...new Set(Object.values(message).flatMap((list) => list.map((e) => e.error)))],
  notFound: message.id?.some((e) => e.error === 'not_found') ?? false,
});

/**
 * Processes the objects in request order. Each either fails alone with Copper's failure
 * element or succeeds; the successes are written in one transaction and returned as full
 * people, so the response matches what `GET /people/{id}` returns afterwards.
 */
export function processBatch(input: BatchInput, ctx: BatchContext): RowOutcome[] {
  const { scope, people } = ctx;
  /** People this request already changed: later objects see them as they will be stored. */
  const pending = new Map<number, CopperPerson>();
  /** Emails claimed by earlier successful objects, lowercased, with who holds them. */
  const claims = new Map<string, string>();
  const ownerKey = (id: number) => `id:${id}`;

  const holderOf = (key: string): string | undefined => {
    const claimed = claims.get(key);
    if (claimed !== undefined) return claimed;
    const owner = people.emailOwner(scope, key);
    if (owner === undefined) return undefined;
    // An earlier object of this request may have moved the address off its stored owner.
    const moved = pending.get(owner);
    if (moved && !moved.emails.some((e) => emailKey(e.email) === key)) return undefined;
    return ownerKey(owner);
  };

  /** `taken` when an email repeats within the object, or someone else holds it. */
  const emailsTaken = (emails: ReadonlyArray<{ email: string }>, self: string): boolean => {
    const seen = new Set<string>();
    for (const { email } of emails) {
      const key = emailKey(email);
      if (seen.has(key)) return true;
      seen.add(key);
      const holder = holderOf(key);
      if (holder !== undefined && holder !== self) return true;
    }
    return false;
  };

  const claim = (person: CopperPerson, self: string) => {
    for (const [key, holder] of claims) if (holder === self) claims.delete(key);
    for (const { email } of person.emails) claims.set(emailKey(email), self);
  };

  const plans = input.rows.map((row, index): Plan => {
    const sentId = isPlainObject(row) ? row.id : undefined;
    const forced = input.rowFaults?.get(index);
    if (forced !== undefined) {
      return { kind: 'failed', outcome: failure(input.mode, sentId, { [FAULT_FIELD[forced]]: [{ error: forced }] }) };
    }
    const errors: CopperFieldErrors = {};
    // An element that is not an object has no field to blame: Rails reports such errors on `base`.
    if (!isPlainObject(row)) return { kind: 'failed', outcome: failure(input.mode, null, { base: [{ error: 'invalid' }] }) };

    if (input.mode === 'create') {
      const values = readFields(row, errors);
      if (!Object.hasOwn(row, 'name')) addError(errors, 'name', 'blank');
      const self = `new:${index}`;
      if (!errors.emails && Array.isArray(values.emails) && emailsTaken(values.emails as Array<{ email: string }>, self)) {
        addError(errors, 'emails', 'taken');
      }
      if (hasErrors(errors)) return { kind: 'failed', outcome: failure('create', sentId, errors) };
      const person = newPerson(values as typeof values & { name: string }, ctx.now, ctx.defaults);
      claim(person, self);
      return { kind: 'create', person };
    }

    if (sentId === undefined || sentId === null) return { kind: 'failed', outcome: failure('update', sentId, { id: [{ error: 'blank' }] }) };
    if (typeof sentId !== 'number' || !Number.isSafeInteger(sentId)) {
      return { kind: 'failed', outcome: failure('update', sentId, { id: [{ error: 'invalid' }] }) };
    }
    const existing = pending.get(sentId) ?? people.get(scope, sentId);
    if (!existing) return { kind: 'failed', outcome: failure('update', sentId, { id: [{ error: 'not_found' }] }) };
    const values = readFields(row, errors);
    const self = ownerKey(sentId);
    if (!errors.emails && Array.isArray(values.emails) && emailsTaken(values.emails as Array<{ email: string }>, self)) {
      addError(errors, 'emails', 'taken');
    }
    if (hasErrors(errors)) return { kind: 'failed', outcome: failure('update', sentId, errors) };
    const updated = applyUpdate(existing, values, ctx.now, ctx.defaults);
    if ('errors' in updated) return { kind: 'failed', outcome: failure('update', sentId, updated.errors) };
    pending.set(sentId, updated.person);
    claim(updated.person, self);
    return { kind: 'update', person: updated.person, changed: updated.changed };
  });

  const creates = plans.flatMap((p) => (p.kind === 'create' ? [p.person] : []));
  // The last state of each changed person; a person updated twice is written once.
  const updates = [...pending.values()].filter((person) => plans.some((p) => p.kind === 'update' && p.changed && p.person.id === person.id));
  const created = input.dryRun ? creates : people.write(scope, creates, updates);

  let next = 0;
  return plans.map((plan): RowOutcome => {
    if (plan.kind === 'failed') return plan.outcome;
    if (plan.kind === 'create') return { ok: true, person: created[next++]! };
    return { ok: true, person: plan.person };
  });
}

/** The row-failure codes a batch produced, one per failed object, for coverage. */
export const failedReasons = (outcomes: readonly RowOutcome[]): CopperRowReason[] =>
  outcomes.flatMap((o) => (o.ok ? [] : [o.reasons[0] ?? 'invalid']));

/** The element the bulk endpoints answer with for one object. */
export const toElement = (outcome: RowOutcome): CopperPerson | CopperBulkFailure => (outcome.ok ? outcome.person : outcome.failure);
