// People search: Copper's AND-ed filters, sort keys and page numbers, over one account's people.
import { deepEqual } from '../../core/json.js';
import type { CopperCustomFieldSearch, CopperPerson, CopperSearchRequest } from './schemas.js';

export const DEFAULT_PAGE_SIZE = 20;
/** Copper's documented default sort (*sourced*: the people search docs). */
export const DEFAULT_SORT = 'first_name';
/** `-2` in assignee_ids / company_ids asks for people with no assignee / company (*sourced*). */
const NONE = -2;

const lower = (s: string) => s.toLowerCase();
const digits = (s: string) => s.replace(/\D/g, '');

type Predicate = (p: CopperPerson) => boolean;

function addressIs(field: 'city' | 'state' | 'postal_code' | 'country', wanted: string): Predicate {
  return (p) => p.address?.[field] != null && lower(p.address[field]) === lower(wanted);
}

function idIn(ids: readonly number[], value: (p: CopperPerson) => number | null): Predicate {
  const set = new Set(ids);
  return (p) => {
    const v = value(p);
    return v === null ? set.has(NONE) : set.has(v);
  };
}

/** A range over a value the person may lack: a person without one never matches (*decision*). */
function within(value: (p: CopperPerson) => number | null, min: number | undefined, max: number | undefined): Predicate | undefined {
  if (min === undefined && max === undefined) return undefined;
  return (p) => {
    const v = value(p);
    return v !== null && (min === undefined || v >= min) && (max === undefined || v <= max);
  };
}

const isEmpty = (value: unknown): boolean => value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/**
 * One custom field criterion against the value stored for its definition (custom field values are
 * stored as sent, so the shapes decide, *decision*): an empty value matches only with
 * `allow_empty`; a stored value must pass every criterion sent: the range (numbers only), an
 * array `value` (the stored option id, or the stored ids of a multi-select, holding any, all or
 * none of the values as `option` says), or a scalar `value` (equal).
 */
function customFieldMatches(c: CopperCustomFieldSearch): Predicate {
  const { value, minimum_value: min, maximum_value: max } = c;
  return (p) => {
    const stored = p.custom_fields.find((f) => f.custom_field_definition_id === c.custom_field_definition_id)?.value;
    if (isEmpty(stored)) return c.allow_empty === true;
    if (value === undefined && min === undefined && max === undefined) return false;
    if (min !== undefined || max !== undefined) {
      if (typeof stored !== 'number' || (min !== undefined && stored < min) || (max !== undefined && stored > max)) return false;
    }
    if (Array.isArray(value)) {
      const held = Array.isArray(stored) ? stored : [stored];
      const has = (v: number) => held.includes(v);
      const option = c.option ?? 'ANY';
      if (option === 'ANY' && !value.some(has)) return false;
      if (option === 'ALL' && !value.every(has)) return false;
      if (option === 'NONE' && value.some(has)) return false;
    } else if (value !== undefined && !deepEqual(stored, value)) {
      return false;
    }
    return true;
  };
}

/**
 * One predicate per filter sent; a person must pass all of them. `now` (Unix seconds) is what
 * `age` counts back from. Filters on what the sandbox does not emulate treat every person alike:
 * none is followed and none has an opportunity (*decision*, see the README).
 */
