// The batch engine behind bulk_create, bulk_update and the single-record writes: read what the objects name, decide each in memory, write once.
import type { BulkEngine, BulkRow, RowOutcome } from '../../core/bulk.js';
import { isPlainObject } from '../../core/json.js';
import { FAULT_FIELD, type CopperRowReason } from './errors.js';
import { addError, applyUpdate, hasErrors, newPerson, readFields, type PersonDefaults } from './people.js';
import type { CopperBulkFailure, CopperFieldErrors, CopperPerson } from './schemas.js';
import { emailKey, type CopperPeople, type CopperWrites } from './store.js';

export type BatchMode = 'create' | 'update';

/** A bulk request as its request-level checks left it (a single-record write is a batch of one). */
export interface CopperBatch {
  mode: BatchMode;
  rows: readonly unknown[];
}

/** What the objects of a batch may need from the store, read before any is decided. */
export interface CopperLoaded {
  /** The stored people the update objects name, by id. */
  people: ReadonlyMap<number, CopperPerson>;
  /** The stored holder of every email the objects send, by lowercased email. */
  owners: ReadonlyMap<string, number>;
  /** The last id the account issued (creates only). */
  lastId: number;
}

export type CopperElement = CopperPerson | CopperBulkFailure;
export type CopperOutcome = RowOutcome<CopperElement, CopperRowReason>;
export type CopperBulkEngine = BulkEngine<unknown, CopperBatch, CopperLoaded, CopperElement, CopperRowReason, CopperWrites>;

/** A failed object: Copper's failure element, with the first reason it names as the row's code. */
function failure(mode: BatchMode, id: unknown, message: CopperFieldErrors): CopperOutcome & { ok: false } {
  const code = Object.values(message)[0]?.[0]?.error ?? 'invalid';
  return { ok: false, code, element: { success: false, message, ...(mode === 'update' ? { id: id ?? null } : {}) } };
}

/** The failure element of a failed outcome (a failed object's element is always Copper's failure shape). */
export const failureOf = (outcome: CopperOutcome & { ok: false }): CopperBulkFailure => outcome.element as CopperBulkFailure;

/** Every email an object sends, lowercased, however malformed the rest of it is: `load` reads their holders. */
function emailKeysOf(row: unknown): string[] {
  if (!isPlainObject(row) || !Array.isArray(row.emails)) return [];
  return row.emails.flatMap((e) => (isPlainObject(e) && typeof e.email === 'string' ? [emailKey(e.email)] : []));
}

/** The people a batch names (updates) and every email it sends, lowercased, each once. */
function keysOf(rows: readonly BulkRow<unknown>[], mode: BatchMode): { ids: number[]; emails: string[] } {
  const ids = new Set<number>();
  const emails = new Set<string>();
  for (const { row } of rows) {
    if (mode === 'update' && isPlainObject(row) && Number.isSafeInteger(row.id)) ids.add(row.id as number);
    for (const key of emailKeysOf(row)) emails.add(key);
  }
  return { ids: [...ids], emails: [...emails] };
}

/** Whether two people hold the same emails, as the email index keys them (lowercased, order aside). */
function sameEmailKeys(a: CopperPerson, b: CopperPerson): boolean {
  if (a.emails.length !== b.emails.length) return false;
  const keys = new Set(a.emails.map(({ email }) => emailKey(email)));
  return b.emails.every(({ email }) => keys.has(emailKey(email)));
}

/**
 * Processes the objects in request order. Each either fails alone with Copper's failure
 * element or succeeds; later objects see the earlier successes (an email one frees, another
 * may take; a person updated twice is updated from its first update). The successes are written
 * together and returned as full people, so the response matches what `GET /people/{id}` returns
 * afterwards. New people take the account's next ids in request order.
 */
