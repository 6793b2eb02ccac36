// Guards the control plane (/_sandbox, /docs, the dashboard) against other web pages: DNS rebinding, cross-site writes.
import type { Context, MiddlewareHandler } from 'hono';
import { isLoopbackHost, requireAdminToken } from './admin-auth.js';
import { isJsonContentType } from './body.js';
import { controlError } from './control/errors.js';

export interface ControlGuardOptions {
  /** When set, every call must present it (see admin-auth.ts). */
  adminToken?: string | undefined;
  /**
   * Host names, besides loopback ones, that control calls may be addressed to (the `Host`
   * header, port aside): the configured `--host` and `--allowed-hosts`. `*` allows any.
   */
  allowedHosts?: readonly string[];
  /**
   * Paths any caller on an allowed host may read (GET, HEAD) without the admin token: health, so
   * a container's health check needs no secret. Only for answers that reveal nothing.
   */
  openReads?: readonly string[];
}

/** Methods that only read: a cross-site page can send them, but the browser will not let it read the answer. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Listening on every interface names no host a client would use. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/** The host name of a `Host` header or an origin's authority: lower-cased, without port or IPv6 brackets. */
export function hostName(authority: string): string {
  const host = authority.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  const colon = host.indexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, no port.
  return colon >= 0 && host.indexOf(':', colon + 1) < 0 ? host.slice(0, colon) : host;
}

/** The hosts a sandbox listening on `listenHost` answers control calls for, besides loopback names. */
export function allowedHostsFor(listenHost: string, extra: readonly string[] = []): string[] {
  const hosts = extra.map((h) => (h === '*' ? h : hostName(h)));
  if (!WILDCARD_HOSTS.has(listenHost)) hosts.push(hostName(listenHost));
  return hosts;
}

const isLoopbackName = (host: string) => isLoopbackHost(host) || host.endsWith('.localhost');

/**
 * The control plane's guard, in order: the `Host` must be a loopback name or an allowed host (a
 * page on a rebound domain sends its own name); the admin token, when set (not for reads of
 * `openReads`); then, for calls that change state, the request must come from the sandbox's own
 * origin (no `Origin` at all, as from curl, or one whose host and port are the `Host`'s) and carry
 * JSON (a form post cannot).
 */
export function guardControlPlane({ adminToken, allowedHosts = [], openReads = [] }: ControlGuardOptions): MiddlewareHandler {
  const anyHost = allowedHosts.includes('*');
  const allowed = new Set(allowedHosts);
  const open = new Set(openReads);
  const lock = requireAdminToken(adminToken);
  return async function guardControl(c, next) {
    const authority = c.req.header('host') ?? new URL(c.req.url).host;
    const host = hostName(authority);
    if (!anyHost && !isLoopbackName(host) && !allowed.has(host)) {
      throw controlError('HOST_NOT_ALLOWED', {
        message: `Control calls must be addressed to a loopback name or an allowed host; ${JSON.stringify(host.slice(0, 253))} is neither (start the sandbox with --allowed-hosts ${host.slice(0, 253) || 'NAME'} to allow it)`,
      });
    }
    // The path the router matches (decoded as it decodes it): an open read reaches only its own route.
    if (open.has(c.req.path) && (c.req.method === 'GET' || c.req.method === 'HEAD')) return next();
    return lock(c, async () => {
      if (!SAFE_METHODS.has(c.req.method)) checkWrite(c, authority);
      await next();
    });
  };
}

function checkWrite(c: Context, authority: string): void {
  const origin = c.req.header('origin');
  if (origin !== undefined && !sameOrigin(origin, authority)) {
    throw controlError('CROSS_ORIGIN_REFUSED', { message: `A control call that changes state must come from the sandbox's own origin, not ${origin.slice(0, 200)}` });
  }
  // Browsers that send Sec-Fetch-Site say where the request came from even without an Origin.
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw controlError('CROSS_ORIGIN_REFUSED', { message: `A control call that changes state must come from the sandbox's own origin (Sec-Fetch-Site: ${site.slice(0, 40)})` });
  }
  const type = c.req.header('content-type');
  const hasBody = c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length') ?? 0) > 0;
  if (type !== undefined ? !isJsonContentType(type) : hasBody) {
    throw controlError('UNSUPPORTED_MEDIA_TYPE', { message: 'Control request bodies must be application/json' });
  }
}

/** True when `origin` (scheme://host[:port]) names the same host and port as the `Host` header. */
function sameOrigin(origin: string, authority: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file:) and anything unparsable
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const [, hostPort] = /^(?:\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority.trim().toLowerCase()) ?? [];
  // A Host without a port came through the scheme's default port, which may be TLS ended at a proxy.
  const portMatches = hostPort === undefined ? url.port === '' : (url.port || defaultPort) === hostPort;
  return url.hostname.replace(/^\[|\]$/g, '') === hostName(authority) && portMatches;
}
