// createApp: wires the core once and mounts every registered vendor plus the control API.
import { Hono, type MiddlewareHandler } from 'hono';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { DEFAULT_BODY_LIMIT } from './core/body.js';
import { SandboxClock } from './core/clock.js';
import { guardControlPlane } from './core/control-guard.js';
import { ControlPlane } from './core/control-plane.js';
import { CONTROL_PREFIX, CONTROL_SECURITY, CONTROL_SECURITY_SCHEMES, CONTROL_TAGS, controlCatalogue, controlRoutes, explainControlFailure, OPEN_CONTROL_READS } from './core/control/routes.js';
import type { ControlContext } from './core/control/state.js';
import { Credentials } from './core/credentials.js';
import { createDocsRouter, DOCS_PREFIX } from './core/docs.js';
import { documentedErrors } from './core/errors.js';
import { createIdSource, type IdSource } from './core/ids.js';
import { logRequests, type LogArea, type Logger } from './core/logger.js';
import { assignRequestIds } from './core/request-id.js';
import { buildDocument } from './core/openapi.js';
import { RateLimits, type RateLimitMode } from './core/rate-limit.js';
import { createVendorRouter } from './core/router.js';
import { SharedCoverage, SharedJournal, SharedState } from './core/shared-state.js';
import { JOURNAL_BYTE_BUDGET, type JournalRedaction } from './core/journal.js';
import type { Store } from './core/store.js';
import type { CoreDeps, SandboxEnv, VendorInstance, VendorModule } from './core/vendor.js';
import { createDashboardRouter, DASHBOARD_PATH } from './ui/dashboard.js';
import { VENDORS } from './vendors/registry.js';

export interface AppOptions {
  store: Store;
  clock?: SandboxClock;
  ids?: IdSource;
  rateLimits?: RateLimitMode;
  bodyLimit?: number;
  /** Load the demo credentials of every vendor (default true). */
  demo?: boolean;
  vendors?: readonly VendorModule[];
  vendorOptions?: Record<string, Record<string, string>>;
  /** Most journal entries kept (default 10,000); the oldest go first. */
  journalCapacity?: number;
  /** Bytes of bodies, headers and entries the journal holds (default 16 MiB); the oldest go first. */
  journalBytes?: number;
  /** When set, the control API answers only requests that present it (health aside: it reveals nothing). */
  adminToken?: string;
  /** Host names besides loopback ones the control plane answers for (see core/control-guard.ts); `*` for any. */
  allowedHosts?: readonly string[];
  /** Logs one JSON line per request (see core/logger.ts); none when absent. */
  logger?: Logger;
}

/** The built app, and everything the control API acts on (so `applySeed(sandboxApp, ...)` works). */
export interface SandboxApp extends ControlContext {
  app: Hono;
  /** OpenAPI documents by name: each vendor's, and `sandbox` for the control API. */
  documents: Record<string, OpenAPIObject>;
  /** Each vendor alone at the root, paths exactly as the vendor's host has them (for `--vendor-port`). */
  vendorApps: Record<string, Hono>;
}

