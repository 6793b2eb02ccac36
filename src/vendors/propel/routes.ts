// Propel's endpoints as route definitions: the token, both bulk upserts, and read/update/delete of one contact.
import { z } from 'zod';
import { readJsonBody } from '../../core/body.js';
import { bulkRoute, tenantTransaction } from '../../core/bulk.js';
import { isoAt } from '../../core/clock.js';
import { routeInput } from '../../core/router.js';
import type { CoreDeps, ResponseDoc, RouteDef, SandboxContext, TenantScope } from '../../core/vendor.js';
import { propelAuth, tokenHandler, TOKEN_TTL_S } from './auth.js';
import { propelBulkResponse, type PropelBulkEngine } from './bulk.js';
import { contactBody, mergeContact, normalizeLanguage } from './contact.js';
import { PROPEL_MESSAGES, RESPONSE_HEADER_DOCS, propelCatalogue, propelError, type PropelErrorName } from './errors.js';
import {
  LOOKUP_KEYS,
  PropelBulkByIdRequest,
  PropelBulkBySourceIdRequest,
  PropelBulkResponse,
  PropelContactDeletedResponse,
  PropelContactPatch,
  PropelContactResponse,
  PropelContactUpdatedResponse,
  PropelTokenResponse,
  type LookupKey,
  type PropelContact,
} from './schemas.js';
import type { PropelContacts } from './store.js';
import { checkBulkBody, checkPatchBody } from './validation.js';
import { ContactKeys } from './view.js';

const responseHeaders = Object.fromEntries(
  Object.entries(RESPONSE_HEADER_DOCS).map(([name, description]) => [name, { description, schema: z.string() }]),
);
const ok = (description: string, schema: z.ZodType): ResponseDoc => ({ description, schema, headers: responseHeaders });

const requestIdHeader = z.string().optional().describe('Echoed in the `x-request-id` response header');
const apiHeaders = z.object({
  Authorization: z.string().describe('`Bearer <access_token>` from /oauth2/token'),
  'X-Request-Id': requestIdHeader,
});
const lookupParams = z.object({
  lookupKey: z.enum(LOOKUP_KEYS).describe('`id` or `sourceId`'),
  lookupValue: z.string().describe('The contact id, or its sourceId (both numbers)'),
});
const lookupQuery = z.object({
  source: z.string().optional().describe('Required with lookup key `sourceId`'),
  language: z.string().optional().describe('With lookup key `sourceId`: the identity\'s language (none when left out)'),
});

/**
 * The sourceId a path names: decimal digits (leading zeros allowed, as for an id), a number the
 * bodies could carry; anything else names no contact (404, as an id that is not one).
 */
function pathSourceId(value: string): number | undefined {
  const sourceId = Number(value);
  return /^\d{1,16}$/.test(value) && sourceId >= 1 && Number.isSafeInteger(sourceId) ? sourceId : undefined;
}

const API_ERRORS = ['Unauthorized', 'NotFound'] as const satisfies readonly PropelErrorName[];
const BODY_ERRORS = ['InvalidJSONPayload', 'SchemaValidationException', 'PayloadTooLarge'] as const satisfies readonly PropelErrorName[];
const LOOKUP_ERRORS = ['InvalidLookupKey', 'PayloadValidationError', 'ContactNotFound'] as const satisfies readonly PropelErrorName[];


