// Sliding-window rate limiters that read the sandbox clock, with one switch to turn them all off.
import type { Clock } from './clock.js';

export type RateLimitMode = 'vendor' | 'off';

export interface RateLimitPolicy {
  /** Requests allowed inside one window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the oldest counted request leaves the window (epoch ms). */
  resetAtMs: number;
  /** Whole seconds to wait before a retry can pass; 0 when allowed. */
  retryAfterS: number;
}

export interface BucketView {
  limiter: string;
  namespace: string;
  tenant: string;
  /** The vendor's own bucket key (e.g. a key id and client IP), parts joined by NUL. */
  key: string;
  count: number;
  limit: number;
  windowMs: number;
  resetAt: string;
}

/** Which buckets a reset clears: all, or those of one namespace and/or tenant. */
export interface BucketScope {
  /** Limiters are named `<vendor>.<limit>`, e.g. `cora.bulk-upsert`. */
  vendor?: string;
  namespace?: string;
  tenant?: string;
}

const SEP = '\u0000';

/**
 * A bucket's key: namespace and tenant first, so a reset can clear exactly one scope, then the
 * vendor's own key. Names cannot hold NUL (namespaces are checked, tenants come from credentials).
 */
export const bucketKey = (scope: { namespace: string; tenant: string }, vendorKey: string): string =>
  `${scope.namespace}${SEP}${scope.tenant}${SEP}${vendorKey}`;

export function splitBucketKey(key: string): { namespace: string; tenant: string; key: string } {
  const first = key.indexOf(SEP);
  const second = key.indexOf(SEP, first + 1);
  return { namespace: key.slice(0, first), tenant: key.slice(first + 1, second), key: key.slice(second + 1) };
}

const inScope = (key: string, scope: BucketScope): boolean => {
  if (scope.namespace === undefined && scope.tenant === undefined) return true;
  const parts = splitBucketKey(key);
  return (scope.namespace === undefined || parts.namespace === scope.namespace) && (scope.tenant === undefined || parts.tenant === scope.tenant);
};

/** A sliding log per key: exact for the small limits vendors publish (1..300 per window). */
export class SlidingWindowLimiter {
  private readonly buckets = new Map<string, number[]>();

  constructor(
    readonly name: string,
    readonly policy: RateLimitPolicy,
    private readonly clock: Clock,
    private readonly maxBuckets = 100_000,
  ) {}

  /** Counts one request for `key` if the window allows it. */
  take(key: string): RateLimitDecision {
    const now = this.clock.now();
    const { limit, windowMs } = this.policy;
    const log = this.prune(key, now);
    if (log.length >= limit) {
      const resetAtMs = log[0]! + windowMs;
      return { allowed: false, limit, remaining: 0, resetAtMs, retryAfterS: Math.max(1, Math.ceil((resetAtMs - now) / 1000)) };
    }
    log.push(now);
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxBuckets) this.evictExpired(now);
      this.buckets.set(key, log);
    }
    return { allowed: true, limit, remaining: limit - log.length, resetAtMs: log[0]! + windowMs, retryAfterS: 0 };
  }

  reset(scope: BucketScope = {}): void {
    for (const key of [...this.buckets.keys()]) if (inScope(key, scope)) this.buckets.delete(key);
  }

  /** The request times counted in `key`'s window (oldest first): what processes sharing a database exchange. */
  log(key: string): readonly number[] {
    return this.buckets.get(key) ?? [];
  }

  /** Replaces `key`'s log with another process's (core/shared-state.ts); an empty log drops the bucket. */
  adoptLog(key: string, log: number[]): void {
    if (log.length === 0) this.buckets.delete(key);
    else this.buckets.set(key, log);
  }

  view(): BucketView[] {
    const now = this.clock.now();
    const out: BucketView[] = [];
    for (const key of this.buckets.keys()) {
      const log = this.prune(key, now);
      if (log.length === 0) continue;
      out.push({
        limiter: this.name,
        ...splitBucketKey(key),
        count: log.length,
        limit: this.policy.limit,
        windowMs: this.policy.windowMs,
        resetAt: new Date(log[0]! + this.policy.windowMs).toISOString(),
      });
    }
    return out;
  }

  private prune(key: string, now: number): number[] {
    const log = this.buckets.get(key) ?? [];
    // A clock set backwards must not leave requests "from the future" blocking the bucket.
    while (log.length > 0 && (log[0]! <= now - this.policy.windowMs || log[0]! > now)) log.shift();
    return log;
  }

  private evictExpired(now: number): void {
    for (const key of [...this.buckets.keys()]) {
      if (this.prune(key, now).length === 0) this.buckets.delete(key);
    }
    // Still full: drop the oldest-inserted buckets rather than grow without bound.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * Where buckets live when processes share them (core/shared-state.ts): each take runs against
 * the bucket every process sees, one process at a time.
 */
export interface SharedBuckets {
  take(limiter: SlidingWindowLimiter, key: string): Promise<RateLimitDecision>;
  /** Reads every shared bucket into the limiters (for the control API's view). */
  load(limiters: ReadonlyMap<string, SlidingWindowLimiter>): Promise<void>;
  reset(scope: BucketScope): Promise<void>;
}

/** Every limiter of the process, so the control API can show, reset and switch them. */
export class RateLimits {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();
  /** Set in shared mode: buckets then live in the database. */
  shared: SharedBuckets | undefined;

  constructor(
    private readonly clock: Clock,
    public mode: RateLimitMode = 'vendor',
  ) {}

  limiter(name: string, policy: RateLimitPolicy): SlidingWindowLimiter {
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = new SlidingWindowLimiter(name, policy, this.clock);
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  /** Counts a request against `limiter`; always allowed while the mode is `off`. */
  take(limiter: SlidingWindowLimiter, key: string): RateLimitDecision | Promise<RateLimitDecision> {
    if (this.mode === 'off') {
      return { allowed: true, limit: limiter.policy.limit, remaining: limiter.policy.limit, resetAtMs: this.clock.now(), retryAfterS: 0 };
    }
    return this.shared ? this.shared.take(limiter, key) : limiter.take(key);
  }

  async reset(scope: BucketScope = {}): Promise<void> {
    for (const limiter of this.limiters.values()) {
      if (scope.vendor === undefined || limiter.name.startsWith(`${scope.vendor}.`)) limiter.reset(scope);
    }
    await this.shared?.reset(scope);
  }

  async buckets(): Promise<BucketView[]> {
    await this.shared?.load(this.limiters);
    return [...this.limiters.values()].flatMap((l) => l.view());
  }
}
