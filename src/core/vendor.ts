// What a vendor module declares: its routes, errors, tables and credentials. The core reads only this.
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { BulkTally } from './bulk.js';
import type { Clock } from './clock.js';
import type { VendorTarget } from './router.js';
import type { CredentialRecord, Credentials } from './credentials.js';
import type { DemoAuth, RequestSigning } from './docs.js';
import type { ErrorCatalogue } from './errors.js';
import type { IdSource } from './ids.js';
import type { RateLimits } from './rate-limit.js';
import type { Migration, Store, Tx } from './store.js';

/** The records one request may see: those of its namespace and its credential's tenant. */
export interface TenantScope {
  namespace: string;
  tenant: string;
  /**
   * The transaction the request's work runs in, once one is open (`tenantTransaction`, a bulk
   * request, a seed): a vendor table runs its statements there. Without one, on the store itself.
   */
  tx?: Tx;
}

/** Per-request values the core sets for every vendor route. */
export interface SandboxVariables {
  /** `X-Sandbox-Namespace`, or '' for the default namespace. */
  namespace: string;
  /** The vendor prefix the router is mounted under ('' when served at a port's root). */
  vendorPrefix: string;
  /** The request's target, once `vendorPathWithQuery` has worked it out. */
  vendorTarget: VendorTarget | undefined;
  rawBody: Uint8Array | undefined;
  /** The tenant the request's credential belongs to, once auth has passed. */
  tenant: string;
  credential: CredentialRecord;
  /** Where the request's records live (its namespace and tenant), once auth has passed. */
  scope: TenantScope;
  /**
   * Row indexes a fault asked to fail, with the vendor row-error name for each: the control plane
   * fills it, `bulkRoute` (core/bulk.ts) substitutes those rows.
   */
  rowFaults: ReadonlyMap<number, string> | undefined;
  /** A bulk request's row count and failed rows' codes, set by `bulkRoute`; metrics, coverage and logs read it. */
  bulk: BulkTally | undefined;
  /** The catalogue name of the error this request was answered with, set by the renderer. */
  errorName: string | undefined;
  /** The id of the fault that fired on this request. */
  faultId: string | undefined;
  /** True when that fault's action stood in for the answer (error, response, drop), not when the handler still answered (delayMs, rowErrors). */
  faultAnswered: boolean | undefined;
  /** The route that matched, once routing is done (metrics read its `batchField`). */
  route: RouteDef | undefined;
  /** The route's query and path parameters as its schemas parsed them (core/router.ts `routeInput`). */
  input: RouteInput;
  /** The id in X-Sandbox-Request-Id (a vendor request's journal id), once the handler has returned. */
  requestId: number | undefined;
  /** An id the shared state took for this request with its first query (shared mode), for `reserveRequestId`. */
  reservedId: number | undefined;
}
export interface SandboxEnv {
  Variables: SandboxVariables;
}
export type SandboxContext = Context<SandboxEnv>;

/** A route's parsed parameters, where it declares them. */
export interface RouteInput {
  query?: unknown;
  params?: unknown;
}

/** Everything a vendor may use from the core; built once per app. */
export interface CoreDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  credentials: Credentials;
  rateLimits: RateLimits;
  bodyLimit: number;
  /** Vendor-specific switches from `--vendor-option <vendor>.<key>=<value>`, by vendor name. */
  vendorOptions: Record<string, Record<string, string>>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default `application/json`; e.g. `text/plain` for the Prometheus metrics. */
  contentType?: string;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/** A route's request body as documented. */
export interface RequestBodyDoc {
  schema: z.ZodType;
  description?: string;
  example?: unknown;
  /** Default `application/json`. */
  contentType?: string;
  /**
   * The handler also answers a request without a body (e.g. as if `{}` were sent): the document then
   * says `required: false`, and test/request-bodies.test.ts sends the route no body to check it.
   */
  optional?: boolean;
}

export type { ErrorCatalogue } from './errors.js';

/**
 * A route as data: one definition installs the handler and describes it in the OpenAPI document.
 * `Name`: the catalogue names its `errors` may list (the vendor's, so a typo fails tsc).
 */
