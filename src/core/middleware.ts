// Middleware factories vendors install on their routes: rate limiting and client identity.
import type { Context, MiddlewareHandler } from 'hono';
import { SandboxError } from './errors.js';
import { bucketKey, type RateLimitDecision, type RateLimits, type SlidingWindowLimiter } from './rate-limit.js';
import type { SandboxEnv } from './vendor.js';

/** The peer address of the connection; 'unknown' when the app is called in-process. */
export function clientIp(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export interface RateLimitOptions {
  limits: RateLimits;
  limiter: SlidingWindowLimiter;
  /** The bucket key within the request's namespace (e.g. API key + client IP). */
  key: (c: Context<SandboxEnv>) => string;
  /** Sees every decision, allowed or not (e.g. to set X-RateLimit-* headers). */
  onDecision?: (c: Context<SandboxEnv>, decision: RateLimitDecision) => void;
}

/** Counts the request in its bucket; over the limit, throws RATE_LIMITED with `Retry-After`. */
export function rateLimit({ limits, limiter, key, onDecision }: RateLimitOptions): MiddlewareHandler<SandboxEnv> {
  return async function enforceRateLimit(c, next) {
    const decision = await limits.take(limiter, bucketKey({ namespace: c.get('namespace'), tenant: c.get('tenant') ?? '' }, key(c)));
    onDecision?.(c, decision);
    if (!decision.allowed) {
      throw new SandboxError('RATE_LIMITED', { headers: { 'Retry-After': String(decision.retryAfterS) } });
    }
    await next();
  };
}
