// Builds one vendor's Hono router from its route definitions: errors, 404s and 405s in the vendor's shape.
import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import { isBulkRoute } from './bulk.js';
import type { Clock } from './clock.js';
import { clientGone, droppedResponse } from './connection.js';
import { CORE_ERROR_DEFAULTS, SandboxError, isCoreErrorCode, neutralErrorBody, type ErrorEntry } from './errors.js';
import type { z } from 'zod';
import type { RouteDef, RouteInput, SandboxEnv, VendorModule } from './vendor.js';

/** What a router needs from its owner: a name for logs, the catalogue errors render from, and the clock. */
export type ErrorOwner = Pick<VendorModule, 'name' | 'errors'> & {
  clock?: Clock;
  /**
   * The error a thrown value that is not a SandboxError stands for, when the owner can name it (the
   * control plane: its store does not answer); undefined leaves it the catalogue's INTERNAL.
   */
  explain?: (thrown: unknown) => Promise<SandboxError | undefined>;
};

export const NAMESPACE_HEADER = 'x-sandbox-namespace';
/** A namespace name: what `X-Sandbox-Namespace` and the control API's `?namespace=` accept. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const NAMESPACE_RULE = '1 to 64 characters of A-Z a-z 0-9 . _ : -';

/**
 * The request's namespace: '' (the default) without the header. Anything else than a valid name
 * is refused: Node decodes header bytes as latin1, so a non-ASCII name would be stored under a
 * name no later call can address.
 */
function namespaceOf(c: Context): string {
  const header = c.req.header(NAMESPACE_HEADER);
  if (header === undefined) return '';
  if (!NAMESPACE_PATTERN.test(header)) {
    throw new SandboxError('INVALID_HEADER', { message: `X-Sandbox-Namespace must be ${NAMESPACE_RULE}` });
  }
  return header;
}

/** The catalogue entry an error answers with, or the core default it falls back to (`neutral`). */
interface Resolved {
  name: string;
  entry: ErrorEntry;
  neutral: boolean;
  error: SandboxError;
}

/**
 * A core code through `fromCore`, else the catalogue's own name. A name the catalogue lacks
 * (a mapping or a fault broken past the types) is logged, and answers as the core default for a
 * core code (a 404 stays a 404) or as the vendor's INTERNAL for anything else.
 */
function resolve(vendor: ErrorOwner, error: SandboxError, where: string): Resolved {
  const { errors, fromCore } = vendor.errors;
  const code: string = error.code;
  const name = isCoreErrorCode(code) ? (Object.hasOwn(fromCore, code) ? fromCore[code] : code) : code;
  if (Object.hasOwn(errors, name)) return { name, entry: errors[name]!, neutral: false, error };
  if (isCoreErrorCode(code)) {
    if (name !== code) console.error(`[${vendor.name}] fromCore.${code} names ${String(name)}, which its catalogue lacks; answered the core default on ${where}`);
    return { name: code, entry: CORE_ERROR_DEFAULTS[code], neutral: true, error };
  }
  console.error(`[${vendor.name}] error ${code} is not in its catalogue; answered its INTERNAL on ${where}`);
  return resolve(vendor, new SandboxError('INTERNAL'), where);
}

/**
 * Renders any thrown value as the vendor's error response; unknown throws become INTERNAL.
 * Never throws and never loops: `resolve` recurses at most once (to INTERNAL, a core code), and if
 * the envelope or the response itself fails, the answer is the fixed neutral 500, the cause logged.
 */
export function renderError(vendor: ErrorOwner, thrown: unknown, c: Context): Response {
  const where = `${c.req.method} ${c.req.path}`;
  try {
    let error: SandboxError;
    if (thrown instanceof SandboxError) {
      error = thrown;
    } else if (clientGone(c.env)) {
      // The client closed the connection (mid-body, say): no answer can reach it, and it is no bug.
      return droppedResponse();
    } else {
      // A bug, not a client error: say so on stderr, and give the client the vendor's 500.
      console.error(`[${vendor.name}] unhandled error on ${where}:`, thrown);
      error = new SandboxError('INTERNAL');
    }
    const { name, entry, neutral, error: shown } = resolve(vendor, error, where);
    const message = shown.customMessage ?? entry.message;
    const body = neutral
      ? neutralErrorBody(name, message)
      : vendor.errors.envelope({ name, entry, error: shown, c, ...(vendor.clock ? { now: vendor.clock.now() } : {}) });
    // `Allow` belongs to a 405; a vendor that answers wrong methods with its 404 sends none.
    const { Allow, ...others } = { ...entry.defaultHeaders, ...shown.headers };
    const headers = entry.status === 405 && Allow !== undefined ? { ...others, Allow } : others;
    const response = c.json(body as object, entry.status as 400, headers);
    (c as Context<SandboxEnv>).set('errorName', name);
    return response;
  } catch (cause) {
    console.error(`[${vendor.name}] could not render an error on ${where}; answered the fixed 500:`, cause);
    (c as Context<SandboxEnv>).set('errorName', 'INTERNAL');
    return new Response(JSON.stringify(FIXED_INTERNAL), { status: 500, headers: { 'content-type': 'application/json' } });
  }
}

const FIXED_INTERNAL = neutralErrorBody('INTERNAL', CORE_ERROR_DEFAULTS.INTERNAL.message);

const paramCount = (path: string) => path.split('/').filter((s) => s.startsWith(':')).length;

/**
 * Routes grouped by path, in the order the vendor router tries the paths: fewer path parameters
 * first (then as declared), so `/accounts/bulk-upsert` wins over `/accounts/:externalId`. Fault
 * checks (core/fault-targets.ts) follow the same order to know which route a path reaches.
 */
