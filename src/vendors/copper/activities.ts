// A person's activities: the fields of a new one checked one by one, and a person's list filtered, ordered and paged.
import type { JsonObject } from '../../core/json.js';
import type { CopperRowReason } from './errors.js';
import { ACTIVITY_FIELDS, activityFields, REQUIRED_ACTIVITY_FIELDS, type ActivityField, type CopperActivity, type CopperActivityListRequest } from './schemas.js';
import { DEFAULT_PAGE_SIZE } from './search.js';

export interface ActivityProblem {
  field: string;
  reason: CopperRowReason;
}

/** What `POST /activities` sent, once its fields are checked: every problem, and the values of the fields that passed. */
export interface ActivityDraft {
  problems: ActivityProblem[];
  /** The person the parent names, when the parent is well formed (whether it exists is the caller's to check). */
  personId: number | undefined;
  type: CopperActivity['type'] | undefined;
  details: string | undefined;
  activityDate: number | null;
}

/**
 * Checks every field of a new activity on its own, in Copper's field order: a required field
 * missing or null (or blank details) is `blank`, a wrong shape is `invalid`, e.g. a parent that
 * is not a person or a `system` type (only user activities can be created, *sourced*). Read-only
 * and unknown fields are ignored, as on people.
 */
export function readActivity(body: JsonObject): ActivityDraft {
  const problems: ActivityProblem[] = [];
  const values: Partial<Record<ActivityField, unknown>> = {};
  for (const field of ACTIVITY_FIELDS) {
    const raw = body[field];
    const blank = raw === undefined || raw === null || (field === 'details' && typeof raw === 'string' && raw.trim() === '');
    if (blank) {
      if (REQUIRED_ACTIVITY_FIELDS.includes(field)) problems.push({ field, reason: 'blank' });
      continue;
    }
    const parsed = activityFields[field].safeParse(raw);
    if (parsed.success) values[field] = parsed.data;
    else problems.push({ field, reason: 'invalid' });
  }
  return {
    problems,
    personId: (values.parent as CopperActivity['parent'] | undefined)?.id,
    type: values.type as CopperActivity['type'] | undefined,
    details: values.details as string | undefined,
    activityDate: (values.activity_date as number | undefined) ?? null,
  };
}

/** A new user activity as Copper returns it, from a draft without problems (`now` in Unix seconds; the activity date defaults to it). */
export function newActivity(id: number, draft: ActivityDraft, now: number): CopperActivity {
  if (draft.problems.length > 0 || draft.personId === undefined || draft.type === undefined || draft.details === undefined) {
    throw new Error('newActivity: the draft has problems');
  }
  return {
    id,
    parent: { id: draft.personId, type: 'person' },
    type: { category: draft.type.category, id: draft.type.id },
    user_id: null,
    details: draft.details,
    activity_date: draft.activityDate ?? now,
    old_value: null,
    new_value: null,
    date_created: now,
    date_modified: now,
  };
}

/**
 * One page of a person's activities, newest first: by activity date, then by id, both descending,
 * so the order is total and paging stable (*decision*). Filters AND together; an activity type
 * without an id matches its whole category.
 */
export function listActivities(all: readonly CopperActivity[], q: CopperActivityListRequest): CopperActivity[] {
  const { activity_types: types, minimum_activity_date: min, maximum_activity_date: max } = q;
  const matches = all.filter(
    (a) =>
      (types === undefined || types.some((t) => t.category === a.type.category && (t.id === undefined || t.id === a.type.id))) &&
      (min === undefined || a.activity_date >= min) &&
      (max === undefined || a.activity_date <= max),
  );
  matches.sort((a, b) => b.activity_date - a.activity_date || b.id - a.id);
  const size = q.page_size ?? DEFAULT_PAGE_SIZE;
  const start = ((q.page_number ?? 1) - 1) * size;
  return matches.slice(start, start + size);
}
