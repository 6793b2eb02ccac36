// MailingCore's endpoints as route definitions: what each accepts, answers and fails with.
import { z } from 'zod';
import { readJsonBody } from '../../core/body.js';
import { bulkRoute, runBulk, tenantTransaction } from '../../core/bulk.js';
import { isoAt } from '../../core/clock.js';
import { routeInput } from '../../core/router.js';
import type { CoreDeps, ResponseDoc, RouteDef } from '../../core/vendor.js';
import { guard, tenantHeaderMode } from './auth.js';
import { localeCoverage, newCampaign, newCampaignId } from './campaigns.js';
import { DEFAULT_PAGE_LIMIT, MAX_BULK_CONTACTS, MC_MESSAGES, RATE_LIMIT_HEADER_DOCS, type McErrorName, mailingcoreCatalogue, mailingcoreError } from './errors.js';
import {
  MailingCoreBulkRequest,
  MailingCoreBulkResponse,
  MailingCoreCampaign,
  MailingCoreCampaignInput,
  MailingCoreContact,
  MailingCoreContactInput,
  MailingCoreContactPatch,
  MailingCoreContactsPage,
  MailingCoreContactsQuery,
  MailingCoreDeleted,
  MailingCoreLocaleCoverage,
  parseIsoDate,
} from './schemas.js';
import { decodeListCursor, emailKey, encodeListCursor, type ContactListFilter, type ListPosition, type MailingCoreStore } from './store.js';
import { applyFields, mailingcoreBulkResponse, type McBatch, type McBulkEngine } from './upsert.js';
import { checkBulkShape, parseOrThrow } from './validation.js';

/** The vendor's own bulk example (docs page), used in the OpenAPI document and the tests. */
export const BULK_EXAMPLE = {
  contacts: [
    { email: 'alice@example.com', externalId: 'crm-1', locale: 'en', optIn: true, attributes: { firstName: 'Alice' } },
    { email: 'bob@example.com', externalId: 'crm-2', locale: 'es', optIn: true },
  ],
};

const rateLimitHeaders = Object.fromEntries(
  Object.entries(RATE_LIMIT_HEADER_DOCS).map(([name, description]) => [name, { description, schema: z.string() }]),
);
const ok = (description: string, schema: z.ZodType): ResponseDoc => ({ description, schema, headers: rateLimitHeaders });

/** One path shape, one parameter name: the core groups routes by path string, and OpenAPI forbids two names for one template. */
const contactParam = (description: string) => z.object({ idOrExternalId: z.string().describe(description) });


/** The bulk import's request-level checks, in the order a client meets them; any failure refuses the whole request. */
function parseBulk(body: unknown): McBatch {
  checkBulkShape(body);
  return { rows: parseOrThrow(MailingCoreBulkRequest, body).contacts };
}

