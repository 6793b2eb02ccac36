// The control API's error catalogue (/_sandbox, /docs, the dashboard): its own names, in its own envelope.
import { z } from 'zod';
import { defineCatalogue, type ErrorEntry } from '../errors.js';

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
} as const satisfies Record<string, ErrorEntry>;
export type ControlErrorName = keyof typeof CONTROL_ERRORS;

export const ControlError = z
  .object({ error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.string()).optional() }) })
  .meta({ id: 'SandboxError' });

export const controlCatalogue = defineCatalogue({
  errors: CONTROL_ERRORS,
  rowErrors: {},
  fromCore: {
    NOT_FOUND: 'NOT_FOUND',
    METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
    INVALID_BODY: 'INVALID_REQUEST',
    INVALID_HEADER: 'INVALID_REQUEST',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    // No RATE_LIMITED: the control API has no rate limit (the core default would answer a 429).
    INTERNAL: 'INTERNAL',
  },
  envelope: ({ name, entry, error }) => ({ error: { code: name, message: error.customMessage ?? entry.message, ...error.extra } }),
  envelopeSchema: ControlError,
});

/** The error to throw for a control API name: seed and snapshot refusals, guards, bad queries. */
export const controlError = controlCatalogue.error;
