// A typed client for the control API, usable against an in-process sandbox or a running server.
import type { ClockState } from './core/clock.js';
import type { VendorCoverage } from './core/control-plane.js';
import type { ResetRequest, SeedDocument, Snapshot, SnapshotInput } from './core/control/state.js';
import type { Fault, FaultAction, JsonValue } from './core/faults.js';
import type { JournalEntry, JournalFilter } from './core/journal.js';
import type { RecordPage } from './core/vendor.js';

/** Where and how often a fault fires; the action (`error`, `response`, `delayMs`, `drop`, `rowErrors`) comes with it. */
export interface ArmFaultInput {
  vendor: string;
  method?: string;
  /** A route pattern as documented (`/external-api/accounts/:externalId`) or a concrete path (`/external-api/accounts/A1`). */
  path?: string;
  times?: number;
  after?: number;
  /** Only requests of this tenant (known once the vendor's auth has passed). */
  tenant?: string;
  /** Header name (any case) → exact value the request must carry. */
  requestHeaders?: Record<string, string>;
  /** RFC 6901 JSON pointer → the value the request body must hold there (deep-equal). */
  requestBody?: Record<string, JsonValue>;
  /** Chance (0 < p <= 1, default 1) that a matching request past `after` fires it. */
  probability?: number;
  /** Seeds the fault's generator for `probability` and delay draws (default 0). */
  seed?: number;
}

export class SandboxAdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`control API answered ${status}: ${JSON.stringify(body)}`);
  }
}

export interface AdminClient {
  health(): Promise<{ status: 'ok' }>;
  reset(filter?: ResetRequest): Promise<{ deleted: number }>;
  seed(document: SeedDocument, options?: { namespace?: string }): Promise<{ credentials: number; records: number }>;
  records(vendor: string, options?: { tenant?: string; namespace?: string; limit?: number; cursor?: string }): Promise<RecordPage>;
  createCredential(body: { vendor: string } & Record<string, unknown>): Promise<unknown>;
  revokeCredential(vendor: string, id: string): Promise<{ revoked: true }>;
  clock(): Promise<ClockState>;
  setClock(update: { set?: string | number; advanceMs?: number; freeze?: boolean }): Promise<ClockState>;
  advanceClock(ms: number): Promise<ClockState>;
  requests(filter?: JournalFilter): Promise<JournalEntry[]>;
  /** How many kept journal entries match `filter` (its `limit` is not sent). */
  requestCount(filter?: Omit<JournalFilter, 'limit'>): Promise<number>;
  clearRequests(namespace?: string): Promise<{ cleared: number }>;
  armFault(fault: ArmFaultInput & FaultAction, options?: { namespace?: string }): Promise<Fault>;
  faults(options?: { vendor?: string; namespace?: string }): Promise<Fault[]>;
  disarmFaults(filter?: { id?: string; vendor?: string; namespace?: string }): Promise<{ disarmed: number }>;
  setRateLimits(mode: 'vendor' | 'off'): Promise<{ mode: 'vendor' | 'off' }>;
  /** Credential secrets read "[withheld]" unless `secrets: 'include'` (the result is then a credential). */
  snapshot(options?: { secrets?: 'include' }): Promise<Snapshot>;
  restore(snapshot: SnapshotInput): Promise<{ tables: number; rows: number }>;
  coverage(): Promise<VendorCoverage[]>;
}

const query = (params: Record<string, unknown> = {}) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
};

/** `baseUrl` is the sandbox root, e.g. `http://127.0.0.1:4700`; `token` is the admin token, if the sandbox has one. */
export function createAdminClient(baseUrl: string, options: { token?: string; fetch?: typeof fetch } = {}): AdminClient {
  const fetchImpl = options.fetch ?? fetch;
  const auth: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetchImpl(`${baseUrl}/_sandbox${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await res.json()) as unknown;
    if (!res.ok) throw new SandboxAdminError(res.status, parsed);
    return parsed as T;
  }
  return {
    health: () => request('GET', '/health'),
    reset: (filter = {}) => request('POST', '/reset', filter),
    seed: (document, options = {}) => request('POST', `/seed${query(options)}`, document),
    records: (vendor, options = {}) => request('GET', `/${encodeURIComponent(vendor)}/records${query(options)}`),
    createCredential: (body) => request('POST', '/credentials', body),
    revokeCredential: (vendor, id) => request('DELETE', `/credentials${query({ vendor, id })}`),
    clock: () => request('GET', '/clock'),
    setClock: (update) => request('POST', '/clock', update),
    advanceClock: (ms) => request('POST', '/clock', { advanceMs: ms }),
    requests: async (filter = {}) => (await request<{ requests: JournalEntry[] }>('GET', `/requests${query({ ...filter })}`)).requests,
    requestCount: async (filter = {}) => (await request<{ count: number }>('GET', `/requests/count${query({ ...filter })}`)).count,
    clearRequests: (namespace) => request('DELETE', `/requests${query({ namespace })}`),
    armFault: (fault, options = {}) => request('POST', `/faults${query(options)}`, fault),
    faults: async (options = {}) => (await request<{ faults: Fault[] }>('GET', `/faults${query(options)}`)).faults,
    disarmFaults: (filter = {}) => request('DELETE', `/faults${query(filter)}`),
    setRateLimits: (mode) => request('PUT', '/rate-limits', { mode }),
    snapshot: (options = {}) => request('GET', `/snapshot${query(options)}`),
    restore: (snapshot) => request('POST', '/snapshot', snapshot),
    coverage: async () => (await request<{ vendors: VendorCoverage[] }>('GET', '/coverage')).vendors,
  };
}
