// The only reader of process.env and argv: flags win over environment variables.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { isLoopbackHost } from './core/admin-auth.js';
import { VENDORS } from './vendors/registry.js';

export const Config = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(4700),
  host: z.string().min(1).default('127.0.0.1'),
  db: z.string().min(1).default('./bulk-sandbox.db'),
  rateLimits: z.enum(['vendor', 'off']).default('vendor'),
  demo: z.boolean().default(true),
  logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
  bodyLimit: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  vendorOptions: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  seed: z.string().min(1).optional(),
  journalCapacity: z.coerce.number().int().positive().default(10_000),
  journalMib: z.coerce.number().positive().default(16),
  vendorPorts: z.record(z.string(), z.number().int().min(0).max(65535)).default({}),
  adminToken: z.string().min(16, 'SANDBOX_ADMIN_TOKEN must be at least 16 characters').optional(),
  pgPoolMax: z.coerce.number().int().min(1).max(1000).default(10),
  pgConnectTimeoutMs: z.coerce.number().int().min(1).default(5_000),
  pgStatementTimeoutMs: z.coerce.number().int().min(1).default(10_000),
  allowedHosts: z.array(z.string().regex(/^(\*|[A-Za-z0-9.:\[\]_-]{1,253})$/, 'a host name, an IP address, or *')).default([]),
});
export type Config = z.infer<typeof Config>;

export const USAGE = `Usage: bulk-sandbox [options]
  --port N              listen port (env PORT; default 4700; 0 picks a free port)
  --host HOST           listen address (env HOST; default 127.0.0.1)
  --db PATH|URL         SQLite file, or :memory:, or postgres://user:pass@host:port/db: every
                        process on one PostgreSQL database is one sandbox (env SANDBOX_DB;
                        default ./bulk-sandbox.db)
  --pg-pool-max N       PostgreSQL connections per process (env SANDBOX_PG_POOL_MAX; default 10)
  --pg-connect-timeout-ms N   wait for a connection at most N ms (default 5000)
  --pg-statement-timeout-ms N one statement runs at most N ms (default 10000)
  --rate-limits MODE    vendor (default) or off
  --no-demo             do not load the demo credentials
  --log-level LEVEL     silent | error | warn | info | debug (default info)
  --body-limit BYTES    largest accepted request body (default 10485760)
  --seed FILE           fixtures to load at start (the POST /_sandbox/seed document)
  --journal-size N      request journal entries kept (default 10000)
  --journal-mib N       request journal memory kept, bodies and headers, in MiB (default 16)
  --vendor-option V.K=X a vendor switch, repeatable (e.g. mailingcore.tenantHeader=optional);
                        --V-K X is the same (e.g. --mailingcore-tenant-header optional)
  --vendor-port V=PORT  also serve vendor V alone at the root of PORT, repeatable (e.g. cora=4701)
  --allowed-hosts LIST  host names the control API answers for besides loopback names and --host,
                        comma-separated (env SANDBOX_ALLOWED_HOSTS; * allows any, e.g. behind a proxy)
  --help                print this help
Environment: SANDBOX_ADMIN_TOKEN locks /_sandbox and /docs (required when --host is not loopback).`;

export class ConfigError extends Error {}

/**
 * `--<vendor>-<switch> VALUE` (e.g. `--mailingcore-tenant-header optional`, as spec'd) is the
 * same as `--vendor-option <vendor>.<switchInCamelCase>=VALUE`, for every registered vendor.
 */
export function expandVendorFlags(argv: readonly string[], vendorNames: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z0-9]+)-([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (match && vendorNames.includes(match[1]!) && (match[3] !== undefined || i + 1 < argv.length)) {
      const key = match[2]!.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
      const value = match[3] ?? argv[++i]!;
      out.push('--vendor-option', `${match[1]}.${key}=${value}`);
    } else {
      out.push(argv[i]!);
    }
  }
  return out;
}

export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config | 'help' {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: expandVendorFlags(argv, VENDORS.map((v) => v.name)),
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'rate-limits': { type: 'string' },
        'no-demo': { type: 'boolean' },
        'log-level': { type: 'string' },
        'body-limit': { type: 'string' },
        'vendor-option': { type: 'string', multiple: true },
        'vendor-port': { type: 'string', multiple: true },
        seed: { type: 'string' },
        'journal-size': { type: 'string' },
        'journal-mib': { type: 'string' },
        'allowed-hosts': { type: 'string', multiple: true },
        'pg-pool-max': { type: 'string' },
        'pg-connect-timeout-ms': { type: 'string' },
        'pg-statement-timeout-ms': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return 'help';
  const vendorPorts: Record<string, number> = {};
  for (const option of (values['vendor-port'] as string[] | undefined) ?? []) {
    const match = /^([a-z0-9-]+)=(\d{1,5})$/.exec(option);
    if (!match) throw new ConfigError(`--vendor-port must look like vendor=port, got ${option}\n${USAGE}`);
    vendorPorts[match[1]!] = Number(match[2]);
  }
  const vendorOptions: Record<string, Record<string, string>> = {};
  for (const option of (values['vendor-option'] as string[] | undefined) ?? []) {
    const match = /^([a-z0-9-]+)\.([A-Za-z0-9_-]+)=(.*)$/.exec(option);
    if (!match) throw new ConfigError(`--vendor-option must look like vendor.key=value, got ${option}\n${USAGE}`);
    (vendorOptions[match[1]!] ??= {})[match[2]!] = match[3]!;
  }
  const parsed = Config.safeParse({
    port: values.port ?? env.PORT,
    host: values.host ?? env.HOST,
    db: values.db ?? env.SANDBOX_DB,
    rateLimits: values['rate-limits'],
    demo: values['no-demo'] ? false : undefined,
    logLevel: values['log-level'],
    bodyLimit: values['body-limit'],
    vendorOptions,
    vendorPorts,
    seed: values.seed,
    journalCapacity: values['journal-size'],
    journalMib: values['journal-mib'],
    pgPoolMax: values['pg-pool-max'] ?? env.SANDBOX_PG_POOL_MAX,
    pgConnectTimeoutMs: values['pg-connect-timeout-ms'],
    pgStatementTimeoutMs: values['pg-statement-timeout-ms'],
    adminToken: env.SANDBOX_ADMIN_TOKEN === '' ? undefined : env.SANDBOX_ADMIN_TOKEN,
    allowedHosts: ((values['allowed-hosts'] as string[] | undefined) ?? (env.SANDBOX_ALLOWED_HOSTS ? [env.SANDBOX_ALLOWED_HOSTS] : []))
      .flatMap((list) => list.split(','))
      .map((host) => host.trim())
      .filter((host) => host !== ''),
  });
  if (!parsed.success) {
    throw new ConfigError(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}`);
  }
  // Off loopback, anyone who can reach the port could reset, read or rewrite the state.
  if (!isLoopbackHost(parsed.data.host) && parsed.data.adminToken === undefined) {
    throw new ConfigError(`--host ${parsed.data.host} is reachable from other machines: set SANDBOX_ADMIN_TOKEN (16+ characters) to lock /_sandbox and /docs`);
  }
  return parsed.data;
}
