// Copper's people endpoints as route definitions: what each accepts, answers and fails with.
import { z } from 'zod';
import { parseJsonBody, readJsonBody, readRawBody } from '../../core/body.js';
import { bulkRoute, runBulk, tenantTransaction } from '../../core/bulk.js';
import { SandboxError } from '../../core/errors.js';
import { isPlainObject } from '../../core/json.js';
import { rateLimit } from '../../core/middleware.js';
import { routeInput } from '../../core/router.js';
import type { CoreDeps, RouteDef, SandboxContext } from '../../core/vendor.js';
import { listActivities, newActivity, readActivity } from './activities.js';
import { APPLICATION, copperAuth } from './auth.js';
import { failureOf, type BatchMode, type CopperBatch, type CopperBulkEngine, type CopperOutcome } from './bulk.js';
import { COPPER_MESSAGES, MAX_BULK_PEOPLE, copperCatalogue, copperError, type CopperErrorName, type CopperRowReason } from './errors.js';
import {
  CopperActivity,
  CopperActivityInput,
  CopperActivityListRequest,
  CopperBulkCreateRequest,
  CopperBulkResponse,
  CopperBulkUpdateRequest,
  CopperDeleted,
  CopperFetchByEmail,
  CopperPerson,
  CopperPersonInput,
  CopperSearchRequest,
} from './schemas.js';
import { searchPeople } from './search.js';
import type { CopperActivities, CopperPeople } from './store.js';

export const API_ROOT = '/developer_api/v1';
/** 180 requests per rolling minute per token (*sourced*). */
export const MINUTE_RATE_LIMIT = { limit: 180, windowMs: 60_000 };
/** Bulk endpoints: 3 requests per second per token on top of the minute limit (*sourced*: the vendor page). */
export const BULK_RATE_LIMIT = { limit: 3, windowMs: 1_000 };
export const TOTAL_HEADER = 'X-PW-TOTAL';

const authHeaders = z.object({
  'X-PW-AccessToken': z.string().describe('The API token'),
  'X-PW-Application': z.literal(APPLICATION).describe('Always `developer_api`'),
  'X-PW-UserEmail': z.string().describe("The token owner's email"),
});
/** A path id Copper could have issued (up to 15 digits); anything else is simply not found. */
const pathIdSchema = (what: string) => z.string().regex(/^\d{1,15}$/).describe(what);
const idParam = z.object({ id: pathIdSchema('The person id') });
const activityIdParam = z.object({ id: pathIdSchema('The activity id') });

const SECURITY = ['copperAccessToken', 'copperApplication', 'copperUserEmail'];
/** RATE_LIMITED and INTERNAL_ERROR are generic (errors.ts): the core documents them on every route. */
const ALWAYS = ['INVALID_CREDENTIALS', 'RESOURCE_NOT_FOUND'] as const satisfies readonly CopperErrorName[];
const WITH_BODY = [...ALWAYS, 'INVALID_JSON', 'PAYLOAD_TOO_LARGE'] as const satisfies readonly CopperErrorName[];

const pathId = (c: SandboxContext, params: typeof idParam | typeof activityIdParam = idParam): number => Number(routeInput(c, 'params', params).id);

/**
 * A list or search body checked against its schema: the first problem in Copper's 422 sentence
 * (`Invalid input: page_size is invalid`, `Invalid input: followed is not a supported search field`).
 */
function parseListBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const message =
    issue.path.length === 0
      ? issue.code === 'unrecognized_keys'
        ? COPPER_MESSAGES.unsupportedSearchField(issue.keys[0]!)
        : COPPER_MESSAGES.bodyNotObject
      : COPPER_MESSAGES.invalidSearchField(String(issue.path[0]));
  throw copperError('INVALID_SEARCH', { message });
}

