// Shared mode when PostgreSQL's host goes silent (a network partition, a frozen server): no
// connection is refused and no answer comes. Every call answers within one timeout, the calls
// after it at once, and all recovers without a restart once the host answers again.
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore, RETRY_UNREACHABLE_MS } from '../../src/core/postgres-store.js';
import { isConnectionLost } from '../../src/core/store.js';
import { bulkCreate, storedPeople } from '../../src/vendors/copper/copper.client.js';
import type { Sandbox } from '../../src/sandbox.js';
import { call, json, startSandbox } from '../helpers.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

/**
 * A TCP proxy in front of PostgreSQL that can go silent: while it is, the bytes of open connections
 * go nowhere and new connections are accepted and never answered, as across a partition.
 */
async function silenceableProxy(target: URL) {
  let silent = false;
  const held = new Set<Socket>();
  const server = createServer((client) => {
    held.add(client);
    client.on('close', () => held.delete(client));
    client.on('error', () => {});
    if (silent) return;
    const upstream = connect(Number(target.port), target.hostname);
    held.add(upstream);
    upstream.on('close', () => (held.delete(upstream), client.destroy()));
    upstream.on('error', () => {});
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: url.toString(),
    silence: () => (silent = true),
    /** Answers again; the connections held while silent are dropped (their bytes were lost). */
    answer() {
      silent = false;
      for (const socket of held) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), [...held].forEach((s) => s.destroy()))),
  };
}

const person = (name: string) => ({ name, emails: [{ email: `${name}@example.com`, category: 'work' }] });
const STATEMENT_MS = 1_000;
const CONNECT_MS = 1_000;
/** The message a call failed with, or 'answered'. */
const refusal = async (sent: unknown): Promise<string> => {
  try {
    await sent;
    return 'answered';
  } catch (error) {
    return (error as Error).message;
  }
};
const timed = async <T>(send: () => Promise<T>): Promise<{ result: T; ms: number }> => {
  const started = performance.now();
  const result = await send();
  return { result, ms: performance.now() - started };
};

describe.skipIf(!pgAvailable)('PostgreSQL gone silent', () => {
  let proxy: Awaited<ReturnType<typeof silenceableProxy>>;
  let sandbox: Sandbox;
  beforeAll(async () => {
    proxy = await silenceableProxy(new URL(await freshPgSchemaUrl()));
    sandbox = await startSandbox({ db: proxy.url, rateLimits: 'off', postgres: { connectTimeoutMs: CONNECT_MS, statementTimeoutMs: STATEMENT_MS } });
  }, 60_000);
  afterAll(async () => {
    // Closing waits for no statement: each ended with its timeout.
    await sandbox?.close();
    await proxy?.close();
  });

  it('answers the vendor’s 500 within the statement and connect timeouts, the calls after it at once, health 503, then serves again without a restart', async () => {
    expect((await bulkCreate(sandbox, [person('before')])).status).toBe(200);
    // Connections in the pool, opened while the host answered: they stay in the pool once it is silent.
    await Promise.all([1, 2, 3, 4, 5, 6].map(() => call(sandbox, '/_sandbox/health')));
    proxy.silence();

    // The first call waits for an answer on an open connection (the state read) until the deadline: then the store is unreachable.
    const first = await timed(() => bulkCreate(sandbox, [person('during')]));
    expect(first.result.status, first.result.text).toBe(500);
    expect(first.result.body).toEqual({ success: false, status: 500, message: 'Internal server error' });
    expect(first.ms).toBeLessThan(STATEMENT_MS + CONNECT_MS + 1_500);

    // The calls after it do not wait again (but for one a second, which tries): well under one connect timeout each.
    const after = await Promise.all([1, 2, 3].map((n) => timed(() => bulkCreate(sandbox, [person(`during${n}`)]))));
    expect(after.map((a) => a.result.status)).toEqual([500, 500, 500]);
    expect(after.filter((a) => a.ms < CONNECT_MS / 2).length).toBeGreaterThanOrEqual(2);
    const health = await timed(() => call(sandbox, '/_sandbox/health'));
    expect(health.result.status).toBe(503);
    expect(health.result.body).toEqual({ status: 'unavailable', store: 'postgres' });
    expect(health.ms).toBeLessThan(CONNECT_MS + 1_000);
    const reset = await call(sandbox, '/_sandbox/reset', { method: 'POST', ...json({}) });
    expect(reset.status, reset.text).toBe(503);
    expect(reset.body).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: "The sandbox's store (postgres) is unreachable; retry when GET /_sandbox/health answers ok" } });
    expect(reset.text).not.toMatch(/127\.0\.0\.1|sandbox@|timeout|PostgreSQL did not/i);

    // A second on, one call tries again and waits as the first did; the calls meanwhile still fail at once.
    await new Promise((resolve) => setTimeout(resolve, RETRY_UNREACHABLE_MS));
    const probe = timed(() => call(sandbox, '/_sandbox/reset', { method: 'POST', ...json({}) }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const meanwhile = await Promise.all([1, 2, 3].map((n) => timed(() => bulkCreate(sandbox, [person(`meanwhile${n}`)]))));
    expect(meanwhile.map((a) => a.result.status)).toEqual([500, 500, 500]);
    expect(meanwhile.map((a) => a.ms).filter((ms) => ms >= CONNECT_MS / 2)).toEqual([]);
    const tried = await probe;
    expect(tried.result.status, tried.result.text).toBe(503);
    expect(tried.ms).toBeLessThan(STATEMENT_MS + CONNECT_MS + 1_500);

    proxy.answer();
    // Within a retry interval, one call tries again and finds it back.
    await new Promise((resolve) => setTimeout(resolve, RETRY_UNREACHABLE_MS));
    expect((await call(sandbox, '/_sandbox/health')).body).toEqual({ status: 'ok' });
    expect((await bulkCreate(sandbox, [person('after')])).status).toBe(200);
    expect((await storedPeople(sandbox)).map((p) => p.name).sort()).toEqual(['after', 'before']);
  }, 60_000);

  it('takes no connection handed out by the pool for an answer: the calls meanwhile fail at once while the try waits on it', async () => {
    const silent = await silenceableProxy(new URL(await freshPgSchemaUrl()));
    const store = new PostgresStore(silent.url, { connectTimeoutMs: CONNECT_MS, statementTimeoutMs: STATEMENT_MS });
    try {
      // Four connections in the pool, then silence: a statement waits out its deadline.
      await Promise.all([1, 2, 3, 4].map(() => store.transaction((tx) => tx.value('SELECT pg_sleep(0.05)'))));
      silent.silence();
      await expect(store.value('SELECT 1')).rejects.toThrow(/Query read timeout/);
      await new Promise((resolve) => setTimeout(resolve, RETRY_UNREACHABLE_MS));
      // The try: a transaction, which takes an idle connection of the pool (opened before the silence) and waits on it.
      const tried = store.transaction((tx) => tx.value('SELECT 1'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const meanwhile = await Promise.all([1, 2, 3].map(() => timed(() => refusal(store.value('SELECT 1')))));
      expect(meanwhile.map((m) => m.result)).toEqual(Array(3).fill('PostgreSQL did not answer within its timeout; one call a second tries again'));
      expect(meanwhile.map((m) => m.ms).filter((ms) => ms >= CONNECT_MS / 2)).toEqual([]);
      // Its connection dropped at the deadline: a lost connection, whichever of its statements says so.
      expect(await tried.then(() => 'answered', isConnectionLost)).toBe(true);
    } finally {
      await store.close();
      await silent.close();
    }
  }, 30_000);
});
