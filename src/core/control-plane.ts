// What every vendor router gets from the control plane: journaling, fault injection and coverage.
import type { MiddlewareHandler } from 'hono';
import { isoAt, type Clock } from './clock.js';
import { parseJsonBody, readRawBody } from './body.js';
import { DROPPED_HEADER, droppedResponse, socketOf } from './connection.js';
import { CoverageCounts, type CoverageApi } from './coverage.js';
import { drawFaultDelay, Faults, NOT_JSON, type Fault, type FaultRequest, type FaultStage } from './faults.js';
import { JOURNAL_BYTE_BUDGET, Journal, RawBody, REDACT_BY_NAME_ONLY, type JournalApi, type JournalRedaction } from './journal.js';
import { Metrics } from './metrics.js';
import type { SharedState } from './shared-state.js';
import { redactHeaders, redactTarget, SecretSet } from './redact.js';
import { reserveRequestId, stampRequestId } from './request-id.js';
import { vendorPathWithQuery } from './router.js';
import type { SandboxEnv, VendorModule } from './vendor.js';

export type { CoverageRow, VendorCoverage } from './coverage.js';

export class ControlPlane {
  /** This process's journal and coverage counts, or the database's in shared mode (`share`). */
  journal: JournalApi;
  coverage: CoverageApi = new CoverageCounts();
  readonly faults = new Faults();
  readonly metrics = new Metrics();
  /** Shared mode: faults fire under the database's lock, counted across every process. */
  shared: SharedState | undefined;

  constructor(
    private readonly clock: Clock,
    journalCapacity = 10_000,
    journalBytes = JOURNAL_BYTE_BUDGET,
    /** How the journal redacts: the credential secrets (Credentials.secrets) and the vendors' shown response fields. */
    private readonly redaction: JournalRedaction = REDACT_BY_NAME_ONLY,
  ) {
    this.journal = new Journal(journalCapacity, journalBytes, redaction);
  }

  /**
   * The middleware a vendor router runs before its routes: observe, the vendor's own
   * middleware, then faults (so a faked error passes through the vendor's middleware too).
   */
  middlewareFor(vendor: VendorModule, bodyLimit: number, vendorMiddleware: MiddlewareHandler<SandboxEnv>[] = []): MiddlewareHandler<SandboxEnv>[] {
    return [this.observe(vendor, bodyLimit), ...vendorMiddleware, this.injectFaults(vendor, bodyLimit, 'request')];
  }

  /**
   * What a vendor router runs after each route's own middleware, just before its handler:
   * faults that target a tenant. The tenant is set by the vendor's auth, which is route
   * middleware, so those faults can only be taken here, once it has passed.
   */
  beforeHandlerFor(vendor: VendorModule, bodyLimit: number): MiddlewareHandler<SandboxEnv>[] {
    return [this.injectFaults(vendor, bodyLimit, 'authenticated')];
  }

  private observe(vendor: VendorModule, bodyLimit: number): MiddlewareHandler<SandboxEnv> {
    // `plane` rather than `this`: Hono calls middleware unbound.
    const plane = this;
    return async function observeRequest(c, next) {
      const started = performance.now();
      const time = isoAt(plane.clock);
      // JSON answers are kept as serialised: reading the text back out of the response would
      // turn it into a full web Response and copy it through a stream, on every request.
      let sent: { res: Response; text: string } | undefined;
      const body = c.body as (text: string, arg: unknown, headers: Record<string, string>) => Response;
      // Exactly what Hono's own c.json does, keeping the text.
      c.json = ((object: unknown, arg?: unknown, headers?: Record<string, string>) => {
        const text = JSON.stringify(object);
        const res = body(text, arg, { 'Content-Type': 'application/json', ...headers });
        sent = { res, text };
        return res;
      }) as unknown as typeof c.json;
      await next();
      // Reserved before any await: ids follow processing order (in shared mode, arrival order: the
      // id came with the request's first query).
      const reserved = reserveRequestId(c, () => plane.journal.reserveId());
      const id = typeof reserved === 'number' ? reserved : await reserved;
      const fault = c.get('faultId') ?? null;
      const dropped = c.res.headers.get(DROPPED_HEADER) !== null;
      let raw = c.get('rawBody');
      if (!raw && !dropped && c.get('errorName') !== vendor.errors.fromCore.PAYLOAD_TOO_LARGE) {
        raw = await readRawBody(c, bodyLimit).catch(() => undefined);
      }
      const errorName = c.get('errorName') ?? null;
      const bulk = c.get('bulk');
      const rowErrors = bulk?.failed ?? [];
      const scope = { vendor: vendor.name, namespace: c.get('namespace'), tenant: c.get('tenant') ?? '' };
      const codes: Array<['error' | 'row', string]> = errorName ? [['error', errorName]] : [];
      for (const code of rowErrors) codes.push(['row', code]);
      const counted = codes.length > 0 ? plane.coverage.countAll(scope, codes) : undefined;
      const responseText = dropped ? '' : sent?.res === c.res ? sent.text : await c.res.clone().text();
      // The response says which entry it is. Stamped after the clone: under @hono/node-server,
      // cloning rebuilds a lightweight response from its original headers, dropping later ones.
      // 0: the shared journal's database did not answer; the request goes without an id.
      if (id !== 0) stampRequestId(c, id);
      const responseHeaders: Record<string, string> = {};
      if (!dropped) c.res.headers.forEach((v, k) => (responseHeaders[k] = v));
      // Kept raw: the journal parses and redacts it only when someone reads it.
      const requestBody = raw ? new RawBody(raw, c.req.header('content-type')) : null;
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      plane.metrics.observe({
        vendor: vendor.name,
        method: c.req.method,
        status: dropped ? null : c.res.status,
        durationSeconds: durationMs / 1000,
        error: errorName,
        rows: bulk && !dropped && c.res.status < 300 ? bulk.rows : 0,
        rowErrors,
        faultFired: fault !== null,
      });
      await counted;
      await plane.journal.add({
        id,
        time,
        vendor: vendor.name,
        namespace: c.get('namespace'),
        tenant: c.get('tenant') ?? null,
        method: c.req.method,
        path: journaledPath(vendorPathWithQuery(c).vendorPath, plane.redaction.secrets()),
        operationId: c.get('route')?.operationId ?? null,
        requestHeaders: redactHeaders(c.req.raw.headers),
        requestBody,
        status: dropped ? null : c.res.status,
        responseHeaders,
        responseBody: new RawBody(responseText, c.res.headers.get('content-type') ?? undefined),
        durationMs,
        error: errorName,
        rowErrors: [...rowErrors],
        fault,
      });
    };
  }

