// createApp: wires the core once and mounts every registered vendor plus the control API.
import { Hono } from 'hono';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { DEFAULT_BODY_LIMIT } from './core/body.js';
import { SandboxClock } from './core/clock.js';
import { requireAdminToken } from './core/admin-auth.js';
import { ControlPlane } from './core/control-plane.js';
import { CONTROL_PREFIX, controlCatalogue, controlRoutes } from './core/control/routes.js';
import { Credentials } from './core/credentials.js';
import { createIdSource, type IdSource } from './core/ids.js';
import { buildDocument } from './core/openapi.js';
import { RateLimits, type RateLimitMode } from './core/rate-limit.js';
import { createVendorRouter } from './core/router.js';
import { Store } from './core/store.js';
import type { CoreDeps, VendorInstance, VendorModule } from './core/vendor.js';
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
  /** When set, the control API answers only requests that present it. */
  adminToken?: string;
}

export interface SandboxApp {
  app: Hono;
  deps: CoreDeps;
  clock: SandboxClock;
  vendors: readonly VendorModule[];
  /** What each vendor built, by vendor name. */
  instances: Record<string, VendorInstance>;
  plane: ControlPlane;
  /** OpenAPI documents by name: each vendor's, and `sandbox` for the control API. */
  documents: Record<string, OpenAPIObject>;
}

export function createApp(options: AppOptions): SandboxApp {
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

  const plane = new ControlPlane(clock, options.journalCapacity);
  const app = new Hono();
  const documents: Record<string, OpenAPIObject> = {};
  const instances: Record<string, VendorInstance> = {};
  for (const vendor of vendors) {
    deps.store.migrate(vendor.name, vendor.migrations);
    if (options.demo ?? true) for (const record of vendor.credentials.demo) deps.credentials.put(record);
    const instance = vendor.create(deps);
    instances[vendor.name] = instance;
    const routes = instance.routes;
    const document = buildDocument({
      title: `bulk-sandbox: ${vendor.title}`,
      version: vendor.openapi.version,
      description: vendor.openapi.description,
      serverUrl: vendor.prefix,
      securitySchemes: vendor.openapi.securitySchemes,
      routes,
      errors: vendor.errors,
    });
    documents[vendor.name] = document;
    const router = createVendorRouter(vendor, routes, vendor.prefix, plane.middlewareFor(vendor, deps.bodyLimit, instance.middleware));
    app.get(`${vendor.prefix}/openapi.json`, (c) => c.json(document));
    app.route(vendor.prefix, router);
  }

  const control = controlRoutes({ deps, clock, vendors, instances, plane, documents });
  documents.sandbox = buildDocument({
    title: 'bulk-sandbox control API',
    version: '1.0.0',
    description: 'Reset, seed, inspect and steer the sandbox. Never part of a vendor\'s API.',
    serverUrl: CONTROL_PREFIX,
    securitySchemes: {},
    routes: control,
    errors: controlCatalogue,
  });
  app.route(
    CONTROL_PREFIX,
    createVendorRouter({ name: 'sandbox', errors: controlCatalogue }, control, CONTROL_PREFIX, [requireAdminToken(options.adminToken)]),
  );
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `No vendor is mounted at ${c.req.path}` } }, 404));

  return { app, deps, clock, vendors, instances, plane, documents };
}
