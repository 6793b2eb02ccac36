// Propel's error catalogue: request-level errors with their numeric codes, row failures, and the one envelope.
import { z } from 'zod';
import { defineCatalogue, describeInputFailure, type ErrorEntry, type RowErrorEntry } from '../../core/errors.js';

/** Most contacts one bulk request may carry (*decision*: Propel publishes no limit). */
export const MAX_CONTACTS = 1000;
/** Where every error's `moreInfo` points, followed by the code. */
export const MORE_INFO_BASE = 'https://www.propel.us/docs/errors/';

/** Documented on every response, errors included (*sourced* header names). */
export const RESPONSE_HEADER_DOCS = {
  'return-format': 'Always `json`',
  'x-request-id': 'The caller\'s `X-Request-Id`, echoed; otherwise a new UUID',
} as const;

export interface PropelErrorEntry extends ErrorEntry {
  /** The numeric `code` of the envelope. */
  code: number;
}

const entry = (code: number, status: number, message: string, description?: string, headers: Record<string, string> = {}): PropelErrorEntry => ({
  code,
  status,
  message,
  ...(description ? { description } : {}),
  responseHeaders: { ...RESPONSE_HEADER_DOCS, ...headers },
});

/**
 * Request-level errors by `type`. Codes 10005..50007 are Propel's own (*sourced*); the 4xx/5xx
 * numeric codes of the others are our *decisions* (spec/propel.md): Propel documents none.
 */
export const PROPEL_ERRORS = {
  InvalidJSONPayload: entry(10005, 400, 'Invalid JSON payload', 'The body is not JSON (malformed, wrong content type, empty, too deep, or with a forbidden key).'),
  InvalidLookupKey: entry(10006, 400, 'Invalid lookup key, key must contain one of the following values: [id,sourceId]'),
  SchemaValidationException: entry(10007, 400, 'Request does not match the schema', 'One message per schema violation, each prefixed by the JSON pointer of the offending value.'),
  NotFound: entry(10008, 404, 'Resource not found', 'Unknown path, or a known path with a method it does not take (Propel documents no 405).'),
  LookupKeyNotFound: entry(10016, 400, 'Lookup key not found', 'A contact has no value for the endpoint\'s lookup key; one message per such contact.'),
  PayloadValidationError: entry(10017, 400, 'Payload validation failed', 'More than 1000 contacts, a sourceId lookup without `source`, a single-contact write the vendor refuses, or (on any route) a malformed X-Sandbox-Namespace header.'),
  ContactNotFound: entry(50006, 404, 'Contact not found'),
  ParentContactNotFound: entry(50007, 404, 'Parent contact not found'),
  Unauthorized: entry(401, 401, 'Authentication required - provide valid OAuth2 token', 'Missing, unknown or expired Bearer token.'),
  InvalidClient: entry(401, 401, 'Invalid client credentials', 'Unknown client, wrong secret, or a revoked client.'),
  InvalidTokenRequest: entry(400, 400, 'grant_type must be client_credentials'),
  PayloadTooLarge: entry(413, 413, 'Request body is too large'),
  // No 429: Propel publishes no rate limit and documents no 429 on any route (README, decisions).
  InternalServerError: { ...entry(500, 500, 'Internal server error'), generic: true },
} as const satisfies Record<string, PropelErrorEntry>;
export type PropelErrorName = keyof typeof PROPEL_ERRORS;

/** How one contact of a bulk request fails while the others go on (`success: false`, `error`). */
export const PROPEL_ROW_ERRORS = {
  ParentContactNotFound: { message: 'Parent contact with id [X] not found', description: '`parent` names no contact of the tenant (X is the id or sourceId sent).' },
  InvalidAttributeValue: { message: 'Invalid value provided. Attribute type is [text].', description: 'An attribute value does not fit the attribute type named in brackets.' },
  SourceIdInUse: {
    message: 'Contact with sourceId [X], source [Y] and language [Z] already exists',
    description: '*Decision*: the (sourceId, source, language) identity already belongs to another contact.',
  },
} as const satisfies Record<string, RowErrorEntry>;
export type PropelRowErrorName = keyof typeof PROPEL_ROW_ERRORS;

