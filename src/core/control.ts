// The control API under /_sandbox: health, clock, credentials and reset, for every registered vendor.
import { z } from 'zod';
import type { SandboxClock } from './clock.js';
import { readJsonBody } from './body.js';
import { maskSecret } from './credentials.js';
import { SandboxError } from './errors.js';
import type { ErrorCatalogue, CoreDeps, RouteDef, SandboxContext, VendorInstance, VendorModule } from './vendor.js';

export const CONTROL_PREFIX = '/_sandbox';

const CONTROL_ERRORS = {
  INVALID_REQUEST: { status: 400, message: 'Invalid request' },
  UNKNOWN_VENDOR: { status: 400, message: 'Unknown vendor' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed', responseHeaders: { Allow: 'The methods this path accepts' } },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  INTERNAL: { status: 500, message: 'Internal error' },
};

export const ControlError = z
  .object({ error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.string()).optional() }) })
  .meta({ id: 'SandboxError' });

export const controlCatalogue: ErrorCatalogue = {
  errors: CONTROL_ERRORS,
  rowErrors: {},
  fromCore: {
    NOT_FOUND: 'NOT_FOUND',
    METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
    INVALID_BODY: 'INVALID_REQUEST',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    RATE_LIMITED: 'INVALID_REQUEST',
    INTERNAL: 'INTERNAL',
  },
  envelope: ({ name, entry, error }) => ({ error: { code: name, message: error.customMessage ?? entry.message, ...error.extra } }),
  envelopeSchema: ControlError,
};

/** Parses a control body with `schema`, answering INVALID_REQUEST with every problem listed. */
async function controlBody<T extends z.ZodType>(c: SandboxContext, deps: CoreDeps, schema: T): Promise<z.infer<T>> {
  const raw = await readJsonBody(c, deps.bodyLimit);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new SandboxError('INVALID_REQUEST', {
      message: 'Invalid request body',
      extra: { issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) },
    });
  }
  return parsed.data;
}

export const ClockView = z.object({ now: z.string(), frozen: z.boolean() }).meta({ id: 'SandboxClock' });
export const ClockUpdate = z
  .strictObject({
    set: z.union([z.string(), z.number()]).optional().describe('ISO timestamp or epoch milliseconds'),
    advanceMs: z.number().optional(),
    freeze: z.boolean().optional(),
  })
  .meta({ id: 'SandboxClockUpdate' });

export const ResetRequest = z
  .strictObject({ vendor: z.string().optional(), tenant: z.string().optional(), namespace: z.string().optional() })
  .meta({ id: 'SandboxResetRequest' });

export const CredentialView = z
  .object({ vendor: z.string(), tenant: z.string(), id: z.string(), secret: z.string(), revoked: z.boolean(), data: z.record(z.string(), z.unknown()) })
  .meta({ id: 'SandboxCredential', description: 'A credential; its secret is masked.' });

export interface ControlContext {
  deps: CoreDeps;
  clock: SandboxClock;
  vendors: readonly VendorModule[];
  instances: Record<string, VendorInstance>;
}