export function routesByPath<R extends { path: string }>(routes: readonly R[]): Array<[string, R[]]> {
  const groups = new Map<string, R[]>();
  for (const route of routes) groups.set(route.path, [...(groups.get(route.path) ?? []), route]);
  return [...groups.entries()].sort(([a], [b]) => paramCount(a) - paramCount(b));
}

/**
 * The vendor's router. Each path gets its method handlers and then a catch-all that answers
 * 405 (with `Allow`) for the other methods; unknown paths get the vendor's 404.
 */
export function createVendorRouter(
  vendor: ErrorOwner,
  routes: readonly RouteDef[],
  prefix: string,
  /** Runs before every route (journal, faults): the control plane's seam. */
  middleware: readonly MiddlewareHandler<SandboxEnv>[] = [],
  /** Runs after each route's own middleware (its auth), right before the handler: faults that need the tenant. */
  beforeHandler: readonly MiddlewareHandler<SandboxEnv>[] = [],
): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();

  app.use(async function resolveNamespace(c, next) {
    c.set('vendorPrefix', prefix);
    c.set('vendorTarget', undefined);
    c.set('rawBody', undefined);
    c.set('rowFaults', undefined);
    c.set('bulk', undefined);
    c.set('errorName', undefined);
    c.set('faultId', undefined);
    c.set('route', undefined);
    c.set('input', {});
    c.set('namespace', '');
    c.set('namespace', namespaceOf(c));
    await next();
  });
  for (const handler of middleware) app.use(handler);
  const explain = vendor.explain;
  app.onError(
    explain
      ? async (err, c) => renderError(vendor, (err instanceof SandboxError ? undefined : await explain(err).catch(() => undefined)) ?? err, c)
      : (err, c) => renderError(vendor, err, c),
  );

  for (const [path, group] of routesByPath(routes)) {
    for (const route of group) {
      if (route.batchField !== undefined && !isBulkRoute(route)) {
        throw new Error(`[${vendor.name}] ${route.operationId} declares batchField but was not built by bulkRoute (core/bulk.ts): its row faults would never apply`);
      }
      const markRoute: MiddlewareHandler<SandboxEnv> = async function markRoute(c, next) {
        c.set('route', route);
        await next();
      };
      const validate = inputValidator(vendor, route);
      app.on(route.method.toUpperCase(), [path], markRoute, ...(route.middleware ?? []), ...beforeHandler, ...validate, (c) => route.handler(c));
    }
    const allow = group.map((r) => r.method.toUpperCase()).join(', ');
    app.all(path, () => {
      throw new SandboxError('METHOD_NOT_ALLOWED', { headers: { Allow: allow } });
    });
  }
  // Sub-apps mounted with `route()` never reach their own notFound handler: catch the rest here.
  app.all('*', () => {
    throw new SandboxError('NOT_FOUND');
  });
  return app;
}

/** A query parameter sent once is a string, repeated an array (in the order sent). */
function queryValues(c: Context): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c.req.queries()).map(([name, values]) => [name, values.length === 1 ? values[0]! : values]));
}

/**
 * Checks the query and path parameters a route declares, right before its handler (after its auth
 * and the faults: a caller without credentials learns nothing of the parameters). A mismatch
 * answers with the vendor's `inputError`; the parsed values are what `routeInput` hands the handler.
 */
function inputValidator(vendor: ErrorOwner, route: RouteDef): MiddlewareHandler<SandboxEnv>[] {
  const { query, params } = route.request ?? {};
  if (!query && !params) return [];
  return [
    async function validateInput(c, next) {
      const parsed: RouteInput = {};
      for (const [where, schema, input] of [
        ['params', params, () => c.req.param() as Record<string, string>],
        ['query', query, () => queryValues(c)],
      ] as const) {
        if (!schema) continue;
        const values = input();
        const result = schema.safeParse(values, { reportInput: true });
        if (!result.success) throw vendor.errors.inputError({ where, issues: result.error.issues, input: values });
        parsed[where] = result.data;
      }
      c.set('input', parsed);
      await next();
    },
  ];
}

/**
 * A route's parsed query or path parameters, typed by the schema the route declares (passing
 * another schema than the route's is a bug, and throws).
 */
export function routeInput<S extends z.ZodObject>(c: Context<SandboxEnv>, where: 'query' | 'params', schema: S): z.infer<S> {
  if (c.get('route')?.request?.[where] !== schema) throw new Error(`routeInput: the route does not declare this ${where} schema`);
  return c.get('input')[where] as z.infer<S>;
}

/** Where a request went: as the vendor's own host would have seen it, and as sent to the sandbox. */
export interface VendorTarget {
  /** The vendor path with the query as the client sent it. */
  vendorPath: string;
  /** The vendor path without the query (what routes and faults match). */
  path: string;
  /** The whole request target, prefix included. */
  fullPath: string;
}

/**
 * The request's target, worked out once per request (auth, faults, the journal and error bodies
 * all ask for it) from the raw request line, without building a URL when Node gave one.
 */
export function vendorPathWithQuery(c: Context<SandboxEnv>): VendorTarget {
  const cached = c.get('vendorTarget');
  if (cached) return cached;
  const rawTarget = (c.env as { incoming?: { url?: string } } | undefined)?.incoming?.url;
  let fullPath = rawTarget;
  if (!fullPath?.startsWith('/')) {
    const url = new URL(c.req.url);
    fullPath = url.pathname + url.search;
  }
  const prefix = c.get('vendorPrefix');
  const vendorPath = prefix && fullPath.startsWith(prefix) ? fullPath.slice(prefix.length) || '/' : fullPath;
  const query = vendorPath.indexOf('?');
  const target = { vendorPath, path: query < 0 ? vendorPath : vendorPath.slice(0, query), fullPath };
  c.set('vendorTarget', target);
  return target;
}