  private injectFaults(vendor: VendorModule, bodyLimit: number, stage: FaultStage): MiddlewareHandler<SandboxEnv> {
    const plane = this;
    return async function injectFault(c, next) {
      // One fault per request: one fired before routing is not followed by a tenant one.
      if (!plane.faults.armed || c.get('faultId') !== undefined) return next();
      const request: FaultRequest = {
        vendor: vendor.name,
        namespace: c.get('namespace'),
        method: c.req.method,
        path: vendorPathWithQuery(c).path,
        tenant: stage === 'authenticated' ? c.get('tenant') : undefined,
        header: (name) => c.req.header(name),
      };
      // Bodies are read only for faults that match on them; a body too large fails as the vendor's 413, as it would later anyway.
      if (plane.faults.needsBody(request, stage)) request.body = bodyForFaults(await readRawBody(c, bodyLimit));
      const fault = plane.shared ? await plane.shared.exclusive(() => plane.faults.take(request, stage)) : plane.faults.take(request, stage);
      if (!fault) return next();
      c.set('faultId', fault.id);
      return applyFault(vendor, fault, c, next);
    };
  }
}

/**
 * The path as the journal keeps it: a query may carry credentials (`?access_token=`), redacted
 * before the entry is held, so the raw secret never sits in memory or a snapshot. A path without
 * a query is kept as is; readers redact known secrets in it.
 */
const journaledPath = (path: string, secrets: SecretSet): string => (path.includes('?') ? redactTarget(path, secrets) : path);

/** The request body as body matchers see it: parsed JSON, or NOT_JSON whatever the Content-Type says. */
function bodyForFaults(bytes: Uint8Array): unknown {
  try {
    return parseJsonBody(bytes, 'application/json');
  } catch {
    return NOT_JSON;
  }
}

async function applyFault(vendor: VendorModule, fault: Fault, c: Parameters<MiddlewareHandler<SandboxEnv>>[0], next: () => Promise<void>): Promise<Response | void> {
  const action = fault.action;
  // The request log says whose answer this is: a 5xx or a drop the fault made is not the sandbox failing.
  if (!('delayMs' in action) && !('rowErrors' in action)) c.set('faultAnswered', true);
  // Arming checked the name against the vendor's catalogue (faultTargetProblem).
  if ('error' in action) throw vendor.errors.error(action.error, { headers: action.headers ?? {} });
  if ('response' in action) {
    const { status, headers = {}, body } = action.response;
    const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
    // The fault's own Content-Type, in any case, wins: two would be sent joined into one value.
    const ownType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    const contentType: Record<string, string> = typeof body === 'string' || body === undefined || ownType ? {} : { 'content-type': 'application/json' };
    return c.newResponse(text, status as 200, { ...contentType, ...headers });
  }
  if ('delayMs' in action) {
    const ms = drawFaultDelay(fault);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return next();
  }
  if ('rowErrors' in action) {
    c.set('rowFaults', new Map(Object.entries(action.rowErrors).map(([index, code]) => [Number(index), code])));
    return next();
  }
  // drop: close the socket without a response, before or after the handler has written.
  if (action.drop === 'afterCommit') await next();
  socketOf(c.env)?.destroy();
  c.res = droppedResponse();
  return c.res;
}
