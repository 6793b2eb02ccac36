// Every HTTP response names its request (X-Sandbox-Request-Id), numbered by the journal's counter so vendor and control ids never collide.
import type { Context, MiddlewareHandler } from 'hono';
import type { SandboxEnv } from './vendor.js';

export const REQUEST_ID_HEADER = 'X-Sandbox-Request-Id';

/**
 * Gives the request its id: on the context (the log line reads it) and on the response. Call it
 * last before the response is sent: @hono/node-server's lightweight responses forget header
 * changes when something clones them afterwards.
 */
export function stampRequestId(c: Context<SandboxEnv>, id: number): void {
  c.set('requestId', id);
  try {
    c.res.headers.set(REQUEST_ID_HEADER, String(id));
  } catch {
    // Immutable headers (a Response.redirect or fetched response): Hono copies the response first.
    c.header(REQUEST_ID_HEADER, String(id));
  }
}

/**
 * The request's journal id: the one shared mode took with the request's first query (one round
 * trip less), else a new one from `reserve`.
 */
export function reserveRequestId(c: Context<SandboxEnv>, reserve: () => number | Promise<number>): number | Promise<number> {
  const taken = c.get('reservedId');
  return taken !== undefined ? taken : reserve();
}

/**
 * For requests no vendor observer numbered (control API, docs, dashboard, unknown paths): an id
 * from `reserve` once the handler has returned, as the observer does, so ids follow processing order.
 */
export function assignRequestIds(reserve: () => number | Promise<number>): MiddlewareHandler<SandboxEnv> {
  return async function assignRequestId(c, next) {
    await next();
    if (c.get('requestId') !== undefined) return;
    const id = await reserveRequestId(c, reserve);
    // 0: the shared journal's database did not answer; the response goes without an id.
    if (id !== 0) stampRequestId(c, id);
  };
}
