// People search: Copper's AND-ed filters, sort keys and page numbers, over one account's people.
import type { CopperPerson, CopperSearchRequest } from './schemas.js';

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

/** One predicate per filter sent; a person must pass all of them. */
function predicates(q: CopperSearchRequest): Predicate[] {
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
  for (const field of ['city', 'state', 'postal_code', 'country'] as const) {
    const wanted = q[field];
    if (wanted !== undefined) out.push(addressIs(field, wanted));
  }
  if (q.minimum_created_date !== undefined) out.push((p) => p.date_created >= q.minimum_created_date!);
  if (q.maximum_created_date !== undefined) out.push((p) => p.date_created <= q.maximum_created_date!);
  if (q.minimum_interaction_count !== undefined) out.push((p) => p.interaction_count >= q.minimum_interaction_count!);
  if (q.maximum_interaction_count !== undefined) out.push((p) => p.interaction_count <= q.maximum_interaction_count!);
  return out;
}

type SortKey = NonNullable<CopperSearchRequest['sort_by']>;

const SORT_VALUE: Record<SortKey, (p: CopperPerson) => string | number | null> = {
  name: (p) => lower(p.name),
  first_name: (p) => (p.first_name === null ? null : lower(p.first_name)),
  last_name: (p) => (p.last_name === null ? null : lower(p.last_name)),
  title: (p) => (p.title === null ? null : lower(p.title)),
  email: (p) => (p.emails[0] ? lower(p.emails[0].email) : null),
  phone: (p) => (p.phone_numbers[0] ? digits(p.phone_numbers[0].number) : null),
  date_modified: (p) => p.date_modified,
  date_created: (p) => p.date_created,
  city: (p) => (p.address?.city == null ? null : lower(p.address.city)),
  state: (p) => (p.address?.state == null ? null : lower(p.address.state)),
  country: (p) => (p.address?.country == null ? null : lower(p.address.country)),
  zip: (p) => p.address?.postal_code ?? null,
};

/**
 * Filters, sorts and pages. People without a value for the sort key come last in either
 * direction, and ties fall back to id order, so paging is stable (*decision*).
 */
export function searchPeople(all: readonly CopperPerson[], q: CopperSearchRequest): { page: CopperPerson[]; total: number } {
  const tests = predicates(q);
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
