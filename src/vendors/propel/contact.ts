// One contact write: parent resolution, typed attributes, the identity rule, and the merge of the fields sent.
import { deepEqual } from '../../core/json.js';
import { PROPEL_MESSAGES, PROPEL_ROW_ERRORS, type PropelRowErrorName } from './errors.js';
import { DATE_PATTERN, PropelContact, type AttributeType, type PropelAttribute, type PropelContactInput } from './schemas.js';
import type { Identity } from './store.js';
import type { ContactLookup } from './view.js';

export type WriteOutcome = { ok: true; contact: PropelContact } | { ok: false; code: PropelRowErrorName; message: string };

/** Plain fields: sent → replaced, not sent → kept. Languages are stored upper case (*decision*). */
const SCALAR_FIELDS = [
  'debtorId',
  'firstName',
  'middleName',
  'lastName',
  'abbreviation',
  'title',
  'dateOfBirth',
  'gender',
  'ssn',
  'phone',
  'mobile',
  'email',
  'primaryLanguage',
  'language',
  'sourceId',
  'source',
] as const;
const UPPER_CASED = new Set(['primaryLanguage', 'language']);

export const normalizeLanguage = (language: string | undefined | null): string | null => (language ? language.toUpperCase() : null);

export const identityOf = (input: { sourceId?: number | undefined; source?: string | undefined; language?: string | undefined }): Identity => ({
  sourceId: input.sourceId!,
  source: input.source!,
  language: normalizeLanguage(input.language),
});

/** A contact with every field present, null until set, its keys in PropelContact's order. */
export function blankContact(id: number, now: string): PropelContact {
  return {
    abbreviation: null,
    attributes: [],
    createdAt: now,
    dateOfBirth: null,
    debtorId: null,
    email: null,
    firstName: null,
    gender: null,
    id,
    language: null,
    lastName: null,
    middleName: null,
    mobile: null,
    parent: null,
    phone: null,
    primaryLanguage: null,
    source: null,
    sourceId: null,
    ssn: null,
    title: null,
    updatedAt: now,
  };
}

const CONTACT_KEYS = Object.keys(PropelContact.shape) as ReadonlyArray<keyof PropelContact>;

/**
 * `contact` with its keys in PropelContact's order (the vendor's), as the read endpoints answer:
 * a contact stored in another order (written before the order changed, or restored from a
 * snapshot) reads the same as one written now.
 */
export function contactBody(contact: PropelContact): PropelContact {
  const body: Record<string, unknown> = {};
  for (const key of CONTACT_KEYS) body[key] = contact[key];
  return body as PropelContact;
}

/** True for a real calendar day written YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  if (!DATE_PATTERN.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * An attribute value in its stored form, or undefined when it does not fit the type. Numbers
 * may come as JSON numbers or as numeric strings (the vendor's schema types `value` as string).
 */
export function coerceAttributeValue(type: AttributeType, value: unknown): string | number | undefined {
  switch (type) {
    case 'text':
    case 'enum':
      return typeof value === 'string' ? value : undefined;
    case 'integer':
      if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
      return typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : undefined;
    case 'decimal':
      if (typeof value === 'number') return value;
      return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? value : undefined;
  }
}

const fail = (code: PropelRowErrorName, message: string): WriteOutcome => ({ ok: false, code, message });

function resolveParent(contacts: ContactLookup, parent: NonNullable<PropelContactInput['parent']>): { id: number } | WriteOutcome {
  if (parent.id !== undefined) {
    const found = contacts.byId(parent.id);
    return found ? { id: found.id } : fail('ParentContactNotFound', PROPEL_MESSAGES.parentNotFoundById(parent.id));
  }
  const found = contacts.bySource(parent.sourceId!, parent.source!);
  return found ? { id: found.id } : fail('ParentContactNotFound', PROPEL_MESSAGES.parentNotFoundBySourceId(parent.sourceId!));
}

/** Sets attributes by name (in place, or appended) and deletes those sent without `value`. */
function applyAttributes(current: readonly PropelAttribute[], inputs: NonNullable<PropelContactInput['attributes']>): PropelAttribute[] | WriteOutcome {
  const next = [...current];
  for (const input of inputs) {
    const at = next.findIndex((a) => a.name === input.name);
    if (!Object.hasOwn(input, 'value')) {
      if (at >= 0) next.splice(at, 1);
      continue;
    }
    const value = coerceAttributeValue(input.type, input.value);
    if (value === undefined) return fail('InvalidAttributeValue', PROPEL_MESSAGES.invalidAttributeValue(input.type));
    const attribute: PropelAttribute = { class: input.class, name: input.name, type: input.type, value };
    if (at >= 0) next[at] = attribute;
    else next.push(attribute);
  }
  return next;
}

/**
 * The contact after applying `input` to `existing` (or to a new contact with `id`), at ISO time
 * `now`. Fails, as a row failure, when the parent is unknown, an attribute value does not fit its
 * type, or the resulting identity belongs to another contact. Writes nothing: `contacts` answers
 * the lookups (the keys `ContactKeys.parentOf` and `identitiesOf` gather).
 */
export function mergeContact(contacts: ContactLookup, now: string, input: PropelContactInput, existing: PropelContact | undefined, id: number | undefined): WriteOutcome {
  const base = existing ?? blankContact(id ?? 0, now);
  const next: PropelContact = { ...base };
  if (input.parent !== undefined) {
    const parent = resolveParent(contacts, input.parent);
    if ('ok' in parent) return parent;
    next.parent = parent;
  }
  if (input.attributes !== undefined) {
    const attributes = applyAttributes(base.attributes, input.attributes);
    if (!Array.isArray(attributes)) return attributes;
    next.attributes = attributes;
  }
  const fields = next as unknown as Record<string, unknown>;
  for (const field of SCALAR_FIELDS) {
    const value = input[field];
    if (value !== undefined) fields[field] = UPPER_CASED.has(field) ? normalizeLanguage(value as string) : value;
  }
  if (next.sourceId !== null && next.source !== null) {
    const identity = { sourceId: next.sourceId, source: next.source, language: next.language };
    const holder = contacts.byIdentity(identity);
    if (holder && holder.id !== base.id) {
      return fail('SourceIdInUse', PROPEL_MESSAGES.sourceIdInUse(identity.sourceId, identity.source, identity.language));
    }
  }
  if (existing && deepEqual(next, existing)) return { ok: true, contact: existing };
  next.updatedAt = now;
  return { ok: true, contact: next };
}

/** The message of a row a fault forces to fail, filled from the row where it can be. */
export function forcedRowMessage(code: PropelRowErrorName, input: PropelContactInput): string {
  if (code === 'ParentContactNotFound' && input.parent?.id !== undefined) return PROPEL_MESSAGES.parentNotFoundById(input.parent.id);
  if (code === 'ParentContactNotFound' && input.parent?.sourceId !== undefined) return PROPEL_MESSAGES.parentNotFoundBySourceId(input.parent.sourceId);
  if (code === 'InvalidAttributeValue' && input.attributes?.[0]) return PROPEL_MESSAGES.invalidAttributeValue(input.attributes[0].type);
  if (code === 'SourceIdInUse' && input.sourceId !== undefined && input.source !== undefined) {
    return PROPEL_MESSAGES.sourceIdInUse(input.sourceId, input.source, normalizeLanguage(input.language));
  }
  return (PROPEL_ROW_ERRORS as Record<string, { message: string }>)[code]?.message ?? code;
}
