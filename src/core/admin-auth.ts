// Locks the control plane: when an admin token is set, every /_sandbox and /docs call must present it.
import type { MiddlewareHandler } from 'hono';
import { bearerToken, safeEqual } from './auth.js';
import { SandboxError } from './errors.js';

export const ADMIN_TOKEN_HEADER = 'x-sandbox-admin-token';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Accepts `Authorization: Bearer <token>` or `X-Sandbox-Admin-Token: <token>`, compared in
 * constant time. Without a configured token the control plane is open (loopback only: main.ts
 * refuses to listen elsewhere without one).
 */
export function requireAdminToken(token: string | undefined): MiddlewareHandler {
  return async function checkAdminToken(c, next) {
    if (token === undefined) return next();
    const presented = c.req.header(ADMIN_TOKEN_HEADER) ?? bearerToken(c.req.header('authorization'));
    if (presented === undefined || !safeEqual(presented, token)) {
      throw new SandboxError('ADMIN_TOKEN_REQUIRED');
    }
    return next();
  };
}
