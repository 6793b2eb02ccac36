// Structured request logs: one JSON line per HTTP request (pino), secrets redacted as in the journal.
import type { MiddlewareHandler } from 'hono';
import { pino, type DestinationStream, type Logger } from 'pino';
import { DROPPED_HEADER } from './control-plane.js';
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

const decoder = new TextDecoder();

/**
 * Logs every request once it is answered: at `info` the method, path, status, duration and what
 * the sandbox did (vendor, tenant, namespace, error code, failed rows, fault); at `debug` also the
 * request headers and body, redacted exactly as the journal redacts them (core/redact.ts). Headers
 * are otherwise left out because they carry the credentials. Every line carries the request's
 * X-Sandbox-Request-Id as `requestId`.
 */
export function logRequests(
  logger: Logger,
  areas: ReadonlyArray<{ prefix: string; name: string }>,
  /** The credential secrets to redact by value (Credentials.secrets). */
  secrets: () => SecretSet = () => SecretSet.EMPTY,
): MiddlewareHandler<SandboxEnv> {
  return async function logRequest(c, next) {
    if (logger.level === 'silent') return next();
    const started = performance.now();
    await next();
    const url = new URL(c.req.url);
    const area = areas.find((a) => url.pathname === a.prefix || url.pathname.startsWith(`${a.prefix}/`))?.name ?? null;
    const dropped = c.res.headers.get(DROPPED_HEADER) !== null;
    const status = dropped ? null : c.res.status;
    const known = secrets();
    const entry: Record<string, unknown> = {
      requestId: c.get('requestId') ?? null,
      method: c.req.method,
      path: redactTarget(url.pathname + url.search, known),
      status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      area,
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
    // A 5xx or a dropped connection is the sandbox failing (or a fault saying it did): worth an error line.
    const level = status === null || status >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) logger[level](entry, 'request');
  };
}
