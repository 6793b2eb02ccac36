// The control API's error catalogue (/_sandbox, /docs, the dashboard): its own names, in its own envelope.
import { z } from 'zod';
import { defineCatalogue, type ErrorEntry, type InputFailure } from '../errors.js';
import type { Engine } from '../store.js';

/** What STORE_UNAVAILABLE says: the engine, never the driver's message (it names the host and user). */
const unreachableMessage = (engine: Engine) => `The sandbox's store (${engine}) is unreachable; retry when GET /_sandbox/health answers ok`;

const CONTROL_ERRORS = {
  INVALID_REQUEST: { status: 400, message: 'Invalid request' },
  ADMIN_TOKEN_REQUIRED: { status: 401, message: 'The control API needs the admin token (Authorization: Bearer <SANDBOX_ADMIN_TOKEN>)' },
  HOST_NOT_ALLOWED: { status: 403, message: 'Control calls must be addressed to a loopback name or an allowed host (--allowed-hosts)' },
  CROSS_ORIGIN_REFUSED: { status: 403, message: "A control call that changes state must come from the sandbox's own origin" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Control request bodies must be application/json' },
  UNKNOWN_VENDOR: { status: 400, message: 'Unknown vendor' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed', responseHeaders: { Allow: 'The methods this path accepts' } },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  INTERNAL: { status: 500, message: 'Internal error' },
  STORE_UNAVAILABLE: {
    status: 503,
    // PostgreSQL's wording for the document: the engine that can be away (storeUnavailable names the one that is).
    message: unreachableMessage('postgres'),
    description:
      "The store does not answer (in shared mode, the PostgreSQL database is down or out of reach), so the call failed; the message names the engine. " +
      'Retry once `GET /_sandbox/health` answers ok: the sandbox reconnects by itself.',
  },
} as const satisfies Record<string, ErrorEntry>;
export type ControlErrorName = keyof typeof CONTROL_ERRORS;

export const ControlError = z
  .object({ error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.string()).optional() }) })
  .meta({ id: 'SandboxError' });

/** One line per issue of a control body or query, `path: message`. */
export const issues = (error: z.ZodError, where: 'body' | 'query' = 'body') => issueLines(error.issues, [], where);

/** Unknown keys at a branch's own level: how far a union branch is from the input's shape. */
const unknownKeys = (branch: readonly z.core.$ZodIssue[]) =>
  branch.reduce((n, i) => n + (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys.length : 0), 0);

/**
 * One line per issue, `path: message`. A failed union is one issue holding every branch's
 * issues: when one branch fits the input's keys best (the action whose key was sent) and its
 * issues lie deeper, those are named instead, so a bad `delayMs.uniform` says where. Its own
 * unknown keys are left out: under an intersection they belong to the other side.
 */
function issueLines(list: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], where: 'body' | 'query' = 'body'): string[] {
  return list.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const [best, next] = [...issue.errors].sort((a, b) => unknownKeys(a) - unknownKeys(b));
      const inner = best?.filter((i) => !(i.code === 'unrecognized_keys' && i.path.length === 0)) ?? [];
      if ((!next || unknownKeys(best!) < unknownKeys(next)) && inner.length > 0 && inner.every((i) => i.path.length > 0)) return issueLines(inner, path, where);
    }
    // Each unknown key named on its own line: `limit: not a query parameter of this call`.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...path, key].map(String).join('.')}: not a ${where === 'query' ? 'query parameter' : 'field'} of this call`);
    }
    return [`${path.map(String).join('.') || `(${where})`}: ${issue.message}`];
  });
}

/**
 * A query (or path parameter) the route's strict schema refused: each parameter given more than once
 * named as such, then every other issue on its own line.
 */
function invalidQuery({ issues: list, input }: InputFailure): string[] {
  const repeated = Object.keys(input).filter((name) => Array.isArray(input[name]));
  const others = list.filter((issue) => !repeated.includes(String(issue.path[0])));
  return [...repeated.map((name) => `${name}: given more than once`), ...issueLines(others, [], 'query')];
}

export const controlCatalogue = defineCatalogue({
  errors: CONTROL_ERRORS,
  rowErrors: {},
  fromCore: {
    NOT_FOUND: 'NOT_FOUND',
    METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
    INVALID_BODY: 'INVALID_REQUEST',
    INVALID_HEADER: 'INVALID_REQUEST',
    INVALID_INPUT: 'INVALID_REQUEST',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    // No RATE_LIMITED: the control API has no rate limit (the core default would answer a 429).
    INTERNAL: 'INTERNAL',
  },
  envelope: ({ name, entry, error }) => ({ error: { code: name, message: error.customMessage ?? entry.message, ...error.extra } }),
  envelopeSchema: ControlError,
  inputError: (failure, error) => error('INVALID_REQUEST', { message: 'Invalid query', extra: { issues: invalidQuery(failure) } }),
});

/** The error to throw for a control API name: seed and snapshot refusals, guards, bad queries. */
export const controlError = controlCatalogue.error;

/** A control call that failed on a store that does not answer (see core/store.ts storeAnswers). */
export const storeUnavailable = (engine: Engine) => controlError('STORE_UNAVAILABLE', { message: unreachableMessage(engine) });
