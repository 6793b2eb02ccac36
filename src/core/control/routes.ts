// The control API under /_sandbox: every route as data, for all registered vendors at once.
import { z } from 'zod';
import { readJsonBody, readRawBody } from '../body.js';
import { maskSecret, type CredentialRecord } from '../credentials.js';
import type { SecretSet } from '../redact.js';
import type { SandboxError } from '../errors.js';
import { controlError, issues, storeUnavailable, type ControlErrorName } from './errors.js';
import { faultTargetProblem } from '../fault-targets.js';
import { FaultAction, FaultMatch, StoredFault } from '../faults.js';
import type { JournalFilter } from '../journal.js';
import { routeInput } from '../router.js';
import { isConnectionLost, storeAnswers, type Store } from '../store.js';
import type { HttpMethod, RouteDef, SandboxContext } from '../vendor.js';
import {
  applySeed,
  exportSnapshot,
  NamespaceName,
  ResetRequest,
  resetState,
  restoreSnapshot,
  SeedDocument,
  Snapshot,
  SNAPSHOT_BODY_LIMIT,
  vendorNamed,
  WITHHELD_SECRET,
  type ControlContext,
} from './state.js';

export const CONTROL_PREFIX = '/_sandbox';

export { ControlError, controlCatalogue } from './errors.js';

/** Parses a control body with `schema`; an empty body counts as `{}`. `limit`: default the sandbox's body limit. */
async function controlBody<T extends z.ZodType>(c: SandboxContext, ctx: ControlContext, schema: T, limit = ctx.deps.bodyLimit): Promise<z.infer<T>> {
  // No body at all (`curl -X POST` sends neither a body nor a length) is `{}`, whatever the headers.
  const bytes = await readRawBody(c, limit);
  const raw = bytes.length === 0 ? {} : await readJsonBody(c, limit);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw controlError('INVALID_REQUEST', { message: 'Invalid request body', extra: { issues: issues(parsed.error) } });
  return parsed.data;
}

/**
 * The query as the route's strict schema parsed it (core/router.ts validates it before the handler):
 * an unknown parameter (`?namspace=`) is refused rather than ignored, since ignoring it would act
 * on the default namespace, and a repeated one too, since which copy wins would be a guess.
 */
const controlQuery = <T extends z.ZodObject>(c: SandboxContext, schema: T): z.infer<T> => routeInput(c, 'query', schema);

const namespaceQuery = z.strictObject({
  namespace: NamespaceName.optional().describe('The X-Sandbox-Namespace to act on (empty: the default namespace); absent: the default namespace, or every namespace for listings'),
});
const NO_QUERY = z.strictObject({});
const VendorQuery = z.strictObject({ vendor: z.string().optional() });
const RevokeQuery = z.strictObject({ vendor: z.string(), id: z.string().min(1).describe('The credential id as listed') });
const RecordsQuery = namespaceQuery.extend({
  tenant: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
});
const FaultListQuery = namespaceQuery.extend({ vendor: z.string().optional() });
const FaultDisarmQuery = FaultListQuery.extend({ id: z.string().optional() });
const CoverageQuery = namespaceQuery.extend({ vendor: z.string().optional(), tenant: z.string().optional() });

/** The object without its undefined values (for filters typed with optional, not undefined, fields). */
const definedOnly = <T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };

const SnapshotQuery = z.strictObject({
  secrets: z
    .enum(['include'])
    .optional()
    .describe(`\`include\`: credential secrets in clear. Without it each reads "${WITHHELD_SECRET}".`),
});

export const ClockView = z.object({ now: z.string(), frozen: z.boolean() }).meta({ id: 'SandboxClock' });
export const ClockUpdate = z
  .strictObject({
    set: z.union([z.string(), z.number()]).optional().describe('ISO timestamp or epoch milliseconds'),
    advanceMs: z.number().optional(),
    freeze: z.boolean().optional(),
  })
  .meta({ id: 'SandboxClockUpdate' });

export const CredentialView = z
  .object({ vendor: z.string(), tenant: z.string(), id: z.string(), secret: z.string(), revoked: z.boolean(), data: z.record(z.string(), z.unknown()) })
  .meta({ id: 'SandboxCredential', description: 'A credential; its secret is masked.' });

