// Copper's error catalogue: request-level errors, bulk row-failure reasons, and the two body shapes Copper answers with.
import { z } from 'zod';
import { defineCatalogue, type ErrorEntry, type RowErrorEntry } from '../../core/errors.js';

/** The bulk endpoints' request size limit (*sourced*: the vendor page). */
export const MAX_BULK_PEOPLE = 10;
export const MAX_PAGE_SIZE = 200;

/** Copper's own wording, asserted by the tests. */
export const COPPER_MESSAGES = {
  invalidCredentials: 'Invalid credentials',
  notFound: 'Resource not found',
  rateLimited: 'Rate limit exceeded',
  invalidJson: 'Invalid JSON',
  /** The one error body that is not Copper's usual envelope: copied verbatim from the vendor page. */
  requestTooLarge: `Request size too large, limit is ${MAX_BULK_PEOPLE}`,
  peopleRequired: 'Invalid input: people is required',
  emailRequired: 'Invalid input: email is required',
  bodyNotObject: 'Invalid input: request body must be a JSON object',
  /** `Invalid input: Validation errors: Name: can't be blank` (*sourced* for the name case). */
  validation: (problems: ReadonlyArray<{ field: string; reason: CopperRowReason }>) =>
    `Invalid input: Validation errors: ${problems.map((p) => `${humanize(p.field)}: ${REASON_PHRASES[p.reason]}`).join(', ')}`,
  invalidSearchField: (field: string) => `Invalid input: ${field} is invalid`,
  unsupportedSearchField: (field: string) => `Invalid input: ${field} is not a supported search field`,
  payloadTooLarge: 'Request entity too large',
  internal: 'Internal server error',
} as const;

/** Rails-style phrases for the single-record 422 message, one per row reason. */
const REASON_PHRASES = {
  blank: "can't be blank",
  invalid: 'is invalid',
  taken: 'has already been taken',
  not_found: 'was not found',
} as const satisfies Record<string, string>;

/** `phone_numbers` → `Phone numbers`, as Rails humanizes attribute names. */
const humanize = (field: string) => {
  const words = field.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Request-level errors by name. Statuses and messages: spec/copper.md (sourced or decided there). */
export const COPPER_ERRORS = {
  INVALID_CREDENTIALS: {
    status: 401,
    message: COPPER_MESSAGES.invalidCredentials,
    description: 'An X-PW-* header is missing, the application is not `developer_api`, or the token and user email do not match.',
  },
  RESOURCE_NOT_FOUND: {
    status: 404,
    message: COPPER_MESSAGES.notFound,
    description: 'No such person or activity in this account, or no such path or method (Copper documents no 405).',
  },
  INVALID_JSON: { status: 400, message: COPPER_MESSAGES.invalidJson, description: 'The body is not a JSON document the API accepts.' },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: COPPER_MESSAGES.payloadTooLarge,
    description: "The body is over the sandbox's size limit (default 10 MiB); the message names the limit.",
  },
  REQUEST_SIZE_TOO_LARGE: {
    status: 422,
    message: COPPER_MESSAGES.requestTooLarge,
    description: `More than ${MAX_BULK_PEOPLE} people in one bulk request; the body is \`{"error": "..."}\` and nothing is written.`,
  },
  PEOPLE_REQUIRED: { status: 422, message: COPPER_MESSAGES.peopleRequired, description: '`people` is missing or not an array.' },
  VALIDATION_FAILED: {
    status: 422,
    message: "Invalid input: Validation errors: Name: can't be blank",
    description:
      'A single-record create or update (a person, an activity) failed validation; the message lists each field and reason. On any route: a malformed X-Sandbox-Namespace header (the message names it).',
  },
  EMAIL_REQUIRED: { status: 422, message: COPPER_MESSAGES.emailRequired, description: '`email` is missing or not a string.' },
  INVALID_SEARCH: {
    status: 422,
    message: 'Invalid input',
    description: 'A people search or activity list parameter has the wrong type or is not supported; the message names the first.',
  },
  RATE_LIMITED: {
    status: 429,
    message: COPPER_MESSAGES.rateLimited,
    description: '180 requests per rolling minute per token, and 3 per second on the bulk endpoints.',
    responseHeaders: { 'Retry-After': 'Whole seconds until the next request can pass' },
    // A faked 429 (a fault) has no limiter decision behind it: one second is the bulk window.
    defaultHeaders: { 'Retry-After': '1' },
    // Generic: the 180-a-minute limit counts every call of the token (README, decisions).
    generic: true,
  },
  INTERNAL_ERROR: { status: 500, message: COPPER_MESSAGES.internal, generic: true },
} as const satisfies Record<string, ErrorEntry>;
export type CopperErrorName = keyof typeof COPPER_ERRORS;

