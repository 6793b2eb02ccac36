// Cora's update semantics: deep merge of metadata/person/address, replacement elsewhere, leaf changes.
import { deepEqual, isPlainObject, type JsonObject } from '../../core/json.js';
import type { CoraAccount, CoraAccountUpsert } from './schemas.js';

/** Object fields Cora merges key by key; every other field is replaced whole. */
const DEEP_MERGED = new Set(['metadata', 'person', 'address']);
/** Sent on update but never applied: portfolioId only counts when the account is created. */
const IGNORED_ON_UPDATE = new Set(['externalId', 'portfolioId']);

export function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? deepMerge(current, value) : value;
  }
  return out;
}

/** The account after applying an update row (or a PATCH body) to it. */
export function applyUpdate(existing: CoraAccount, patch: Partial<CoraAccountUpsert>): CoraAccount {
  const next: JsonObject = { ...existing };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || IGNORED_ON_UPDATE.has(key)) continue;
    const current = next[key];
    next[key] = DEEP_MERGED.has(key) && isPlainObject(value) && isPlainObject(current) ? deepMerge(current, value) : value;
  }
  next.status_category = next.status;
  return next as CoraAccount;
}

export interface LeafChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** One change per changed leaf, by dot path; an array counts as one leaf. */
export function leafChanges(before: unknown, after: unknown, path = ''): LeafChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((key) => leafChanges(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (deepEqual(before, after)) return [];
  return [{ field: path, from: before ?? null, to: after ?? null }];
}

/** What an update changed, ignoring the timestamps the write itself sets. */
export function accountChanges(before: CoraAccount, after: CoraAccount): LeafChange[] {
  const { updatedAt: _b, ...b } = before;
  const { updatedAt: _a, ...a } = after;
  return leafChanges(b, a);
}
