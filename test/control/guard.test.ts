// The control plane answers only its own host and origin: no DNS rebinding, no cross-site writes, JSON bodies only.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { getAccount, bulk, newAccount } from '../../src/vendors/cora/cora.client.js';
import { startSandbox, useSandbox } from '../helpers.js';

interface Raw {
  status: number;
  body: any;
}

/** A request with exactly these headers (fetch would not let a test set Host, Origin or Sec-Fetch-*). */
function raw(sandbox: Sandbox, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  const url = new URL(sandbox.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode!, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sandbox = useSandbox({ rateLimits: 'off' });
const own = () => new URL(sandbox().url).host;
const accounts = async () => (await sandbox().admin.records('cora')).records.length;

describe('Host', () => {
  it.each(['/_sandbox/snapshot', '/_sandbox/requests', '/docs', '/_sandbox/ui', '/_sandbox/nothing'])('%s refuses a host that is not loopback or allowed (DNS rebinding)', async (path) => {
    for (const host of ['evil.example', `evil.example:${new URL(sandbox().url).port}`, '127.0.0.1.evil.example', '10.0.0.1', 'localhost.evil.example']) {
      const res = await raw(sandbox(), 'GET', path, { host });
      expect(res.status, `${path} ${host}`).toBe(403);
      expect(res.body.error.code).toBe('HOST_NOT_ALLOWED');
    }
  });

  it('answers loopback names, with or without port', async () => {
    for (const host of [own(), 'localhost', `localhost:${new URL(sandbox().url).port}`, '127.0.0.1', '[::1]:4700', 'app.localhost']) {
      expect((await raw(sandbox(), 'GET', '/_sandbox/health', { host })).status, host).toBe(200);
    }
  });

  it('answers a configured host (--allowed-hosts), and any host with *', async () => {
    const named = await startSandbox({ allowedHosts: ['qa.example'] });
    const any = await startSandbox({ allowedHosts: ['*'] });
    try {
      expect((await raw(named, 'GET', '/_sandbox/health', { host: 'qa.example:4700' })).status).toBe(200);
      expect((await raw(named, 'GET', '/_sandbox/health', { host: 'other.example' })).status).toBe(403);
      expect((await raw(any, 'GET', '/_sandbox/health', { host: 'other.example' })).status).toBe(200);
    } finally {
      await Promise.all([named.close(), any.close()]);
    }
  });

  it('checks the Host of health too, which needs no admin token', async () => {
    const locked = await startSandbox({ adminToken: 'test-admin-token-0123456789' });
    try {
      const refused = await raw(locked, 'GET', '/_sandbox/health', { host: 'evil.example' });
      expect([refused.status, refused.body.error.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
      expect((await raw(locked, 'GET', '/_sandbox/health', { host: 'localhost' })).body).toEqual({ status: 'ok' });
    } finally {
      await locked.close();
    }
  });

  it('leaves vendor paths alone: a vendor is called by whatever name its client uses', async () => {
    const res = await raw(sandbox(), 'GET', '/cora/external-api/accounts/NOPE', { host: 'api.cora.example', authorization: 'Bearer cora_org_demo.demo_secret' });
    expect(res.body.code).toBe('ACCOUNT_NOT_FOUND');
  });
});

describe('writes from another origin', () => {
  const resetBody = JSON.stringify({ vendor: 'cora' });
  const seedOne = async () => {
    expect((await bulk(sandbox(), { accounts: [newAccount('KEEP')] })).status).toBe(200);
  };

  it.each([
    ['a cross-origin page', { origin: 'http://evil.example', 'content-type': 'application/json' }, 403, 'CROSS_ORIGIN_REFUSED'],
    ['another port of this host', { origin: 'http://127.0.0.1:1', 'content-type': 'application/json' }, 403, 'CROSS_ORIGIN_REFUSED'],
    ['an opaque origin', { origin: 'null', 'content-type': 'application/json' }, 403, 'CROSS_ORIGIN_REFUSED'],
    ['a cross-site fetch without Origin', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, 403, 'CROSS_ORIGIN_REFUSED'],
    ['a same-site fetch without Origin', { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, 403, 'CROSS_ORIGIN_REFUSED'],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a text/plain post', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a multipart post', { 'content-type': 'multipart/form-data; boundary=x' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body without content type', {}, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses %s and changes nothing', async (_, headers, status, code) => {
    await seedOne();
    const res = await raw(sandbox(), 'POST', '/_sandbox/reset', headers as Record<string, string>, resetBody);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await accounts()).toBe(1);
    // The same check guards every state-changing method (a DELETE without a body needs no content type).
    if (Object.keys(headers).length > 0) expect((await raw(sandbox(), 'DELETE', '/_sandbox/clock', headers as Record<string, string>)).status).toBe(status);
  });

  it("accepts the sandbox's own origin, curl without Origin, and an empty body without content type", async () => {
    await seedOne();
    expect((await raw(sandbox(), 'POST', '/_sandbox/reset', { origin: `http://${own()}`, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, resetBody)).status).toBe(200);
    await seedOne();
    expect((await raw(sandbox(), 'POST', '/_sandbox/reset', { 'content-type': 'application/json; charset=utf-8' }, resetBody)).status).toBe(200);
    await seedOne();
    expect((await raw(sandbox(), 'POST', '/_sandbox/reset')).status).toBe(200);
    expect(await accounts()).toBe(0);
    expect((await raw(sandbox(), 'DELETE', '/_sandbox/clock')).status).toBe(200);
  });

  it('lets cross-origin reads through the guard (the browser keeps their answers from the page)', async () => {
    const res = await raw(sandbox(), 'GET', '/_sandbox/health', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('vendor writes are not control writes: their clients may send any Origin', async () => {
    const res = await getAccount(sandbox(), 'NOPE');
    expect(res.status).toBe(404);
  });
});
