// Faults as data: armed per vendor, method and path, counted with `after` and `times`, off by default.
import { z } from 'zod';

/** Longest delay a fault may add; every drawn delay is clamped to 0..this. */
export const MAX_DELAY_MS = 120_000;

/** RFC 7230 `token`: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 7230 `field-value` characters: visible ASCII, space, tab and obs-text (0x80-0xFF); never CR, LF or NUL. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Framing and hop-by-hop headers: the server sets them, and a wrong one breaks the connection, not the client's parser. */
const FORBIDDEN_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);
/** Statuses whose responses carry no body: the web `Response` constructor throws if given one. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** Response headers a fault sends: names and values the web `Headers` accept, and nothing that frames the message. */
const ResponseHeaders = z
  .record(z.string(), z.string())
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a header name (an RFC 7230 token)` });
      else if (FORBIDDEN_RESPONSE_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is a framing or hop-by-hop header the server sets itself` });
      if (!HEADER_VALUE.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'not a legal header value (no CR, LF, NUL or characters above 0xFF)' });
    }
  })
  .describe('Response headers; framing and hop-by-hop headers (Content-Length, Transfer-Encoding, Connection, ...) are refused');

export const DelaySpec = z
  .union([
    z.number().int().min(0).max(MAX_DELAY_MS),
    z.strictObject({ fixed: z.number().int().min(0).max(MAX_DELAY_MS) }),
    z.strictObject({
      uniform: z
        .strictObject({ min: z.number().min(0).max(MAX_DELAY_MS), max: z.number().min(0).max(MAX_DELAY_MS) })
        .refine((u) => u.min <= u.max, { message: 'min must not exceed max', path: ['min'] }),
    }),
    z.strictObject({
      logNormal: z.strictObject({ medianMs: z.number().min(0).max(MAX_DELAY_MS), sigma: z.number().gt(0).max(5) }),
    }),
  ], { error: `a whole number of milliseconds (0 to ${MAX_DELAY_MS}), or {"fixed": n}, {"uniform": {"min", "max"}} or {"logNormal": {"medianMs", "sigma"}}` })
  .describe(`Milliseconds (0 to ${MAX_DELAY_MS}), or a distribution drawn from the fault's seeded generator; every draw is clamped to 0..${MAX_DELAY_MS} and rounded`);
export type DelaySpec = z.infer<typeof DelaySpec>;

export const FaultAction = z.union([
  z.strictObject({
    error: z
      .string()
      .min(1)
      .describe("A request-level error by its name in the vendor's catalogue; only one every route the fault reaches documents (its own errors and the vendor's generic ones)"),
    headers: ResponseHeaders.optional(),
  }),
  z.strictObject({
    response: z
      .strictObject({
        status: z.number().int().min(200).max(599),
        headers: ResponseHeaders.optional(),
        body: z.unknown().optional().describe('A string is sent as is; anything else as JSON'),
      })
      .superRefine((response, ctx) => {
        if (response.body !== undefined && NULL_BODY_STATUSES.has(response.status)) {
          ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${response.status} response has no body` });
        }
      })
      .describe("A raw response, sent as given: outside the vendor's documented contract, for what no route documents (a 503 from a proxy, a malformed body)"),
  }),
  z.strictObject({ delayMs: DelaySpec }),
  z.strictObject({ drop: z.union([z.literal(true), z.literal('beforeCommit'), z.literal('afterCommit')], { error: 'true, "beforeCommit" or "afterCommit"' }) }),
  z.strictObject({ rowErrors: z.record(z.string().regex(/^\d+$/, 'row index'), z.string().min(1)) }),
], { error: 'exactly one action: error, response, delayMs, drop or rowErrors' });
export type FaultAction = z.infer<typeof FaultAction>;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An RFC 6901 pointer: "" (the whole body) or `/`-separated tokens, `~` only as `~0` or `~1`. */
const JsonPointer = z.string().regex(/^(\/([^~]|~[01])*)*$/, 'not a JSON pointer (RFC 6901: "" or starting with "/", "~" only as ~0 or ~1)');

/** Request header names (any case) → exact values; stored with lower-case names. */
const RequestHeaders = z
  .record(z.string(), z.string())
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a header name (an RFC 7230 token)` });
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'names are case-insensitive: given twice' });
      seen.add(name.toLowerCase());
      // A request's header values reach us trimmed: a value that is not could never match.
      if (!HEADER_VALUE.test(value) || value !== value.trim()) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'not a header value a request can carry (no CR, LF, NUL, characters above 0xFF, or surrounding whitespace)' });
      }
    }
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])));

