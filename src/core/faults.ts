// Faults as data: armed per vendor, method and path, counted with `after` and `times`, off by default.
import { z } from 'zod';

export const FaultAction = z.union([
  z.strictObject({ error: z.string().min(1), headers: z.record(z.string(), z.string()).optional() }),
  z.strictObject({
    response: z.strictObject({
      status: z.number().int().min(100).max(599),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  }),
  z.strictObject({ delayMs: z.number().int().min(0).max(120_000) }),
  z.strictObject({ drop: z.union([z.literal(true), z.literal('beforeCommit'), z.literal('afterCommit')]) }),
  z.strictObject({ rowErrors: z.record(z.string().regex(/^\d+$/, 'row index'), z.string().min(1)) }),
]);
export type FaultAction = z.infer<typeof FaultAction>;

export const FaultMatch = z.strictObject({
  vendor: z.string().min(1),
  method: z.string().min(1).optional().describe('HTTP method; any when absent'),
  path: z.string().min(1).optional().describe('The vendor path (without prefix or query); `:name` segments match any value; any when absent'),
  times: z.number().int().min(1).default(1).describe('How many matching requests it fires on'),
  after: z.number().int().min(0).default(0).describe('Matching requests to let through first'),
});

export interface Fault {
  id: string;
  vendor: string;
  namespace: string;
  method: string | null;
  path: string | null;
  after: number;
  times: number;
  /** Matching requests seen so far (those let through by `after` included). */
  seen: number;
  /** Firings left. */
  remaining: number;
  action: FaultAction;
}

export interface FaultRequest {
  vendor: string;
  namespace: string;
  method: string;
  path: string;
}

function pathMatches(pattern: string, path: string): boolean {
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') || seg === '*' || seg === b[i]);
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;

  arm(input: Omit<Fault, 'id' | 'seen' | 'remaining'>): Fault {
    const fault: Fault = { ...input, id: `flt_${this.nextId++}`, seen: 0, remaining: input.times };
    this.faults.push(fault);
    return fault;
  }

  /** The fault that fires on this request, if any; counts the request against every match. */
  take(request: FaultRequest): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.vendor !== request.vendor || fault.namespace !== request.namespace) continue;
      if (fault.method !== null && fault.method !== request.method) continue;
      if (fault.path !== null && !pathMatches(fault.path, request.path)) continue;
      fault.seen += 1;
      if (fault.seen <= fault.after) continue;
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

  restore(faults: Fault[]): void {
    this.faults = faults.map((f) => ({ ...f }));
    this.nextId = faults.reduce((max, f) => Math.max(max, Number(f.id.replace(/\D/g, '')) || 0), 0) + 1;
  }
}

// --- StoredFault (provisional, snapshot branch) ---
/** Counters of a stored fault: what `arm` and `take` can leave in them. */
const faultCount = z.int().min(0);

/**
 * A fault exactly as `Faults.all()` holds it, for restoring a snapshot: a stored fault is
 * checked against this before it is armed, so a bad one is refused instead of breaking the
 * vendor calls it later fires on. Whether `vendor` is registered (and the action's error and
 * row-error names are that vendor's) is for the caller, which knows the vendors.
 */
export const StoredFault = z
  .strictObject({
    // At most 15 digits: `restore` numbers the next fault from the largest id, which must stay a safe integer.
    id: z.string().regex(/^flt_\d{1,15}$/, 'must look like flt_<digits>'),
    vendor: z.string().min(1),
    namespace: z.string(),
    method: z.string().min(1).nullable(),
    path: z.string().min(1).nullable(),
    after: faultCount,
    times: faultCount,
    seen: faultCount,
    remaining: faultCount,
    action: FaultAction,
  })
  .meta({ id: 'SandboxStoredFault', description: 'An armed fault with its counters, as GET /faults lists it.' });
export type StoredFault = z.infer<typeof StoredFault>;
