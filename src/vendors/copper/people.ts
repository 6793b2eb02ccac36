// One person's rules: field validation into Copper's `{field: [{error}]}`, name splitting, create and partial update.
import { deepEqual, isPlainObject, type JsonObject } from '../../core/json.js';
import type { CopperRowReason } from './errors.js';
import { WRITABLE_FIELDS, writableFields, type CopperFieldErrors, type CopperPerson, type WritableField } from './schemas.js';

/** The parsed values of the fields an object sent; a key present with `null` means "clear". */
export type PersonValues = { [K in WritableField]?: unknown };

export interface PersonDefaults {
  contactTypeId: number;
}

export const addError = (errors: CopperFieldErrors, field: string, reason: CopperRowReason): void => {
  (errors[field] ??= []).push({ error: reason });
};

export const hasErrors = (errors: CopperFieldErrors): boolean => Object.keys(errors).length > 0;

/**
 * Validates every writable field the object carries, each on its own. Fields Copper treats as
 * read-only (`id` on create, the dates and counts) and unknown fields are ignored, not refused.
 */
export function readFields(row: JsonObject, errors: CopperFieldErrors): PersonValues {
  const values: PersonValues = {};
  for (const field of WRITABLE_FIELDS) {
    if (!Object.hasOwn(row, field)) continue;
    const raw = row[field];
    if (field === 'name') {
      if (raw === null || (typeof raw === 'string' && raw.trim() === '')) addError(errors, 'name', 'blank');
      else if (typeof raw !== 'string') addError(errors, 'name', 'invalid');
      else values.name = raw.trim();
      continue;
    }
    const parsed = writableFields[field].safeParse(raw);
    if (parsed.success) values[field] = parsed.data;
    else addError(errors, field, 'invalid');
  }
  return values;
}

/** "Contact One" → Contact / One; one word → first only; three or more → first, middle(s), last. */
export function splitName(name: string): { first_name: string | null; middle_name: string | null; last_name: string | null } {
  const words = name.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return { first_name: null, middle_name: null, last_name: null };
  if (words.length === 1) return { first_name: words[0]!, middle_name: null, last_name: null };
  return { first_name: words[0]!, middle_name: words.length > 2 ? words.slice(1, -1).join(' ') : null, last_name: words.at(-1)! };
}

const composeName = (parts: { first_name: string | null; middle_name: string | null; last_name: string | null }): string =>
  [parts.first_name, parts.middle_name, parts.last_name].filter((p): p is string => p !== null && p.trim() !== '').map((p) => p.trim()).join(' ');

const ARRAY_FIELDS = new Set<WritableField>(['emails', 'phone_numbers', 'socials', 'tags', 'websites', 'custom_fields']);
const NAME_PARTS = ['first_name', 'middle_name', 'last_name'] as const;

/** The stored form of a sent value: cleared arrays are `[]`, addresses carry all five keys. */
function stored(field: WritableField, value: unknown, defaults: PersonDefaults): unknown {
  if (value === null) {
    if (ARRAY_FIELDS.has(field)) return [];
    // A person always has a contact type: clearing it restores the account default (*decision*).
    if (field === 'contact_type_id') return defaults.contactTypeId;
    return null;
  }
  if (field === 'address' && isPlainObject(value)) {
    const a = value as Record<string, string | null | undefined>;
    return { street: a.street ?? null, city: a.city ?? null, state: a.state ?? null, postal_code: a.postal_code ?? null, country: a.country ?? null };
  }
  return value;
}

/** Copper's person with every field in its documented order. */
export function canonical(p: CopperPerson): CopperPerson {
  return {
    id: p.id,
    name: p.name,
    prefix: p.prefix,
    first_name: p.first_name,
    middle_name: p.middle_name,
    last_name: p.last_name,
    suffix: p.suffix,
    address: p.address,
    assignee_id: p.assignee_id,
    company_id: p.company_id,
    company_name: p.company_name,
    contact_type_id: p.contact_type_id,
    details: p.details,
    emails: p.emails,
    phone_numbers: p.phone_numbers,
    socials: p.socials,
    tags: p.tags,
    title: p.title,
    websites: p.websites,
    custom_fields: p.custom_fields,
    date_created: p.date_created,
    date_modified: p.date_modified,
    date_last_contacted: p.date_last_contacted,
    interaction_count: p.interaction_count,
    leads_converted_from: p.leads_converted_from,
    date_lead_created: p.date_lead_created,
  };
}

/** A new person with the vendor's defaults for everything not sent. */
export function newPerson(values: PersonValues & { name: string }, id: number, now: number, defaults: PersonDefaults): CopperPerson {
  const base: CopperPerson = {
    id,
    name: values.name,
    prefix: null,
    ...splitName(values.name),
    suffix: null,
    address: null,
    assignee_id: null,
    company_id: null,
    company_name: null,
    contact_type_id: defaults.contactTypeId,
    details: null,
    emails: [],
    phone_numbers: [],
    socials: [],
    tags: [],
    title: null,
    websites: [],
    custom_fields: [],
    date_created: now,
    date_modified: now,
    date_last_contacted: null,
    interaction_count: 0,
    leads_converted_from: [],
    date_lead_created: null,
  };
  const next = base as unknown as JsonObject;
  // Name parts sent beside `name` win over the split.
  for (const field of WRITABLE_FIELDS) if (field !== 'name' && Object.hasOwn(values, field)) next[field] = stored(field, values[field], defaults);
  return canonical(base);
}

/**
 * The person after a partial update: only sent fields change. A new `name` is split again
 * (sent parts win); parts sent without `name` rebuild it. Returns field errors instead when
 * the result would have a blank name.
 */
export function applyUpdate(
  existing: CopperPerson,
  values: PersonValues,
  now: number,
  defaults: PersonDefaults,
): { person: CopperPerson; changed: boolean } | { errors: CopperFieldErrors } {
  const next = { ...existing } as unknown as JsonObject;
  for (const field of WRITABLE_FIELDS) if (field !== 'name' && Object.hasOwn(values, field)) next[field] = stored(field, values[field], defaults);
  if (typeof values.name === 'string') {
    next.name = values.name;
    const parts = splitName(values.name);
    for (const part of NAME_PARTS) if (!Object.hasOwn(values, part)) next[part] = parts[part];
  } else if (NAME_PARTS.some((part) => Object.hasOwn(values, part))) {
    const composed = composeName(next as unknown as CopperPerson);
    if (composed === '') return { errors: { name: [{ error: 'blank' }] } };
    next.name = composed;
  }
  const person = next as unknown as CopperPerson;
  const changed = !deepEqual(person, existing);
  return { person: canonical(changed ? { ...person, date_modified: now } : existing), changed };
}