const JournalEntryView = z
  .object({
    id: z.number().int().nonnegative(),
    time: z.string(),
    vendor: z.string(),
    namespace: z.string(),
    tenant: z.string().nullable(),
    method: z.string(),
    path: z.string().describe('The vendor path and query; credential-named query values redacted'),
    operationId: z.string().nullable().describe('The matched route; null when none matched (404, 405)'),
    requestHeaders: z.record(z.string(), z.string()),
    requestBody: z.unknown(),
    status: z.number().int().min(100).max(599).nullable().describe('null when a fault dropped the connection'),
    responseHeaders: z.record(z.string(), z.string()),
    responseBody: z.unknown(),
    durationMs: z.number(),
    error: z.string().nullable(),
    rowErrors: z.array(z.string()),
    fault: z.string().nullable(),
  })
  .meta({ id: 'SandboxJournalEntry', description: 'One vendor request and its response; credentials redacted.' });

const ArmFault = z.intersection(FaultMatch, FaultAction).meta({
  id: 'SandboxFaultRequest',
  description:
    'Where the fault fires (vendor, method, path, then optionally tenant, request headers and body values), how often (after, times, probability with seed), then exactly one action.',
});
const FaultView = StoredFault;

const CoverageView = z
  .object({
    vendor: z.string(),
    errors: z.array(z.object({ code: z.string(), status: z.number().int().min(100).max(599), count: z.number().int().nonnegative() })),
    rowErrors: z.array(z.object({ code: z.string(), count: z.number().int().nonnegative() })),
    produced: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
  })
  .meta({ id: 'SandboxCoverage' });

/** `<namespace> / <masked part> / ...`: the namespace as sent (known secrets redacted), every other part masked. */
const maskedBucketKey = (key: string, secrets: SecretSet): string =>
  key
    .split('\u0000')
    .map((part, i) => (i === 0 ? secrets.redact(part) : maskSecret(part)))
    .join(' / ');

const view = (r: CredentialRecord) => ({ ...r, secret: maskSecret(r.secret) });

/**
 * Control paths anyone on an allowed host may read without the admin token (the guard's
 * `openReads`): health says only whether the store answers, so container health checks need no secret.
 */
export const OPEN_CONTROL_READS: readonly string[] = ['/health'];

/**
 * How a control call presents the admin token (core/admin-auth.ts), any one of them. Needed only
 * when the sandbox has one (`SANDBOX_ADMIN_TOKEN`); without it the control API answers anyone on
 * a loopback name (main.ts listens nowhere else then).
 */
export const CONTROL_SECURITY_SCHEMES: Record<string, Record<string, unknown>> = {
  adminBearer: { type: 'http', scheme: 'bearer', description: 'The admin token as `Authorization: Bearer <token>`, when the sandbox has one (`SANDBOX_ADMIN_TOKEN`).' },
  adminHeader: { type: 'apiKey', in: 'header', name: 'X-Sandbox-Admin-Token', description: 'The admin token in its own header, when the sandbox has one.' },
  adminBasic: {
    type: 'http',
    scheme: 'basic',
    description: "HTTP Basic with the admin token as the password (any user name): what a browser sends after the 401's Basic challenge (/docs, the dashboard).",
  },
};
export const CONTROL_SECURITY = [['adminBearer'], ['adminHeader'], ['adminBasic']];

/** The control API's areas, one tag each, in the order the document lists them. */
export const CONTROL_TAGS: Record<string, string> = {
  health: 'Whether the sandbox and its store answer; needs no admin token.',
  documents: 'The OpenAPI documents the sandbox serves.',
  state: 'Resetting what the vendors stored, the journal, faults and rate-limit buckets.',
  fixtures: 'Loading credentials and records in one call.',
  records: "What each vendor has stored, as the vendor's own reads return it.",
  credentials: 'The credentials each vendor accepts: list, create, revoke.',
  clock: 'The sandbox time vendor routes see: set, advance, freeze, reset.',
  journal: 'Every vendor request and its response, credentials redacted: list, count, clear.',
  faults: "Errors, raw responses, delays, dropped connections and failing rows armed on a vendor's routes.",
  'rate-limits': 'Turning vendor rate limits on or off, and the live buckets.',
  snapshots: 'The whole state as one JSON document: export and restore.',
  coverage: 'Which documented errors and row failures this run produced.',
  metrics: 'Prometheus metrics of every vendor request.',
};

