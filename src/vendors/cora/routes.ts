// Cora's four endpoints as route definitions: what they accept, answer and fail with.
import { z } from 'zod';
import { readJsonBody } from '../../core/body.js';
import { bulkRoute, tenantTransaction } from '../../core/bulk.js';
import { isPlainObject } from '../../core/json.js';
import { clientIp, rateLimit } from '../../core/middleware.js';
import { routeInput } from '../../core/router.js';
import { documentedAs } from '../../core/openapi.js';
import { isoAt } from '../../core/clock.js';
import type { CoreDeps, RouteDef } from '../../core/vendor.js';
import { coraAuth } from './auth.js';
import { coraBatch, coraBulkResponse, type CoraBatch, type CoraBulkEngine } from './bulk-upsert.js';
import { CORA_MESSAGES, MAX_ACCOUNTS, MAX_EXTERNAL_IDS, coraCatalogue, coraError, type CoraErrorName } from './errors.js';
import { applyUpdate } from './merge.js';
import {
  CORA_SUCCESS,
  CoraAccountPatch,
  CoraAccountResponse,
  CoraAccountsResponse,
  CoraAccountUpdatedResponse,
  CoraBulkUpsertEnvelope,
  CoraBulkUpsertRequest,
  CoraBulkUpsertResponse,
} from './schemas.js';
import type { CoraAccounts } from './store.js';
import { checkPatch } from './validation.js';
import { deepEqual } from '../../core/json.js';

/** 1 bulk-upsert request every 20 s per API key and client IP (*sourced*). */
export const BULK_RATE_LIMIT = { limit: 1, windowMs: 20_000 };

const keyHeaders = z.object({
  Authorization: z.string().describe('`Bearer cora_org_<keyId>.<secret>`'),
});
const signedHeaders = keyHeaders.extend({
  'X-Cora-Timestamp': z.string().describe('Unix seconds or milliseconds, within 5 minutes of server time'),
  'X-Cora-Signature': z
    .string()
    .describe('Lowercase hex HMAC-SHA256, keyed with the key secret, of `<timestamp>.<METHOD>.<path_with_query>.<sha256 hex of body>`'),
});
const externalIdParam = z.object({ externalId: z.string().describe('Your external identifier') });
/** Repeated (`?externalIds=A&externalIds=B,C`) or comma-separated, or both. Absent or empty: EXTERNAL_IDS_REQUIRED. */
const externalIdsQuery = z.object({
  externalIds: documentedAs(
    z
      .union([z.string(), z.array(z.string())])
      .describe(
        `The externalIds to fetch, at most ${MAX_EXTERNAL_IDS} in all: repeat the parameter (\`?externalIds=A&externalIds=B\`), ` +
          'separate them with commas (`?externalIds=A,B`), or both.',
      ),
    { type: 'array', items: { type: 'string' } },
  ),
});

const AUTH_ERRORS = ['MISSING_AUTH_HEADER', 'INVALID_API_KEY', 'METHOD_NOT_ALLOWED'] as const satisfies readonly CoraErrorName[];
const SIGNED_ERRORS = [
  'MISSING_AUTH_HEADERS',
  'INVALID_API_KEY',
  'REQUEST_TIMESTAMP_OUTSIDE_WINDOW',
  'INVALID_REQUEST_SIGNATURE',
  'PAYLOAD_TOO_LARGE',
  'INVALID_REQUEST_BODY',
  'METHOD_NOT_ALLOWED',
] as const satisfies readonly CoraErrorName[];


