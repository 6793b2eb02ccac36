// Cora's error catalogue: every request-level error and row-failure code, and its flat envelope.
import { z } from 'zod';
import { defineCatalogue, describeInputFailure, type ErrorEntry, type RowErrorEntry } from '../../core/errors.js';

export const MAX_ACCOUNTS = 500;
export const MAX_EXTERNAL_IDS = 200;
export const SIGNATURE_WINDOW_S = 300;

/** Request-level errors. Cora's status page is not public: statuses are our decisions (spec/cora.md). */
export const CORA_ERRORS = {
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed', responseHeaders: { Allow: 'The methods this path accepts' } },
  MISSING_AUTH_HEADER: { status: 401, message: 'Missing Authorization header' },
  MISSING_AUTH_HEADERS: {
    status: 401,
    message: 'Missing signed request auth headers: Authorization, X-Cora-Timestamp and X-Cora-Signature are required',
  },
  INVALID_API_KEY: { status: 401, message: 'Invalid API key' },
  REQUEST_TIMESTAMP_OUTSIDE_WINDOW: {
    status: 401,
    message: 'Request timestamp is outside the 5-minute window',
  },
  INVALID_REQUEST_SIGNATURE: { status: 401, message: 'Request signature does not match the request payload' },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests: 1 bulk-upsert request is allowed every 20 seconds per API key and IP',
    responseHeaders: { 'Retry-After': 'Whole seconds until the next request can pass' },
    defaultHeaders: { 'Retry-After': '20' },
  },
  INVALID_REQUEST_BODY: { status: 400, message: 'Request body must be a JSON object with an accounts array' },
  ACCOUNTS_REQUIRED: { status: 400, message: 'accounts must contain at least one account' },
  ACCOUNTS_LIMIT_EXCEEDED: { status: 400, message: `accounts must contain at most ${MAX_ACCOUNTS} accounts` },
  VALIDATION_ERROR: {
    status: 400,
    message: 'Account failed validation',
    description: 'A field or parameter failed validation (`details` lists each field), or, on any route, a malformed X-Sandbox-Namespace header (the message names it).',
  },
  ORGANIZATION_ID_NOT_ALLOWED: { status: 400, message: 'organizationId must not be sent; the organization comes from the API key' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  ACCOUNT_NOT_FOUND: { status: 404, message: 'Account not found' },
  EXTERNAL_IDS_REQUIRED: { status: 400, message: 'externalIds query parameter is required' },
  EXTERNAL_IDS_LIMIT_EXCEEDED: { status: 400, message: `externalIds must contain at most ${MAX_EXTERNAL_IDS} ids` },
  NOT_FOUND: { status: 404, message: 'Not found' },
  /** Generic: any call can fail on Cora's side (README, decisions). */
  INTERNAL_ERROR: { status: 500, message: 'Internal server error', generic: true },
} as const satisfies Record<string, ErrorEntry>;
export type CoraErrorName = keyof typeof CORA_ERRORS;

/** Why a row can fail while the rest of the batch goes on (*decision*, spec/cora.md). */
export const CORA_ROW_ERRORS = {
  VALIDATION_ERROR: { message: 'Account failed validation' },
  DUPLICATE_EXTERNAL_ID: { message: 'externalId appears more than once in this request' },
  ORGANIZATION_ID_NOT_ALLOWED: { message: 'organizationId must not be sent; the organization comes from the API key' },
} as const satisfies Record<string, RowErrorEntry>;
export type CoraRowErrorName = keyof typeof CORA_ROW_ERRORS;

/** Wording of the messages that carry the request's own values. */
export const CORA_MESSAGES = {
  missingHeaders: (missing: string[]) => `Missing signed request auth headers: ${missing.join(', ')}`,
  rowFailed: (externalId: string | undefined, index: number) =>
    externalId ? `Account ${externalId} failed validation` : `Account at index ${index} failed validation`,
  duplicate: (externalId: string) => `externalId ${externalId} appears more than once in this request`,
  notAnArray: 'Request body must include an accounts array',
  notAnObject: 'Request body must be a JSON object',
  notBoolean: (field: string) => `${field} must be a boolean`,
  unknownBodyField: (field: string) => `Unknown request body field: ${field}`,
  phone: 'phoneNumber must be E.164, e.g. +15555550123',
  requiredOnCreate: (field: string) => `${field} is required for new accounts`,
  readOnly: (field: string) => `${field} is read-only`,
  unknownField: (field: string) => `${field} is not an account field`,
  externalIdMismatch: 'externalId cannot be changed',
} as const;

export const CoraDetail = z
  .object({ field: z.string(), message: z.string() })
  .meta({ id: 'CoraErrorDetail', description: 'One field-level problem; `field` is a dot path.' });

export const CoraError = z
  .object({
    success: z.literal(false),
    code: z.enum(Object.keys(CORA_ERRORS) as [CoraErrorName, ...CoraErrorName[]]),
    message: z.string(),
    details: z.array(CoraDetail).optional(),
  })
  .meta({ id: 'CoraError', description: 'Every Cora error: flat, with a machine-readable code.' });

export const coraCatalogue = defineCatalogue({
  errors: CORA_ERRORS,
  rowErrors: CORA_ROW_ERRORS,
  fromCore: {
    NOT_FOUND: 'NOT_FOUND',
    METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
    INVALID_BODY: 'INVALID_REQUEST_BODY',
    INVALID_HEADER: 'VALIDATION_ERROR',
    INVALID_INPUT: 'VALIDATION_ERROR',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    RATE_LIMITED: 'RATE_LIMITED',
    INTERNAL: 'INTERNAL_ERROR',
  },
  envelope: ({ name, entry, error }) => ({
    success: false,
    code: name,
    message: error.customMessage ?? entry.message,
    ...error.extra,
  }),
  envelopeSchema: CoraError,
  // Its one declared query parameter, externalIds, has its own error when missing.
  inputError: (failure, error) =>
    failure.issues.some((issue) => issue.path[0] === 'externalIds') ? error('EXTERNAL_IDS_REQUIRED') : error('VALIDATION_ERROR', { message: describeInputFailure(failure) }),
});

/** The error to throw for one of coraCatalogue's names (a misspelled name fails tsc). */
export const coraError = coraCatalogue.error;