/** Builds the app on an open store, migrating it first (safe when several processes start at once on one database). */
export async function createApp(options: AppOptions): Promise<SandboxApp> {
  const clock = options.clock ?? new SandboxClock();
  const vendors = options.vendors ?? VENDORS;
  const deps: CoreDeps = {
    store: options.store,
    clock,
    ids: options.ids ?? createIdSource(),
    credentials: new Credentials(options.store),
    rateLimits: new RateLimits(clock, options.rateLimits ?? 'vendor'),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    vendorOptions: options.vendorOptions ?? {},
  };

  await deps.credentials.migrate();
  for (const vendor of vendors) {
    await deps.store.migrate(vendor.name, vendor.migrations);
    // Only where absent: a process (re)starting on a shared database or file keeps what an operator changed (a rotated secret, a revocation).
    if (options.demo ?? true) for (const record of vendor.credentials.demo) await deps.credentials.putIfAbsent(record);
  }
  await deps.credentials.refresh();

  const secrets = () => deps.credentials.secrets();
  const redaction: JournalRedaction = {
    secrets,
    shownResponseFields: new Map(vendors.filter((v) => v.shownResponseFields).map((v) => [v.name, new Set(v.shownResponseFields)])),
  };
  const plane = new ControlPlane(clock, options.journalCapacity, options.journalBytes, redaction);
  // Shared mode: the clock, faults and rate limits are the database's, for every process on it.
  const shared = deps.store.engine === 'postgres' ? new SharedState(deps.store, { clock, faults: plane.faults, rateLimits: deps.rateLimits, credentials: deps.credentials }) : undefined;
  if (shared) {
    const store = deps.store;
    plane.metrics.track(
      'bulk_sandbox_store_round_trips_total',
      'Round trips this process made to PostgreSQL: statements sent together (pipelined) count once (shared mode only).',
      () => store.roundTrips ?? 0,
    );
    await shared.start();
    plane.shared = shared;
    plane.journal = new SharedJournal(deps.store, plane.journal.capacity, options.journalBytes ?? JOURNAL_BYTE_BUDGET, redaction);
    plane.coverage = new SharedCoverage(deps.store);
  }
  const requestIds = assignRequestIds(() => plane.journal.reserveId()) as MiddlewareHandler;
  const app = new Hono();
  if (shared) app.use(shared.middleware());
  // First, so it sees every request and the final response, errors included.
  if (options.logger) {
    // The sandbox's own pages and documents are control-plane reads (see core/logger.ts); a vendor's document is matched before its prefix.
    const areas: LogArea[] = [
      ...vendors.flatMap((v) => [{ name: v.name, prefix: `${v.prefix}/openapi.json`, control: true }, { name: v.name, prefix: v.prefix }]),
      { name: 'sandbox', prefix: CONTROL_PREFIX, control: true },
      { name: 'docs', prefix: DOCS_PREFIX, control: true },
    ];
    app.use(logRequests(options.logger, areas, secrets) as MiddlewareHandler);
  }
  // Inside the logger, so the log line carries the id; vendor routers' observers number their own.
  app.use(requestIds);
  const documents: Record<string, OpenAPIObject> = {};
  const instances: Record<string, VendorInstance> = {};
  const vendorApps: Record<string, Hono> = {};
  for (const vendor of vendors) {
    const instance = vendor.create(deps);
    instances[vendor.name] = instance;
    const routes = instance.routes;
    defineLazy(documents, vendor.name, () =>
      buildDocument({
        title: `bulk-sandbox: ${vendor.title}`,
        version: vendor.openapi.version,
        description: vendor.openapi.description,
        serverUrl: vendor.prefix,
        securitySchemes: vendor.openapi.securitySchemes,
        tags: vendor.openapi.tags,
        routes,
        errors: vendor.errors,
      }),
    );
    const owner = { name: vendor.name, errors: vendor.errors, clock };
    const middleware = plane.middlewareFor(vendor, deps.bodyLimit, instance.middleware);
    const beforeHandler = plane.beforeHandlerFor(vendor, deps.bodyLimit);
    app.get(`${vendor.prefix}/openapi.json`, (c) => c.json(documents[vendor.name]!));
    app.route(vendor.prefix, createVendorRouter(owner, routes, vendor.prefix, middleware, beforeHandler));
    const alone = new Hono();
    if (shared) alone.use(shared.middleware());
    if (options.logger) alone.use(logRequests(options.logger, [{ name: vendor.name, prefix: '' }], secrets) as MiddlewareHandler);
    alone.use(requestIds);
    alone.route('/', createVendorRouter(owner, routes, '', middleware, beforeHandler));
    vendorApps[vendor.name] = alone;
  }

  const control = controlRoutes({ deps, clock, vendors, instances, plane, documents });
  defineLazy(documents, 'sandbox', () =>
    buildDocument({
      title: 'bulk-sandbox control API',
      version: '1.0.0',
      description: "Reset, seed, inspect and steer the sandbox. Never part of a vendor's API.",
      serverUrl: CONTROL_PREFIX,
      securitySchemes: CONTROL_SECURITY_SCHEMES,
      security: CONTROL_SECURITY,
      tags: CONTROL_TAGS,
      routes: control,
      errors: controlCatalogue,
    }),
  );
  // The browser pages sit behind the same lock as the control API; mounted before it so its catch-all 404 does not shadow them.
  const lock = guardControlPlane({
    adminToken: options.adminToken,
    allowedHosts: options.allowedHosts ?? [],
    openReads: OPEN_CONTROL_READS.map((path) => `${CONTROL_PREFIX}${path}`),
  });
  const pagesOwner = { name: 'sandbox', errors: controlCatalogue };
  for (const path of [DOCS_PREFIX, DASHBOARD_PATH]) app.get(`${path}/`, (c) => c.redirect(path));
  app.route(
    DOCS_PREFIX,
    createDocsRouter(
      [
        ...vendors.map((v) => ({
          name: v.name,
          title: v.title,
          url: `${v.prefix}/openapi.json`,
          prefix: v.prefix,
          ...(v.openapi.signing ? { signing: v.openapi.signing } : {}),
          ...(v.openapi.demoAuth ? { demo: v.openapi.demoAuth } : {}),
        })),
        { name: 'sandbox', title: 'control API', url: `${CONTROL_PREFIX}/openapi.json`, prefix: CONTROL_PREFIX, pageLogin: true },
      ],
      // The demo credentials are public values, but a locked sandbox is a shared one: its page names none.
      { clockUrl: `${CONTROL_PREFIX}/clock`, demo: (options.demo ?? true) && !options.adminToken },
      lock,
      pagesOwner,
    ),
  );
  const dashboardVendors = vendors.map((v) => ({
    name: v.name,
    title: v.title,
    prefix: v.prefix,
    bulkRoutes: instances[v.name]!.routes.filter((r) => r.batchField !== undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`),
    faultErrors: Object.fromEntries(instances[v.name]!.routes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, documentedErrors(r.errors, v.errors)])),
  }));
  app.route(DASHBOARD_PATH, createDashboardRouter(dashboardVendors, lock, pagesOwner));
  app.route(
    CONTROL_PREFIX,
    createVendorRouter({ name: 'sandbox', errors: controlCatalogue, explain: explainControlFailure(deps.store) }, control, CONTROL_PREFIX, [
      lock,
      ...(shared ? [shared.controlMiddleware() as MiddlewareHandler<SandboxEnv>] : []),
      forgetCredentialLookups(deps.credentials),
    ]),
  );
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `No vendor is mounted at ${c.req.path}` } }, 404));

  return { app, deps, clock, vendors, instances, plane, documents, vendorApps };
}

/**
 * Credential lookups are remembered (core/credentials.ts) until a control call that may have
 * written the table ends: its transaction is over then, committed or rolled back.
 */
function forgetCredentialLookups(credentials: Credentials): MiddlewareHandler<SandboxEnv> {
  return async (c, next) => {
    try {
      await next();
    } finally {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') credentials.invalidate();
    }
  };
}

/**
 * Adds `name` to `target`, built on first read and kept. Converting every route's schemas takes
 * a fifth of start-up, and most runs never ask for a document.
 */
function defineLazy<T>(target: Record<string, T>, name: string, build: () => T): void {
  let value: T | undefined;
  Object.defineProperty(target, name, { enumerable: true, configurable: false, get: () => (value ??= build()) });
}