export interface RouteDef<Name extends string = string> {
  method: HttpMethod;
  /** Hono-style vendor path, e.g. `/external-api/accounts/:externalId`. */
  path: string;
  operationId: string;
  summary: string;
  /** What the operation does, and when it answers what: required, so no operation reaches the document unexplained. */
  description: string;
  /** The operation's group in the document: a resource for a vendor (`people`), an area for the control API (`faults`); one of the document's `tags`. */
  tag: string;
  /**
   * Names of the security schemes (from the vendor's `openapi.securitySchemes`) the route needs, all
   * of them; alternatives as several lists (any one of them will do). Absent: the document's default
   * (none for a vendor); `[]`: the route answers without credentials, whatever the default.
   */
  security?: string[] | string[][];
  request?: {
    headers?: z.ZodObject;
    params?: z.ZodObject;
    query?: z.ZodObject;
    body?: RequestBodyDoc;
  };
  /** Successful responses by status. */
  responses: Record<number, ResponseDoc>;
  /**
   * Catalogue names of every request-level error this route can answer with, besides the
   * catalogue's generic ones, which the core adds to every route (`documentedErrors`, core/errors.ts).
   * A fault armed by name answers only these.
   */
  errors: readonly Name[];
  /** Set by `bulkRoute` (core/bulk.ts) only: the top-level request body field holding the rows. */
  batchField?: string;
  middleware?: MiddlewareHandler<SandboxEnv>[];
  handler: (c: SandboxContext) => Response | Promise<Response>;
}

export interface CredentialKind {
  /** The control API's create body for this vendor (without `vendor`). */
  createSchema: z.ZodType<Record<string, unknown>>;
  /** The record for an input `createSchema` has parsed (the core parses it; build with `credentialKind`). */
  toRecord(input: Record<string, unknown>): CredentialRecord;
  /** Loaded at start unless `--no-demo`, each only where no credential with its vendor and id is stored (Credentials.putIfAbsent). */
  demo: CredentialRecord[];
}

/** A page of stored records, in the shape the vendor's own read endpoints return them. */
export interface RecordPage {
  records: unknown[];
  nextCursor: string | null;
}

export interface RecordFilter {
  namespace: string;
  tenant?: string;
  limit: number;
  cursor?: string;
}

/** What loading one tenant's fixtures did: how many records it wrote, and each fixture it could not. */
export interface SeedOutcome {
  loaded: number;
  issues: string[];
}

/** What a vendor builds once per app from the core's dependencies. */
export interface VendorInstance<Name extends string = string> {
  routes: RouteDef<Name>[];
  /**
   * Runs on every request to the vendor, unknown paths, wrong methods and faked errors
   * included (e.g. headers the vendor puts on every response).
   */
  middleware?: MiddlewareHandler<SandboxEnv>[];
  /** Lists stored records for the control API (`GET /_sandbox/{vendor}/records`). */
  listRecords(filter: RecordFilter): Promise<RecordPage>;
  /**
   * Loads fixtures for one tenant, each in the shape the vendor's create call takes, through the
   * vendor's own create rules. Runs inside the core's seed transaction: it opens none of its own
   * and throws nothing for a bad fixture, it reports it (e.g. `accounts.3: <why>`, in the words
   * of the vendor's own create call); the core then rolls the whole seed back.
   */
  seedRecords(scope: TenantScope, records: readonly unknown[]): Promise<SeedOutcome>;
}

/** `Name`, `Row`: the vendor's error and row-error names, tying its routes to its own catalogue. */
export interface VendorModule<Name extends string = string, Row extends string = string> {
  name: string;
  title: string;
  /** Mount prefix, e.g. `/cora`. */
  prefix: string;
  migrations: Migration[];
  /**
   * Tables holding tenant data (each has `namespace` and `tenant` columns). The first holds the
   * vendor's records: the ones `listRecords` lists and a reset's `deleted` counts.
   */
  tables: string[];
  errors: ErrorCatalogue<Name, Row>;
  credentials: CredentialKind;
  /**
   * By table: the shape of the JSON the vendor keeps in that table's `data` column. A snapshot
   * restore refuses a row whose `data` does not match, since the vendor could not read it back.
   */
  storedShapes?: Record<string, z.ZodType>;
  /**
   * Fields of the vendor's own answers whose names read like a credential's (`key`) but hold none:
   * the journal shows them as they are, and in shared mode can store such an answer as it came.
   * Names match exactly; only answers, never requests (a client may send anything under any
   * name); a known secret is still replaced wherever it appears.
   */
  shownResponseFields?: readonly string[];
  openapi: {
    version: string;
    description: string;
    securitySchemes: Record<string, Record<string, unknown>>;
    /** Every tag its routes use (`RouteDef.tag`), with what the group holds. */
    tags: Record<string, string>;
    /** A request signature /docs computes in the browser for Try it out (see core/docs.ts). */
    signing?: RequestSigning;
    /** The demo credentials /docs fills in Authorize, by security scheme (only when loaded, and never behind an admin token). */
    demoAuth?: DemoAuth;
  };
  create(deps: CoreDeps): VendorInstance<Name>;
}