function predicates(q: CopperSearchRequest, now: number): Predicate[] {
  const out: Predicate[] = [];
  if (q.name !== undefined) out.push((p) => lower(p.name).includes(lower(q.name!.trim())));
  if (q.emails !== undefined) {
    const wanted = new Set(q.emails.map((e) => lower(e.trim())));
    out.push((p) => p.emails.some((e) => wanted.has(lower(e.email))));
  }
  if (q.phone_number !== undefined) {
    const wanted = digits(q.phone_number);
    out.push((p) => p.phone_numbers.some((n) => (wanted === '' ? n.number.includes(q.phone_number!) : digits(n.number).includes(wanted))));
  }
  if (q.ids !== undefined) {
    const ids = new Set(q.ids);
    out.push((p) => ids.has(p.id));
  }
  if (q.tags !== undefined) {
    // At least one of the tags (*sourced*), compared without case.
    const tags = new Set(q.tags.map(lower));
    out.push((p) => p.tags.some((t) => tags.has(lower(t))));
  }
  if (q.contact_type_ids !== undefined) out.push(idIn(q.contact_type_ids, (p) => p.contact_type_id));
  if (q.assignee_ids !== undefined) out.push(idIn(q.assignee_ids, (p) => p.assignee_id));
  if (q.company_ids !== undefined) out.push(idIn(q.company_ids, (p) => p.company_id));
  if (q.opportunity_ids !== undefined) out.push(idIn(q.opportunity_ids, () => null));
  for (const field of ['city', 'state', 'postal_code', 'country'] as const) {
    const wanted = q[field];
    if (wanted !== undefined) out.push(addressIs(field, wanted));
  }
  // No person is followed: 1 (followed) matches none, 2 (not followed) every person.
  if (q.followed === 1) out.push(() => false);
  if (q.age !== undefined) out.push((p) => p.date_created >= now - q.age!);
  const ranges = [
    within((p) => p.date_created, q.minimum_created_date, q.maximum_created_date),
    within((p) => p.date_modified, q.minimum_modified_date, q.maximum_modified_date),
    within((p) => p.interaction_count, q.minimum_interaction_count, q.maximum_interaction_count),
    within((p) => p.date_last_contacted, q.minimum_interaction_date, q.maximum_interaction_date),
  ];
  for (const range of ranges) if (range) out.push(range);
  for (const criterion of q.custom_fields ?? []) out.push(customFieldMatches(criterion));
  return out;
}

type SortKey = NonNullable<CopperSearchRequest['sort_by']>;

const text = (s: string | null | undefined): string | null => (s == null ? null : lower(s));

/**
 * The value each sort key orders by (*decision* where Copper sorts by what the sandbox does not
 * keep): `assignee` by assignee id, `contact_group` by contact type id, `socials` by the first
 * social URL, `last_interaction` by `date_last_contacted`, `inactive_days` by the days since it
 * (most recently contacted first), so people never contacted have no value for either.
 */
const SORT_VALUE: Record<SortKey, (p: CopperPerson) => string | number | null> = {
  name: (p) => lower(p.name),
  first_name: (p) => text(p.first_name),
  last_name: (p) => text(p.last_name),
  title: (p) => text(p.title),
  email: (p) => text(p.emails[0]?.email),
  phone: (p) => (p.phone_numbers[0] ? digits(p.phone_numbers[0].number) : null),
  date_modified: (p) => p.date_modified,
  date_created: (p) => p.date_created,
  city: (p) => text(p.address?.city),
  state: (p) => text(p.address?.state),
  country: (p) => text(p.address?.country),
  zip: (p) => text(p.address?.postal_code),
  socials: (p) => text(p.socials[0]?.url),
  interaction_count: (p) => p.interaction_count,
  last_interaction: (p) => p.date_last_contacted,
  assignee: (p) => p.assignee_id,
  company_name: (p) => text(p.company_name),
  contact_group: (p) => p.contact_type_id,
  inactive_days: (p) => (p.date_last_contacted === null ? null : -p.date_last_contacted),
};

/**
 * Filters, sorts and pages (`now` in Unix seconds). People without a value for the sort key come last in either
 * direction, and ties fall back to id order, so paging is stable (*decision*).
 */
export function searchPeople(all: readonly CopperPerson[], q: CopperSearchRequest, now: number): { page: CopperPerson[]; total: number } {
  const tests = predicates(q, now);
  const matches = all.filter((p) => tests.every((t) => t(p)));
  const value = SORT_VALUE[q.sort_by ?? DEFAULT_SORT];
  const sign = q.sort_direction === 'desc' ? -1 : 1;
  matches.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? a.id - b.id : va === null ? 1 : -1;
    if (va !== vb) return (va < vb ? -1 : 1) * sign;
    return a.id - b.id;
  });
  const size = q.page_size ?? DEFAULT_PAGE_SIZE;
  const start = ((q.page_number ?? 1) - 1) * size;
  return { page: matches.slice(start, start + size), total: matches.length };
}
