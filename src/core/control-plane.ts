// What every vendor router gets from the control plane: journaling, fault injection and coverage.
import type { MiddlewareHandler } from 'hono';
import { isoAt, type Clock } from './clock.js';
import { parseJsonBody, parsedJsonBody, readRawBody } from './body.js';
import { SandboxError } from './errors.js';
import { drawFaultDelay, Faults, NOT_JSON, type Fault, type FaultRequest, type FaultStage } from './faults.js';
import { isPlainObject } from './json.js';
import { JOURNAL_BYTE_BUDGET, Journal, RawBody, redactHeaders } from './journal.js';
import { Metrics } from './metrics.js';
import { vendorPathWithQuery } from './router.js';
import type { SandboxEnv, VendorModule } from './vendor.js';

export interface CoverageRow {
  code: string;
  status?: number;
  count: number;
}

export interface VendorCoverage {
  vendor: string;
  errors: CoverageRow[];
  rowErrors: CoverageRow[];
  /** Documented codes produced at least once, out of all documented codes. */
  produced: number;
  total: number;
}

/** The socket under a request served by @hono/node-server, when there is one. */
const socketOf = (env: unknown) => (env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;

export class ControlPlane {
  readonly journal: Journal;
  readonly faults = new Faults();
  readonly metrics = new Metrics();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    journalCapacity = 10_000,
    journalBytes = JOURNAL_BYTE_BUDGET,
  ) {
    this.journal = new Journal(journalCapacity, journalBytes);
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
      const id = plane.journal.reserveId();
      const fault = c.get('faultId') ?? null;
      const dropped = c.res.headers.get(DROPPED_HEADER) !== null;
      let raw = c.get('rawBody');
      if (!raw && !dropped && c.get('errorName') !== vendor.errors.fromCore.PAYLOAD_TOO_LARGE) {
        raw = await readRawBody(c, bodyLimit).catch(() => undefined);
      }
      const errorName = c.get('errorName') ?? null;
      const rowErrors = c.get('rowErrorCodes');
      if (errorName) plane.count(vendor.name, 'error', errorName);
      for (const code of rowErrors) plane.count(vendor.name, 'row', code);
      const responseText = dropped ? '' : sent?.res === c.res ? sent.text : await c.res.clone().text();
      const responseHeaders: Record<string, string> = {};
      if (!dropped) c.res.headers.forEach((v, k) => (responseHeaders[k] = v));
      // Kept raw: the journal parses and redacts it only when someone reads it.
      const requestBody = raw ? new RawBody(raw, c.req.header('content-type')) : null;
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const batchField = c.get('route')?.batchField;
      const parsed = batchField !== undefined && !dropped && c.res.status < 300 ? (parsedJsonBody(c) ?? requestBody?.describe()) : undefined;
      const batch = isPlainObject(parsed) ? parsed[batchField!] : undefined;
      plane.metrics.observe({
        vendor: vendor.name,
        method: c.req.method,
        status: dropped ? null : c.res.status,
        durationSeconds: durationMs / 1000,
        error: errorName,
        rows: Array.isArray(batch) ? batch.length : 0,
        rowErrors,
        faultFired: fault !== null,
      });
      plane.journal.add({
        id,
        time,
        vendor: vendor.name,
        namespace: c.get('namespace'),
        tenant: c.get('tenant') ?? null,
        method: c.req.method,
        path: vendorPathWithQuery(c).vendorPath,
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
      if (c.get('faultId') !== undefined) return next();
      const request: FaultRequest = {
        vendor: vendor.name,
        namespace: c.get('namespace'),
        method: c.req.method,
        path: vendorPathWithQuery(c).vendorPath.split('?')[0]!,
        tenant: stage === 'authenticated' ? c.get('tenant') : undefined,
        header: (name) => c.req.header(name),
      };
      // Bodies are read only for faults that match on them; a body too large fails as the vendor's 413, as it would later anyway.
      if (plane.faults.needsBody(request, stage)) request.body = bodyForFaults(await readRawBody(c, bodyLimit));
      const fault = plane.faults.take(request, stage);
      if (!fault) return next();
      c.set('faultId', fault.id);
      return applyFault(fault, c, next);
    };
  }

  count(vendor: string, kind: 'error' | 'row', code: string): void {
    const key = `${vendor}\u0000${kind}\u0000${code}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  coverage(vendors: readonly VendorModule[]): VendorCoverage[] {
    return vendors.map((vendor) => {
      const errors = Object.entries(vendor.errors.errors).map(([code, entry]) => ({
        code,
        status: entry.status,
        count: this.counts.get(`${vendor.name}\u0000error\u0000${code}`) ?? 0,
      }));
      const rowErrors = Object.keys(vendor.errors.rowErrors).map((code) => ({
        code,
        count: this.counts.get(`${vendor.name}\u0000row\u0000${code}`) ?? 0,
      }));
      const all = [...errors, ...rowErrors];
      return { vendor: vendor.name, errors, rowErrors, produced: all.filter((r) => r.count > 0).length, total: all.length };
    });
  }

  resetCoverage(): void {
    this.counts.clear();
  }
}

/** The request body as body matchers see it: parsed JSON, or NOT_JSON whatever the Content-Type says. */
function bodyForFaults(bytes: Uint8Array): unknown {
  try {
    return parseJsonBody(bytes, 'application/json');
  } catch {
    return NOT_JSON;
  }
}

/** Marks a response whose connection a fault dropped, so the journal records no status for it. */
export const DROPPED_HEADER = 'x-sandbox-dropped';

async function applyFault(fault: Fault, c: Parameters<MiddlewareHandler<SandboxEnv>>[0], next: () => Promise<void>): Promise<Response | void> {
  const action = fault.action;
  if ('error' in action) throw new SandboxError(action.error, { headers: action.headers ?? {} });
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
  c.res = new Response(null, { status: 204, headers: { [DROPPED_HEADER]: '1' } });
  return c.res;
}
