// The only reader of process.env and argv: flags win over environment variables.
import { readFileSync } from 'node:fs';
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

/** What each field is when nothing sets it. */
const DEFAULTS = Config.parse({});

/**
 * One row of the flags table: `--help` prints it and docs/operations.md shows it (test/pages.test.ts
 * checks the page's table is `flagsMarkdown()`), and parseArgs accepts the flags from it.
 */
interface Flag {
  /** e.g. `--port`; none for a setting only the environment gives. */
  flag?: string;
  /** The value's placeholder (e.g. `N`); none for a switch. */
  value?: string;
  /** Repeatable. */
  multiple?: true;
  env?: string;
  default?: string | number;
  /** Markdown, as docs/operations.md shows it (links relative to docs/); `--help` prints it without code marks and links. */
  meaning: string;
}

export const FLAGS: readonly Flag[] = [
  { flag: '--port', value: 'N', env: 'PORT', default: DEFAULTS.port, meaning: 'listen port; `0` picks a free one' },
  { flag: '--host', value: 'HOST', env: 'HOST', default: DEFAULTS.host, meaning: 'listen address' },
  {
    flag: '--db',
    value: 'PATH|URL',
    env: 'SANDBOX_DB',
    default: DEFAULTS.db,
    meaning:
      'SQLite file (state survives a restart), or `:memory:`, or a `postgres://user:pass@host:port/db` URL: ' +
      'every process on one database is one sandbox ([shared mode](shared-mode.md))',
  },
  { flag: '--pg-pool-max', value: 'N', env: 'SANDBOX_PG_POOL_MAX', default: DEFAULTS.pgPoolMax, meaning: 'PostgreSQL connections per process' },
  {
    flag: '--pg-connect-timeout-ms',
    value: 'N',
    default: DEFAULTS.pgConnectTimeoutMs,
    meaning: 'how long a request waits for a PostgreSQL connection before it fails',
  },
  {
    flag: '--pg-statement-timeout-ms',
    value: 'N',
    default: DEFAULTS.pgStatementTimeoutMs,
    meaning: 'the longest one PostgreSQL statement may run; an answer overdue by this plus the connect timeout (a silent host) fails it too',
  },
  { flag: '--rate-limits', value: 'vendor|off', default: DEFAULTS.rateLimits, meaning: "the vendors' documented limits, or none" },
  { flag: '--no-demo', meaning: 'do not load the demo credentials' },
  {
    flag: '--log-level',
    value: 'LEVEL',
    default: DEFAULTS.logLevel,
    meaning: Config.shape.logLevel
      .unwrap()
      .options.map((level) => `\`${level}\``)
      .join(', '),
  },
  { flag: '--body-limit', value: 'BYTES', default: DEFAULTS.bodyLimit, meaning: "largest request body; larger ones get the vendor's 413" },
  {
    flag: '--vendor-option',
    value: 'V.K=X',
    multiple: true,
    meaning:
      'a vendor switch, repeatable (e.g. `mailingcore.tenantHeader=optional`, `copper.defaultContactTypeId=1074`); ' +
      '`--V-k-e-y X` is the same (`--mailingcore-tenant-header optional`)',
  },
  {
    flag: '--vendor-port',
    value: 'V=PORT',
    multiple: true,
    meaning: "also serve vendor `V` alone at the root of `PORT`, paths exactly as on the vendor's host (repeatable, e.g. `cora=4701`)",
  },
  { flag: '--seed', value: 'FILE', meaning: 'fixtures to load at start (the `POST /_sandbox/seed` document)' },
  { flag: '--journal-size', value: 'N', default: DEFAULTS.journalCapacity, meaning: 'request journal entries kept; the oldest go first' },
  {
    flag: '--journal-mib',
    value: 'N',
    default: DEFAULTS.journalMib,
    meaning: 'request journal memory kept (bodies, headers and entries, in MiB); the oldest go first',
  },
  {
    flag: '--allowed-hosts',
    value: 'LIST',
    multiple: true,
    env: 'SANDBOX_ALLOWED_HOSTS',
    meaning:
      'host names the control API answers for besides loopback names and `--host`, comma-separated, repeatable; ' +
      '`*` for any (the Docker image sets it: the admin token guards it there)',
  },
  { flag: '--help', meaning: 'print this help and exit' },
  { flag: '--version', meaning: 'print the version and exit' },
  {
    env: 'SANDBOX_ADMIN_TOKEN',
    meaning: 'locks `/_sandbox` (all but `GET /_sandbox/health`), `/docs` and the dashboard (16+ characters); required when `--host` is not loopback',
  },
];

/** parseArgs' options, from FLAGS. */
const OPTIONS = Object.fromEntries(
  FLAGS.flatMap(({ flag, value, multiple }) =>
    flag === undefined ? [] : [[flag.slice(2), { type: value === undefined ? ('boolean' as const) : ('string' as const), ...(multiple ? { multiple } : {}) }]],
  ),
);

const usageOf = (f: Flag) => (f.value === undefined ? f.flag! : `${f.flag} ${f.value}`);

/** The Markdown table of FLAGS that docs/operations.md shows under "Flags". */
export function flagsMarkdown(): string {
  // A | inside a cell, even in code, is escaped; an empty cell is one space.
  const cell = (text: string | number | undefined, code = true) =>
    text === undefined ? ' ' : ` ${(code ? `\`${text}\`` : String(text)).replaceAll('|', '\\|')} `;
  const row = (f: Flag) => `|${[f.flag === undefined ? ' ' : cell(usageOf(f)), cell(f.env), cell(f.default), cell(f.meaning, false)].join('|')}|`;
  return ['| flag | env | default | meaning |', '|---|---|---|---|', ...FLAGS.map(row)].join('\n');
}

/** `text`, wrapped to lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** What `--help` prints: FLAGS, as plain text (at most 100 columns). */
export const USAGE = ((): string => {
  const plain = (markdown: string) => markdown.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replaceAll('`', '');
  const column = Math.max(...FLAGS.map((f) => (f.flag === undefined ? f.env!.length : usageOf(f).length))) + 4;
  const row = (left: string, text: string) =>
    wrap(text, 100 - column)
      .map((line, i) => `${i === 0 ? `  ${left}`.padEnd(column) : ' '.repeat(column)}${line.replaceAll('\u00a0', ' ')}`)
      .join('\n');
  // `env X` and `default Y` each stay on one line (a no-break space until wrapped).
  const about = (f: Flag) => {
    const notes = [f.env !== undefined ? `env\u00a0${f.env}` : '', f.default !== undefined ? `default\u00a0${f.default}` : ''].filter((note) => note !== '');
    return notes.length === 0 ? plain(f.meaning) : `${plain(f.meaning)} (${notes.join('; ')})`;
  };
  return [
    'Usage: bulk-sandbox [options]',
    'Flags win over environment variables.',
    '',
    ...FLAGS.filter((f) => f.flag !== undefined).map((f) => row(usageOf(f), about(f))),
    '',
    'Environment:',
    ...FLAGS.filter((f) => f.flag === undefined).map((f) => row(f.env!, plain(f.meaning))),
  ].join('\n');
})();

/** This package's version: its package.json is one folder up from src/config.ts, dist/config.js and the bundled dist/main.js alike. */
export const packageVersion = (): string => (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config | 'help' | 'version' {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: expandVendorFlags(argv, VENDORS.map((v) => v.name)),
      strict: true,
      options: OPTIONS,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return 'help';
  if (values.version) return 'version';
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
