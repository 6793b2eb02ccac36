// The example vendor's wire contract: its error catalogue, its one envelope `{"error": {"code", "message"}}`, and the shapes it takes and answers.
import { z } from 'zod';
import { defineCatalogue } from '../../src/core/errors.js';

export const MAX_CONTACTS = 100;

export const exampleCatalogue = defineCatalogue({
  errors: {
    UNAUTHORIZED: { status: 401, message: 'A valid bearer token is required' },
    INVALID_REQUEST: { status: 400, message: 'The body must be a JSON object with a contacts array' },
    BATCH_SIZE: { status: 400, message: `contacts must hold 1 to ${MAX_CONTACTS} contacts` },
    CONTACT_NOT_FOUND: { status: 404, message: 'No contact has this email' },
    INTERNAL: { status: 500, message: 'Internal error', generic: true },
  },
  rowErrors: {
    INVALID_EMAIL: { message: 'email must be a string containing @' },
    INVALID_NAME: { message: 'name, when sent, must be a string' },
  },
  // The other core failures (404, 405, 413, 429) answer the core's neutral body, which has this same shape.
  fromCore: { INVALID_BODY: 'INVALID_REQUEST', INVALID_HEADER: 'INVALID_REQUEST', INTERNAL: 'INTERNAL' },
  envelope: ({ name, entry, error }) => ({ error: { code: name, message: error.customMessage ?? entry.message } }),
  envelopeSchema: z.object({ error: z.object({ code: z.string(), message: z.string() }) }).meta({ id: 'ExampleError' }),
});
export type ExampleErrorName = keyof typeof exampleCatalogue.errors;
export type ExampleRowError = keyof typeof exampleCatalogue.rowErrors;

/** A stored contact, exactly as GET returns it. */
export const Contact = z.strictObject({ email: z.string(), name: z.string().nullable(), updatedAt: z.string() }).meta({ id: 'ExampleContact' });
export type Contact = z.infer<typeof Contact>;

export const ExampleBulkRequest = z.object({ contacts: z.array(z.object({ email: z.string().describe('Must contain @'), name: z.string().optional() })).min(1).max(MAX_CONTACTS) });

const RowCode = z.enum(Object.keys(exampleCatalogue.rowErrors) as [ExampleRowError, ...ExampleRowError[]]);
const ExampleResult = z.object({ index: z.number().int(), email: z.string().optional(), status: z.enum(['created', 'updated', 'failed']), code: RowCode.optional(), message: z.string().optional() });
export type ExampleResult = z.infer<typeof ExampleResult>;

export const ExampleBulkResponse = z.object({ created: z.number().int(), updated: z.number().int(), failed: z.number().int(), results: z.array(ExampleResult) });
