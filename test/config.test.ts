// Config parsing: flags win over env, defaults as documented, bad input refused with usage.
import { describe, expect, it } from 'vitest';
import { ConfigError, FLAGS, USAGE, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig([], {})).toEqual({
      port: 4700,
      host: '127.0.0.1',
      db: './bulk-sandbox.db',
      rateLimits: 'vendor',
      demo: true,
      logLevel: 'info',
      bodyLimit: 10 * 1024 * 1024,
      vendorOptions: {},
      vendorPorts: {},
      journalCapacity: 10_000,
      journalMib: 16,
      allowedHosts: [],
      pgPoolMax: 10,
      pgConnectTimeoutMs: 5_000,
      pgStatementTimeoutMs: 10_000,
    });
  });

  it('reads --allowed-hosts (repeatable, comma-separated) and SANDBOX_ALLOWED_HOSTS, flags winning', () => {
    expect(loadConfig(['--allowed-hosts', 'sandbox,qa.example', '--allowed-hosts', 'ci'], { SANDBOX_ALLOWED_HOSTS: 'x' })).toMatchObject({
      allowedHosts: ['sandbox', 'qa.example', 'ci'],
    });
    expect(loadConfig([], { SANDBOX_ALLOWED_HOSTS: '*' })).toMatchObject({ allowedHosts: ['*'] });
    expect(() => loadConfig(['--allowed-hosts', 'a b'], {})).toThrow(/allowedHosts/);
  });

  it('reads env and lets flags win', () => {
    const env = { PORT: '5000', HOST: '0.0.0.0', SANDBOX_DB: '/tmp/x.db', SANDBOX_ADMIN_TOKEN: 'a-long-enough-admin-token' };
    expect(loadConfig([], env)).toMatchObject({ port: 5000, host: '0.0.0.0', db: '/tmp/x.db' });
    const flags = ['--port', '0', '--db', ':memory:', '--rate-limits', 'off', '--no-demo', '--vendor-option', 'mailingcore.tenantHeader=optional'];
    expect(loadConfig(flags, env)).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      db: ':memory:',
      rateLimits: 'off',
      demo: false,
      vendorOptions: { mailingcore: { tenantHeader: 'optional' } },
    });
  });

  it('refuses unknown flags and bad values', () => {
    for (const argv of [['--nope'], ['--port', 'abc'], ['--rate-limits', 'sometimes'], ['--vendor-option', 'broken']]) {
      expect(() => loadConfig(argv, {})).toThrow(ConfigError);
    }
    expect(() => loadConfig(['--journal-mib', '0'], {})).toThrow(ConfigError);
    expect(loadConfig(['--journal-mib', '2.5'], {})).toMatchObject({ journalMib: 2.5 });
    expect(loadConfig(['--help'], {})).toBe('help');
    expect(loadConfig(['--version'], {})).toBe('version');
  });
});

describe('--help', () => {
  it('lists every flag and variable of the table, with the defaults loadConfig applies, as plain text of at most 100 columns', () => {
    for (const f of FLAGS) expect(USAGE).toContain(`  ${f.flag ?? f.env}`);
    const defaults = loadConfig([], {});
    if (defaults === 'help' || defaults === 'version') throw new Error('no flags given');
    expect(USAGE).toMatch(new RegExp(`\\n  --port N +listen port; 0 picks a free one \\(env PORT; default ${defaults.port}\\)\\n`));
    // Wrapped lines joined: a flag's text, then its variable and default, each of which never breaks.
    const flat = USAGE.replace(/\s+/g, ' ');
    expect(flat).toContain(` --db PATH|URL SQLite file (state survives a restart), or :memory:, or a postgres://`);
    expect(flat).toContain(`(shared mode) (env SANDBOX_DB; default ${defaults.db}) --pg-pool-max N`);
    expect(flat).toContain(` --journal-size N request journal entries kept; the oldest go first (default ${defaults.journalCapacity}) --journal-mib`);
    expect(USAGE).toContain(`default ${defaults.bodyLimit})`);
    expect(USAGE).toContain('silent, error, warn, info, debug (default info)');
    expect(USAGE).not.toMatch(/`|\]\(/);
    for (const line of USAGE.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});

describe('the control plane lock', () => {
  it('refuses to listen off loopback without SANDBOX_ADMIN_TOKEN', () => {
    expect(() => loadConfig(['--host', '0.0.0.0'], {})).toThrow(/SANDBOX_ADMIN_TOKEN/);
    expect(() => loadConfig(['--host', '0.0.0.0'], { SANDBOX_ADMIN_TOKEN: 'short' })).toThrow(ConfigError);
    expect(loadConfig(['--host', '0.0.0.0'], { SANDBOX_ADMIN_TOKEN: 'a-long-enough-admin-token' })).toMatchObject({ adminToken: 'a-long-enough-admin-token' });
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.1.2.3']) expect(loadConfig(['--host', host], {})).toMatchObject({ host });
  });
});

describe('--vendor-port', () => {
  it('parses vendor=port pairs and refuses anything else', () => {
    expect(loadConfig(['--vendor-port', 'cora=4701', '--vendor-port', 'copper=0'], {})).toMatchObject({ vendorPorts: { cora: 4701, copper: 0 } });
    expect(() => loadConfig(['--vendor-port', 'cora'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--vendor-port', 'cora=99999'], {})).toThrow(ConfigError);
  });
});

describe('vendor switches as flags', () => {
  it('reads --<vendor>-<switch> VALUE as --vendor-option <vendor>.<switch>=VALUE', () => {
    expect(loadConfig(['--mailingcore-tenant-header', 'optional', '--copper-default-contact-type-id=7'], {})).toMatchObject({
      vendorOptions: { mailingcore: { tenantHeader: 'optional' }, copper: { defaultContactTypeId: '7' } },
    });
    expect(() => loadConfig(['--nobody-tenant-header', 'optional'], {})).toThrow(ConfigError);
  });
});