/** The single-record 422: every field and reason of the failure, in Copper's sentence. */
function validationError(outcome: CopperOutcome & { ok: false }): SandboxError {
  const problems = Object.entries(failureOf(outcome).message).flatMap(([field, list]) =>
    list.map((e) => ({ field, reason: e.error as CopperRowReason })),
  );
  return copperError('VALIDATION_FAILED', { message: COPPER_MESSAGES.validation(problems) });
}

// Copper's own page, ids included: bulk_create ignores them (CopperPersonInput's `id`).
const EXAMPLE_BULK_CREATE = { people: [{ id: 12345, name: 'Contact One' }, { id: 67890, name: 'Contact Two' }] };
/** One new person: the fields of the page's update example, without the id a create has no use for. */
const EXAMPLE_CREATE = {
  name: 'My Contact',
  emails: [{ email: 'mycontact_1233@noemail.com', category: 'work' }],
  address: { street: '123 Main Street', city: 'Savannah', state: 'Georgia', postal_code: '31410', country: 'United States' },
  phone_numbers: [{ number: '415-123-45678', category: 'mobile' }],
};
const EXAMPLE_BULK_UPDATE = {
  people: [
    {
      id: 12345,
      name: 'My Contact',
      emails: [{ email: 'mycontact_1233@noemail.com', category: 'work' }],
      address: { street: '123 Main Street', city: 'Savannah', state: 'Georgia', postal_code: '31410', country: 'United States' },
      phone_numbers: [{ number: '415-123-45678', category: 'mobile' }],
    },
  ],
};

