// Structured request logs: one JSON line per HTTP request (pino), secrets redacted as in the journal.
import type { Context, MiddlewareHandler } from 'hono';
import { pino, type DestinationStream, type Logger } from 'pino';
import { DROPPED_HEADER } from './connection.js';
import { describeBody, redactHeaders, redactTarget, SecretSet } from './redact.js';
import type { SandboxEnv } from './vendor.js';

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type { Logger };

/**
 * A pino logger writing JSON lines to `destination` (default stdout) from the main thread. No pino
 * transport (worker threads): the bin bundles pino (scripts/build.ts), and a transport would look
 * for its worker files beside the bundle.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { name: 'bulk-sandbox' } };
  return destination ? pino(options, destination) : pino(options);
}

/** Where a request went, by path prefix: its log line's `area`. */
export interface LogArea {
  /** The path prefix ('' for a vendor served alone at its port's root). */
  prefix: string;
  name: string;
  /**
   * The sandbox's own API and pages (/_sandbox, the dashboard, /docs, the OpenAPI documents): its
   * reads answered below 400 log at `debug`, so the dashboard's polling and health checks do not
   * bury the vendor calls.
   */
  control?: boolean;
}

const decoder = new TextDecoder();

/**
 * Logs every request once it is answered: at `info` the method, path, status, duration and what
 * the sandbox did (vendor, tenant, namespace, error code, failed rows, fault); at `debug` also the
 * request headers and body, redacted exactly as the journal redacts them (core/redact.ts). Headers
 * are otherwise left out because they carry the credentials. Every line carries the request's
 * X-Sandbox-Request-Id as `requestId`.
 *
 * The level says who should look: `error` for a 5xx or a dropped connection the sandbox caused;
 * `info` for the rest, a fault's answer included (a 5xx or a drop it was armed to produce is not
 * the sandbox failing; the line names the fault); `debug` for control-plane reads answered below
 * 400. The level is decided before anything is built: a request whose line is off costs nothing.
 */
export function logRequests(
  logger: Logger,
  areas: readonly LogArea[],
  /** The credential secrets to redact by value (Credentials.secrets). */
  secrets: () => SecretSet = () => SecretSet.EMPTY,
): MiddlewareHandler<SandboxEnv> {
  const matchers = areas.map((a) => ({ ...a, under: `${a.prefix}/` }));
  // A loop, not find(): no closure per request.
  const areaOf = (path: string): LogArea | undefined => {
    for (const a of matchers) if (path === a.prefix || path.startsWith(a.under)) return a;
    return undefined;
  };
  return async function logRequest(c, next) {
    if (logger.level === 'silent') return next();
    const started = performance.now();
    await next();
    const dropped = c.res.headers.get(DROPPED_HEADER) !== null;
    const status = dropped ? null : c.res.status;
    const area = areaOf(c.req.path);
    const level = levelOf(c, status, area);
    if (!logger.isLevelEnabled(level)) return;
    const url = new URL(c.req.url);
    const known = secrets();
    const entry: Record<string, unknown> = {
      requestId: c.get('requestId') ?? null,
      method: c.req.method,
      path: redactTarget(url.pathname + url.search, known),
      status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      area: area?.name ?? null,
    };
    // Set by vendor routers only; absent on /docs, the dashboard and unknown paths.
    const namespace = c.get('namespace');
    const optional = { namespace: namespace && known.redact(namespace), tenant: c.get('tenant'), error: c.get('errorName'), fault: c.get('faultId') };
    for (const [k, v] of Object.entries(optional)) if (v !== undefined && v !== '') entry[k] = v;
    const rowErrors = c.get('bulk')?.failed;
    if (rowErrors?.length) entry.rowErrors = rowErrors;
    if (logger.isLevelEnabled('debug')) {
      entry.requestHeaders = redactHeaders(c.req.raw.headers, known);
      const raw = c.get('rawBody');
      if (raw) entry.requestBody = describeBody(decoder.decode(raw), c.req.header('content-type'), known);
    }
    logger[level](entry, 'request');
  };
}

/** The level of a request's line (see logRequests). */
function levelOf(c: Context<SandboxEnv>, status: number | null, area: LogArea | undefined): 'error' | 'info' | 'debug' {
  if (c.get('faultAnswered') === true) return 'info';
  if (status === null || status >= 500) return 'error';
  if (area?.control === true && status < 400 && (c.req.method === 'GET' || c.req.method === 'HEAD')) return 'debug';
  return 'info';
}