/**
 * What a control call that failed with anything but a SandboxError stands for: 503 STORE_UNAVAILABLE
 * when its connection to the store was lost (isConnectionLost: it did nothing, and a retry may
 * succeed at once) or while the store does not answer (storeAnswers, health's own test); else
 * nothing, and it stays the 500 it is (a bug). The driver's error, which names the host and user,
 * is never shown.
 */
export const explainControlFailure =
  (store: Pick<Store, 'ping' | 'engine'>) =>
  async (thrown: unknown): Promise<SandboxError | undefined> =>
    isConnectionLost(thrown) || !(await storeAnswers(store)) ? storeUnavailable(store.engine) : undefined;

/**
 * The control reads that never touch the store, on either engine: they answer from this process's
 * copy (in shared mode, as last pulled), so a store that is away does not fail them. Every other
 * control route documents 503 STORE_UNAVAILABLE; in shared mode every write goes through the store
 * (the state lock), so no write is listed here. Health has its own 503.
 */
const STORE_FREE_READS: readonly string[] = ['/health', '/openapi.json', '/clock', '/faults', '/metrics'];

/** What the control plane's guard (core/control-guard.ts) may answer, by method: writes have more to check. */
const READ_GUARD_ERRORS: ControlErrorName[] = ['ADMIN_TOKEN_REQUIRED', 'HOST_NOT_ALLOWED'];
const OPEN_READ_GUARD_ERRORS: ControlErrorName[] = ['HOST_NOT_ALLOWED'];
const WRITE_GUARD_ERRORS: ControlErrorName[] = [...READ_GUARD_ERRORS, 'CROSS_ORIGIN_REFUSED', 'UNSUPPORTED_MEDIA_TYPE'];
const GUARD_ERRORS: Record<HttpMethod, ControlErrorName[]> = { get: READ_GUARD_ERRORS, post: WRITE_GUARD_ERRORS, put: WRITE_GUARD_ERRORS, patch: WRITE_GUARD_ERRORS, delete: WRITE_GUARD_ERRORS };

/** The filters `GET /requests` and `GET /requests/count` share. */
const journalFilterQuery = namespaceQuery.extend({
  vendor: z.string().optional(),
  tenant: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional().describe('Entries whose path contains this'),
  status: z.coerce.number().int().optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('ISO time: entries at or after it'),
  operationId: z.string().optional().describe('Entries answered by this route (its operationId)'),
});
const journalListQuery = journalFilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(10_000).optional().describe('Default 100'),
});

/** The validated journal filter of a request, without the parameters it left out. */
function journalFilter<T extends z.ZodObject>(c: SandboxContext, schema: T): JournalFilter {
  return definedOnly(controlQuery(c, schema) as Record<string, unknown>) as JournalFilter;
}

