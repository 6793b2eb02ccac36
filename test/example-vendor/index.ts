// A minimal vendor built only from the core's kit, for tests (never registered): bearer tokens, a bulk upsert of contacts by email, one read.
import { z } from 'zod';
import { bearerToken, credentialAuth, credentialKind, safeEqual, sha256Hex } from '../../src/core/auth.js';
import { bulkRoute, seedThroughEngine, type BulkEngine, type RowOutcome } from '../../src/core/bulk.js';
import type { CredentialRecord } from '../../src/core/credentials.js';
import { isPlainObject, type JsonObject } from '../../src/core/json.js';
import { createTenantTable, TenantTable } from '../../src/core/tenant-table.js';
import type { CoreDeps, VendorModule } from '../../src/core/vendor.js';
import { Contact, exampleCatalogue, ExampleBulkRequest, ExampleBulkResponse, MAX_CONTACTS, type ExampleErrorName, type ExampleResult, type ExampleRowError } from './api.js';

const VENDOR = 'example';
export const EXAMPLE_TABLE = 'example_contacts';
export const BULK_PATH = '/v1/contacts/bulk';

const SCHEMA = { table: EXAMPLE_TABLE, columns: { email: 'TEXT NOT NULL', data: 'TEXT NOT NULL' }, primaryKey: ['email'] } as const;

/** A token is found by a hash of it: no listing shows any of it but its masked tail. */
export const tokenId = (token: string): string => `tok_${sha256Hex(token).slice(0, 16)}`;

const CredentialInput = z.strictObject({ tenant: z.string().min(1), token: z.string().regex(/^\S{8,}$/, 'token must be 8 or more characters, no spaces'), revoked: z.boolean().optional() });

const credential = (tenant: string, token: string, revoked = false): CredentialRecord => ({ vendor: VENDOR, id: tokenId(token), tenant, secret: token, data: {}, revoked });
const credentials = credentialKind(CredentialInput, ({ tenant, token, revoked }) => credential(tenant, token, revoked), [
  credential('team_a', 'ex-demo-token-a1'),
  credential('team_b', 'ex-other-token-b2'),
]);

const bearerAuth = (deps: CoreDeps) =>
  credentialAuth(async function authenticateExample(c) {
    const token = bearerToken(c.req.header('authorization'));
    const record = token === undefined ? undefined : await deps.credentials.find(VENDOR, tokenId(token));
    if (!token || !record || record.revoked || !safeEqual(token, record.secret)) throw exampleCatalogue.error('UNAUTHORIZED');
    return record;
  });

type Batch = { rows: readonly unknown[] };
type ContactsEngine = BulkEngine<unknown, Batch, Map<string, Contact>, ExampleResult, ExampleRowError, Map<string, Contact>>;

function parseBatch(body: unknown): Batch {
  if (!isPlainObject(body) || !Array.isArray(body.contacts)) throw exampleCatalogue.error('INVALID_REQUEST');
  if (body.contacts.length === 0 || body.contacts.length > MAX_CONTACTS) throw exampleCatalogue.error('BATCH_SIZE');
  return { rows: body.contacts };
}

const emailOf = (row: unknown): string | undefined => (isPlainObject(row) && typeof row.email === 'string' ? row.email : undefined);

/** Why a row cannot be written, if it cannot. */
function rowProblem(row: unknown): ExampleRowError | undefined {
  if (!emailOf(row)?.includes('@')) return 'INVALID_EMAIL';
  const { name } = row as JsonObject;
  return name === undefined || typeof name === 'string' ? undefined : 'INVALID_NAME';
}

const failed = (index: number, row: unknown, code: ExampleRowError): ExampleResult => ({ index, email: emailOf(row), status: 'failed', code, message: exampleCatalogue.rowErrors[code].message });