export function coraRoutes(deps: CoreDeps, accounts: CoraAccounts, engine: CoraBulkEngine): RouteDef<CoraErrorName>[] {
  const bulkLimiter = deps.rateLimits.limiter('cora.bulk-upsert', BULK_RATE_LIMIT);

  /** The request-level checks, in Cora's order and words; the rows themselves are checked one by one. */
  const parseBulk = (body: unknown): CoraBatch => {
    if (!isPlainObject(body)) throw coraError('INVALID_REQUEST_BODY', { message: CORA_MESSAGES.notAnObject });
    if (!Array.isArray(body.accounts)) throw coraError('INVALID_REQUEST_BODY', { message: CORA_MESSAGES.notAnArray });
    for (const flag of ['dryRun', 'includeChanges'] as const) {
      if (body[flag] !== undefined && typeof body[flag] !== 'boolean') {
        throw coraError('INVALID_REQUEST_BODY', { message: CORA_MESSAGES.notBoolean(flag) });
      }
    }
    const unknown = Object.keys(body).find((k) => !(k in CoraBulkUpsertEnvelope.shape));
    if (unknown !== undefined) throw coraError('INVALID_REQUEST_BODY', { message: CORA_MESSAGES.unknownBodyField(unknown) });
    if (body.accounts.length === 0) throw coraError('ACCOUNTS_REQUIRED');
    if (body.accounts.length > MAX_ACCOUNTS) throw coraError('ACCOUNTS_LIMIT_EXCEEDED');
    const envelope = CoraBulkUpsertEnvelope.parse(body);
    return coraBatch(envelope.accounts, { dryRun: envelope.dryRun ?? false, includeChanges: envelope.includeChanges ?? false });
  };

  return [
    bulkRoute(
      deps,
      coraCatalogue,
      {
        method: 'post',
        path: '/external-api/accounts/bulk-upsert',
        operationId: 'coraBulkUpsertAccounts',
        summary: 'Create or update up to 500 accounts by externalId',
        tag: 'accounts',
        description:
          'Partial success: 200 whenever the request passes the request-level checks, with one result per account in request order. Rate limited to 1 request every 20 seconds per API key and client IP.',
        security: ['coraApiKey'],
        request: {
          headers: signedHeaders,
          body: {
            schema: CoraBulkUpsertRequest,
            example: {
              dryRun: false,
              includeChanges: false,
              accounts: [
                {
                  externalId: 'FILE_123',
                  phoneNumber: '+15555550111',
                  portfolioId: 'PORTFOLIO_ID',
                  bucket: 'BUCKET_NAME',
                  metadata: { filenumber: 'FILE_123', externalApiSyncState: 'SYNCED' },
                  currentBalance: 450.25,
                },
                { externalId: 'FILE_456', currentBalance: 125.5 },
              ],
            },
          },
        },
        responses: { 200: { description: 'The batch was processed; see summary and per-row results.', schema: CoraBulkUpsertResponse } },
        errors: [...SIGNED_ERRORS, 'RATE_LIMITED', 'ACCOUNTS_REQUIRED', 'ACCOUNTS_LIMIT_EXCEEDED'],
        middleware: [
          coraAuth(deps, { signed: true }),
          rateLimit({
            limits: deps.rateLimits,
            limiter: bulkLimiter,
            // After auth: the key it found is the request's credential.
            key: (c) => `${c.get('credential').id}\u0000${clientIp(c)}`,
          }),
        ],
      },
      {
        batchField: 'accounts',
        parse: parseBulk,
        engine,
        respond: (results, ctx) => ({ success: true, ...CORA_SUCCESS.bulk, ...coraBulkResponse(results, ctx) }),
      },
    ),
    {
      method: 'get',
      path: '/external-api/accounts/:externalId',
      operationId: 'coraGetAccount',
      summary: 'Fetch one account by externalId',
      tag: 'accounts',
      description:
        'The account with this externalId in the API key\'s organization; `ACCOUNT_NOT_FOUND` (404) when it has none.',
      security: ['coraApiKey'],
      request: { headers: keyHeaders, params: externalIdParam },
      responses: { 200: { description: 'The account.', schema: CoraAccountResponse } },
      errors: [...AUTH_ERRORS, 'ACCOUNT_NOT_FOUND'],
      middleware: [coraAuth(deps, { signed: false })],
      async handler(c) {
        const account = await accounts.get(c.get('scope'), c.req.param('externalId')!);
        if (!account) throw coraError('ACCOUNT_NOT_FOUND');
        return c.json({ success: true, ...CORA_SUCCESS.fetched, account });
      },
    },
    {
      method: 'get',
      path: '/external-api/accounts',
      operationId: 'coraGetAccounts',
      summary: 'Fetch up to 200 accounts by externalId',
      tag: 'accounts',
      description:
        'Each externalId is looked up once (duplicates and empty values dropped): the accounts found, in request order, `notFoundExternalIds` for the others, and `count`. ' +
        'No externalId is `EXTERNAL_IDS_REQUIRED`, more than 200 `EXTERNAL_IDS_LIMIT_EXCEEDED` (both 400).',
      security: ['coraApiKey'],
      request: {
        headers: keyHeaders,
        query: externalIdsQuery,
      },
      responses: { 200: { description: 'The accounts found, in request order, and the ids not found.', schema: CoraAccountsResponse } },
      errors: [...AUTH_ERRORS, 'EXTERNAL_IDS_REQUIRED', 'EXTERNAL_IDS_LIMIT_EXCEEDED'],
      middleware: [coraAuth(deps, { signed: false })],
      async handler(c) {
        const { externalIds } = routeInput(c, 'query', externalIdsQuery);
        const ids = [
          ...new Set(
            [externalIds]
              .flat()
              .flatMap((v) => v.split(','))
              .map((v) => v.trim())
              .filter((v) => v !== ''),
          ),
        ];
        if (ids.length === 0) throw coraError('EXTERNAL_IDS_REQUIRED');
        if (ids.length > MAX_EXTERNAL_IDS) throw coraError('EXTERNAL_IDS_LIMIT_EXCEEDED');
        const scope = c.get('scope');
        const stored = await accounts.getMany(scope, ids);
        const found = ids.map((id) => stored.get(id));
        return c.json({
          success: true,
          ...CORA_SUCCESS.fetchedMany,
          accounts: found.filter((a) => a !== undefined),
          notFoundExternalIds: ids.filter((_, i) => found[i] === undefined),
          count: found.filter((a) => a !== undefined).length,
        });
      },
    },
    {
      method: 'patch',
      path: '/external-api/accounts/:externalId',
      operationId: 'coraUpdateAccount',
      summary: 'Update one account',
      tag: 'accounts',
      description: 'The body is the fields to change, either directly or wrapped as `{"update": {...}}`. Same merge rules as bulk upsert.',
      security: ['coraApiKey'],
      request: {
        headers: signedHeaders,
        params: externalIdParam,
        body: { schema: z.union([CoraAccountPatch, z.strictObject({ update: CoraAccountPatch })]) },
      },
      responses: { 200: { description: 'The account was updated (or already matched).', schema: CoraAccountUpdatedResponse } },
      errors: [...SIGNED_ERRORS, 'VALIDATION_ERROR', 'ORGANIZATION_ID_NOT_ALLOWED', 'ACCOUNT_NOT_FOUND'],
      middleware: [coraAuth(deps, { signed: true })],
      async handler(c) {
        const body = await readJsonBody(c, deps.bodyLimit);
        const externalId = c.req.param('externalId')!;
        const fields = isPlainObject(body) && Object.keys(body).length === 1 && isPlainObject(body.update) ? body.update : body;
        if (isPlainObject(fields) && Object.hasOwn(fields, 'organizationId')) throw coraError('ORGANIZATION_ID_NOT_ALLOWED');
        const check = checkPatch(fields);
        if (!check.ok) {
          throw coraError('VALIDATION_ERROR', { message: CORA_MESSAGES.rowFailed(externalId, 0), extra: { details: check.details } });
        }
        if (check.value.externalId !== undefined && check.value.externalId !== externalId) {
          throw coraError('VALIDATION_ERROR', {
            message: CORA_MESSAGES.rowFailed(externalId, 0),
            extra: { details: [{ field: 'externalId', message: CORA_MESSAGES.externalIdMismatch }] },
          });
        }
        // Read, merge and write in one transaction under the tenant's lock (the bulk route's): no
        // other request for this tenant, on any process, writes between the read and the write.
        const account = await tenantTransaction(deps.store, c.get('scope'), async (scope) => {
          const existing = await accounts.get(scope, externalId);
          if (!existing) throw coraError('ACCOUNT_NOT_FOUND');
          const merged = applyUpdate(existing, check.value);
          if (deepEqual(merged, existing)) return existing;
          const updated = { ...merged, updatedAt: isoAt(deps.clock) };
          await accounts.write(scope, [updated]);
          return updated;
        });
        return c.json({
          success: true,
          ...CORA_SUCCESS.updated,
          account: { id: account.id, externalId: account.externalId, organizationId: account.organizationId, updatedAt: account.updatedAt },
        });
      },
    },
  ];
}
