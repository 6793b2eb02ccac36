// MailingCore's error catalogue: every request-level error, the row-failure kinds, and its NestJS-style envelope.
import type { Context } from 'hono';
import { z } from 'zod';
import { defineCatalogue, type ErrorEntry, type RowErrorEntry } from '../../core/errors.js';
import { vendorPathWithQuery } from '../../core/router.js';
import type { SandboxEnv } from '../../core/vendor.js';
import { issueMessage } from './validation.js';

/** CONTACTS_BULK_MAX in the vendor's docs (*sourced*). */
export const MAX_BULK_CONTACTS = 1000;
/** `GET /contacts?limit` ceiling (*sourced*) and our default when it is absent (*decision*). */
export const MAX_PAGE_LIMIT = 500;
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_EXTERNAL_ID = 128;
export const MAX_SHORT_TEXT = 64;
/** 300 requests per minute per API key (*sourced*). */
export const RATE_LIMIT = { limit: 300, windowMs: 60_000 };

export const LOCALES = ['es', 'en', 'it', 'fr', 'ca', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

export const SCOPES = ['contacts:read', 'contacts:write', 'campaigns:read', 'campaigns:write'] as const;
export type Scope = (typeof SCOPES)[number];

/** The headers every response after key authentication carries, for the docs of the errors that always come after it. */
export const RATE_LIMIT_HEADER_DOCS = {
  'X-RateLimit-Limit': 'Requests allowed per minute for this API key',
  'X-RateLimit-Remaining': 'Requests left in the current window',
  'X-RateLimit-Reset': 'Unix seconds when the oldest counted request leaves the window',
} as const;
const afterAuth = { responseHeaders: RATE_LIMIT_HEADER_DOCS };

/**
 * Wording of every message. The vendor publishes its 4xx causes but not their text: the
 * validation wording follows class-validator (the vendor's errors are NestJS-shaped), the
 * auth texts are the ones spec/mailingcore.md sources.
 */
export const MC_MESSAGES = {
  missingKey: 'Missing API key',
  invalidKey: 'Invalid API key',
  revokedKey: 'API key has been revoked',
  tenantHeaderRequired: 'X-Tenant-Id header is required',
  unauthorizedTenant: 'Unauthorized tenant',
  missingScope: (scope: string) => `Missing required API key scope: ${scope}`,
  rateLimited: (seconds: number) => `Too many requests, retry after ${seconds}s`,
  badRequest: 'Bad Request',
  notAnObject: 'Request body must be a JSON object',
  notAnArray: (path: string) => `${path} must be an array`,
  mustBeObject: (path: string) => `${path} must be an object`,
  contactsRequired: `contacts must contain at least 1 elements`,
  contactsLimit: `contacts must contain no more than ${MAX_BULK_CONTACTS} elements`,
  unknownProperty: (path: string) => `property ${path} should not exist`,
  email: (path: string) => `${path} must be an email`,
  notEmpty: (path: string) => `${path} should not be empty`,
  string: (path: string) => `${path} must be a string`,
  boolean: (path: string) => `${path} must be a boolean value`,
  integer: (path: string) => `${path} must be an integer number`,
  oneOf: (path: string, values: readonly unknown[]) =>
    `${path} must be one of the following values: ${values.map((v) => (v === null ? 'null' : String(v))).join(', ')}`,
  maxLength: (path: string, max: number) => `${path} must be shorter than or equal to ${max} characters`,
  min: (path: string, min: number) => `${path} must not be less than ${min}`,
  max: (path: string, max: number) => `${path} must not be greater than ${max}`,
  isoDate: (path: string) => `${path} must be a valid ISO 8601 date string`,
  invalid: (path: string) => `${path} is not valid`,
  cursorInvalid: 'cursor is not valid',
  cursorFilters: 'cursor was issued for other filters: send it alone, or with the same locale, optIn and updatedSince',
  pageWithCursor: 'page cannot be combined with cursor',
  contactNotFound: 'Contact not found',
  campaignNotFound: 'Campaign not found',
  /** The bulk row and PUT conflict when the externalId's contact is not the email's (spec example wording). */
  externalIdTaken: (externalId: string) => `externalId ${externalId} belongs to another contact`,
  emailTaken: (email: string) => `email ${email} belongs to another contact`,
  duplicateKey: (key: 'externalId' | 'email', value: string) => `${key} ${value} appears more than once in this request`,
  /** NestJS's own text for a route it does not have; also answers a wrong method (the vendor documents no 405). */
  cannot: (method: string, path: string) => `Cannot ${method} ${path}`,
} as const;

export const MC_ERRORS = {
  INVALID_BODY: { status: 400, message: MC_MESSAGES.badRequest, description: 'Malformed JSON, wrong content type, empty body, or forbidden keys', ...afterAuth },
  VALIDATION_FAILED: { status: 400, message: MC_MESSAGES.badRequest, description: 'A field, query parameter or (on any route) the X-Sandbox-Namespace header failed validation; the message names it (e.g. `contacts.3.email must be an email`)', ...afterAuth },
  CONTACTS_REQUIRED: { status: 400, message: MC_MESSAGES.contactsRequired, ...afterAuth },
  CONTACTS_LIMIT_EXCEEDED: { status: 400, message: MC_MESSAGES.contactsLimit, ...afterAuth },
  INVALID_CURSOR: { status: 400, message: MC_MESSAGES.cursorInvalid, ...afterAuth },
  TENANT_HEADER_REQUIRED: { status: 400, message: MC_MESSAGES.tenantHeaderRequired, ...afterAuth },
  MISSING_API_KEY: { status: 401, message: MC_MESSAGES.missingKey },
  INVALID_API_KEY: { status: 401, message: MC_MESSAGES.invalidKey, description: 'Unknown or malformed key' },
  API_KEY_REVOKED: { status: 401, message: MC_MESSAGES.revokedKey },
  UNAUTHORIZED_TENANT: { status: 403, message: MC_MESSAGES.unauthorizedTenant, description: 'X-Tenant-Id is not the key\'s tenant', ...afterAuth },
  MISSING_SCOPE: { status: 403, message: 'Missing required API key scope', description: 'The key lacks the scope the route needs; the message names it', ...afterAuth },
  NOT_FOUND: { status: 404, message: 'Not Found', description: 'No such route (also a known path with a method it does not take)' },
  CONTACT_NOT_FOUND: { status: 404, message: MC_MESSAGES.contactNotFound, ...afterAuth },
  CAMPAIGN_NOT_FOUND: { status: 404, message: MC_MESSAGES.campaignNotFound, ...afterAuth },
  CONTACT_CONFLICT: { status: 409, message: 'Contact conflicts with another contact', description: 'The externalId and the email belong to different contacts', ...afterAuth },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'request entity too large', ...afterAuth },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests',
    description: 'More than 300 requests in a minute with this key',
    responseHeaders: { ...RATE_LIMIT_HEADER_DOCS, 'Retry-After': 'Whole seconds until a request can pass' },
    // A faked 429 (fault) has no limiter behind it: a full window is the honest wait.
    defaultHeaders: { 'Retry-After': String(RATE_LIMIT.windowMs / 1000) },
    // Generic: the 300-a-minute limit counts every call of the key (README, decisions).
    generic: true,
  },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Internal server error', generic: true },
} as const satisfies Record<string, ErrorEntry>;
export type McErrorName = keyof typeof MC_ERRORS;

