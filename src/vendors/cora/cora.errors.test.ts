// Cora error paths through HTTP: every request-level code, every row rule, and nothing written on failure.
import { describe, expect, it } from 'vitest';
import { advanceClock, call, useSandbox } from '../../../test/helpers.js';
import { BULK_PATH, bulk, coraSigned, DEMO_KEY, getAccount, newAccount } from './cora.client.js';
import { BODY_MESSAGES } from '../../core/body.js';
import { CORA_ERRORS, CORA_MESSAGES, CORA_ROW_ERRORS, MAX_ACCOUNTS, MAX_EXTERNAL_IDS } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });

const expectError = (res: { status: number; body: any }, code: keyof typeof CORA_ERRORS, message: string = CORA_ERRORS[code].message) => {
  expect(res.status).toBe(CORA_ERRORS[code].status);
  expect(res.body).toEqual({ success: false, code, message });
};

/** Proves a failed request wrote nothing: the account it tried to create does not exist. */
const expectAbsent = async (externalId: string) => expect((await getAccount(sandbox(), externalId)).status).toBe(404);

describe('cora request-level errors', () => {
  it('INVALID_REQUEST_BODY for every malformed body, writing nothing', async () => {
    const cases: Array<[string | object, string, string?]> = [
      ['{"accounts": [', BODY_MESSAGES.malformed],
      ['', BODY_MESSAGES.empty],
      ['[]', CORA_MESSAGES.notAnObject],
      ['"text"', CORA_MESSAGES.notAnObject],
      [{ accounts: { externalId: 'E1' } }, CORA_MESSAGES.notAnArray],
      [{}, CORA_MESSAGES.notAnArray],
      [{ accounts: [newAccount('E1')], dryRun: 'yes' }, CORA_MESSAGES.notBoolean('dryRun')],
      [{ accounts: [newAccount('E1')], includeChanges: 1 }, CORA_MESSAGES.notBoolean('includeChanges')],
      [{ accounts: [newAccount('E1')], organizationId: 'org_x' }, CORA_MESSAGES.unknownBodyField('organizationId')],
      ['{"accounts":[{"externalId":"E1","__proto__":{"polluted":true}}]}', BODY_MESSAGES.forbiddenKey('__proto__')],
      ['{"accounts":[{"externalId":"E1","metadata":{"constructor":{"prototype":{}}}}]}', BODY_MESSAGES.forbiddenKey('constructor')],
      [`{"accounts":[${'['.repeat(100)}${']'.repeat(100)}]}`, BODY_MESSAGES.tooDeep],
      [{ accounts: [newAccount('E1')] }, BODY_MESSAGES.contentType, 'text/plain'],
    ];
    for (const [body, message, contentType] of cases) {
      const res = await bulk(sandbox(), body, contentType ? { contentType } : {});
      expectError(res, 'INVALID_REQUEST_BODY', message);
    }
    await expectAbsent('E1');
    expect(({} as any).polluted).toBeUndefined();
  });

  it('survives nesting far deeper than any parser stack', async () => {
    const deep = `{"accounts":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}`;
    expectError(await bulk(sandbox(), deep), 'INVALID_REQUEST_BODY', BODY_MESSAGES.tooDeep);
  });

  it('ACCOUNTS_REQUIRED for an empty list and ACCOUNTS_LIMIT_EXCEEDED above 500', async () => {
    expectError(await bulk(sandbox(), { accounts: [] }), 'ACCOUNTS_REQUIRED');
    const tooMany = Array.from({ length: MAX_ACCOUNTS + 1 }, (_, i) => newAccount(`L${i}`));
    expectError(await bulk(sandbox(), { accounts: tooMany }), 'ACCOUNTS_LIMIT_EXCEEDED');
    await expectAbsent('L0');
    const exactly = Array.from({ length: MAX_ACCOUNTS }, (_, i) => newAccount(`L${i}`));
    const ok = await bulk(sandbox(), { accounts: exactly });
    expect(ok.body.summary.created).toBe(MAX_ACCOUNTS);
  });

  it('PAYLOAD_TOO_LARGE above the body limit, writing nothing', async () => {
    const big = { accounts: [newAccount('BIG', { metadata: { filenumber: 'BIG', blob: 'x'.repeat(11 * 1024 * 1024) } })] };
    const res = await bulk(sandbox(), big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    await expectAbsent('BIG');
  });

  it('METHOD_NOT_ALLOWED with Allow on a known path, NOT_FOUND elsewhere', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await call(sandbox(), `/cora${BULK_PATH}`, { method, headers: { authorization: `Bearer ${DEMO_KEY}` } });
      expectError(res, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).toBe('POST');
    }
    const put = await call(sandbox(), '/cora/external-api/accounts/X', { method: 'PUT' });
    expectError(put, 'METHOD_NOT_ALLOWED');
    expect(put.headers.get('allow')).toBe('GET, PATCH');
    expectError(await call(sandbox(), '/cora/external-api/nothing-here'), 'NOT_FOUND');
    expectError(await call(sandbox(), '/cora'), 'NOT_FOUND');
  });

  it('ACCOUNT_NOT_FOUND for GET and PATCH of an unknown externalId', async () => {
    expectError(await getAccount(sandbox(), 'NOPE'), 'ACCOUNT_NOT_FOUND');
    expectError(await coraSigned(sandbox(), '/external-api/accounts/NOPE', { bucket: 'x' }, { method: 'PATCH' }), 'ACCOUNT_NOT_FOUND');
  });

  it('EXTERNAL_IDS_REQUIRED and EXTERNAL_IDS_LIMIT_EXCEEDED on GET many', async () => {
    const get = (q: string) => call(sandbox(), `/cora/external-api/accounts${q}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expectError(await get(''), 'EXTERNAL_IDS_REQUIRED');
    expectError(await get('?externalIds='), 'EXTERNAL_IDS_REQUIRED');
    expectError(await get('?externalIds=,,'), 'EXTERNAL_IDS_REQUIRED');
    const ids = Array.from({ length: MAX_EXTERNAL_IDS + 1 }, (_, i) => `I${i}`).join(',');
    expectError(await get(`?externalIds=${ids}`), 'EXTERNAL_IDS_LIMIT_EXCEEDED');
    const ok = await get(`?externalIds=${Array.from({ length: MAX_EXTERNAL_IDS }, (_, i) => `I${i}`).join(',')}`);
    expect(ok.body.notFoundExternalIds).toHaveLength(MAX_EXTERNAL_IDS);
  });

  it('PATCH answers VALIDATION_ERROR with details, ORGANIZATION_ID_NOT_ALLOWED, and writes nothing', async () => {
    await bulk(sandbox(), { accounts: [newAccount('V1')] });
    const bad = await coraSigned(sandbox(), '/external-api/accounts/V1', { phoneNumber: '12', tags: 'x', bogus: 1 }, { method: 'PATCH' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      success: false,
      code: 'VALIDATION_ERROR',
      message: CORA_MESSAGES.rowFailed('V1', 0),
      details: [
        { field: 'phoneNumber', message: CORA_MESSAGES.phone },
        { field: 'tags', message: 'tags must be an array' },
        { field: 'bogus', message: CORA_MESSAGES.unknownField('bogus') },
      ],
    });
    const renamed = await coraSigned(sandbox(), '/external-api/accounts/V1', { externalId: 'V2' }, { method: 'PATCH' });
    expect(renamed.body.details).toEqual([{ field: 'externalId', message: CORA_MESSAGES.externalIdMismatch }]);
    expectError(await coraSigned(sandbox(), '/external-api/accounts/V1', { organizationId: 'org_other' }, { method: 'PATCH' }), 'ORGANIZATION_ID_NOT_ALLOWED');
    expect((await getAccount(sandbox(), 'V1')).body.account.phoneNumber).toBe('+15555550111');
  });
});

describe('cora row failures', () => {
  it('fails every occurrence of a repeated externalId and keeps the other rows', async () => {
    const res = await bulk(sandbox(), { accounts: [newAccount('DUP'), newAccount('OK'), newAccount('DUP')] });
    expect(res.body.summary).toEqual({ total: 3, created: 1, updated: 0, unchanged: 0, failed: 2 });
    for (const index of [0, 2]) {
      expect(res.body.results[index]).toEqual({
        index,
        externalId: 'DUP',
        status: 'failed',
        code: 'DUPLICATE_EXTERNAL_ID',
        message: CORA_MESSAGES.duplicate('DUP'),
        details: [{ field: 'externalId', message: CORA_MESSAGES.duplicate('DUP') }],
      });
    }
    await expectAbsent('DUP');
    expect((await getAccount(sandbox(), 'OK')).status).toBe(200);
  });

  it('rejects organizationId in a row', async () => {
    const res = await bulk(sandbox(), { accounts: [newAccount('ORG', { organizationId: 'org_other' })] });
    expect(res.body.results[0]).toEqual({
      index: 0,
      externalId: 'ORG',
      status: 'failed',
      code: 'ORGANIZATION_ID_NOT_ALLOWED',
      message: CORA_ROW_ERRORS.ORGANIZATION_ID_NOT_ALLOWED.message,
      details: [{ field: 'organizationId', message: CORA_ROW_ERRORS.ORGANIZATION_ID_NOT_ALLOWED.message }],
    });
    await expectAbsent('ORG');
  });

  it('requires phoneNumber, portfolioId and metadata.filenumber on create only', async () => {
    const res = await bulk(sandbox(), { accounts: [{ externalId: 'NEW' }, { externalId: 'NEW2', phoneNumber: null, metadata: { filenumber: '' }, portfolioId: 'P' }] });
    expect(res.body.results[0]).toEqual({
      index: 0,
      externalId: 'NEW',
      status: 'failed',
      code: 'VALIDATION_ERROR',
      message: CORA_MESSAGES.rowFailed('NEW', 0),
      details: [
        { field: 'phoneNumber', message: CORA_MESSAGES.requiredOnCreate('phoneNumber') },
        { field: 'portfolioId', message: CORA_MESSAGES.requiredOnCreate('portfolioId') },
        { field: 'metadata.filenumber', message: CORA_MESSAGES.requiredOnCreate('metadata.filenumber') },
      ],
    });
    expect(res.body.results[1].details.map((d: any) => d.field)).toEqual(['phoneNumber', 'metadata.filenumber']);
    await bulk(sandbox(), { accounts: [newAccount('EXISTS')] });
    const update = await bulk(sandbox(), { accounts: [{ externalId: 'EXISTS', bucket: 'B' }] });
    expect(update.body.results[0].status).toBe('updated');
  });

  it('validates E.164 and field types, listing every problem with its dot path', async () => {
    const res = await bulk(sandbox(), {
      accounts: [
        newAccount('TYPES', {
          phoneNumber: '+0123',
          currentBalance: true,
          smsOptOut: 'no',
          tags: ['ok', 3],
          person: { name: { first: 1, middle: 'x' } },
          address: { city: 'X', planet: 'Mars' },
          emailAddress: 'not-an-email',
          id: 'acc_mine',
          createdAt: 'now',
        }),
        { externalId: '' },
        'not an object',
        { currentBalance: 1 },
      ],
    });
    const [types, emptyId, notObject, noId] = res.body.results;
    expect(types.code).toBe('VALIDATION_ERROR');
    expect(types.details).toEqual(
      expect.arrayContaining([
        { field: 'phoneNumber', message: CORA_MESSAGES.phone },
        { field: 'currentBalance', message: 'currentBalance must be a number or a string' },
        { field: 'smsOptOut', message: 'smsOptOut must be an object' },
        { field: 'tags.1', message: 'tags.1 must be a string' },
        { field: 'person.name.first', message: 'person.name.first must be a string' },
        { field: 'person.name.middle', message: CORA_MESSAGES.unknownField('person.name.middle') },
        { field: 'address.planet', message: CORA_MESSAGES.unknownField('address.planet') },
        { field: 'emailAddress', message: 'emailAddress must be a valid email address' },
        { field: 'id', message: CORA_MESSAGES.readOnly('id') },
        { field: 'createdAt', message: CORA_MESSAGES.readOnly('createdAt') },
      ]),
    );
    expect(types.details).toHaveLength(10);
    expect(emptyId).toMatchObject({ status: 'failed', code: 'VALIDATION_ERROR', message: CORA_MESSAGES.rowFailed(undefined, 1) });
    expect(emptyId).not.toHaveProperty('externalId');
    expect(emptyId.details).toEqual([{ field: 'externalId', message: 'externalId must not be empty' }]);
    expect(notObject.details).toEqual([{ field: '', message: 'account must be an object' }]);
    expect(noId.details).toEqual([{ field: 'externalId', message: 'externalId is required' }]);
    expect(res.body.summary.failed).toBe(4);
    await expectAbsent('TYPES');
  });

  it('answers 200 even when every row fails', async () => {
    const res = await bulk(sandbox(), { accounts: [{ externalId: 'A' }, { externalId: 'B' }] });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ total: 2, created: 0, updated: 0, unchanged: 0, failed: 2 });
  });
});

describe('cora rate limit', () => {
  const limited = useSandbox();

  it('allows 1 bulk upsert per 20 s per key and IP, with Retry-After, until the clock moves', async () => {
    const first = await bulk(limited(), { accounts: [newAccount('R1')] });
    expect(first.status).toBe(200);
    await advanceClock(limited(), 5_000);
    const second = await bulk(limited(), { accounts: [newAccount('R2')] });
    expectError(second, 'RATE_LIMITED');
    expect(second.headers.get('retry-after')).toBe('15');
    expect((await getAccount(limited(), 'R2')).status).toBe(404);
    // Another key has its own bucket; reads are not limited.
    expect((await bulk(limited(), { accounts: [newAccount('O1')] }, { key: 'cora_org_other.other_secret' })).status).toBe(200);
    expect((await getAccount(limited(), 'R1')).status).toBe(200);
    await advanceClock(limited(), 14_999);
    expect((await bulk(limited(), { accounts: [newAccount('R2')] })).status).toBe(429);
    await advanceClock(limited(), 1);
    expect((await bulk(limited(), { accounts: [newAccount('R2')] })).status).toBe(200);
  });

  it('does not count requests that fail auth', async () => {
    expect((await bulk(limited(), { accounts: [newAccount('A1')] }, { signature: 'f'.repeat(64) })).status).toBe(401);
    expect((await bulk(limited(), { accounts: [newAccount('A1')] })).status).toBe(200);
  });

  it('is switched off by PUT-less reset of the buckets', async () => {
    expect((await bulk(limited(), { accounts: [newAccount('Z1')] })).status).toBe(200);
    expect((await bulk(limited(), { accounts: [newAccount('Z2')] })).status).toBe(429);
    expect((await call(limited(), '/_sandbox/reset', { method: 'POST' })).status).toBe(200);
    expect((await bulk(limited(), { accounts: [newAccount('Z2')] })).status).toBe(200);
  });
});
