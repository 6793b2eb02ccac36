// Reset, coverage and rate-limit buckets act on exactly the scope asked for: vendor, tenant, namespace.
import { describe, expect, it } from 'vitest';
import { bulk, newAccount, OTHER_KEY } from '../../src/vendors/cora/cora.client.js';
import { call, json, useSandbox } from '../helpers.js';

const sandbox = useSandbox();
const reset = (body: unknown) => call(sandbox(), '/_sandbox/reset', { method: 'POST', ...json(body) });
const buckets = async () => (await call(sandbox(), '/_sandbox/rate-limits')).body.buckets as Array<{ limiter: string; namespace: string; tenant: string }>;

describe('POST /_sandbox/reset with a tenant', () => {
  it("clears that tenant's rate-limit buckets and no other tenant's", async () => {
    expect((await bulk(sandbox(), { accounts: [newAccount('A1')] })).status).toBe(200);
    expect((await bulk(sandbox(), { accounts: [newAccount('B1')] }, { key: OTHER_KEY })).status).toBe(200);
    expect((await bulk(sandbox(), { accounts: [newAccount('A2')] })).status).toBe(429);
    expect((await buckets()).map((b) => b.tenant).sort()).toEqual(['org_demo', 'org_other']);

    expect((await reset({ tenant: 'org_demo' })).status).toBe(200);
    expect((await buckets()).map((b) => b.tenant)).toEqual(['org_other']);
    expect((await bulk(sandbox(), { accounts: [newAccount('A3')] })).status).toBe(200);
    expect((await bulk(sandbox(), { accounts: [newAccount('B2')] }, { key: OTHER_KEY })).status).toBe(429);
  });

  it("with a vendor, leaves other vendors' buckets alone", async () => {
    await bulk(sandbox(), { accounts: [newAccount('A1')] });
    expect((await reset({ vendor: 'copper' })).status).toBe(200);
    expect((await buckets()).map((b) => b.limiter)).toEqual(['cora.bulk-upsert']);
    expect((await reset({ vendor: 'cora' })).status).toBe(200);
    expect(await buckets()).toEqual([]);
  });
});

describe('GET /_sandbox/coverage', () => {
  const coraCount = async (query: string, code: string) => {
    const res = await call(sandbox(), `/_sandbox/coverage${query}`);
    expect(res.status, res.text).toBe(200);
    const cora = res.body.vendors.find((v: { vendor: string }) => v.vendor === 'cora');
    return cora.errors.find((e: { code: string }) => e.code === code).count as number;
  };

  it('counts per namespace, and a reset clears the counts of its scope only', async () => {
    await bulk(sandbox(), { accounts: [] }, { headers: { 'x-sandbox-namespace': 'job-a' } });
    await bulk(sandbox(), { accounts: [] }, { headers: { 'x-sandbox-namespace': 'job-b' } });
    await bulk(sandbox(), { accounts: [] }, { key: OTHER_KEY, headers: { 'x-sandbox-namespace': 'job-b' } });
    expect(await coraCount('?namespace=job-a', 'ACCOUNTS_REQUIRED')).toBe(1);
    expect(await coraCount('?namespace=job-b', 'ACCOUNTS_REQUIRED')).toBe(2);
    expect(await coraCount('', 'ACCOUNTS_REQUIRED')).toBe(3);
    expect(await coraCount('?namespace=', 'ACCOUNTS_REQUIRED')).toBe(0);
    expect(await coraCount('?namespace=job-b&tenant=org_other', 'ACCOUNTS_REQUIRED')).toBe(1);
    expect(await coraCount('?namespace=job-a&tenant=org_other', 'ACCOUNTS_REQUIRED')).toBe(0);

    expect((await reset({ namespace: 'job-a' })).status).toBe(200);
    expect(await coraCount('?namespace=job-a', 'ACCOUNTS_REQUIRED')).toBe(0);
    expect(await coraCount('?namespace=job-b', 'ACCOUNTS_REQUIRED')).toBe(2);
    expect((await reset({})).status).toBe(200);
    expect(await coraCount('', 'ACCOUNTS_REQUIRED')).toBe(0);
  });

  it('refuses an unknown vendor, an unknown or repeated parameter', async () => {
    expect((await call(sandbox(), '/_sandbox/coverage?vendor=nope')).body.error.code).toBe('UNKNOWN_VENDOR');
    for (const query of ['?namspace=job-a', '?namespace=a&namespace=b']) {
      const res = await call(sandbox(), `/_sandbox/coverage${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
  });
});

describe('control queries', () => {
  it.each([
    ['GET', '/_sandbox/health?x=1'],
    ['GET', '/_sandbox/credentials?vendr=cora'],
    ['DELETE', '/_sandbox/faults?idd=flt_1'],
    ['DELETE', '/_sandbox/requests?namespace=a&namespace=b'],
    ['GET', '/_sandbox/cora/records?limit=0'],
    ['GET', '/_sandbox/cora/records?limit=abc'],
  ])('%s %s: 400 naming the parameter, nothing changed', async (method, path) => {
    await bulk(sandbox(), { accounts: [newAccount('Q1')] });
    const before = (await call(sandbox(), '/_sandbox/requests?limit=10000')).body.requests.length;
    const res = await call(sandbox(), path, { method });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.issues.length).toBeGreaterThan(0);
    expect((await call(sandbox(), '/_sandbox/requests?limit=10000')).body.requests.length).toBe(before);
  });
});

describe('control bodies over the limit', () => {
  it.each(['/_sandbox/seed', '/_sandbox/faults', '/_sandbox/clock'])('%s answers 413 in the control envelope and changes nothing', async (path) => {
    const res = await call(sandbox(), path, { method: 'POST', ...json(`{"x":"${'a'.repeat(10 * 1024 * 1024)}"}`) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await sandbox().admin.faults()).toEqual([]);
  });
});
