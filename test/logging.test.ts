// Structured logs: one JSON line per request, control-plane reads at debug, a fault's answer at info, and never a secret.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../src/core/logger.js';
import type { Sandbox } from '../src/sandbox.js';
import { bulk, DEMO_KEY, getAccount, newAccount } from '../src/vendors/cora/cora.client.js';
import { requestToken } from '../src/vendors/propel/propel.client.js';
import { call, json, startSandbox, type JsonResponse } from './helpers.js';

const SECRETS = ['demo_secret', DEMO_KEY, 'query-secret-value'];
const [DEBUG, INFO, ERROR] = [20, 30, 50];

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** A sandbox whose logger writes into an array, one JSON line per entry. */
async function logged(level: LogLevel): Promise<{ s: Sandbox; lines: string[] }> {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')) });
  sandbox = await startSandbox({ logger });
  return { s: sandbox, lines };
}

const idOf = (res: { headers: Headers }) => Number(res.headers.get('x-sandbox-request-id'));

/**
 * Vendor calls (the OAuth token endpoint and a query secret among them), control writes, a
 * refused control read, then what the dashboard and a health check read. Answers each
 * response's X-Sandbox-Request-Id, in order.
 */
async function traffic(s: Sandbox): Promise<number[]> {
  const responses: Array<JsonResponse | Response> = [];
  const bulked = await bulk(s, { accounts: [newAccount('A')] });
  expect(bulked.status).toBe(200);
  responses.push(bulked, await requestToken(s));
  responses.push(await call(s, '/cora/external-api/accounts/A?token=query-secret-value', { headers: { authorization: `Bearer ${DEMO_KEY}` } }));
  responses.push(await call(s, '/_sandbox/clock', { method: 'POST', ...json({ advanceMs: 1000 }) }));
  responses.push(await call(s, '/_sandbox/nothing'));
  for (const path of ['/_sandbox/health', '/_sandbox/ui', '/_sandbox/requests?limit=5', '/_sandbox/faults', '/cora/openapi.json', '/docs']) responses.push(await call(s, path));
  return responses.map(idOf);
}

/** The log lines of `traffic`, in its order (method, path, status, area). */
const TRAFFIC = [
  ['POST', '/cora/external-api/accounts/bulk-upsert', 200, 'cora'],
  ['POST', '/propel/oauth2/token', 200, 'propel'],
  ['GET', '/cora/external-api/accounts/A?token=[redacted]', 200, 'cora'],
  ['POST', '/_sandbox/clock', 200, 'sandbox'],
  ['GET', '/_sandbox/nothing', 404, 'sandbox'],
  ['GET', '/_sandbox/health', 200, 'sandbox'],
  ['GET', '/_sandbox/ui', 200, 'sandbox'],
  ['GET', '/_sandbox/requests?limit=5', 200, 'sandbox'],
  ['GET', '/_sandbox/faults', 200, 'sandbox'],
  ['GET', '/cora/openapi.json', 200, 'cora'],
  ['GET', '/docs', 200, 'docs'],
];
/** The first five: vendor calls, a control write and a refused read. The rest are control-plane reads. */
const AT_INFO = 5;

describe('request logs', () => {
  it('info: one JSON line per request but the control-plane reads, with what the sandbox did, and no credential anywhere', async () => {
    const { s, lines } = await logged('info');
    await traffic(s);
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.level, e.msg, e.method, e.path, e.status, e.area])).toEqual(TRAFFIC.slice(0, AT_INFO).map((t) => [INFO, 'request', ...t]));
    expect(entries[0]).toMatchObject({ tenant: 'org_demo', name: 'bulk-sandbox' });
    for (const e of entries) expect(typeof e.durationMs).toBe('number');
    expect(entries[0]).not.toHaveProperty('requestHeaders');
    const all = lines.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it('debug: adds the control-plane reads, and the request headers and body redacted as the journal redacts them', async () => {
    const { s, lines } = await logged('debug');
    await traffic(s);
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.level, e.method, e.path, e.status, e.area])).toEqual(TRAFFIC.map((t, i) => [i < AT_INFO ? INFO : DEBUG, ...t]));
    expect(entries[0].requestHeaders).toMatchObject({ authorization: '[redacted]', 'x-cora-signature': '[redacted]', 'content-type': 'application/json' });
    expect(entries[0].requestBody).toEqual({ accounts: [newAccount('A')] });
    expect(entries[1].requestBody).toMatchObject({ client_id: 'demo_client', client_secret: '[redacted]' });
    const all = lines.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it('every line carries its request id, the one in the X-Sandbox-Request-Id the client got', async () => {
    const { s, lines } = await logged('debug');
    const ids = await traffic(s);
    for (const id of ids) expect(id).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines.map((l) => JSON.parse(l).requestId)).toEqual(ids);
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

  it("a fault's answer (an error, a raw 5xx, a dropped connection) is logged at info with the fault's id, never as an error", async () => {
    const { s, lines } = await logged('info');
    await s.admin.armFault({ vendor: 'cora', method: 'GET', response: { status: 503, body: 'down for the test' } });
    await s.admin.armFault({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', error: 'ACCOUNT_NOT_FOUND' });
    await s.admin.armFault({ vendor: 'cora', method: 'POST', drop: true });
    const answers = [await getAccount(s, 'A'), await getAccount(s, 'B')];
    expect(answers.map((r) => r.status)).toEqual([503, 404]);
    await expect(bulk(s, { accounts: [newAccount('A')] })).rejects.toThrow();
    const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.area === 'cora');
    expect(entries.map((e) => [e.level, e.method, e.status, e.fault])).toEqual([
      [INFO, 'GET', 503, 'flt_1'],
      [INFO, 'GET', 404, 'flt_2'],
      [INFO, 'POST', null, 'flt_3'],
    ]);
    expect(entries.map((e) => e.requestId)).toEqual([...answers.map(idOf), expect.any(Number)]);
    expect(entries[2].requestId).toBeGreaterThan(entries[1].requestId);
  });

  it('a 5xx the sandbox answered itself is an error, a delay fault on the way included', async () => {
    const { s, lines } = await logged('error');
    const store = s.app.deps.store;
    store.ping = () => Promise.reject(new Error('the disk is gone'));
    store.transaction = () => Promise.reject(new Error('the disk is gone'));
    expect((await call(s, '/_sandbox/health')).status).toBe(503);
    await s.admin.armFault({ vendor: 'cora', method: 'POST', delayMs: 1 });
    expect((await bulk(s, { accounts: [newAccount('A')] })).status).toBe(500);
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { level: ERROR, method: 'GET', path: '/_sandbox/health', status: 503, area: 'sandbox' },
      { level: ERROR, method: 'POST', status: 500, fault: 'flt_1', area: 'cora' },
    ]);
  });
});

describe('--log-level', () => {
  it('makes the process print the "listening on" line, the same as a JSON record, then one JSON line per request', async () => {
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
      expect(JSON.parse((await iterator.next()).value as string)).toMatchObject({ level: INFO, name: 'bulk-sandbox', msg: 'listening', url, store: 'sqlite' });
      // Health is a control-plane read: at info only the vendor call is logged.
      await fetch(`${url}/_sandbox/health`);
      await fetch(`${url}/cora/external-api/accounts/X`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
      const logged = JSON.parse((await iterator.next()).value as string);
      expect([logged.path, logged.status, logged.error]).toEqual(['/cora/external-api/accounts/X', 404, 'ACCOUNT_NOT_FOUND']);
      child.kill('SIGTERM');
      await once(child, 'exit');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