export function copperBulkEngine(people: CopperPeople, defaults: PersonDefaults): CopperBulkEngine {
  return {
    async load(rows, { scope, parsed }) {
      const { ids, emails } = keysOf(rows, parsed.mode);
      // One query, whatever the batch size: the named people, the emails' holders, the id sequence (creates).
      return people.readBatch(scope, { ids, emails, lastId: parsed.mode === 'create' });
    },
    // What a batch reads and writes: the people it updates, every email it sends (their holders),
    // and for creates the account's id sequence. The emails an update takes off a person need no
    // key: only a batch holding that person's key changes them. So updates of different people,
    // and creates beside updates, run side by side; creates take turns on the sequence.
    lockParts(rows, { parsed }) {
      const { ids, emails } = keysOf(rows, parsed.mode);
      return [...(parsed.mode === 'create' ? ['ids'] : []), ...ids.map((id) => `person:${id}`), ...emails.map((email) => `email:${email}`)];
    },
    decide(rows, loaded, ctx) {
      return decideBatch(rows, loaded, ctx.parsed.mode, Math.floor(ctx.now / 1000), defaults);
    },
    save(writes, ctx) {
      return people.write(ctx.scope, writes);
    },
    forced({ row }, code, _loaded, ctx) {
      return failure(ctx.parsed.mode, isPlainObject(row) ? row.id : undefined, { [FAULT_FIELD[code]]: [{ error: code }] }).element;
    },
  };
}

/** Every object's outcome, from what `load` read and the earlier objects' successes; `now` in Unix seconds. */
function decideBatch(rows: readonly BulkRow<unknown>[], loaded: CopperLoaded, mode: BatchMode, now: number, defaults: PersonDefaults) {
  /** People this request already changed: later objects see them as they will be stored. */
  const pending = new Map<number, CopperPerson>();
  /** Ids of the pending people that an update actually changed: only they are written. */
  const changed = new Set<number>();
  /** Emails claimed by earlier successful objects, lowercased, with who holds them. */
  const claims = new Map<string, string>();
  const creates: CopperPerson[] = [];
  let lastId = loaded.lastId;
  const ownerKey = (id: number) => `id:${id}`;

  const holderOf = (key: string): string | undefined => {
    const claimed = claims.get(key);
    if (claimed !== undefined) return claimed;
    const owner = loaded.owners.get(key);
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

  const outcomes = rows.map(({ index, row }): CopperOutcome => {
    const sentId = isPlainObject(row) ? row.id : undefined;
    const errors: CopperFieldErrors = {};
    // An element that is not an object has no field to blame: Rails reports such errors on `base`.
    if (!isPlainObject(row)) return failure(mode, null, { base: [{ error: 'invalid' }] });

    if (mode === 'create') {
      const values = readFields(row, errors);
      if (!Object.hasOwn(row, 'name')) addError(errors, 'name', 'blank');
      const self = `new:${index}`;
      if (!errors.emails && Array.isArray(values.emails) && emailsTaken(values.emails as Array<{ email: string }>, self)) {
        addError(errors, 'emails', 'taken');
      }
      if (hasErrors(errors)) return failure('create', sentId, errors);
      const person = newPerson(values as typeof values & { name: string }, ++lastId, now, defaults);
      claim(person, self);
      creates.push(person);
      return { ok: true, element: person };
    }

    if (sentId === undefined || sentId === null) return failure('update', sentId, { id: [{ error: 'blank' }] });
    if (typeof sentId !== 'number' || !Number.isSafeInteger(sentId)) return failure('update', sentId, { id: [{ error: 'invalid' }] });
    const existing = pending.get(sentId) ?? loaded.people.get(sentId);
    if (!existing) return failure('update', sentId, { id: [{ error: 'not_found' }] });
    const values = readFields(row, errors);
    const self = ownerKey(sentId);
    if (!errors.emails && Array.isArray(values.emails) && emailsTaken(values.emails as Array<{ email: string }>, self)) {
      addError(errors, 'emails', 'taken');
    }
    if (hasErrors(errors)) return failure('update', sentId, errors);
    const updated = applyUpdate(existing, values, now, defaults);
    if ('errors' in updated) return failure('update', sentId, updated.errors);
    pending.set(sentId, updated.person);
    if (updated.changed) changed.add(sentId);
    claim(updated.person, self);
    return { ok: true, element: updated.person };
  });

  // The last state of each changed person; a person updated twice is written once.
  const updates = [...pending.values()].filter((person) => changed.has(person.id));
  // The email index holds lowercased addresses: a person whose set of them is what is stored keeps its rows.
  const reindexed = updates.filter((person) => !sameEmailKeys(loaded.people.get(person.id)!, person));
  const writes: CopperWrites = { creates, updates, reindexed, lastId };
  return { outcomes, writes };
}