/** The targeting fields, shared by the arm body and the stored fault. */
const targeting = {
  tenant: z.string().min(1).describe("Only requests of this tenant (the credential's, once the vendor's auth has passed); any when absent"),
  requestHeaders: RequestHeaders.describe('Header name (any case) → the exact value the request must carry'),
  // z.unknown, not z.json: the recursive JSON schema would make the OpenAPI document circular; a parsed body holds only JSON anyway.
  requestBody: z.record(JsonPointer, z.unknown()).describe('RFC 6901 JSON pointer → the JSON value the request body must hold there (deep-equal); a body that is not JSON never matches'),
  probability: z.number().gt(0).max(1).describe('Chance that a matching request past `after` fires the fault; a miss consumes no `times`'),
  seed: z.number().int().describe("Seeds the fault's generator (probability and delay draws), so runs repeat"),
};

export const FaultMatch = z.strictObject({
  vendor: z.string().min(1),
  method: z.string().min(1).optional().describe('HTTP method; any when absent'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('The vendor path (without prefix or query): a route pattern as documented, or a concrete path; `:name` segments match any value; any when absent'),
  times: z.number().int().min(1).default(1).describe('How many matching requests it fires on'),
  after: z.number().int().min(0).default(0).describe('Matching requests to let through first'),
  tenant: targeting.tenant.optional(),
  requestHeaders: targeting.requestHeaders.optional(),
  requestBody: targeting.requestBody.optional(),
  probability: targeting.probability.default(1),
  seed: targeting.seed.default(0),
});

export interface Fault {
  id: string;
  vendor: string;
  namespace: string;
  method: string | null;
  path: string | null;
  /** Taken after the vendor's auth (the only place the tenant is known) when set. */
  tenant: string | null;
  /** Lower-case header name → exact value. */
  requestHeaders: Record<string, string> | null;
  /** JSON pointer → value, deep-equal. */
  requestBody: Record<string, unknown> | null;
  after: number;
  times: number;
  probability: number;
  seed: number;
  /** The mulberry32 state the next draw starts from: kept on the fault so snapshots replay the same draws. */
  rngState: number;
  /** Matching requests seen so far (those let through by `after` included). */
  seen: number;
  /** Firings left. */
  remaining: number;
  action: FaultAction;
}

/**
 * A fault exactly as `Faults.all()` returns it (and a snapshot holds it). Fields added after
 * the first snapshots default to "no targeting"; a missing `rngState` starts from `seed`.
 * Whether the vendor, its catalogue and routes fit is `faultTargetProblem`'s job.
 */
export const StoredFault = z
  .strictObject({
    // At most 15 digits: `restore` numbers the next fault from the largest id, which must stay a safe integer.
    id: z.string().regex(/^flt_[1-9]\d{0,14}$/, 'must look like flt_<digits>'),
    vendor: z.string().min(1),
    namespace: z.string(),
    method: z.string().regex(/^[A-Z]+$/, 'an upper-case HTTP method').nullable(),
    path: z.string().min(1).nullable(),
    tenant: targeting.tenant.nullable().default(null),
    requestHeaders: z
      .record(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/, 'a lower-case header name'), z.string().regex(HEADER_VALUE))
      .nullable()
      .default(null),
    requestBody: targeting.requestBody.nullable().default(null),
    after: z.number().int().min(0),
    times: z.number().int().min(1),
    probability: targeting.probability.default(1),
    seed: targeting.seed.default(0),
    rngState: z.number().int().min(0).max(0xffff_ffff).optional(),
    seen: z.number().int().min(0),
    remaining: z.number().int().min(1),
    action: FaultAction,
  })
  .meta({ id: 'SandboxFault', description: 'An armed fault: its targeting, its counts and the state of its seeded generator (as GET /faults lists it and a snapshot holds it).' });
export type StoredFault = z.output<typeof StoredFault>;

/** What `take` is given about one request. */
export interface FaultRequest {
  vendor: string;
  namespace: string;
  method: string;
  path: string;
  /** The authenticated tenant; only known once the vendor's auth has run. */
  tenant?: string | undefined;
  header(name: string): string | undefined;
  /** The parsed JSON body (NOT_JSON when it is not JSON), read only when `needsBody` says so. */
  body?: unknown;
}

/** Where a request is when faults are taken: before routing (untargeted by tenant), or after auth (tenant faults only). */
export type FaultStage = 'request' | 'authenticated';

/** Stands for a request body that is not JSON: no body matcher matches it. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

function pathMatches(pattern: string, path: string): boolean {
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') || seg === '*' || seg === b[i]);
}

/** mulberry32: one step from `state`, a uniform value in [0, 1) and the next state. */
export function mulberry32(state: number): { value: number; state: number } {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296, state: next };
}

/** The fault's next uniform draw in [0, 1); advances its generator. */
export function nextRandom(fault: { rngState: number }): number {
  const { value, state } = mulberry32(fault.rngState);
  fault.rngState = state;
  return value;
}

/** One delay from the spec, in whole milliseconds within 0..MAX_DELAY_MS. */
export function drawDelayMs(delay: DelaySpec, random: () => number): number {
  let ms: number;
  if (typeof delay === 'number') ms = delay;
  else if ('fixed' in delay) ms = delay.fixed;
  else if ('uniform' in delay) ms = delay.uniform.min + random() * (delay.uniform.max - delay.uniform.min);
  else {
    // Box-Muller: 1 - u keeps the logarithm's argument in (0, 1].
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    ms = delay.logNormal.medianMs * Math.exp(delay.logNormal.sigma * z);
  }
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(0, ms)));
}

