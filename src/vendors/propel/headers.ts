// The two headers every Propel response carries: `return-format` and `x-request-id`.
import type { MiddlewareHandler } from 'hono';
import type { IdSource } from '../../core/ids.js';
import type { SandboxEnv } from '../../core/vendor.js';

export const RETURN_FORMAT = 'json';
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Installed as the vendor's middleware, so it runs on every Propel request (unknown paths,
 * wrong methods and faked errors too). The id is the caller's `X-Request-Id` when sent.
 */
export function propelHeaders(ids: IdSource): MiddlewareHandler<SandboxEnv> {
  return async function setPropelHeaders(c, next) {
    const id = c.req.header(REQUEST_ID_HEADER)?.trim() || ids.uuid();
    c.header('return-format', RETURN_FORMAT);
    c.header(REQUEST_ID_HEADER, id);
    await next();
  };
}
