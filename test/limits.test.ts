// Transport limits: slow clients are cut off, oversized headers refused, buckets and journal bounded.
import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { SandboxClock } from '../src/core/clock.js';
import { SlidingWindowLimiter } from '../src/core/rate-limit.js';
import { Journal, RawBody, type JournalEntry } from '../src/core/journal.js';
import { call, startSandbox, T0 } from './helpers.js';
import { signCoraRequest } from '../src/vendors/cora/auth.js';

/** Opens a raw connection to the sandbox and returns what the server sent before closing it. */
async function rawExchange(url: string, write: (socket: ReturnType<typeof connect>) => void, maxMs: number): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const started = performance.now();
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  write(socket);
  const closed = once(socket, 'close');
  const timer = setTimeout(() => socket.destroy(new Error('server never closed the connection')), maxMs);
  await closed;
  clearTimeout(timer);
  return { text, closedAfterMs: performance.now() - started };
}

describe('transport limits', () => {
  it('closes a connection whose headers never finish (slow loris)', async () => {
    const sandbox = await startSandbox({ timeouts: { headersMs: 200, requestMs: 400 } });
    try {
      const { text, closedAfterMs } = await rawExchange(sandbox.url, (s) => s.write('GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nX-Slow: '), 10_000);
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expect(closedAfterMs).toBeLessThan(10_000);
    } finally {
      await sandbox.close();
    }
  });

  it('closes a connection whose body trickles in past the request timeout, writing nothing', async () => {
    const sandbox = await startSandbox({ timeouts: { headersMs: 200, requestMs: 400 } });
    try {
      const body = '{"accounts":[';
      const { text } = await rawExchange(
        sandbox.url,
        (s) =>
          s.write(
            `POST /cora/external-api/accounts/bulk-upsert HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${body}`,
          ),
        10_000,
      );
      expect(text === '' || /^HTTP\/1\.1 (408|4\d\d)/.test(text)).toBe(true);
      expect((await sandbox.admin.records('cora')).records).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });

  it('journals a client that leaves mid-body as dropped, never as the vendor’s 500, and logs no unhandled error', async () => {
    const sandbox = await startSandbox({ rateLimits: 'off' });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { hostname, port } = new URL(sandbox.url);
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.write(
        'POST /copper/developer_api/v1/people/bulk_create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n' +
          'X-PW-AccessToken: copper_demo_token\r\nX-PW-Application: developer_api\r\nX-PW-UserEmail: demo@example.com\r\nExpect: 100-continue\r\n\r\n',
      );
      // The server answers 100 Continue as it hands the request to the sandbox: the handler is then reading the body.
      while (!text.includes('100 Continue')) await once(socket, 'data');
      socket.write('{"people":[{"name":"Half');
      socket.destroy();
      let entries: Array<{ status: number | null; error: string | null; path: string }> = [];
      for (let i = 0; i < 200 && entries.length === 0; i++) {
        entries = (await call(sandbox, '/_sandbox/requests?vendor=copper')).body.requests;
        if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ status: null, error: null, path: '/developer_api/v1/people/bulk_create' });
      expect((await call(sandbox, '/_sandbox/metrics')).text).toMatch(/^bulk_sandbox_requests_total\{vendor="copper",method="POST",status="dropped"\} 1$/m);
      expect(logged.mock.calls.filter((args) => String(args[0]).includes('unhandled error'))).toEqual([]);
      expect((await sandbox.admin.records('copper')).records).toEqual([]);
    } finally {
      logged.mockRestore();
      await sandbox.close();
    }
  });

  it('refuses headers larger than 16 KiB with 431 and keeps serving', async () => {
    const sandbox = await startSandbox();
    try {
      const res = await fetch(`${sandbox.url}/_sandbox/health`, { headers: { 'x-big': 'a'.repeat(20_000) } });
      expect(res.status).toBe(431);
      expect((await call(sandbox, '/_sandbox/health')).status).toBe(200);
    } finally {
      await sandbox.close();
    }
  });

  it('keeps rate-limit buckets bounded in memory', () => {
    const clock = SandboxClock.frozen(T0);
    const limiter = new SlidingWindowLimiter('test', { limit: 1, windowMs: 60_000 }, clock, 100);
    for (let i = 0; i < 1_000; i++) limiter.take(`key-${i}`);
    expect(limiter.view().length).toBeLessThanOrEqual(100);
    // The newest keys are still limited: eviction dropped the oldest.
    expect(limiter.take('key-999').allowed).toBe(false);
  });

  it('keeps the journal under its byte budget, dropping the oldest entries first', () => {
    // Each entry counts ~1.3 kB: its 1,012-byte request body, 2-byte response, path, and a fixed 256.
    const journal = new Journal(10_000, 13_000);
    const entry = (id: number): JournalEntry => ({
      id,
      time: new Date(T0).toISOString(),
      vendor: 'cora',
      namespace: '',
      tenant: null,
      method: 'POST',
      path: `/p/${id}`,
      operationId: null,
      requestHeaders: {},
      requestBody: new RawBody(JSON.stringify({ blob: 'x'.repeat(1_000) }), 'application/json'),
      status: 200,
      responseHeaders: {},
      responseBody: new RawBody('{}', 'application/json'),
      durationMs: 1,
      error: null,
      rowErrors: [],
      fault: null,
    });
    for (let id = 1; id <= 100; id++) journal.add(entry(id));
    const kept = journal.list({ limit: 10_000 });
    expect(kept.length).toBeLessThan(11);
    expect(kept.length).toBeGreaterThan(5);
    expect(kept[0]!.path).toBe('/p/100');
    expect(kept.at(-1)!.id).toBe(100 - kept.length + 1);
    expect(kept[0]!.requestBody).toEqual({ blob: 'x'.repeat(1_000) });

    // Headers count too: bodiless entries with a 1 kB header are not free either.
    const headersOnly = new Journal(10_000, 13_000);
    for (let id = 1; id <= 100; id++) {
      headersOnly.add({ ...entry(id), requestHeaders: { 'x-big': 'h'.repeat(1_000) }, requestBody: null, responseBody: null });
    }
    expect(headersOnly.list({ limit: 10_000 }).length).toBeLessThan(11);
  });

  it('answers 413 in the vendor envelope as soon as a chunked body (no Content-Length) passes the limit', async () => {
    const sandbox = await startSandbox({ bodyLimit: 1_000, rateLimits: 'off' });
    try {
      const body = JSON.stringify({ accounts: [{ externalId: 'CHUNKED', phoneNumber: '+15555550111', portfolioId: 'P', metadata: { filenumber: 'x'.repeat(5_000) } }] });
      const timestamp = String(Math.floor(sandbox.clock.now() / 1000));
      const path = '/external-api/accounts/bulk-upsert';
      const signature = signCoraRequest({ apiKey: 'cora_org_demo.demo_secret', timestamp, method: 'POST', pathWithQuery: path, body });
      const bytes = new TextEncoder().encode(body);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
          controller.close();
        },
      });
      const res = await fetch(`${sandbox.url}/cora${path}`, {
        method: 'POST',
        body: stream,
        duplex: 'half',
        headers: { authorization: 'Bearer cora_org_demo.demo_secret', 'x-cora-timestamp': timestamp, 'x-cora-signature': signature, 'content-type': 'application/json' },
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
      expect((await sandbox.admin.records('cora')).records).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });
});