/** The delay a firing `delayMs` fault waits, drawn from its own generator. */
export const drawFaultDelay = (fault: Fault): number => ('delayMs' in fault.action ? drawDelayMs(fault.action.delayMs, () => nextRandom(fault)) : 0);

/** The value at an RFC 6901 pointer, or `undefined` when there is none. */
export function resolvePointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let at: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) >= at.length) return undefined;
      at = at[Number(token)];
    } else if (at !== null && typeof at === 'object' && Object.hasOwn(at, token)) {
      at = (at as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return at;
}

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => jsonEqual(v, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;

  /** Whether any fault is armed: most requests meet none, and skip building the match. */
  get armed(): boolean {
    return this.faults.length > 0;
  }

  arm(input: Omit<Fault, 'id' | 'seen' | 'remaining' | 'rngState'>): Fault {
    const fault: Fault = { ...input, id: `flt_${this.nextId++}`, rngState: input.seed >>> 0, seen: 0, remaining: input.times };
    this.faults.push(fault);
    return fault;
  }

  /** Everything but the body: vendor, namespace, stage (tenant), method, path and headers. */
  private targets(fault: Fault, request: FaultRequest, stage: FaultStage): boolean {
    if (fault.vendor !== request.vendor || fault.namespace !== request.namespace) return false;
    if (stage === 'request' ? fault.tenant !== null : fault.tenant === null || fault.tenant !== request.tenant) return false;
    if (fault.method !== null && fault.method !== request.method) return false;
    if (fault.path !== null && !pathMatches(fault.path, request.path)) return false;
    if (fault.requestHeaders !== null && !Object.entries(fault.requestHeaders).every(([name, value]) => request.header(name) === value)) return false;
    return true;
  }

  /** Whether some fault would look at this request's body: only then is it read and parsed. */
  needsBody(request: FaultRequest, stage: FaultStage): boolean {
    return this.faults.some((f) => f.requestBody !== null && this.targets(f, request, stage));
  }

  /** The fault that fires on this request, if any; counts the request against every match. */
  take(request: FaultRequest, stage: FaultStage = 'request'): Fault | undefined {
    for (const fault of this.faults) {
      if (!this.targets(fault, request, stage)) continue;
      if (fault.requestBody !== null) {
        const body = request.body;
        if (body === undefined || body === NOT_JSON) continue;
        if (!Object.entries(fault.requestBody).every(([pointer, value]) => jsonEqual(resolvePointer(body, pointer), value))) continue;
      }
      fault.seen += 1;
      if (fault.seen <= fault.after) continue;
      // A certain fault draws nothing, so adding `probability: 1` changes no sequence.
      if (fault.probability < 1 && nextRandom(fault) >= fault.probability) continue;
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
      return fault;
    }
    return undefined;
  }

  list(filter: { vendor?: string; namespace?: string } = {}): Fault[] {
    return this.faults.filter((f) => (filter.vendor === undefined || f.vendor === filter.vendor) && (filter.namespace === undefined || f.namespace === filter.namespace));
  }

  /** Disarms one fault by id, or every fault matching the filter; returns how many. */
  disarm(filter: { id?: string; vendor?: string; namespace?: string } = {}): number {
    const before = this.faults.length;
    this.faults = this.faults.filter(
      (f) =>
        !(
          (filter.id === undefined || f.id === filter.id) &&
          (filter.vendor === undefined || f.vendor === filter.vendor) &&
          (filter.namespace === undefined || f.namespace === filter.namespace)
        ),
    );
    return before - this.faults.length;
  }

  all(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Every armed fault with its counters, and the next id: what processes sharing a database exchange (core/shared-state.ts). */
  settings(): { faults: Fault[]; nextId: number } {
    return { faults: this.faults, nextId: this.nextId };
  }

  adopt(settings: { faults: Fault[]; nextId: number }): void {
    this.faults = settings.faults;
    this.nextId = settings.nextId;
  }

  /** Replaces every fault, e.g. with a snapshot's (parsed with `StoredFault`); a fault without generator state starts from its seed. */
  restore(faults: ReadonlyArray<z.input<typeof StoredFault>>): void {
    // Defaults again for callers that skipped the schema: a missing field must never mean "never fires".
    this.faults = faults.map((f) => ({
      ...f,
      tenant: f.tenant ?? null,
      requestHeaders: f.requestHeaders ?? null,
      requestBody: f.requestBody ?? null,
      probability: f.probability ?? 1,
      seed: f.seed ?? 0,
      rngState: f.rngState ?? (f.seed ?? 0) >>> 0,
    }));
    this.nextId = faults.reduce((max, f) => Math.max(max, Number(f.id.replace(/\D/g, '')) || 0), 0) + 1;
  }
}