export function propelRoutes(deps: CoreDeps, contacts: PropelContacts, engine: PropelBulkEngine): RouteDef<PropelErrorName>[] {
  const auth = propelAuth(deps);
  /** The contact a `/contacts/:lookupKey/:lookupValue` path names, or the vendor's 400/404 (read in `scope`'s transaction, when it has one). */
  const lookUp = async (c: SandboxContext, scope: TenantScope = c.get('scope')): Promise<PropelContact> => {
    const { lookupKey: key, lookupValue: value } = routeInput(c, 'params', lookupParams);
    const query = routeInput(c, 'query', lookupQuery);
    let found: PropelContact | undefined;
    if (key === 'id') {
      found = /^\d{1,10}$/.test(value) ? await contacts.get(scope, Number(value)) : undefined;
    } else {
      if (!query.source) throw propelError('PayloadValidationError', { message: PROPEL_MESSAGES.sourceQueryRequired });
      const sourceId = pathSourceId(value);
      found = sourceId === undefined ? undefined : await contacts.findByIdentity(scope, { sourceId, source: query.source, language: normalizeLanguage(query.language) });
    }
    if (!found) throw propelError('ContactNotFound', { message: PROPEL_MESSAGES.contactNotFound(key, value) });
    return found;
  };

  const bulkUpsertRoute = (lookupKey: LookupKey, schema: z.ZodType, example: unknown): RouteDef<PropelErrorName> =>
    bulkRoute(
      deps,
      propelCatalogue,
      {
        method: 'post',
        path: `/v2/contacts/bulk/${lookupKey}`,
        operationId: lookupKey === 'id' ? 'propelBulkContactsById' : 'propelBulkContactsBySourceId',
        summary: lookupKey === 'id' ? 'Create or update contacts by id' : 'Create or update contacts by sourceId, source and language',
        tag: 'contacts',
        description:
          'Rows run in request order; each succeeds or fails alone (`success: false` with `error`), and the response is 200 whenever the request itself is valid. ' +
          `At most 1000 contacts. Schema violations (10007) and missing lookup keys (10016) fail the whole request and write nothing.`,
        security: ['propelOAuth2'],
        request: { headers: apiHeaders, body: { schema, example } },
        responses: { 200: ok('The batch was processed: one result per contact, in request order.', PropelBulkResponse) },
        errors: [...API_ERRORS, ...BODY_ERRORS, 'LookupKeyNotFound', 'PayloadValidationError'],
        middleware: [auth],
      },
      { batchField: 'contacts', parse: (body) => checkBulkBody(body, lookupKey), engine, respond: propelBulkResponse },
    );

  return [
    {
      method: 'post',
      path: '/oauth2/token',
      operationId: 'propelIssueToken',
      summary: 'Issue an access token (OAuth 2.0 client credentials)',
      tag: 'auth',
      description:
        'Form body (`application/x-www-form-urlencoded`): `grant_type=client_credentials&client_id=..&client_secret=..`; the client may instead ' +
        `authenticate with HTTP Basic. Tokens last ${TOKEN_TTL_S} seconds of the sandbox clock.`,
      // The client authenticates with HTTP Basic, or with client_id and client_secret in the form body, which no security scheme can say: hence the empty alternative.
      security: [['propelClientBasic'], []],
      request: {
        headers: z.object({
          Authorization: z.string().optional().describe('Optional `Basic base64(client_id:client_secret)`'),
          'Content-Type': z.string().describe('`application/x-www-form-urlencoded`'),
          'X-Request-Id': requestIdHeader,
        }),
        body: {
          contentType: 'application/x-www-form-urlencoded',
          schema: z.object({
            grant_type: z.literal('client_credentials'),
            client_id: z.string().optional().describe('Unless sent with HTTP Basic'),
            client_secret: z.string().optional().describe('Unless sent with HTTP Basic'),
          }),
        },
      },
      responses: { 200: ok('A Bearer token.', PropelTokenResponse) },
      errors: ['InvalidTokenRequest', 'InvalidClient', 'PayloadTooLarge', 'NotFound'],
      handler: (c) => tokenHandler(c, deps),
    },
    bulkUpsertRoute('id', PropelBulkByIdRequest, { contacts: [{ id: 25492, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }] }),
    bulkUpsertRoute('sourceId', PropelBulkBySourceIdRequest, {
      contacts: [
        {
          sourceId: 1001,
          source: 'ERP',
          language: 'NL',
          firstName: 'Ada',
          attributes: [{ class: 'user', name: 'LOYALTY_POINTS', type: 'integer', value: '120' }],
        },
      ],
    }),
    {
      method: 'get',
      path: '/v2/contacts/:lookupKey/:lookupValue',
      operationId: 'propelGetContact',
      summary: 'Fetch one contact by id or by sourceId',
      tag: 'contacts',
      description:
        'The contact named by its Propel `id`, or by `sourceId` with `?source=` (and `?language=`), with its attributes. ' +
        'No such contact is 404 `ContactNotFound` (50006); a lookup key other than `id` or `sourceId` is 400 `InvalidLookupKey`.',
      security: ['propelOAuth2'],
      request: { headers: apiHeaders, params: lookupParams, query: lookupQuery },
      responses: { 200: ok('The contact with its attributes.', PropelContactResponse) },
      errors: [...API_ERRORS, ...LOOKUP_ERRORS],
      middleware: [auth],
      handler: async (c) => c.json({ data: contactBody(await lookUp(c)) }),
    },
    {
      method: 'patch',
      path: '/v2/contacts/:lookupKey/:lookupValue',
      operationId: 'propelUpdateContact',
      summary: 'Update one contact',
      tag: 'contacts',
      description: 'Same field rules as a bulk update; a problem a bulk row would report as a row failure fails the request here.',
      security: ['propelOAuth2'],
      request: { headers: apiHeaders, params: lookupParams, query: lookupQuery, body: { schema: PropelContactPatch } },
      responses: { 200: ok('The contact after the update.', PropelContactUpdatedResponse) },
      errors: [...API_ERRORS, ...BODY_ERRORS, ...LOOKUP_ERRORS, 'ParentContactNotFound'],
      middleware: [auth],
      async handler(c) {
        // The body is checked before the path is looked up, as a framework parses it first.
        const input = checkPatchBody(await readJsonBody(c, deps.bodyLimit));
        // Read and written in one transaction holding the tenant's lock, as a bulk request is.
        const contact = await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          const existing = await lookUp(c, scope);
          // The same rules as a bulk row, over the parent and identity holders read in one go.
          const keys = new ContactKeys();
          keys.parentOf(input);
          keys.identitiesOf([input], existing);
          const outcome = mergeContact(await keys.read(contacts, scope), isoAt(deps.clock), input, existing, existing.id);
          if (!outcome.ok) {
            throw propelError(outcome.code === 'ParentContactNotFound' ? 'ParentContactNotFound' : 'PayloadValidationError', { message: outcome.message });
          }
          const contact = outcome.contact;
          if (contact.sourceId !== null && contact.source === null) {
            throw propelError('SchemaValidationException', { extra: { messages: ['#: property [source] is required'] } });
          }
          if (contact !== existing) await contacts.put(scope, contact, existing);
          return contact;
        });
        return c.json({ data: contactBody(contact), messages: [PROPEL_MESSAGES.contactUpdated], total: 1 });
      },
    },
    {
      method: 'delete',
      path: '/v2/contacts/:lookupKey/:lookupValue',
      operationId: 'propelDeleteContact',
      summary: 'Delete one contact',
      tag: 'contacts',
      description: 'Contacts that had it as parent keep existing, with `parent` cleared (*decision*).',
      security: ['propelOAuth2'],
      request: { headers: apiHeaders, params: lookupParams, query: lookupQuery },
      responses: { 200: ok('Deleted.', PropelContactDeletedResponse) },
      errors: [...API_ERRORS, ...LOOKUP_ERRORS],
      middleware: [auth],
      async handler(c) {
        await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          const found = await lookUp(c, scope);
          const now = isoAt(deps.clock);
          await contacts.delete(scope, found.id);
          // Every child in one write, however many there are.
          const children = await contacts.childrenOf(scope, found.id);
          await contacts.write(scope, children.map((child) => ({ contact: { ...child, parent: null, updatedAt: now }, stored: undefined })));
        });
        return c.json({ data: {}, messages: [PROPEL_MESSAGES.contactDeleted] });
      },
    },
  ];
}