export function controlRoutes(ctx: ControlContext): RouteDef<ControlErrorName>[] {
  const { deps, clock, plane } = ctx;

  const routes: RouteDef<ControlErrorName>[] = [
    {
      method: 'get',
      path: '/health',
      operationId: 'sandboxHealth',
      summary: 'Liveness: answers once the store is open, 503 while it cannot be reached',
      tag: 'health',
      description: 'Needs no admin token, so a container health check holds no secret: it says only whether the store answers, and which engine does not.',
      responses: {
        200: { description: 'The sandbox is up.', schema: z.object({ status: z.literal('ok') }) },
        503: {
          description: 'The store does not answer (e.g. the shared PostgreSQL database is down); vendor calls fail until it does.',
          schema: z.object({ status: z.literal('unavailable'), store: z.enum(['sqlite', 'postgres']).describe('The engine that does not answer') }),
        },
      },
      errors: [],
      async handler(c) {
        if (!(await storeAnswers(deps.store))) return c.json({ status: 'unavailable' as const, store: deps.store.engine }, 503);
        return c.json({ status: 'ok' as const });
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'sandboxOpenApi',
      summary: 'This document',
      tag: 'documents',
      description:
        'The OpenAPI 3.1 document of the control API, built from the same route definitions that serve it. Each vendor\'s own document is at `<vendor prefix>/openapi.json` (e.g. `/cora/openapi.json`).',
      responses: { 200: { description: 'The control API OpenAPI document.', schema: z.record(z.string(), z.unknown()) } },
      errors: [],
      handler: (c) => c.json(ctx.documents.sandbox as object),
    },
    {
      method: 'post',
      path: '/reset',
      operationId: 'sandboxReset',
      summary: 'Delete records, journal, faults and rate-limit buckets (all, or one vendor, tenant or namespace)',
      tag: 'state',
      description: 'Credentials are kept. With `tenant`, only that tenant\'s records and buckets go.',
      // No body at all resets everything, as `{}` does (controlBody).
      request: { body: { schema: ResetRequest, optional: true } },
      responses: { 200: { description: 'How many records were deleted.', schema: z.object({ deleted: z.number().int().nonnegative() }) } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        return c.json(await resetState(ctx, await controlBody(c, ctx, ResetRequest)));
      },
    },
    {
      method: 'post',
      path: '/seed',
      operationId: 'sandboxSeed',
      summary: 'Load fixtures: credentials and records per vendor, all or nothing',
      tag: 'fixtures',
      description:
        'Takes a seed document: credentials and records by vendor, each record in the shape the vendor\'s own create call takes and checked by the vendor\'s own rules. ' +
        'Loaded into the namespace given by `?namespace=` in one transaction: a bad credential or record answers 400 `INVALID_REQUEST` with `issues` naming each (e.g. `cora.credentials.0: ...`, `cora.records.<tenant>: ...`) and nothing is loaded.',
      // No body at all loads nothing, as `{}` does.
      request: { query: namespaceQuery, body: { schema: SeedDocument, optional: true } },
      responses: { 200: { description: 'What was loaded.', schema: z.object({ credentials: z.number().int().nonnegative(), records: z.number().int().nonnegative() }) } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        const body = await controlBody(c, ctx, z.unknown());
        return c.json(await applySeed(ctx, body, controlQuery(c, namespaceQuery).namespace ?? ''));
      },
    },
    {
      method: 'get',
      path: '/:vendor/records',
      operationId: 'sandboxListRecords',
      summary: "What a vendor has stored, as the vendor's own reads return it",
      tag: 'records',
      description:
        "One page of a vendor's stored records, in the shape the vendor's own read endpoints return them. " +
        'Filter by `namespace` and `tenant`; page with `limit` (1 to 1000, default 100) and the previous page\'s `nextCursor`. An unknown vendor is 400 `UNKNOWN_VENDOR`.',
      request: {
        params: z.object({ vendor: z.string() }),
        query: RecordsQuery,
      },
      responses: { 200: { description: 'One page of records.', schema: z.object({ records: z.array(z.unknown()), nextCursor: z.string().nullable() }) } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        const vendor = vendorNamed(ctx, c.req.param('vendor')!);
        const q = controlQuery(c, RecordsQuery);
        return c.json(
          await ctx.instances[vendor.name]!.listRecords({
            namespace: q.namespace ?? '',
            limit: q.limit,
            ...(q.tenant !== undefined ? { tenant: q.tenant } : {}),
            ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
          }),
        );
      },
    },
    {
      method: 'get',
      path: '/credentials',
      operationId: 'sandboxListCredentials',
      summary: 'Every credential, secrets masked',
      tag: 'credentials',
      description:
        'Every credential of every vendor (or of `?vendor=`), demo ones included, revoked ones flagged; each secret is masked, never shown in clear.',
      request: { query: VendorQuery },
      responses: { 200: { description: 'Credentials.', schema: z.object({ credentials: z.array(CredentialView) }) } },
      errors: [],
      handler: async (c) => c.json({ credentials: (await deps.credentials.list(controlQuery(c, VendorQuery).vendor)).map(view) }),
    },
    {
      method: 'post',
      path: '/credentials',
      operationId: 'sandboxCreateCredential',
      summary: 'Create (or replace) a credential for one vendor',
      tag: 'credentials',
      description:
        "Stores a credential the vendor's auth then accepts; one with the same vendor and id is replaced. " +
        "The fields are the vendor's own (its page says which); fields that do not fit them are 400 `INVALID_REQUEST` with `issues`, an unknown vendor 400 `UNKNOWN_VENDOR`.",
      request: { body: { schema: z.looseObject({ vendor: z.string() }), description: "The vendor name plus that vendor's credential fields (see the vendor's page, src/vendors/<vendor>/README.md)." } },
      responses: { 201: { description: 'The credential, secret masked.', schema: CredentialView } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        const { vendor: name, ...fields } = await controlBody(c, ctx, z.looseObject({ vendor: z.string() }));
        const vendor = vendorNamed(ctx, name);
        const parsed = vendor.credentials.createSchema.safeParse(fields);
        if (!parsed.success) throw controlError('INVALID_REQUEST', { message: `Invalid ${name} credential`, extra: { issues: issues(parsed.error) } });
        const record = vendor.credentials.toRecord(parsed.data);
        await deps.credentials.put(record);
        return c.json(view(record), 201);
      },
    },
    {
      method: 'delete',
      path: '/credentials',
      operationId: 'sandboxRevokeCredential',
      summary: 'Revoke a credential',
      tag: 'credentials',
      description:
        "From now on the vendor's auth refuses it as it refuses an unknown one; the record stays listed, flagged revoked. No such credential is 404 `NOT_FOUND`.",
      request: { query: RevokeQuery },
      responses: { 200: { description: 'Revoked.', schema: z.object({ revoked: z.literal(true) }) } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR', 'NOT_FOUND'],
      async handler(c) {
        const q = controlQuery(c, RevokeQuery);
        const vendor = vendorNamed(ctx, q.vendor);
        // The id is not echoed: a caller may have passed a secret (the whole API key) as the id.
        if (!(await deps.credentials.revoke(vendor.name, q.id))) throw controlError('NOT_FOUND', { message: `No ${vendor.name} credential with that id` });
        return c.json({ revoked: true });
      },
    },
    {
      method: 'get',
      path: '/clock',
      operationId: 'sandboxGetClock',
      summary: 'The sandbox time',
      tag: 'clock',
      description:
        'The time vendor routes see (token expiry, signature windows, rate-limit windows, timestamps), and whether it is frozen.',
      responses: { 200: { description: 'Current sandbox time.', schema: ClockView } },
      errors: [],
      handler: (c) => c.json(clock.state()),
    },
    {
      method: 'post',
      path: '/clock',
      operationId: 'sandboxSetClock',
      summary: 'Set, advance or freeze the sandbox time',
      tag: 'clock',
      description: '`set` happens first, then `advanceMs`, then `freeze`, all or nothing: a time outside years 0001 to 9999 is refused with 400 and the clock stays as it was.',
      // No body at all changes nothing and answers the clock, as `{}` does.
      request: { body: { schema: ClockUpdate, optional: true } },
      responses: { 200: { description: 'The clock after the change.', schema: ClockView } },
      errors: ['INVALID_REQUEST'],
      async handler(c) {
        const update = await controlBody(c, ctx, ClockUpdate);
        try {
          clock.update(update);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          throw controlError('INVALID_REQUEST', { message: error.message });
        }
        return c.json(clock.state());
      },
    },
    {
      method: 'delete',
      path: '/clock',
      operationId: 'sandboxResetClock',
      summary: 'Put the sandbox time back on the system clock (no offset, not frozen)',
      tag: 'clock',
      description:
        'Undoes every `POST /_sandbox/clock`: the sandbox time is the system time again, running.',
      responses: { 200: { description: 'The clock, now the system clock.', schema: ClockView } },
      errors: [],
      handler(c) {
        clock.reset();
        return c.json(clock.state());
      },
    },
    {
      method: 'get',
      path: '/requests',
      operationId: 'sandboxListRequests',
      summary: 'The request journal, newest first, credentials redacted',
      tag: 'journal',
      description:
        'The kept journal entries (newest first, at most `limit`, default 100) matching every filter given: vendor, namespace, tenant, method, path substring, status, time, operationId. ' +
        'Credentials are redacted from headers, paths and bodies. A filter that is not one of these, or a malformed value, is 400 `INVALID_REQUEST`.',
      request: { query: journalListQuery },
      responses: { 200: { description: 'Journal entries.', schema: z.object({ requests: z.array(JournalEntryView) }) } },
      errors: ['INVALID_REQUEST'],
      handler: async (c) => c.json({ requests: await plane.journal.list(journalFilter(c, journalListQuery)) }),
    },
    {
      method: 'get',
      path: '/requests/count',
      operationId: 'sandboxCountRequests',
      summary: 'How many kept journal entries match the filters (no limit)',
      tag: 'journal',
      description:
        'Counts the kept entries matching the same filters as `GET /_sandbox/requests`, without its limit: how a test asserts how many calls a client made.',
      request: { query: journalFilterQuery },
      responses: { 200: { description: 'The number of matching entries.', schema: z.object({ count: z.number().int().nonnegative() }) } },
      errors: ['INVALID_REQUEST'],
      handler: async (c) => c.json({ count: await plane.journal.count(journalFilter(c, journalFilterQuery)) }),
    },
    {
      method: 'delete',
      path: '/requests',
      operationId: 'sandboxClearRequests',
      summary: 'Clear the journal (all, or one namespace)',
      tag: 'journal',
      description:
        'Removes the kept journal entries, of one namespace with `?namespace=`, else all. Metrics are not affected.',
      request: { query: namespaceQuery },
      responses: { 200: { description: 'How many entries were removed.', schema: z.object({ cleared: z.number().int().nonnegative() }) } },
      errors: [],
      handler: async (c) => c.json({ cleared: await plane.journal.clear(controlQuery(c, namespaceQuery).namespace) }),
    },
    {
      method: 'post',
      path: '/faults',
      operationId: 'sandboxArmFault',
      summary: 'Arm a fault on a vendor route',
      tag: 'faults',
      description:
        'Fires on matching requests of the namespace given by `?namespace=`. A request matches on `method` and `path` (a route pattern as documented, or a concrete path), and, when given, `tenant` (taken once the vendor\'s auth has passed), `requestHeaders` (names in any case, exact values) and `requestBody` (RFC 6901 pointer → deep-equal JSON value; a body that is not JSON never matches). Matching requests count in `seen`; the first `after` pass; then each fires with `probability` (drawn from a generator seeded with `seed`; a miss consumes no `times`). ' +
        'Actions: `error` (a request-level error of the vendor catalogue, rendered as the vendor renders it; only one that every route the fault reaches documents: the route\'s own errors and the vendor\'s generic ones, its 5xx and what it documents for every call), `response` (a raw response, outside the vendor\'s documented contract: status 200 to 599, no body with 204, 205 or 304; the way to send what no route documents), `delayMs` (milliseconds, or `{"fixed": n}`, `{"uniform": {"min", "max"}}`, `{"logNormal": {"medianMs", "sigma"}}`), `drop` (`true`/`"beforeCommit"`: close the socket before the handler runs; `"afterCommit"`: after it wrote), `rowErrors` (row index → the vendor row-error code; the other rows succeed; only on faults whose method and path reach bulk routes alone). ' +
        'Refused with 400, nothing armed: an error or row-error name not in the vendor catalogue, an error a route the fault reaches does not document (the message names those routes and what each documents), a method and path that reach none of the vendor\'s routes (the message lists them), a response that cannot be sent, or header names and values HTTP does not allow (framing and hop-by-hop response headers included).',
      request: { query: namespaceQuery, body: { schema: ArmFault } },
      responses: { 201: { description: 'The armed fault.', schema: FaultView } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        const body = await controlBody(c, ctx, ArmFault);
        const { vendor: name, method, path, times, after, tenant, requestHeaders, requestBody, probability, seed, ...rest } = body;
        const action = rest as FaultAction;
        const vendor = vendorNamed(ctx, name);
        const target = { method: method?.toUpperCase() ?? null, path: path ?? null, action };
        const problem = faultTargetProblem(vendor, ctx.instances[vendor.name]!.routes, target);
        if (problem !== undefined) throw controlError('INVALID_REQUEST', { message: problem });
        const fault = plane.faults.arm({
          vendor: vendor.name,
          namespace: controlQuery(c, namespaceQuery).namespace ?? '',
          ...target,
          tenant: tenant ?? null,
          requestHeaders: requestHeaders ?? null,
          requestBody: requestBody ?? null,
          times,
          after,
          probability,
          seed,
        });
        return c.json(fault, 201);
      },
    },
    {
      method: 'get',
      path: '/faults',
      operationId: 'sandboxListFaults',
      summary: 'Armed faults with their remaining counts',
      tag: 'faults',
      description:
        'The armed faults (of `?vendor=` and `?namespace=` when given) with what they match, their action, how many times each may still fire and how many matching requests each has seen.',
      request: { query: FaultListQuery },
      responses: { 200: { description: 'Armed faults.', schema: z.object({ faults: z.array(FaultView) }) } },
      errors: [],
      handler: (c) => c.json({ faults: plane.faults.list(definedOnly(controlQuery(c, FaultListQuery))) }),
    },
    {
      method: 'delete',
      path: '/faults',
      operationId: 'sandboxDisarmFaults',
      summary: 'Disarm one fault by id, or all (of a vendor / namespace)',
      tag: 'faults',
      description:
        'Disarms the fault with `?id=`, or every armed fault matching `?vendor=` and `?namespace=`; answers how many were disarmed (0 when none matched).',
      request: { query: FaultDisarmQuery },
      responses: { 200: { description: 'How many were disarmed.', schema: z.object({ disarmed: z.number().int().nonnegative() }) } },
      errors: [],
      handler: (c) => c.json({ disarmed: plane.faults.disarm(definedOnly(controlQuery(c, FaultDisarmQuery))) }),
    },
    {
      method: 'get',
      path: '/rate-limits',
      operationId: 'sandboxRateLimits',
      summary: 'The rate-limit mode and the live buckets',
      tag: 'rate-limits',
      description:
        'Whether vendor rate limits are enforced (`vendor`) or not (`off`), and each live bucket: its limiter, a masked key, its count against the limit, and when it resets.',
      responses: {
        200: {
          description: 'Mode and buckets.',
          schema: z.object({
            mode: z.enum(['vendor', 'off']),
            buckets: z.array(
              z.object({ limiter: z.string(), key: z.string(), count: z.number().int().nonnegative(), limit: z.number().int().nonnegative(), windowMs: z.number().int().nonnegative(), resetAt: z.string() }),
            ),
          }),
        },
      },
      errors: [],
      handler: async (c) =>
        c.json({
          mode: deps.rateLimits.mode,
          // Bucket keys carry the credential's key id: show only the namespace and a masked remainder.
          buckets: (await deps.rateLimits.buckets()).map((b) => ({ ...b, key: maskedBucketKey(b.key, deps.credentials.secrets()) })),
        }),
    },
    {
      method: 'put',
      path: '/rate-limits',
      operationId: 'sandboxSetRateLimits',
      summary: 'Turn every vendor rate limit on (vendor) or off',
      tag: 'rate-limits',
      description:
        '`off` lets every request through (load tests); `vendor` enforces each vendor\'s own limits again.',
      request: { body: { schema: z.strictObject({ mode: z.enum(['vendor', 'off']) }) } },
      responses: { 200: { description: 'The new mode.', schema: z.object({ mode: z.enum(['vendor', 'off']) }) } },
      errors: ['INVALID_REQUEST'],
      async handler(c) {
        const { mode } = await controlBody(c, ctx, z.strictObject({ mode: z.enum(['vendor', 'off']) }));
        deps.rateLimits.mode = mode;
        return c.json({ mode });
      },
    },
    {
      method: 'get',
      path: '/snapshot',
      operationId: 'sandboxExportSnapshot',
      summary: 'The whole state as one JSON document, credential secrets withheld unless asked for',
      tag: 'snapshots',
      description:
        `Every credential's \`secret\` reads \`"${WITHHELD_SECRET}"\`: restoring takes it from the credential with the same vendor and id that the sandbox holds then. ` +
        'With `?secrets=include` the secrets are exported in clear, and the file is itself a credential: keep it as you would the keys.',
      request: { query: SnapshotQuery },
      responses: { 200: { description: 'The snapshot.', schema: Snapshot } },
      errors: ['INVALID_REQUEST'],
      handler: async (c) => c.json(await exportSnapshot(ctx, controlQuery(c, SnapshotQuery))),
    },
    {
      method: 'post',
      path: '/snapshot',
      operationId: 'sandboxRestoreSnapshot',
      summary: 'Replace the whole state with a snapshot, all or nothing',
      tag: 'snapshots',
      description:
        'The whole document is checked before anything changes; then every table is replaced in one transaction, and the clock, rate-limit mode, faults and journal follow. ' +
        '400 `INVALID_REQUEST` (nothing changed), with `issues` naming each problem by its path in the document (e.g. `tables.cora_accounts.3.data: ...`): ' +
        'a clock outside years 0001 to 9999; a fault or journal entry not as the sandbox stores them, or naming an unknown vendor, error or duplicate id; ' +
        "an unknown table or column; a value that does not fit its column; a `data` column that is not the JSON object its vendor stores; a row breaking a table's constraints (e.g. a duplicate key); " +
        `a withheld secret (\`"${WITHHELD_SECRET}"\`) of a credential this sandbox does not hold (create it first, or export with \`?secrets=include\`). ` +
        `413 \`PAYLOAD_TOO_LARGE\`: a body over ${SNAPSHOT_BODY_LIMIT / 1024 / 1024} MiB (this route's own limit, above the sandbox body limit, so that any export restores).`,
      request: { body: { schema: Snapshot } },
      responses: { 200: { description: 'What was restored.', schema: z.object({ tables: z.number().int().nonnegative(), rows: z.number().int().nonnegative() }) } },
      errors: ['INVALID_REQUEST', 'PAYLOAD_TOO_LARGE'],
      async handler(c) {
        return c.json(await restoreSnapshot(ctx, await controlBody(c, ctx, z.unknown(), SNAPSHOT_BODY_LIMIT)));
      },
    },
    {
      method: 'get',
      path: '/coverage',
      operationId: 'sandboxCoverage',
      summary: 'For each vendor, every documented error and row-failure code and how often this run produced it',
      tag: 'coverage',
      description: 'Counts since start or the last `POST /_sandbox/reset` of the same scope. With `namespace` (and `tenant`, `vendor`), only the requests of that scope count.',
      request: { query: CoverageQuery },
      responses: { 200: { description: 'Coverage by vendor.', schema: z.object({ vendors: z.array(CoverageView) }) } },
      errors: ['UNKNOWN_VENDOR'],
      async handler(c) {
        const q = controlQuery(c, CoverageQuery);
        if (q.vendor !== undefined) vendorNamed(ctx, q.vendor);
        return c.json({ vendors: await plane.coverage.report(ctx.vendors, definedOnly(q)) });
      },
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'sandboxMetrics',
      summary: 'Prometheus metrics: requests, rows, errors by vendor and code, latency histogram',
      tag: 'metrics',
      description:
        'Text exposition format 0.0.4. Counters cover the life of the process (reset does not clear them): `bulk_sandbox_requests_total`, `bulk_sandbox_errors_total`, `bulk_sandbox_rows_total`, `bulk_sandbox_row_errors_total`, `bulk_sandbox_faults_fired_total`, and the `bulk_sandbox_request_duration_seconds` histogram; in shared mode also `bulk_sandbox_store_round_trips_total` (statements sent to PostgreSQL).',
      responses: { 200: { description: 'The metrics.', contentType: 'text/plain; version=0.0.4', schema: z.string() } },
      errors: [],
      handler: (c) => c.body(plane.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
    },
  ];
  return routes.map((route) => ({
    ...route,
    // Every control route but the open reads answers 401 when the sandbox has an admin token and
    // the caller lacks it; each answers 403 to a Host it does not serve and 400 for a query it
    // does not declare. A route that reads a body also answers 413 past the body limit, and one
    // that touches the store 503 while the store does not answer.
    errors: [
      ...new Set<ControlErrorName>([
        ...route.errors,
        'INVALID_REQUEST',
        ...(route.method === 'get' && OPEN_CONTROL_READS.includes(route.path) ? OPEN_READ_GUARD_ERRORS : GUARD_ERRORS[route.method]),
        ...(route.request?.body ? ['PAYLOAD_TOO_LARGE' as const] : []),
        ...(route.method === 'get' && STORE_FREE_READS.includes(route.path) ? [] : ['STORE_UNAVAILABLE' as const]),
      ]),
    ],
    // The core checks the query against what the route declares before the handler runs, so no
    // handler can act on a query it did not validate; a route that declares none takes none.
    request: { ...route.request, query: route.request?.query ?? NO_QUERY },
    // The guard lets open reads through without the admin token; every other route has the document's CONTROL_SECURITY.
    ...(route.method === 'get' && OPEN_CONTROL_READS.includes(route.path) ? { security: [] } : {}),
  }));
}
