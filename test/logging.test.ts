// Structured logs: one JSON line per request at info, more at debug, none when silent, and never a secret.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../src/core/logger.js';
import type { Sandbox } from '../src/sandbox.js';
import { bulk, DEMO_KEY, newAccount } from '../src/vendors/cora/cora.client.js';
import { requestToken } from '../src/vendors/propel/propel.client.js';
import { call, startSandbox } from './helpers.js';

const SECRETS = ['demo_secret', DEMO_KEY, 'query-secret-value'];

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** A sandbox whose logger writes into an array, one parsed JSON object per line. */
async function logged(level: LogLevel): Promise<{ s: Sandbox; lines: string[] }> {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')) });
  sandbox = await startSandbox({ logger });
  return { s: sandbox, lines };
}

/** Five requests across a vendor, the OAuth token endpoint, the control API and /docs. */
async function traffic(s: Sandbox): Promise<void> {
  expect((await bulk(s, { accounts: [newAccount('A')] })).status).toBe(200);
  await requestToken(s);
  await call(s, '/cora/external-api/accounts/A?token=query-secret-value', { headers: { authorization: `Bearer ${DEMO_KEY}` } });
  await call(s, '/_sandbox/health');
  await call(s, '/docs');
}

describe('request logs', () => {
  it('info: exactly one JSON line per request with what the sandbox did, and no credential anywhere', async () => {
    const { s, lines } = await logged('info');
    await traffic(s);
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries).toHaveLength(5);
    expect(entries.map((e) => [e.level, e.msg, e.method, e.path, e.status, e.area])).toEqual([
      [30, 'request', 'POST', '/cora/external-api/accounts/bulk-upsert', 200, 'cora'],
      [30, 'request', 'POST', '/propel/oauth2/token', 200, 'propel'],
      [30, 'request', 'GET', '/cora/external-api/accounts/A?token=[redacted]', 200, 'cora'],
      [30, 'request', 'GET', '/_sandbox/health', 200, 'sandbox'],
      [30, 'request', 'GET', '/docs', 200, 'docs'],
    ]);
    expect(entries[0]).toMatchObject({ tenant: 'org_demo', name: 'bulk-sandbox' });
    for (const e of entries) expect(typeof e.durationMs).toBe('number');
    expect(entries[0]).not.toHaveProperty('requestHeaders');
    const all = lines.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it('debug: adds the request headers and body, redacted as the journal redacts them', async () => {
    const { s, lines } = await logged('debug');
    await traffic(s);
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries).toHaveLength(5);
    expect(entries[0].requestHeaders).toMatchObject({ authorization: '[redacted]', 'x-cora-signature': '[redacted]', 'content-type': 'application/json' });
    expect(entries[0].requestBody).toEqual({ accounts: [newAccount('A')] });
    expect(entries[1].requestBody).toMatchObject({ client_id: 'demo_client', client_secret: '[redacted]' });
    const all = lines.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it('warn and silent: nothing for answered requests', async () => {
    for (const level of ['warn', 'silent'] as const) {
      const { s, lines } = await logged(level);
      await traffic(s);
      expect(lines, level).toEqual([]);
      await s.close();
      sandbox = undefined;
    }
  });

  it('logs a dropped connection at error level', async () => {
    const { s, lines } = await logged('error');
    await s.admin.armFault({ vendor: 'cora', drop: true });
    await expect(bulk(s, { accounts: [newAccount('A')] })).rejects.toThrow();
    await call(s, '/_sandbox/health');
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([{ level: 50, method: 'POST', status: null, fault: 'flt_1', area: 'cora' }]);
  });
});

describe('--log-level', () => {
  it('makes the process print one JSON line per request on stdout after the "listening on" line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--db', ':memory:', '--log-level', 'info'], {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const iterator = lines[Symbol.asyncIterator]();
      const first = (await iterator.next()).value as string;
      expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = first.slice('listening on '.length);
      await fetch(`${url}/_sandbox/health`);
      await fetch(`${url}/cora/external-api/accounts/X`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
      const a = JSON.parse((await iterator.next()).value as string);
      const b = JSON.parse((await iterator.next()).value as string);
      expect([a.path, a.status, b.path, b.status, b.error]).toEqual(['/_sandbox/health', 200, '/cora/external-api/accounts/X', 404, 'ACCOUNT_NOT_FOUND']);
      child.kill('SIGTERM');
      await once(child, 'exit');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
