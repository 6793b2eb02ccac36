// Locks the control plane: when an admin token is set, every /_sandbox and /docs call must present it (health aside, see control-guard.ts).
import type { MiddlewareHandler } from 'hono';
import { bearerToken, safeEqual } from './auth.js';
import { controlError } from './control/errors.js';

export const ADMIN_TOKEN_HEADER = 'x-sandbox-admin-token';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The password of an `Authorization: Basic` header (any user name), or undefined. */
function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Accepts `Authorization: Bearer <token>`, `X-Sandbox-Admin-Token: <token>`, or HTTP Basic with
 * the token as the password, compared in constant time. Basic exists for browsers: the 401
 * carries a Basic challenge, so /docs and the dashboard prompt once and the browser then sends
 * the token with every call the pages make. Without a configured token the control plane is
 * open (loopback only: main.ts refuses to listen elsewhere without one).
 */
export function requireAdminToken(token: string | undefined): MiddlewareHandler {
  return async function checkAdminToken(c, next) {
    if (token === undefined) return next();
    const authorization = c.req.header('authorization');
    const presented = c.req.header(ADMIN_TOKEN_HEADER) ?? bearerToken(authorization) ?? basicPassword(authorization);
    if (presented === undefined || !safeEqual(presented, token)) {
      throw controlError('ADMIN_TOKEN_REQUIRED', { headers: { 'WWW-Authenticate': 'Basic realm="bulk-sandbox", charset="UTF-8"' } });
    }
    return next();
  };
}