export function mailingcoreRoutes(deps: CoreDeps, contacts: MailingCoreStore, engine: McBulkEngine): RouteDef<McErrorName>[] {
  const tenantMode = tenantHeaderMode(deps);
  const headers = z.object({
    Authorization: z.string().describe('`Bearer mc_live_...` or `Bearer mc_test_...`'),
    'X-Tenant-Id':
      tenantMode === 'required'
        ? z.string().describe("The key's tenant").meta({ example: 'tenant_demo' })
        : z.string().optional().describe("The key's tenant (optional on this sandbox: tenantHeader=optional)").meta({ example: 'tenant_demo' }),
  });
  const authErrors: McErrorName[] = [
    'MISSING_API_KEY',
    'INVALID_API_KEY',
    'API_KEY_REVOKED',
    ...(tenantMode === 'required' ? (['TENANT_HEADER_REQUIRED'] as const) : []),
    'UNAUTHORIZED_TENANT',
    'MISSING_SCOPE',
  ];
  const bodyErrors: McErrorName[] = ['INVALID_BODY', 'PAYLOAD_TOO_LARGE', 'VALIDATION_FAILED'];

  return [
    bulkRoute(
      deps,
      mailingcoreCatalogue,
      {
        method: 'post',
        path: '/contacts/bulk',
        operationId: 'mailingcoreBulkImportContacts',
        summary: `Upsert up to ${MAX_BULK_CONTACTS} contacts`,
        tag: 'contacts',
        description:
          'Each item upserts by externalId when present, else by email. One invalid item refuses the whole request (400, nothing written). ' +
          'An item whose externalId and email belong to different contacts, or that repeats an earlier item\'s upsert key, fails alone and is listed in `errors`. Scope `contacts:write`.',
        security: ['mailingcoreApiKey'],
        request: { headers, body: { schema: MailingCoreBulkRequest, example: BULK_EXAMPLE } },
        responses: { 200: ok('Summary of created, updated and failed items.', MailingCoreBulkResponse) },
        errors: [...authErrors, ...bodyErrors, 'CONTACTS_REQUIRED', 'CONTACTS_LIMIT_EXCEEDED'],
        middleware: guard(deps, tenantMode, 'contacts:write'),
      },
      { batchField: 'contacts', parse: parseBulk, engine, respond: mailingcoreBulkResponse },
    ),
    {
      method: 'put',
      path: '/contacts',
      operationId: 'mailingcoreUpsertContact',
      summary: 'Create or update one contact',
      tag: 'contacts',
      description: 'The bulk import\'s rules for one contact; the conflict a bulk item reports is a 409 here. Scope `contacts:write`.',
      security: ['mailingcoreApiKey'],
      request: { headers, body: { schema: MailingCoreContactInput } },
      responses: { 200: ok('The contact as stored.', MailingCoreContact) },
      errors: [...authErrors, ...bodyErrors, 'CONTACT_CONFLICT'],
      middleware: guard(deps, tenantMode, 'contacts:write'),
      async handler(c) {
        const item = parseOrThrow(MailingCoreContactInput, await readJsonBody(c, deps.bodyLimit));
        // The bulk import's engine on one item: a conflict writes nothing (not even the write counter), then answers 409.
        const ctx = { scope: c.get('scope'), parsed: { rows: [item] }, dryRun: false, now: deps.clock.now() };
        const [outcome] = await runBulk(deps.store, engine, [{ index: 0, row: item }], ctx);
        const result = outcome!.element;
        if (result.status === 'failed') throw mailingcoreError('CONTACT_CONFLICT', { message: result.error.message });
        return c.json(result.contact);
      },
    },
    {
      method: 'get',
      path: '/contacts',
      operationId: 'mailingcoreListContacts',
      summary: 'List contacts, by page or by cursor',
      tag: 'contacts',
      description:
        'Ordered by (updatedAt, id). `updatedSince` keeps contacts with updatedAt >= it. A walk by `meta.nextCursor` reads the contacts as they stood at its first page and never returns one twice; ' +
        'a contact written during the walk (created or changed) is left out of it and comes in the next pull from the largest updatedAt the walk returned, so none is lost. ' +
        'The cursor carries the walk\'s filters: `?cursor=` alone continues it, and a filter sent with it must be the same. Offset paging (`page`) gives no such promise. Scope `contacts:read`.',
      security: ['mailingcoreApiKey'],
      request: { headers, query: MailingCoreContactsQuery },
      responses: { 200: ok('One page.', MailingCoreContactsPage) },
      errors: [...authErrors, 'VALIDATION_FAILED', 'INVALID_CURSOR'],
      middleware: guard(deps, tenantMode, 'contacts:read'),
      async handler(c) {
        const query = routeInput(c, 'query', MailingCoreContactsQuery);
        if (query.cursor !== undefined && query.page !== undefined) throw mailingcoreError('VALIDATION_FAILED', { message: MC_MESSAGES.pageWithCursor });
        const scope = c.get('scope');
        const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
        const page = query.page ?? 1;
        const since = query.updatedSince === undefined ? undefined : new Date(parseIsoDate(query.updatedSince)!).toISOString();
        const asked = { locale: query.locale, optIn: query.optIn === undefined ? undefined : query.optIn === 'true', updatedSince: since };
        let position: ListPosition;
        let filter: ContactListFilter = asked;
        if (query.cursor !== undefined) {
          // The cursor carries its walk's filters, so `?cursor=` alone continues it; a filter sent with it must agree.
          ({ position, filter } = decodeListCursor(query.cursor));
          const differs = (Object.keys(asked) as Array<keyof ContactListFilter>).some((k) => asked[k] !== undefined && asked[k] !== filter[k]);
          if (differs) throw mailingcoreError('INVALID_CURSOR', { message: MC_MESSAGES.cursorFilters });
        } else {
          position = { asOfSeq: await contacts.currentSeq(scope), afterUpdatedAt: '', afterId: '', page };
        }
        const result = await contacts.page(scope, filter, limit, position, query.cursor ? 0 : (page - 1) * limit);
        return c.json({
          data: result.contacts,
          meta: {
            page: result.page,
            limit,
            total: result.total,
            totalPages: Math.ceil(result.total / limit),
            nextCursor: result.next ? encodeListCursor({ position: result.next, filter }) : null,
          },
        });
      },
    },
    {
      method: 'get',
      path: '/contacts/:idOrExternalId',
      operationId: 'mailingcoreGetContact',
      summary: 'Fetch one contact by id or externalId',
      tag: 'contacts',
      description: 'The id is tried first, then the externalId. Scope `contacts:read`.',
      security: ['mailingcoreApiKey'],
      request: { headers, params: contactParam('The contact id, or your externalId') },
      responses: { 200: ok('The contact.', MailingCoreContact) },
      errors: [...authErrors, 'CONTACT_NOT_FOUND'],
      middleware: guard(deps, tenantMode, 'contacts:read'),
      async handler(c) {
        const key = c.req.param('idOrExternalId')!;
        const scope = c.get('scope');
        const contact = (await contacts.byId(scope, key)) ?? (await contacts.byExternalId(scope, key));
        if (!contact) throw mailingcoreError('CONTACT_NOT_FOUND');
        return c.json(contact);
      },
    },
    {
      method: 'patch',
      path: '/contacts/:idOrExternalId',
      operationId: 'mailingcoreUpdateContact',
      summary: 'Change fields of one contact, by id',
      tag: 'contacts',
      description: 'Fields sent replace the stored ones (`attributes` whole); `null` clears externalId, locale and the short texts. Scope `contacts:write`.',
      security: ['mailingcoreApiKey'],
      request: { headers, params: contactParam('The contact id (not the externalId)'), body: { schema: MailingCoreContactPatch } },
      responses: { 200: ok('The contact as stored.', MailingCoreContact) },
      errors: [...authErrors, ...bodyErrors, 'CONTACT_NOT_FOUND', 'CONTACT_CONFLICT'],
      middleware: guard(deps, tenantMode, 'contacts:write'),
      async handler(c) {
        const patch = parseOrThrow(MailingCoreContactPatch, await readJsonBody(c, deps.bodyLimit));
        const id = c.req.param('idOrExternalId')!;
        const { email, externalId } = patch;
        // Serialised with every other write of the tenant (bulk imports take the same lock).
        const contact = await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          // The contact, and the ones holding the email or externalId it asks for, in one read.
          const { contacts: found, seq } = await contacts.relatedWithSeq(scope, {
            ids: [id],
            emails: email === undefined ? [] : [email],
            externalIds: typeof externalId === 'string' ? [externalId] : [],
          });
          const existing = found.find((stored) => stored.id === id);
          if (!existing) throw mailingcoreError('CONTACT_NOT_FOUND');
          if (email !== undefined && found.some((other) => other.id !== id && emailKey(other.email) === emailKey(email))) {
            throw mailingcoreError('CONTACT_CONFLICT', { message: MC_MESSAGES.emailTaken(email) });
          }
          if (typeof externalId === 'string' && found.some((other) => other.id !== id && other.externalId === externalId)) {
            throw mailingcoreError('CONTACT_CONFLICT', { message: MC_MESSAGES.externalIdTaken(externalId) });
          }
          const next = applyFields(existing, patch, isoAt(deps.clock));
          if (next.changed) await contacts.write(scope, [{ contact: next.contact, stored: existing }], seq);
          return next.contact;
        });
        return c.json(contact);
      },
    },
    {
      method: 'delete',
      path: '/contacts/:idOrExternalId',
      operationId: 'mailingcoreDeleteContact',
      summary: 'Delete one contact, by externalId',
      tag: 'contacts',
      description: "Deletes the tenant's contact with this externalId (the contact id does not match here); none is 404 `CONTACT_NOT_FOUND`. Scope `contacts:write`.",
      security: ['mailingcoreApiKey'],
      request: { headers, params: contactParam('Your externalId (not the contact id)') },
      responses: { 200: ok('Deleted.', MailingCoreDeleted) },
      errors: [...authErrors, 'CONTACT_NOT_FOUND'],
      middleware: guard(deps, tenantMode, 'contacts:write'),
      async handler(c) {
        const externalId = c.req.param('idOrExternalId')!;
        await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          const contact = await contacts.byExternalId(scope, externalId);
          if (!contact || !(await contacts.delete(scope, contact.id))) throw mailingcoreError('CONTACT_NOT_FOUND');
        });
        return c.json({ deleted: true, externalId });
      },
    },
    {
      method: 'post',
      path: '/campaigns',
      operationId: 'mailingcoreCreateCampaign',
      summary: 'Create a campaign with an audience filter',
      tag: 'campaigns',
      description: 'Only what locale coverage needs is emulated: name, audience filter, template locales. Scope `campaigns:write`.',
      security: ['mailingcoreApiKey'],
      request: { headers, body: { schema: MailingCoreCampaignInput } },
      responses: { 201: ok('The campaign.', MailingCoreCampaign) },
      errors: [...authErrors, ...bodyErrors],
      middleware: guard(deps, tenantMode, 'campaigns:write'),
      async handler(c) {
        const input = parseOrThrow(MailingCoreCampaignInput, await readJsonBody(c, deps.bodyLimit));
        const campaign = newCampaign(input, newCampaignId(deps), isoAt(deps.clock));
        await tenantTransaction(deps.store, c.get('scope'), (scope) => contacts.putCampaign(scope, campaign));
        return c.json(campaign, 201);
      },
    },
    {
      method: 'get',
      path: '/campaigns/:id/locale-coverage',
      operationId: 'mailingcoreLocaleCoverage',
      summary: "Count the campaign's audience per locale",
      tag: 'campaigns',
      description: "Counts the tenant's contacts that match the audience filter now, per locale, and whether the campaign has a template in it. Scope `campaigns:read`.",
      security: ['mailingcoreApiKey'],
      request: { headers, params: z.object({ id: z.string().describe('The campaign id') }) },
      responses: { 200: ok('Coverage per locale.', MailingCoreLocaleCoverage) },
      errors: [...authErrors, 'CAMPAIGN_NOT_FOUND'],
      middleware: guard(deps, tenantMode, 'campaigns:read'),
      async handler(c) {
        const scope = c.get('scope');
        const campaign = await contacts.campaign(scope, c.req.param('id')!);
        if (!campaign) throw mailingcoreError('CAMPAIGN_NOT_FOUND');
        return c.json(await localeCoverage(contacts, scope, campaign));
      },
    },
  ];
}