/** A row sees the contacts stored before the request and those earlier rows wrote: an email sent twice is created, then updated. */
function contactsEngine(table: TenantTable): ContactsEngine {
  return {
    load(rows, ctx) {
      return table.recordsByKey<string, Contact>(ctx.scope, rows.flatMap(({ row }) => emailOf(row) ?? []));
    },
    decide(rows, stored, ctx) {
      const writes = new Map<string, Contact>();
      const updatedAt = new Date(ctx.now).toISOString();
      const outcomes = rows.map(({ index, row }): RowOutcome<ExampleResult, ExampleRowError> => {
        const code = rowProblem(row);
        if (code) return { ok: false, code, element: failed(index, row, code) };
        const { email, name = null } = row as { email: string; name?: string };
        const status = stored.has(email) || writes.has(email) ? 'updated' : 'created';
        writes.set(email, { email, name, updatedAt });
        return { ok: true, element: { index, email, status } };
      });
      return { outcomes, writes };
    },
    save(writes, ctx) {
      const rows = [...writes.values()].map((contact) => [contact.email, JSON.stringify(contact)]);
      return table.write(ctx.scope, ['email', 'data'], rows, { keys: ['email'], update: ['data'] });
    },
    forced: ({ index, row }, code) => failed(index, row, code),
  };
}

const tally = (results: ExampleResult[]) => {
  const count = (status: ExampleResult['status']) => results.filter((r) => r.status === status).length;
  return { created: count('created'), updated: count('updated'), failed: count('failed'), results };
};

export const example: VendorModule<ExampleErrorName, ExampleRowError> = {
  name: VENDOR,
  title: 'Example CRM, contacts',
  prefix: '/example',
  migrations: [{ version: 1, sql: createTenantTable(SCHEMA) }],
  tables: [EXAMPLE_TABLE],
  errors: exampleCatalogue,
  credentials,
  storedShapes: { [EXAMPLE_TABLE]: Contact },
  openapi: {
    version: '1.0.0',
    description: 'A minimal vendor built from the core kit (test/example-vendor), for the cross-cutting suites only.',
    securitySchemes: { exampleToken: { type: 'http', scheme: 'bearer', description: 'A team token' } },
    tags: { contacts: "The team's contacts, keyed by email." },
  },
  create(deps) {
    const table = new TenantTable(deps.store, { schema: SCHEMA, key: 'email', start: '' });
    const engine = contactsEngine(table);
    const auth = bearerAuth(deps);
    return {
      routes: [
        bulkRoute(deps, exampleCatalogue, {
          method: 'post',
          path: BULK_PATH,
          operationId: 'exampleUpsertContacts',
          summary: `Create or update 1 to ${MAX_CONTACTS} contacts by email; one result per contact, in request order`,
          tag: 'contacts',
          description:
            'Each contact is created, or updated when its email is stored; 200 whenever the request passes its checks. ' +
            '`BATCH_SIZE` when the batch is empty or too large, `INVALID_REQUEST` when the body has no `contacts` array.',
          security: ['exampleToken'],
          request: { body: { schema: ExampleBulkRequest, example: { contacts: [{ email: 'ada@example.com', name: 'Ada' }, { email: 'grace@example.com' }] } } },
          responses: { 200: { description: 'Counts and one result per contact.', schema: ExampleBulkResponse } },
          errors: ['UNAUTHORIZED', 'INVALID_REQUEST', 'BATCH_SIZE'],
          middleware: [auth],
        }, { batchField: 'contacts', parse: parseBatch, engine, respond: tally }),
        {
          method: 'get',
          path: '/v1/contacts/:email',
          operationId: 'exampleGetContact',
          summary: 'Fetch one contact by email',
          tag: 'contacts',
          description:
            'The contact stored under this email; `CONTACT_NOT_FOUND` when there is none.',
          security: ['exampleToken'],
          request: { params: z.object({ email: z.string().describe('The contact email') }) },
          responses: { 200: { description: 'The contact.', schema: z.object({ contact: Contact }) } },
          errors: ['UNAUTHORIZED', 'CONTACT_NOT_FOUND'],
          middleware: [auth],
          async handler(c) {
            const contact = await table.record<Contact>(c.get('scope'), c.req.param('email')!);
            if (!contact) throw exampleCatalogue.error('CONTACT_NOT_FOUND');
            return c.json({ contact });
          },
        },
      ],
      listRecords: (filter) => table.list(filter),
      seedRecords(scope, records) {
        // Fixtures run through the bulk upsert's own engine, inside the core's seed transaction.
        return seedThroughEngine(deps, engine, scope, { rows: records }, (element) => `contacts.${element.index}: ${element.message}`);
      },
    };
  },
};