export function copperRoutes(deps: CoreDeps, people: CopperPeople, activities: CopperActivities, engine: CopperBulkEngine): RouteDef<CopperErrorName>[] {
  const auth = copperAuth(deps);
  const perMinute = rateLimit({
    limits: deps.rateLimits,
    limiter: deps.rateLimits.limiter('copper.minute', MINUTE_RATE_LIMIT),
    key: (c) => c.get('credential').id,
  });
  const perSecondBulk = rateLimit({
    limits: deps.rateLimits,
    limiter: deps.rateLimits.limiter('copper.bulk', BULK_RATE_LIMIT),
    key: (c) => c.get('credential').id,
  });
  // Auth runs first, so requests that fail it never count against a token's limits.
  const standard = [auth, perMinute];
  const bulk = [auth, perMinute, perSecondBulk];

  /** A single-record write: the bulk engine on a batch of one, in its own transaction (holding the tenant's lock, as a bulk request's does). */
  const runOne = async (c: SandboxContext, mode: BatchMode, row: unknown): Promise<CopperOutcome> =>
    (await runBulk(deps.store, engine, [{ index: 0, row }], { scope: c.get('scope'), parsed: { mode, rows: [row] }, dryRun: false, now: deps.clock.now() }))[0]!;

  /** A body a list may omit: `curl -X POST` without one is a common way to list everything, so it is `{}` (*decision*). */
  const readOptionalBody = async (c: SandboxContext): Promise<unknown> => {
    const raw = await readRawBody(c, deps.bodyLimit);
    return raw.byteLength === 0 ? {} : parseJsonBody(raw, c.req.header('content-type'));
  };

  const readObject = async (c: SandboxContext) => {
    const body = await readJsonBody(c, deps.bodyLimit);
    if (!isPlainObject(body)) throw copperError('VALIDATION_FAILED', { message: COPPER_MESSAGES.bodyNotObject });
    return body;
  };

  /** The request-level checks of both bulk endpoints; the objects themselves are checked one by one. */
  const parseBulk = (mode: BatchMode) => (body: unknown): CopperBatch => {
    if (!isPlainObject(body) || !Array.isArray(body.people)) throw copperError('PEOPLE_REQUIRED');
    if (body.people.length > MAX_BULK_PEOPLE) throw copperError('REQUEST_SIZE_TOO_LARGE');
    return { mode, rows: body.people };
  };

  const bulkPeopleRoute = (mode: BatchMode): RouteDef<CopperErrorName> =>
    bulkRoute(
      deps,
      copperCatalogue,
      {
        method: 'post',
        path: `${API_ROOT}/people/bulk_${mode}`,
        operationId: mode === 'create' ? 'copperBulkCreatePeople' : 'copperBulkUpdatePeople',
        summary: mode === 'create' ? `Create up to ${MAX_BULK_PEOPLE} people` : `Update up to ${MAX_BULK_PEOPLE} people by id`,
        tag: 'people',
        description:
          `Every well-formed request answers 200 with one element per object, in request order: the full person, or ` +
          `\`{"success": false, "message": {"<field>": [{"error": "<reason>"}]}${mode === 'update' ? ', "id": N' : ''}}\`. ` +
          `More than ${MAX_BULK_PEOPLE} objects: 422 \`{"error": "${COPPER_MESSAGES.requestTooLarge}"}\` and nothing is written. ` +
          'Rate limited to 3 requests per second per token, on top of 180 per minute.',
        security: SECURITY,
        request: {
          headers: authHeaders,
          body: mode === 'create' ? { schema: CopperBulkCreateRequest, example: EXAMPLE_BULK_CREATE } : { schema: CopperBulkUpdateRequest, example: EXAMPLE_BULK_UPDATE },
        },
        responses: { 200: { description: 'One element per object, in request order.', schema: CopperBulkResponse } },
        errors: [...WITH_BODY, 'PEOPLE_REQUIRED', 'REQUEST_SIZE_TOO_LARGE'],
        middleware: bulk,
      },
      // A bare array of elements: the full person, or the object's failure.
      { batchField: 'people', parse: parseBulk(mode), engine, respond: (elements) => elements },
    );

  return [
    bulkPeopleRoute('create'),
    bulkPeopleRoute('update'),
    {
      method: 'post',
      path: `${API_ROOT}/people`,
      operationId: 'copperCreatePerson',
      summary: 'Create one person',
      tag: 'people',
      description:
        'The new person, as `GET /people/{id}` returns it; `name` is required and each email must be free in the account. ' +
        'Every failing field is named in one 422 `VALIDATION_FAILED` (e.g. `Invalid input: Validation errors: Name: can\'t be blank`); a body that is not a JSON object is 422 too.',
      security: SECURITY,
      request: { headers: authHeaders, body: { schema: CopperPersonInput, example: EXAMPLE_CREATE } },
      responses: { 200: { description: 'The new person.', schema: CopperPerson } },
      errors: [...WITH_BODY, 'VALIDATION_FAILED'],
      middleware: standard,
      async handler(c) {
        const body = await readObject(c);
        const outcome = await runOne(c, 'create', body);
        if (!outcome.ok) throw validationError(outcome);
        return c.json(outcome.element);
      },
    },
    {
      method: 'post',
      path: `${API_ROOT}/people/fetch_by_email`,
      operationId: 'copperFetchPersonByEmail',
      summary: 'Fetch the person holding an email (case-insensitive)',
      tag: 'people',
      description:
        'The person with this email, compared case-insensitively. No such person is 404 `RESOURCE_NOT_FOUND`; a missing or non-string `email` is 422 `EMAIL_REQUIRED`.',
      security: SECURITY,
      request: { headers: authHeaders, body: { schema: CopperFetchByEmail, example: { email: 'mycontact_123@noemail.com' } } },
      responses: { 200: { description: 'The person.', schema: CopperPerson } },
      errors: [...WITH_BODY, 'EMAIL_REQUIRED'],
      middleware: standard,
      async handler(c) {
        const body = await readJsonBody(c, deps.bodyLimit);
        if (!isPlainObject(body) || typeof body.email !== 'string' || body.email.trim() === '') throw copperError('EMAIL_REQUIRED');
        const scope = c.get('scope');
        const owner = await people.emailOwner(scope, body.email);
        const person = owner === undefined ? undefined : await people.get(scope, owner);
        if (!person) throw copperError('RESOURCE_NOT_FOUND');
        return c.json(person);
      },
    },
    {
      method: 'post',
      path: `${API_ROOT}/people/search`,
      operationId: 'copperSearchPeople',
      summary: 'List people matching every filter sent, one page at a time',
      tag: 'people',
      description: `A bare array of people; the number of matches across all pages is in the \`${TOTAL_HEADER}\` header.`,
      security: SECURITY,
      // No body at all is a search with no filter, as `{}` is (readOptionalBody).
      request: { headers: authHeaders, body: { schema: CopperSearchRequest, example: { page_size: 25, sort_by: 'name' }, optional: true } },
      responses: {
        200: {
          description: 'One page of people.',
          schema: z.array(CopperPerson),
          headers: { [TOTAL_HEADER]: { description: 'How many people match, across all pages', schema: z.string() } },
        },
      },
      errors: [...WITH_BODY, 'INVALID_SEARCH'],
      middleware: standard,
      async handler(c) {
        const query = parseListBody(CopperSearchRequest, await readOptionalBody(c));
        const { page, total } = searchPeople(await people.all(c.get('scope')), query, Math.floor(deps.clock.now() / 1000));
        return c.json(page, 200, { [TOTAL_HEADER]: String(total) });
      },
    },
    {
      method: 'get',
      path: `${API_ROOT}/people/:id`,
      operationId: 'copperGetPerson',
      summary: 'Fetch one person by id',
      tag: 'people',
      description:
        'The person with this id in the account; 404 `RESOURCE_NOT_FOUND` when it has none (also for an id Copper could not have issued).',
      security: SECURITY,
      request: { headers: authHeaders, params: idParam },
      responses: { 200: { description: 'The person.', schema: CopperPerson } },
      errors: [...ALWAYS],
      middleware: standard,
      async handler(c) {
        const person = await people.get(c.get('scope'), pathId(c));
        if (!person) throw copperError('RESOURCE_NOT_FOUND');
        return c.json(person);
      },
    },
    {
      method: 'put',
      path: `${API_ROOT}/people/:id`,
      operationId: 'copperUpdatePerson',
      summary: 'Update one person: only the fields sent change, null clears',
      tag: 'people',
      description:
        'Only the fields sent change; `null` clears a field. An `id` in the body is ignored: the path names the person. ' +
        'An unknown person is 404 `RESOURCE_NOT_FOUND`; failing fields are named in one 422 `VALIDATION_FAILED`.',
      security: SECURITY,
      request: { headers: authHeaders, params: idParam, body: { schema: CopperPersonInput, example: { details: 'This is an update' } } },
      responses: { 200: { description: 'The person after the update.', schema: CopperPerson } },
      errors: [...WITH_BODY, 'VALIDATION_FAILED'],
      middleware: standard,
      async handler(c) {
        const id = pathId(c);
        const body = await readObject(c);
        // The path names the person; an `id` in the body cannot redirect the update.
        const outcome = await runOne(c, 'update', { ...body, id });
        if (!outcome.ok) throw outcome.code === 'not_found' ? copperError('RESOURCE_NOT_FOUND') : validationError(outcome);
        return c.json(outcome.element);
      },
    },
    {
      method: 'delete',
      path: `${API_ROOT}/people/:id`,
      operationId: 'copperDeletePerson',
      summary: 'Delete one person permanently',
      tag: 'people',
      description:
        'Deletes the person and its activities; its emails are free again. An unknown person is 404 `RESOURCE_NOT_FOUND`.',
      security: SECURITY,
      request: { headers: authHeaders, params: idParam },
      responses: { 200: { description: 'The person was deleted; its emails are free again.', schema: CopperDeleted } },
      errors: [...ALWAYS],
      middleware: standard,
      async handler(c) {
        const id = pathId(c);
        // The person, its emails and its activities go together, or not at all, under the tenant's
        // lock (a bulk write's): never interleaved with a bulk write of the account on another process.
        const deleted = await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          if (!(await people.delete(scope, id))) return false;
          await activities.deleteOfPerson(scope, id);
          return true;
        });
        if (!deleted) throw copperError('RESOURCE_NOT_FOUND');
        return c.json({ id, is_deleted: true });
      },
    },
    {
      method: 'post',
      path: `${API_ROOT}/people/:id/activities`,
      operationId: 'copperListPersonActivities',
      summary: "List a person's activities, newest first",
      tag: 'activities',
      description: "A bare array of the person's activities, one page at a time (`[]` when it has none). An unknown person is 404.",
      security: SECURITY,
      request: { headers: authHeaders, params: idParam, body: { schema: CopperActivityListRequest, example: { page_size: 25 }, optional: true } },
      responses: { 200: { description: 'One page of activities, newest first.', schema: z.array(CopperActivity) } },
      errors: [...WITH_BODY, 'INVALID_SEARCH'],
      middleware: standard,
      async handler(c) {
        const id = pathId(c);
        const scope = c.get('scope');
        const body = await readOptionalBody(c);
        // The person is looked up before the body's fields are checked: a wrong path is 404 whatever the body says (*decision*).
        if (!(await people.get(scope, id))) throw copperError('RESOURCE_NOT_FOUND');
        const query = parseListBody(CopperActivityListRequest, body);
        return c.json(listActivities(await activities.ofPerson(scope, id), query));
      },
    },
    {
      method: 'post',
      path: `${API_ROOT}/activities`,
      operationId: 'copperCreateActivity',
      summary: 'Log a user activity (a note, a call, a meeting) on a person',
      tag: 'activities',
      description: 'The new activity. Every failing field is named in one 422; a parent that is no person of the account is `Parent: was not found`.',
      security: SECURITY,
      request: {
        headers: authHeaders,
        body: {
          schema: CopperActivityInput,
          example: { parent: { type: 'person', id: 1 }, type: { category: 'user', id: 0 }, details: 'Called about the renewal' },
        },
      },
      responses: { 200: { description: 'The new activity.', schema: CopperActivity } },
      errors: [...WITH_BODY, 'VALIDATION_FAILED'],
      middleware: standard,
      async handler(c) {
        const draft = readActivity(await readObject(c));
        const now = Math.floor(deps.clock.now() / 1000);
        // Under the tenant's lock: the person cannot be deleted between the check and the write.
        const activity = await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          const unknownParent = draft.personId !== undefined && !(await people.get(scope, draft.personId));
          // The parent is the first field: its problem, if any, leads the sentence.
          const problems = unknownParent ? [{ field: 'parent', reason: 'not_found' as const }, ...draft.problems] : draft.problems;
          if (problems.length > 0) throw copperError('VALIDATION_FAILED', { message: COPPER_MESSAGES.validation(problems) });
          const created = newActivity((await activities.lastId(scope)) + 1, draft, now);
          await activities.create(scope, created);
          return created;
        });
        return c.json(activity);
      },
    },
    {
      method: 'get',
      path: `${API_ROOT}/activities/:id`,
      operationId: 'copperGetActivity',
      summary: 'Fetch one activity by id',
      tag: 'activities',
      description:
        'The activity with this id in the account; 404 `RESOURCE_NOT_FOUND` when it has none.',
      security: SECURITY,
      request: { headers: authHeaders, params: activityIdParam },
      responses: { 200: { description: 'The activity.', schema: CopperActivity } },
      errors: [...ALWAYS],
      middleware: standard,
      async handler(c) {
        const activity = await activities.get(c.get('scope'), pathId(c, activityIdParam));
        if (!activity) throw copperError('RESOURCE_NOT_FOUND');
        return c.json(activity);
      },
    },
  ];
}
