// Turns one account object into either a valid upsert or Cora's field-level `details`.
import type { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import { CORA_MESSAGES } from './errors.js';
import { CoraAccountPatch, CoraAccountUpsert, READ_ONLY_FIELDS, type CoraAccount } from './schemas.js';

export interface Detail {
  field: string;
  message: string;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  int: 'an integer',
};

/** The value at `path` inside `input`, or undefined when any step is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One Cora detail per zod issue, in plain words, with the dot path of the offending field. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], input: unknown): Detail[] {
  const details: Detail[] = [];
  for (const issue of issues) {
    const field = issue.path.map(String).join('.');
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const path = field ? `${field}.${key}` : key;
          details.push({ field: path, message: !field && READ_ONLY_FIELDS.has(key) ? CORA_MESSAGES.readOnly(key) : CORA_MESSAGES.unknownField(path) });
        }
        break;
      case 'invalid_type':
        details.push({
          field,
          message: valueAt(input, issue.path) === undefined ? `${field} is required` : `${field} must be ${ARTICLE[issue.expected] ?? issue.expected}`,
        });
        break;
      case 'too_small':
        details.push({ field, message: issue.origin === 'string' ? `${field} must not be empty` : `${field} is too small` });
        break;
      case 'too_big':
        details.push({ field, message: issue.origin === 'string' ? `${field} must be at most ${String(issue.maximum)} characters` : `${field} is too large` });
        break;
      default:
        // Unions and formats carry the message written next to their schema.
        details.push({ field, message: issue.message });
    }
  }
  return details;
}

export type RowCheck<T> = { ok: true; value: T } | { ok: false; details: Detail[] };

export function checkUpsert(row: unknown): RowCheck<CoraAccountUpsert> {
  if (!isPlainObject(row)) return { ok: false, details: [{ field: '', message: 'account must be an object' }] };
  const parsed = CoraAccountUpsert.safeParse(row);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, details: issuesToDetails(parsed.error.issues, row) };
}

export function checkPatch(body: unknown): RowCheck<Partial<CoraAccountUpsert>> {
  if (!isPlainObject(body)) return { ok: false, details: [{ field: '', message: 'account must be an object' }] };
  const parsed = CoraAccountPatch.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, details: issuesToDetails(parsed.error.issues, body) };
}

/** The fields a new account must have (null counts as missing). */
export function missingOnCreate(row: CoraAccountUpsert): Detail[] {
  const missing: Detail[] = [];
  if (row.phoneNumber == null) missing.push({ field: 'phoneNumber', message: CORA_MESSAGES.requiredOnCreate('phoneNumber') });
  if (row.portfolioId == null) missing.push({ field: 'portfolioId', message: CORA_MESSAGES.requiredOnCreate('portfolioId') });
  const filenumber = row.metadata?.filenumber;
  if (filenumber == null || filenumber === '') {
    missing.push({ field: 'metadata.filenumber', message: CORA_MESSAGES.requiredOnCreate('metadata.filenumber') });
  }
  return missing;
}

/** A new account in canonical key order, every field present (null when never set). */
export function newAccount(row: CoraAccountUpsert, fixed: { id: string; organizationId: string; now: string }): CoraAccount {
  const status = row.status ?? 'ACTIVE';
  return {
    id: fixed.id,
    externalId: row.externalId,
    organizationId: fixed.organizationId,
    portfolioId: row.portfolioId ?? null,
    bucket: row.bucket ?? null,
    status,
    status_category: status,
    clientStatus: row.clientStatus ?? null,
    phoneNumber: row.phoneNumber ?? null,
    metadata: row.metadata ?? {},
    person: row.person ?? null,
    emailAddress: row.emailAddress ?? null,
    currentEmailAddressId: null,
    emailAddressIds: [],
    address: row.address ?? null,
    history: row.history ?? null,
    typeOfDebt: row.typeOfDebt ?? null,
    compliance: row.compliance ?? null,
    paymentRules: row.paymentRules ?? null,
    bank: row.bank ?? null,
    client: row.client ?? null,
    originalCreditor: row.originalCreditor ?? null,
    currentBalance: row.currentBalance ?? null,
    tags: row.tags ?? [],
    contactInfo: row.contactInfo ?? null,
    smsOptOut: row.smsOptOut ?? null,
    createdAt: fixed.now,
    updatedAt: fixed.now,
  };
}
