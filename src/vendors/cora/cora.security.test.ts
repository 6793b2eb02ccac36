// Cora authentication through HTTP: headers, keys, the timestamp window, the HMAC (test vector included).
import { describe, expect, it } from 'vitest';
import { call, json, useSandbox } from '../../../test/helpers.js';
import { BULK_PATH, bulk, coraSigned, DEMO_KEY, getAccount, newAccount, REVOKED_KEY } from './cora.client.js';
import { sha256Hex } from '../../core/auth.js';
import { signCoraRequest } from './auth.js';
import { CORA_ERRORS, CORA_MESSAGES } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });

const expectError = (res: { status: number; body: any }, code: keyof typeof CORA_ERRORS, message: string = CORA_ERRORS[code].message) => {
  expect(res.status).toBe(CORA_ERRORS[code].status);
  expect(res.body).toEqual({ success: false, code, message });
};

/** The documented algorithm's test vector (spec/cora.md). */
const VECTOR = {
  key: 'cora_org_key123.s3cr3t',
  timestamp: '1700000000',
  body: '{"accounts":[{"externalId":"FILE_1","currentBalance":125.5}]}',
  bodyHash: '173c5c7d007080eef532be200bf777f370882f97dbe48705ea7d390f5d4cae51',
  signature: 'ef4b034fde57360d987799dbc97cca17ebd2b15f1ab1a1102959ac475690fb3a',
};

describe('cora signing', () => {
  it('computes the documented test vector', () => {
    expect(sha256Hex(VECTOR.body)).toBe(VECTOR.bodyHash);
    expect(signCoraRequest({ apiKey: VECTOR.key, timestamp: VECTOR.timestamp, method: 'POST', pathWithQuery: BULK_PATH, body: VECTOR.body })).toBe(
      VECTOR.signature,
    );
  });

  it('accepts the test vector request over HTTP, with the signature in upper case too', async () => {
    const created = await call(sandbox(), '/_sandbox/credentials', { method: 'POST', ...json({ vendor: 'cora', tenant: 'org_key123', key: VECTOR.key }) });
    expect(created.status).toBe(201);
    await call(sandbox(), '/_sandbox/clock', { method: 'POST', ...json({ set: Number(VECTOR.timestamp) * 1000 }) });
    for (const signature of [VECTOR.signature, VECTOR.signature.toUpperCase()]) {
      const res = await bulk(sandbox(), VECTOR.body, { key: VECTOR.key, timestamp: VECTOR.timestamp, signature });
      expect(res.status).toBe(200);
      // FILE_1 lacks the create-only fields: the request is authentic, the row fails validation.
      expect(res.body.results[0]).toMatchObject({ externalId: 'FILE_1', status: 'failed', code: 'VALIDATION_ERROR' });
    }
  });
});

describe('cora auth errors, in the documented order of checks', () => {
  it('MISSING_AUTH_HEADERS names each missing signed header', async () => {
    for (const omit of [['authorization'], ['timestamp'], ['signature'], ['timestamp', 'signature']] as const) {
      const res = await bulk(sandbox(), { accounts: [newAccount('M')] }, { omit: [...omit] });
      const names = { authorization: 'Authorization', timestamp: 'X-Cora-Timestamp', signature: 'X-Cora-Signature' };
      expectError(res, 'MISSING_AUTH_HEADERS', CORA_MESSAGES.missingHeaders(omit.map((o) => names[o])));
    }
    expect((await getAccount(sandbox(), 'M')).status).toBe(404);
  });

  it('MISSING_AUTH_HEADER on reads without Authorization', async () => {
    expectError(await call(sandbox(), '/cora/external-api/accounts/X'), 'MISSING_AUTH_HEADER');
    expectError(await call(sandbox(), '/cora/external-api/accounts?externalIds=X'), 'MISSING_AUTH_HEADER');
  });

  it('INVALID_API_KEY for malformed, unknown, wrong-secret, revoked and non-Bearer keys', async () => {
    const authorizations = [
      'Bearer not-a-cora-key',
      'Bearer cora_org_unknown.secret',
      'Bearer cora_org_demo.wrong_secret',
      `Bearer ${REVOKED_KEY}`,
      `Basic ${DEMO_KEY}`,
      DEMO_KEY,
      'Bearer cora_org_demo',
    ];
    for (const authorization of authorizations) {
      expectError(await call(sandbox(), '/cora/external-api/accounts/X', { headers: { authorization } }), 'INVALID_API_KEY');
      const res = await bulk(sandbox(), { accounts: [newAccount('K')] }, { headers: { authorization } });
      expectError(res, 'INVALID_API_KEY');
    }
    expect((await getAccount(sandbox(), 'K')).status).toBe(404);
  });

  it('REQUEST_TIMESTAMP_OUTSIDE_WINDOW outside ±300 s or when not an integer', async () => {
    const nowS = Math.floor(sandbox().clock.now() / 1000);
    for (const timestamp of [String(nowS - 301), String(nowS + 301), String((nowS - 301) * 1000), '17e8', '-5', 'abc', `${nowS}.5`]) {
      expectError(await bulk(sandbox(), { accounts: [newAccount('W')] }, { timestamp }), 'REQUEST_TIMESTAMP_OUTSIDE_WINDOW');
    }
    for (const timestamp of [String(nowS - 300), String(nowS + 300), String(nowS * 1000 + 299_000)]) {
      expect((await bulk(sandbox(), { accounts: [newAccount(`W${timestamp}`)] }, { timestamp })).status).toBe(200);
    }
  });

  it('INVALID_REQUEST_SIGNATURE when body, path, query, method or secret differ from what was signed', async () => {
    const body = JSON.stringify({ accounts: [newAccount('S1')] });
    const timestamp = String(Math.floor(sandbox().clock.now() / 1000));
    const sign = (over: Partial<{ method: string; path: string; body: string; key: string }>) =>
      signCoraRequest({
        apiKey: over.key ?? DEMO_KEY,
        timestamp,
        method: over.method ?? 'POST',
        pathWithQuery: over.path ?? BULK_PATH,
        body: over.body ?? body,
      });
    const wrong = [
      sign({ body: body.replace('S1', 'S2') }),
      sign({ path: '/external-api/accounts/other' }),
      sign({ path: `${BULK_PATH}?x=1` }),
      sign({ method: 'PATCH' }),
      sign({ key: 'cora_org_demo.other_secret' }),
      'zz',
    ];
    for (const signature of wrong) {
      expectError(await bulk(sandbox(), body, { timestamp, signature }), 'INVALID_REQUEST_SIGNATURE');
    }
    expect((await getAccount(sandbox(), 'S1')).status).toBe(404);
    // The query is part of what is signed, exactly as the client sent it.
    const withQuery = await coraSigned(sandbox(), `${BULK_PATH}?trace=a%20b`, body);
    expect(withQuery.status).toBe(200);
  });

  it('checks auth before the body: a bad key with a malformed body is still INVALID_API_KEY', async () => {
    const res = await bulk(sandbox(), '{not json', { headers: { authorization: 'Bearer cora_org_nobody.x' } });
    expectError(res, 'INVALID_API_KEY');
    const signedGarbage = await bulk(sandbox(), '{not json');
    expect(signedGarbage.body.code).toBe('INVALID_REQUEST_BODY');
  });
});
