// Cora happy paths through HTTP: create, update, deep merge, unchanged, changes, dry run, reads, PATCH.
import { describe, expect, it } from 'vitest';
import { advanceClock, call, T0_ISO, useSandbox } from '../../../test/helpers.js';
import { BODY_MESSAGES } from '../../core/body.js';
import { bulk, coraSigned, DEMO_KEY, getAccount, newAccount, OTHER_KEY } from './cora.client.js';

const sandbox = useSandbox({ rateLimits: 'off' });

describe('cora bulk upsert', () => {
  it('creates accounts and returns per-row results in request order', async () => {
    const res = await bulk(sandbox(), { accounts: [newAccount('FILE_1', { currentBalance: 125.5 }), newAccount('FILE_2')] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      code: 'BULK_UPSERT_PROCESSED',
      message: 'Bulk upsert processed',
      dryRun: false,
      summary: { total: 2, created: 2, updated: 0, unchanged: 0, failed: 0 },
    });
    expect(res.body.results).toEqual([
      { index: 0, externalId: 'FILE_1', status: 'created', accountId: expect.stringMatching(/^acc_[0-9a-f]{24}$/), updatedAt: T0_ISO },
      { index: 1, externalId: 'FILE_2', status: 'created', accountId: expect.stringMatching(/^acc_[0-9a-f]{24}$/), updatedAt: T0_ISO },
    ]);
    const stored = await getAccount(sandbox(), 'FILE_1');
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual({
      success: true,
      code: 'ACCOUNT_FETCHED',
      message: 'Account fetched successfully',
      account: {
        id: res.body.results[0].accountId,
        externalId: 'FILE_1',
        organizationId: 'org_demo',
        portfolioId: 'PORTFOLIO_1',
        bucket: null,
        status: 'ACTIVE',
        status_category: 'ACTIVE',
        clientStatus: null,
        phoneNumber: '+15555550111',
        metadata: { filenumber: 'FILE_1' },
        person: null,
        emailAddress: null,
        currentEmailAddressId: null,
        emailAddressIds: [],
        address: null,
        history: null,
        typeOfDebt: null,
        compliance: null,
        paymentRules: null,
        bank: null,
        client: null,
        originalCreditor: null,
        currentBalance: 125.5,
        tags: [],
        contactInfo: null,
        smsOptOut: null,
        createdAt: T0_ISO,
        updatedAt: T0_ISO,
      },
    });
  });

  it('reproduces the vendor example: one new account, one update of an existing one', async () => {
    await bulk(sandbox(), { accounts: [newAccount('FILE_456')] });
    const res = await bulk(sandbox(), {
      dryRun: false,
      includeChanges: false,
      accounts: [
        {
          externalId: 'FILE_123',
          phoneNumber: '+15555550111',
          portfolioId: 'PORTFOLIO_ID',
          bucket: 'BUCKET_NAME',
          metadata: { filenumber: 'FILE_123', externalApiSyncState: 'SYNCED' },
          currentBalance: 450.25,
        },
        { externalId: 'FILE_456', currentBalance: 125.5 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ total: 2, created: 1, updated: 1, unchanged: 0, failed: 0 });
    expect(res.body.results.map((r: any) => r.status)).toEqual(['created', 'updated']);
    expect((await getAccount(sandbox(), 'FILE_123')).body.account.bucket).toBe('BUCKET_NAME');
    expect((await getAccount(sandbox(), 'FILE_456')).body.account.currentBalance).toBe(125.5);
  });

  it('deep-merges metadata, person and address; scalars and arrays replace; null clears', async () => {
    await bulk(sandbox(), {
      accounts: [
        newAccount('M1', {
          metadata: { filenumber: 'M1', nested: { a: 1, b: 2 }, keep: 'yes' },
          person: { name: { first: 'Ada', last: 'Lovelace' }, birthdate: '1815-12-10' },
          address: { street: '1 Main St', city: 'London' },
          tags: ['a', 'b'],
          bucket: 'B1',
          clientStatus: 'open',
        }),
      ],
    });
    await advanceClock(sandbox(), 60_000);
    const res = await bulk(sandbox(), {
      accounts: [
        {
          externalId: 'M1',
          metadata: { nested: { b: 3, c: 4 } },
          person: { name: { last: 'King' } },
          address: { zip: 'N1' },
          tags: ['c'],
          bucket: 'B2',
          clientStatus: null,
          portfolioId: 'IGNORED_ON_UPDATE',
        },
      ],
    });
    expect(res.body.results[0]).toMatchObject({ status: 'updated', updatedAt: '2026-01-15T10:01:00.000Z' });
    const { account } = (await getAccount(sandbox(), 'M1')).body;
    expect(account.metadata).toEqual({ filenumber: 'M1', nested: { a: 1, b: 3, c: 4 }, keep: 'yes' });
    expect(account.person).toEqual({ name: { first: 'Ada', last: 'King' }, birthdate: '1815-12-10' });
    expect(account.address).toEqual({ street: '1 Main St', city: 'London', zip: 'N1' });
    expect(account.tags).toEqual(['c']);
    expect(account.bucket).toBe('B2');
    expect(account.clientStatus).toBeNull();
    expect(account.portfolioId).toBe('PORTFOLIO_1');
    expect(account.createdAt).toBe(T0_ISO);
    expect(account.updatedAt).toBe('2026-01-15T10:01:00.000Z');
  });

  it('reports unchanged rows and keeps their updatedAt', async () => {
    await bulk(sandbox(), { accounts: [newAccount('U1', { currentBalance: 10 })] });
    await advanceClock(sandbox(), 60_000);
    const res = await bulk(sandbox(), { accounts: [{ externalId: 'U1', currentBalance: 10, metadata: { filenumber: 'U1' } }] });
    expect(res.body.results[0]).toEqual({ index: 0, externalId: 'U1', status: 'unchanged', accountId: expect.any(String), updatedAt: T0_ISO });
    expect(res.body.summary).toMatchObject({ unchanged: 1, updated: 0 });
    expect((await getAccount(sandbox(), 'U1')).body.account.updatedAt).toBe(T0_ISO);
  });

  it('lists one change per changed leaf when includeChanges is true', async () => {
    await bulk(sandbox(), { accounts: [newAccount('C1', { metadata: { filenumber: 'C1', x: { y: 1 } }, tags: ['a'], currentBalance: 5 })] });
    const res = await bulk(sandbox(), {
      includeChanges: true,
      accounts: [{ externalId: 'C1', metadata: { x: { y: 2, z: true } }, tags: ['a', 'b'], currentBalance: 5 }],
    });
    expect(res.body.results[0].changes).toEqual([
      { field: 'metadata.x.y', from: 1, to: 2 },
      { field: 'metadata.x.z', from: null, to: true },
      { field: 'tags', from: ['a'], to: ['a', 'b'] },
    ]);
    const without = await bulk(sandbox(), { accounts: [{ externalId: 'C1', currentBalance: 6 }] });
    expect(without.body.results[0]).not.toHaveProperty('changes');
  });

  it('dry run reports what would happen and writes nothing', async () => {
    await bulk(sandbox(), { accounts: [newAccount('D1', { currentBalance: 1 })] });
    const res = await bulk(sandbox(), {
      dryRun: true,
      includeChanges: true,
      accounts: [newAccount('D2'), { externalId: 'D1', currentBalance: 2 }, { externalId: 'D1x' }, { externalId: 'D1', currentBalance: 1 }],
    });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    // D1 appears twice: both occurrences fail as duplicates.
    expect(res.body.results.map((r: any) => r.status)).toEqual(['created', 'failed', 'failed', 'failed']);
    expect(res.body.results[0]).toEqual({ index: 0, externalId: 'D2', status: 'created' });
    const single = await bulk(sandbox(), { dryRun: true, includeChanges: true, accounts: [{ externalId: 'D1', currentBalance: 2 }] });
    expect(single.body.results[0]).toMatchObject({ status: 'updated', changes: [{ field: 'currentBalance', from: 1, to: 2 }] });
    expect((await getAccount(sandbox(), 'D2')).status).toBe(404);
    expect((await getAccount(sandbox(), 'D1')).body.account.currentBalance).toBe(1);
  });

  it('partial success writes exactly the rows reported as succeeded', async () => {
    const res = await bulk(sandbox(), {
      accounts: [newAccount('P1'), newAccount('P2', { phoneNumber: '5555' }), { externalId: 'P3' }, newAccount('P4')],
    });
    expect(res.body.summary).toEqual({ total: 4, created: 2, updated: 0, unchanged: 0, failed: 2 });
    for (const [id, status] of [['P1', 200], ['P2', 404], ['P3', 404], ['P4', 200]] as const) {
      expect((await getAccount(sandbox(), id)).status).toBe(status);
    }
  });

  it('accepts a millisecond timestamp and a signature over the full /cora path', async () => {
    const ms = String(sandbox().clock.now());
    const a = await bulk(sandbox(), { accounts: [newAccount('T1')] }, { timestamp: ms });
    expect(a.status).toBe(200);
    const b = await bulk(sandbox(), { accounts: [newAccount('T2')] }, { signedPath: '/cora/external-api/accounts/bulk-upsert' });
    expect(b.status).toBe(200);
  });
});

describe('cora reads and PATCH', () => {
  it('GET many returns found accounts in request order, the ids not found, and a count', async () => {
    await bulk(sandbox(), { accounts: [newAccount('A'), newAccount('B')] });
    const res = await call(sandbox(), '/cora/external-api/accounts?externalIds=B,NOPE,A,B', { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, code: 'ACCOUNTS_FETCHED', message: 'Accounts fetched successfully', notFoundExternalIds: ['NOPE'], count: 2 });
    expect(res.body.accounts.map((a: any) => a.externalId)).toEqual(['B', 'A']);
  });

  it('GET many takes externalIds repeated, comma-separated or both, as its document says (an array of strings)', async () => {
    await bulk(sandbox(), { accounts: [newAccount('A'), newAccount('B'), newAccount('C')] });
    const get = (query: string) => call(sandbox(), `/cora/external-api/accounts?${query}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    const repeated = await get('externalIds=C&externalIds=A,NOPE&externalIds=B');
    expect(repeated.status, repeated.text).toBe(200);
    expect(repeated.body.accounts.map((a: any) => a.externalId)).toEqual(['C', 'A', 'B']);
    expect(repeated.body.notFoundExternalIds).toEqual(['NOPE']);
    // The limit counts ids, however they are spread over the parameters.
    const ids = Array.from({ length: 201 }, (_, i) => `externalIds=I${i}`).join('&');
    expect((await get(ids)).body.code).toBe('EXTERNAL_IDS_LIMIT_EXCEEDED');
    const parameter = sandbox().app.documents.cora!.paths!['/external-api/accounts']!.get!.parameters!.find((p: any) => p.name === 'externalIds') as any;
    expect(parameter).toMatchObject({ in: 'query', required: true, schema: { type: 'array', items: { type: 'string' } } });
    expect(parameter.schema.anyOf).toBeUndefined();
  });

  it('PATCH updates one account, directly or wrapped in update, with the bulk merge rules', async () => {
    await bulk(sandbox(), { accounts: [newAccount('X1', { metadata: { filenumber: 'X1', a: 1 } })] });
    await advanceClock(sandbox(), 5_000);
    const direct = await coraSigned(sandbox(), '/external-api/accounts/X1', { metadata: { b: 2 }, bucket: 'NEW' }, { method: 'PATCH' });
    expect(direct.status).toBe(200);
    expect(direct.body).toEqual({
      success: true,
      code: 'ACCOUNT_UPDATED',
      message: 'Account updated successfully',
      account: { id: expect.stringMatching(/^acc_/), externalId: 'X1', organizationId: 'org_demo', updatedAt: '2026-01-15T10:00:05.000Z' },
    });
    const wrapped = await coraSigned(sandbox(), '/external-api/accounts/X1', { update: { status: 'PAUSED' } }, { method: 'PATCH' });
    expect(wrapped.status).toBe(200);
    const { account } = (await getAccount(sandbox(), 'X1')).body;
    expect(account).toMatchObject({ metadata: { filenumber: 'X1', a: 1, b: 2 }, bucket: 'NEW', status: 'PAUSED', status_category: 'PAUSED' });
  });

  it('PATCH that changes nothing keeps updatedAt', async () => {
    await bulk(sandbox(), { accounts: [newAccount('X2', { bucket: 'B' })] });
    await advanceClock(sandbox(), 5_000);
    const res = await coraSigned(sandbox(), '/external-api/accounts/X2', { bucket: 'B' }, { method: 'PATCH' });
    expect(res.body.account.updatedAt).toBe(T0_ISO);
  });

  it('keeps organizations apart: the same externalId in two orgs are two accounts', async () => {
    await bulk(sandbox(), { accounts: [newAccount('SHARED', { bucket: 'demo' })] });
    expect((await getAccount(sandbox(), 'SHARED', OTHER_KEY)).status).toBe(404);
    const other = await bulk(sandbox(), { accounts: [newAccount('SHARED', { bucket: 'other' })] }, { key: OTHER_KEY });
    expect(other.body.results[0].status).toBe('created');
    expect((await getAccount(sandbox(), 'SHARED')).body.account).toMatchObject({ bucket: 'demo', organizationId: 'org_demo' });
    expect((await getAccount(sandbox(), 'SHARED', OTHER_KEY)).body.account).toMatchObject({ bucket: 'other', organizationId: 'org_other' });
    const patch = await coraSigned(sandbox(), '/external-api/accounts/SHARED', { bucket: 'x' }, { method: 'PATCH', key: OTHER_KEY });
    expect(patch.status).toBe(200);
    expect((await getAccount(sandbox(), 'SHARED')).body.account.bucket).toBe('demo');
  });
});

// Cora's own case of the rule test/control/vendor-input.test.ts checks for every vendor's bulk route: a free-form field too.
describe('numbers out of range', () => {
  it('in a free-form Cora field: 400, not stored as null', async () => {
    const text = JSON.stringify({ accounts: [newAccount('N1', { metadata: { filenumber: 'N1', score: 0 } })] }).replace('"score":0', '"score":1e400');
    const res = await bulk(sandbox(), text);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, code: 'INVALID_REQUEST_BODY', message: BODY_MESSAGES.numberOutOfRange('/accounts/0/metadata/score') });
    expect((await sandbox().app.instances.cora!.listRecords({ namespace: '', limit: 100_000 })).records).toEqual([]);
  });
});