/** Deletes tenant data (all, or one vendor / tenant / namespace) and clears the rate limiters. */
export function resetState({ deps, vendors }: ControlContext, filter: z.infer<typeof ResetRequest>): { deleted: number } {
  const targets = filter.vendor === undefined ? vendors : vendors.filter((v) => v.name === filter.vendor);
  let deleted = 0;
  deps.store.transaction(() => {
    for (const vendor of targets) {
      for (const table of vendor.tables) {
        const where: string[] = [];
        const params: string[] = [];
        if (filter.tenant !== undefined) (where.push('tenant = ?'), params.push(filter.tenant));
        if (filter.namespace !== undefined) (where.push('namespace = ?'), params.push(filter.namespace));
        const sql = `DELETE FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
        deleted += deps.store.statement(sql).run(...params).changes;
      }
    }
  });
  deps.rateLimits.reset(filter.namespace === undefined ? '' : `${filter.namespace}\u0000`);
  return { deleted };
}

export function controlRoutes(ctx: ControlContext): RouteDef[] {
  const { deps, clock, vendors } = ctx;
  const vendorNamed = (name: string): VendorModule => {
    const vendor = vendors.find((v) => v.name === name);
    if (!vendor) throw new SandboxError('UNKNOWN_VENDOR', { message: `Unknown vendor: ${name} (known: ${vendors.map((v) => v.name).join(', ')})` });
    return vendor;
  };
  const view = (r: ReturnType<typeof deps.credentials.list>[number]) => ({ ...r, secret: maskSecret(r.secret) });

  return [
    {
      method: 'get',
      path: '/health',
      operationId: 'sandboxHealth',
      summary: 'Liveness: answers once the store is open',
      responses: { 200: { description: 'The sandbox is up.', schema: z.object({ status: z.literal('ok') }) } },
      errors: [],
      handler(c) {
        deps.store.statement('SELECT 1').get();
        return c.json({ status: 'ok' });
      },
    },
    {
      method: 'get',
      path: '/clock',
      operationId: 'sandboxGetClock',
      summary: 'The sandbox time',
      responses: { 200: { description: 'Current sandbox time.', schema: ClockView } },
      errors: [],
      handler: (c) => c.json(clock.state()),
    },
    {
      method: 'post',
      path: '/clock',
      operationId: 'sandboxSetClock',
      summary: 'Set, advance or freeze the sandbox time',
      description: '`set` happens first, then `advanceMs`, then `freeze`.',
      request: { body: { schema: ClockUpdate } },
      responses: { 200: { description: 'The clock after the change.', schema: ClockView } },
      errors: ['INVALID_REQUEST'],
      async handler(c) {
        const update = await controlBody(c, deps, ClockUpdate);
        try {
          if (update.set !== undefined) clock.set(update.set);
        } catch (error) {
          throw new SandboxError('INVALID_REQUEST', { message: (error as Error).message });
        }
        if (update.advanceMs !== undefined) clock.advance(update.advanceMs);
        if (update.freeze !== undefined) clock.freeze(update.freeze);
        return c.json(clock.state());
      },
    },
    {
      method: 'get',
      path: '/credentials',
      operationId: 'sandboxListCredentials',
      summary: 'Every credential, secrets masked',
      request: { query: z.object({ vendor: z.string().optional() }) },
      responses: { 200: { description: 'Credentials.', schema: z.object({ credentials: z.array(CredentialView) }) } },
      errors: [],
      handler: (c) => c.json({ credentials: deps.credentials.list(c.req.query('vendor')).map(view) }),
    },
    {
      method: 'post',
      path: '/credentials',
      operationId: 'sandboxCreateCredential',
      summary: 'Create (or replace) a credential for one vendor',
      request: { body: { schema: z.looseObject({ vendor: z.string() }), description: 'The vendor name plus that vendor\'s credential fields (see README).' } },
      responses: { 201: { description: 'The credential, secret masked.', schema: CredentialView } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        const { vendor: name, ...fields } = await controlBody(c, deps, z.looseObject({ vendor: z.string() }));
        const vendor = vendorNamed(name);
        const parsed = vendor.credentials.createSchema.safeParse(fields);
        if (!parsed.success) {
          throw new SandboxError('INVALID_REQUEST', {
            message: `Invalid ${name} credential`,
            extra: { issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) },
          });
        }
        const record = vendor.credentials.toRecord(parsed.data);
        deps.credentials.put(record);
        return c.json(view(record), 201);
      },
    },
    {
      method: 'delete',
      path: '/credentials',
      operationId: 'sandboxRevokeCredential',
      summary: 'Revoke a credential',
      request: { query: z.object({ vendor: z.string(), id: z.string().describe('The credential id as listed') }) },
      responses: { 200: { description: 'Revoked.', schema: z.object({ revoked: z.literal(true) }) } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR', 'NOT_FOUND'],
      handler(c) {
        const vendor = vendorNamed(c.req.query('vendor') ?? '');
        const id = c.req.query('id');
        if (!id) throw new SandboxError('INVALID_REQUEST', { message: 'id query parameter is required' });
        if (!deps.credentials.revoke(vendor.name, id)) throw new SandboxError('NOT_FOUND', { message: `No ${vendor.name} credential ${id}` });
        return c.json({ revoked: true });
      },
    },
    {
      method: 'post',
      path: '/reset',
      operationId: 'sandboxReset',
      summary: 'Delete stored records (all, or one vendor, tenant or namespace) and reset rate limits',
      description: 'Credentials are kept.',
      request: { body: { schema: ResetRequest } },
      responses: { 200: { description: 'What was deleted.', schema: z.object({ deleted: z.number().int() }) } },
      errors: ['INVALID_REQUEST', 'UNKNOWN_VENDOR'],
      async handler(c) {
        const filter = c.req.header('content-length') === '0' || !c.req.raw.body ? {} : await controlBody(c, deps, ResetRequest);
        if (filter.vendor !== undefined) vendorNamed(filter.vendor);
        return c.json(resetState(ctx, filter));
      },
    },
  ];
}
