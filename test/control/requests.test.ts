// Request ids on every response, the journal's operationId, and GET /_sandbox/requests/count.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { bulk, getAccount, newAccount } from '../../src/vendors/cora/cora.client.js';
import { mc } from '../../src/vendors/mailingcore/mailingcore.client.js';
import { call, startSandbox, useSandbox } from '../helpers.js';

const sandbox = useSandbox();
const idOf = (res: { headers: Headers }) => res.headers.get('x-sandbox-request-id');

describe('X-Sandbox-Request-Id', () => {
  it('is the journal id on vendor responses, and comes from the same counter everywhere else', async () => {
    const ids: string[] = [];
    const seen = async (path: string, init?: RequestInit) => {
      const res = await sandbox().fetch(path, { redirect: 'manual', ...init });
      await res.arrayBuffer();
      const id = idOf(res);
      expect(id, path).toMatch(/^\d+$/);
      ids.push(id!);
      return id!;
    };
    const vendorId = idOf(await bulk(sandbox(), { accounts: [newAccount('A')] }))!;
    ids.push(vendorId);
    const failedId = idOf(await getAccount(sandbox(), 'A', 'cora_org_demo.wrong'))!;
    ids.push(failedId);
    await seen('/_sandbox/health');
    await seen('/_sandbox/nope');
    await seen('/docs');
    await seen('/docs/');
    await seen('/dashboard');
    await seen('/nowhere');
    await seen('/cora/openapi.json');
    await seen('/cora/no-such-path');
    expect(ids.map(Number)).toEqual(ids.map((_, i) => i + 1));
    const entries = (await call(sandbox(), '/_sandbox/requests')).body.requests as Array<{ id: number; path: string }>;
    expect(entries.find((e) => String(e.id) === vendorId)?.path).toBe('/external-api/accounts/bulk-upsert');
    expect(entries.find((e) => String(e.id) === failedId)?.path).toBe('/external-api/accounts/A');
    // The journal keeps the header it sent.
    expect(entries.find((e) => String(e.id) === vendorId)).toMatchObject({ responseHeaders: { 'x-sandbox-request-id': vendorId } });
  });

  it('is on fault responses and on a vendor app served alone', async () => {
    await sandbox().admin.armFault({ vendor: 'cora', response: { status: 503, body: 'down' } });
    const faulted = await bulk(sandbox(), { accounts: [newAccount('A')] });
    expect(faulted.status).toBe(503);
    expect(idOf(faulted)).toMatch(/^\d+$/);
    const [faultEntry] = (await call(sandbox(), '/_sandbox/requests?limit=1&vendor=cora')).body.requests;
    expect([String(faultEntry.id), faultEntry.responseHeaders['x-sandbox-request-id']]).toEqual([idOf(faulted), idOf(faulted)]);
    const alone = sandbox().app.vendorApps.mailingcore!;
    const hit = await alone.fetch(new Request('http://vendor/contacts', { headers: { authorization: 'Bearer mc_test_demo', 'x-tenant-id': 'tenant_demo' } }));
    const miss = await alone.fetch(new Request('http://vendor/no-such-path'));
    expect([hit.status, miss.status]).toEqual([200, 404]);
    const [a, b] = [Number(idOf(hit)), Number(idOf(miss))];
    expect(b).toBe(a + 1);
    const journal = (await call(sandbox(), '/_sandbox/requests?vendor=mailingcore')).body.requests as Array<{ id: number }>;
    expect(journal.map((e) => e.id)).toEqual([b, a]);
  });

  it('is the requestId of each log line', async () => {
    const lines: string[] = [];
    // debug: health, a control-plane read, is logged only there.
    const s = await startSandbox({ logger: createLogger('debug', { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')) }) });
    try {
      const headers = [idOf(await bulk(s, { accounts: [newAccount('A')] })), idOf(await call(s, '/_sandbox/health')), idOf(await call(s, '/nowhere'))];
      expect(lines.map((l) => String(JSON.parse(l).requestId))).toEqual(headers);
    } finally {
      await s.close();
    }
  });
});

describe('journal operationId and GET /_sandbox/requests/count', () => {
  it('records the matched route, filters by it, and counts every kept match without a limit', async () => {
    // Cora allows one bulk call a second: one write, then reads.
    await bulk(sandbox(), { accounts: [newAccount('A')] });
    await getAccount(sandbox(), 'A');
    await getAccount(sandbox(), 'B');
    await getAccount(sandbox(), 'C');
    await call(sandbox(), '/cora/no-such-path');
    await mc(sandbox(), 'GET', '/contacts');
    const entries = (await call(sandbox(), '/_sandbox/requests')).body.requests as Array<{ operationId: string | null; path: string }>;
    expect(entries.map((e) => e.operationId)).toEqual([
      'mailingcoreListContacts',
      null,
      'coraGetAccount',
      'coraGetAccount',
      'coraGetAccount',
      'coraBulkUpsertAccounts',
    ]);
    const count = async (query: string) => (await call(sandbox(), `/_sandbox/requests/count${query}`)).body;
    expect(await count('')).toEqual({ count: 6 });
    expect(await count('?operationId=coraGetAccount')).toEqual({ count: 3 });
    expect(await count('?vendor=cora&status=200')).toEqual({ count: 2 });
    expect(await count('?vendor=cora&method=get&path=/accounts/')).toEqual({ count: 3 });
    expect(await count('?namespace=elsewhere')).toEqual({ count: 0 });
    expect(await count('?tenant=org_demo&since=2000-01-01T00:00:00Z')).toEqual({ count: 4 });
    // A count has no limit: the parameter is refused rather than ignored.
    expect(await count('?limit=1')).toEqual({ error: { code: 'INVALID_REQUEST', message: 'Invalid query', issues: ['limit: not a query parameter of this call'] } });
    expect((await call(sandbox(), '/_sandbox/requests?operationId=coraBulkUpsertAccounts')).body.requests).toHaveLength(1);
    expect(await sandbox().admin.requestCount({ vendor: 'cora', operationId: 'coraGetAccount' })).toBe(3);
  });

  it('refuses a bad filter with 400 naming the field', async () => {
    for (const [query, field] of [
      ['status=abc', 'status'],
      ['since=yesterday', 'since'],
    ]) {
      const res = await call(sandbox(), `/_sandbox/requests/count?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(res.body.error.issues.join(' ')).toContain(`${field}:`);
    }
    expect((await call(sandbox(), '/_sandbox/requests/count', { method: 'POST' })).status).toBe(405);
  });

  it('is described in the control API document', async () => {
    const doc = (await call(sandbox(), '/_sandbox/openapi.json')).body;
    const op = doc.paths['/requests/count'].get;
    expect(op.operationId).toBe('sandboxCountRequests');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400']));
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['vendor', 'namespace', 'tenant', 'method', 'path', 'status', 'since', 'operationId']),
    );
  });
});