/** How one item of a bulk import fails while the others are written (*decision*, spec/mailingcore.md). */
export const MC_ROW_ERRORS = {
  CONTACT_CONFLICT: { message: 'Contact conflicts with another contact', description: 'externalId matches one contact while email belongs to another' },
  DUPLICATE_KEY: { message: 'Upsert key appears more than once in this request', description: 'A later item repeats an earlier item\'s externalId (or email, when it has no externalId)' },
} as const satisfies Record<string, RowErrorEntry>;
export type McRowErrorName = keyof typeof MC_ROW_ERRORS;

export const MailingCoreError = z
  .object({
    statusCode: z.number().int(),
    message: z.string(),
    path: z.string().describe('The request path, without the query string'),
    timestamp: z.string().describe('ISO time of the error, from the sandbox clock'),
  })
  .meta({ id: 'MailingCoreError', description: 'Every MailingCore error.' });

/** The vendor path without the query, as the vendor's `path` field shows it. */
export function vendorPath(c: Context): string {
  return vendorPathWithQuery(c as Context<SandboxEnv>).path;
}

export const mailingcoreCatalogue = defineCatalogue({
  errors: MC_ERRORS,
  rowErrors: MC_ROW_ERRORS,
  fromCore: {
    NOT_FOUND: 'NOT_FOUND',
    // MailingCore documents no 405: a known path with another method is its 404.
    METHOD_NOT_ALLOWED: 'NOT_FOUND',
    INVALID_BODY: 'INVALID_BODY',
    INVALID_HEADER: 'VALIDATION_FAILED',
    INVALID_INPUT: 'VALIDATION_FAILED',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    RATE_LIMITED: 'RATE_LIMITED',
    INTERNAL: 'INTERNAL_SERVER_ERROR',
  },
  envelope({ name, entry, error, c, now }) {
    const path = vendorPath(c);
    let message = error.customMessage ?? entry.message;
    if (name === 'NOT_FOUND' && error.customMessage === undefined) message = MC_MESSAGES.cannot(c.req.method, path);
    if (name === 'RATE_LIMITED' && error.customMessage === undefined) {
      message = MC_MESSAGES.rateLimited(Number(error.headers['Retry-After'] ?? entry.defaultHeaders?.['Retry-After'] ?? 1));
    }
    return { statusCode: entry.status, message, path, timestamp: new Date(now ?? 0).toISOString() };
  },
  envelopeSchema: MailingCoreError,
  // A query parameter the listing does not take, or cannot read, is its validation error, in its words.
  inputError: (failure, error) => error('VALIDATION_FAILED', { message: issueMessage(failure.issues[0]!) }),
});

/** The error to throw for one of mailingcoreCatalogue's names (a misspelled name fails tsc). */
export const mailingcoreError = mailingcoreCatalogue.error;