/** The vendor's wording for messages that carry the request's own values. */
export const PROPEL_MESSAGES = {
  completed: 'Completed',
  contactUpdated: 'Contact updated',
  contactDeleted: 'Contact deleted',
  tooManyContacts: `Maximum ${MAX_CONTACTS} contacts per request`,
  invalidLookupKey: (key: string) => `Invalid lookup key [${key}], key must contain one of the following values: [id,sourceId]`,
  contactNotFound: (key: string, value: string) => `Contact with ${key} [${value}] not found`,
  parentNotFoundById: (id: number) => `Parent contact with id [${id}] not found`,
  parentNotFoundBySourceId: (sourceId: number) => `Parent contact with sourceId [${sourceId}] not found`,
  invalidAttributeValue: (type: string) => `Invalid value provided. Attribute type is [${type}].`,
  sourceIdInUse: (sourceId: number, source: string, language: string | null) =>
    `Contact with sourceId [${sourceId}], source [${source}] and language [${language ?? ''}] already exists`,
  lookupKeyMissing: (index: number, key: string) => `#/contacts/${index}: lookup key [${key}] not found`,
  sourceQueryRequired: 'Query parameter [source] is required when the lookup key is [sourceId]',
  grantType: 'grant_type must be client_credentials',
  formContentType: 'Token requests must be sent as application/x-www-form-urlencoded',
} as const;

export const PropelError = z
  .object({
    // Keys in the order of the vendor's 400 example and schema (code, messages, moreInfo, status, type).
    error: z.object({
      code: z.number().int(),
      messages: z.array(z.string()),
      moreInfo: z.string(),
      status: z.number().int(),
      type: z.enum(Object.keys(PROPEL_ERRORS) as [PropelErrorName, ...PropelErrorName[]]),
    }),
  })
  .meta({ id: 'PropelError', description: 'Every Propel error: numeric code, HTTP status, type, messages and a documentation link.' });

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((m) => typeof m === 'string');

export const propelCatalogue = defineCatalogue({
  errors: PROPEL_ERRORS,
  rowErrors: PROPEL_ROW_ERRORS,
  fromCore: {
    NOT_FOUND: 'NotFound',
    // Propel documents no 405, so a wrong method is its 404 (spec/sandbox.md).
    METHOD_NOT_ALLOWED: 'NotFound',
    INVALID_BODY: 'InvalidJSONPayload',
    INVALID_HEADER: 'PayloadValidationError',
    INVALID_INPUT: 'PayloadValidationError',
    PAYLOAD_TOO_LARGE: 'PayloadTooLarge',
    // No RATE_LIMITED: Propel has no rate limit (the core default would answer a 429).
    INTERNAL: 'InternalServerError',
  },
  envelope: ({ name, entry: plain, error }) => {
    const { code } = (PROPEL_ERRORS as Record<string, PropelErrorEntry>)[name] ?? PROPEL_ERRORS.InternalServerError;
    const messages = isStringArray(error.extra.messages) ? error.extra.messages : [error.customMessage ?? plain.message];
    // Key order as in the vendor's own 400 example and its schema, so the body matches it byte for byte.
    return { error: { code, messages, moreInfo: `${MORE_INFO_BASE}${code}`, status: plain.status, type: name } };
  },
  envelopeSchema: PropelError,
  // A lookup key other than id or sourceId is Propel's own 400; any other parameter its validation error.
  inputError: ({ where, issues, input }, error) =>
    where === 'params' && issues.some((issue) => issue.path[0] === 'lookupKey')
      ? error('InvalidLookupKey', { message: PROPEL_MESSAGES.invalidLookupKey(String(input.lookupKey)) })
      : error('PayloadValidationError', { message: describeInputFailure({ where, issues, input }) }),
});

/** The error to throw for one of propelCatalogue's names (a misspelled name fails tsc). */
export const propelError = propelCatalogue.error;