/** How one object of a bulk request can fail: the `error` value under a field (*decision*, spec/copper.md). */
export const COPPER_ROW_ERRORS = {
  blank: { message: 'blank', description: 'A required field (name, or id on update) is missing, null or blank.' },
  invalid: { message: 'invalid', description: 'A field has the wrong type, an unknown category, or a malformed email.' },
  taken: { message: 'taken', description: 'An email is already held by another person of the account, or by an earlier object of the request.' },
  not_found: { message: 'not_found', description: 'bulk_update: no person with this id in the account.' },
} as const satisfies Record<string, RowErrorEntry>;
export type CopperRowReason = keyof typeof COPPER_ROW_ERRORS;
export const ROW_REASONS = Object.keys(COPPER_ROW_ERRORS) as [CopperRowReason, ...CopperRowReason[]];

/** Which field a fault-forced row failure names, so it looks like a failure Copper could produce. */
export const FAULT_FIELD: Record<CopperRowReason, string> = { blank: 'name', invalid: 'name', taken: 'emails', not_found: 'id' };

export const CopperErrorEnvelope = z
  .object({ success: z.literal(false), status: z.number().int(), message: z.string() })
  .meta({ id: 'CopperError', description: 'Every Copper error but one: `success`, the HTTP status, and a message.' });

export const CopperRequestTooLarge = z
  .object({ error: z.string() })
  .meta({ id: 'CopperRequestTooLarge', description: `The bulk endpoints' answer to more than ${MAX_BULK_PEOPLE} objects, verbatim from the vendor page.` });

export const copperCatalogue = defineCatalogue({
  errors: COPPER_ERRORS,
  rowErrors: COPPER_ROW_ERRORS,
  fromCore: {
    NOT_FOUND: 'RESOURCE_NOT_FOUND',
    // Copper documents no 405: a known path with the wrong method is its 404.
    METHOD_NOT_ALLOWED: 'RESOURCE_NOT_FOUND',
    INVALID_BODY: 'INVALID_JSON',
    // Copper's INVALID_JSON always says "Invalid JSON"; its validation error carries the message naming the header.
    INVALID_HEADER: 'VALIDATION_FAILED',
    // Copper's only parameters are path ids: one it could not have issued is simply not found.
    INVALID_INPUT: 'RESOURCE_NOT_FOUND',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    RATE_LIMITED: 'RATE_LIMITED',
    INTERNAL: 'INTERNAL_ERROR',
  },
  envelope({ name, entry, error }) {
    if (name === 'REQUEST_SIZE_TOO_LARGE') return { error: entry.message };
    // The core explains why a body was refused; Copper always says "Invalid JSON", so we do too.
    // A 413 keeps the core's wording: the limit is the sandbox's own, and the message names it.
    const message = name === 'INVALID_JSON' ? entry.message : (error.customMessage ?? entry.message);
    return { success: false, status: entry.status, message };
  },
  envelopeSchema: z.union([CopperErrorEnvelope, CopperRequestTooLarge]).meta({ id: 'CopperErrorResponse' }),
  inputError: (_failure, error) => error('RESOURCE_NOT_FOUND'),
});

/** The error to throw for one of copperCatalogue's names (a misspelled name fails tsc). */
export const copperError = copperCatalogue.error;
