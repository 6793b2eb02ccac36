// POST /_sandbox/faults hardened: catalogue names, sendable responses, reachable routes, targeting, seeded draws, stored shape.
import { describe, expect, it } from 'vitest';
import { drawDelayMs, drawFaultDelay, Faults, mulberry32, StoredFault, type DelaySpec, type Fault } from '../../src/core/faults.js';
import { faultTargetProblem } from '../../src/core/fault-targets.js';
import { SandboxClock } from '../../src/core/clock.js';
import { bulk, BULK_PATH, coraSigned, DEMO_KEY, getAccount, newAccount, OTHER_KEY } from '../../src/vendors/cora/cora.client.js';
import { bulkUpdate } from '../../src/vendors/copper/copper.client.js';
import { call, json, startSandbox, useSandbox } from '../helpers.js';
import type { Sandbox } from '../../src/sandbox.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const ACCOUNT_PATH = '/external-api/accounts/:externalId';

const arm = (body: Record<string, unknown>, s: Sandbox = sandbox()) => call(s, '/_sandbox/faults', { method: 'POST', ...json(body) });
const armed = async (s: Sandbox = sandbox()) => (await call(s, '/_sandbox/faults')).body.faults as Fault[];
const issuesOf = (res: { body: any }) => `${res.body.error.message} ${(res.body.error.issues ?? []).join(' | ')}`;

/** A refusal: 400 in the control envelope, nothing armed, and Cora still answers as itself (no 500). */
async function expectRefused(body: Record<string, unknown>, ...words: string[]): Promise<void> {
  const res = await arm(body);
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(res.body.error.code).toBe('INVALID_REQUEST');
  for (const word of words) expect(issuesOf(res), JSON.stringify(body)).toContain(word);
  expect(await armed()).toEqual([]);
  const got = await getAccount(sandbox(), 'NOPE');
  expect(got.status).toBe(404);
  expect(got.body.code).toBe('ACCOUNT_NOT_FOUND');
}

describe('catalogue names are own entries', () => {
  it.each(['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__'])('refuses error %j (inherited, not in the catalogue)', async (name) => {
    await expectRefused({ vendor: 'cora', error: name }, `${name} is not a cora error`);
  });

  it('refuses an inherited row-error name on the bulk route, and the next bulk call is unharmed', async () => {
    await expectRefused({ vendor: 'cora', method: 'POST', path: BULK_PATH, rowErrors: { '0': 'toString' } }, 'toString is not a cora row error');
    const res = await bulk(sandbox(), { accounts: [newAccount('OWN1')] });
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({ created: 1, failed: 0 });
  });
});

describe('response faults that cannot be sent are refused at arm time', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['status below 200', { response: { status: 199 } }, 'response.status'],
    ['status 100', { response: { status: 100 } }, 'response.status'],
    ['status 600', { response: { status: 600 } }, 'response.status'],
    ['a body with 204', { response: { status: 204, body: { a: 1 } } }, 'response.body'],
    ['a body with 205', { response: { status: 205, body: 'text' } }, 'response.body'],
    ['a null body with 304', { response: { status: 304, body: null } }, 'response.body'],
    ['a header name with a space', { response: { status: 503, headers: { 'bad name': 'x' } } }, 'response.headers.bad name'],
    ['a header name with a colon', { response: { status: 503, headers: { 'x:y': 'x' } } }, 'response.headers.x:y'],
    ['an empty header name', { response: { status: 503, headers: { '': 'x' } } }, 'response.headers'],
    ['CR LF in a value', { response: { status: 503, headers: { 'x-a': 'a\r\nSet-Cookie: x=1' } } }, 'response.headers.x-a'],
    ['LF in a value', { response: { status: 503, headers: { 'x-a': 'a\nb' } } }, 'response.headers.x-a'],
    ['NUL in a value', { response: { status: 503, headers: { 'x-a': 'a\u0000b' } } }, 'response.headers.x-a'],
    ['a character above 0xFF in a value', { response: { status: 503, headers: { 'x-a': '€' } } }, 'response.headers.x-a'],
    ['a control character in a value', { response: { status: 503, headers: { 'x-a': 'a\u0007' } } }, 'response.headers.x-a'],
    ...['Content-Length', 'transfer-encoding', 'Connection', 'keep-alive', 'Upgrade', 'TE', 'trailer', 'Proxy-Connection'].map(
      (name): [string, Record<string, unknown>, string] => [`the ${name} header`, { response: { status: 200, headers: { [name]: '1' } } }, `response.headers.${name}`],
    ),
    ['a bad header name on an error fault', { error: 'INTERNAL_ERROR', headers: { 'retry after': '5' } }, 'headers.retry after'],
    ['CR LF in an error fault header', { error: 'INTERNAL_ERROR', headers: { 'Retry-After': '5\r\nX: y' } }, 'headers.Retry-After'],
    ['a framing header on an error fault', { error: 'INTERNAL_ERROR', headers: { 'Transfer-Encoding': 'chunked' } }, 'headers.Transfer-Encoding'],
  ])('refuses %s with 400 naming the field; no vendor call answers 500 after', async (_, action, field) => {
    await expectRefused({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, ...action }, field);
  });

  it('sends a legal 204 without a body, and custom headers on raw responses and on errors, end to end', async () => {
    expect((await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, response: { status: 204, headers: { 'X-Fault': 'empty', 'Cache-Control': 'no-store' } } })).status).toBe(201);
    const empty = await getAccount(sandbox(), 'A');
    expect(empty.status).toBe(204);
    expect(empty.text).toBe('');
    expect(empty.headers.get('x-fault')).toBe('empty');
    expect(empty.headers.get('cache-control')).toBe('no-store');

    const headers = { 'X-Trace': 'tab\there, "quoted"; a=b' };
    expect((await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, response: { status: 503, headers, body: { down: true } } })).status).toBe(201);
    const down = await getAccount(sandbox(), 'A');
    expect([down.status, down.body, down.headers.get('x-trace')]).toEqual([503, { down: true }, 'tab\there, "quoted"; a=b']);

    expect((await arm({ vendor: 'cora', method: 'POST', path: BULK_PATH, error: 'RATE_LIMITED', headers: { 'Retry-After': '7', 'X-Why': 'fault' } })).status).toBe(201);
    const limited = await bulk(sandbox(), { accounts: [newAccount('RL1')] });
    expect([limited.status, limited.body.code, limited.headers.get('retry-after'), limited.headers.get('x-why')]).toEqual([429, 'RATE_LIMITED', '7', 'fault']);

    // The fault's own Content-Type, in any case, replaces the JSON default instead of joining it.
    expect((await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, response: { status: 200, headers: { 'Content-Type': 'text/csv' }, body: { a: 1 } } })).status).toBe(201);
    expect((await getAccount(sandbox(), 'A')).headers.get('content-type')).toBe('text/csv');

    const journal = await sandbox().admin.requests();
    expect(journal.map((e) => e.status)).toEqual([200, 429, 503, 204]);
    expect((await getAccount(sandbox(), 'A')).status).toBe(404);
  });

  it('accepts obs-text (0x80-0xFF) in a header value', async () => {
    expect((await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, response: { status: 200, headers: { 'x-name': 'caf\u00e9' } } })).status).toBe(201);
  });
});

describe('faults that cannot fire are refused', () => {
  it('refuses a Copper path without its prefix, listing the routes that would match', async () => {
    await expectRefused({ vendor: 'copper', path: '/people/bulk_update', error: 'RATE_LIMITED' }, 'path /people/bulk_update matches no copper route', 'known routes: POST /developer_api/v1/people/bulk_create, POST /developer_api/v1/people/bulk_update');
    expect((await bulkUpdate(sandbox(), [])).status).not.toBe(429);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a method the path does not have', { method: 'DELETE', path: BULK_PATH, error: 'INTERNAL_ERROR' }, ['has no DELETE route', 'it has: POST /external-api/accounts/bulk-upsert']],
    ['a method the vendor does not have', { method: 'PUT', error: 'INTERNAL_ERROR' }, ['cora has no PUT route', 'known routes: POST /external-api/accounts/bulk-upsert']],
    // GET on the bulk path is answered 405 by that path, never by the `:externalId` route.
    ['GET on the bulk path', { method: 'GET', path: BULK_PATH, error: 'INTERNAL_ERROR' }, ['has no GET route']],
    ['a query string in the path', { path: `${BULK_PATH}?dryRun=true`, error: 'INTERNAL_ERROR' }, ['matches no cora route']],
    ['a trailing slash', { path: `${BULK_PATH}/`, error: 'INTERNAL_ERROR' }, ['matches no cora route']],
    ['rowErrors on every route', { rowErrors: { '0': 'VALIDATION_ERROR' } }, ['rowErrors fire only on bulk routes', 'POST /external-api/accounts/bulk-upsert']],
    ['rowErrors on a read route', { method: 'GET', path: ACCOUNT_PATH, rowErrors: { '0': 'VALIDATION_ERROR' } }, ['rowErrors fire only on bulk routes', 'GET /external-api/accounts/:externalId']],
    ['rowErrors on a pattern that also reaches the bulk route', { path: ACCOUNT_PATH, rowErrors: { '0': 'VALIDATION_ERROR' } }, ['also matches GET /external-api/accounts/:externalId']],
  ])('refuses %s with 400 saying what would match', async (_, fault, words) => {
    await expectRefused({ vendor: 'cora', ...fault }, ...words);
  });

  it('refuses a named error a route it reaches does not document, naming the error, those routes and what they document', async () => {
    await expectRefused(
      { vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, error: 'RATE_LIMITED' },
      'RATE_LIMITED (429) is not documented on GET /external-api/accounts/:externalId, so a fault may not answer it there',
      'GET /external-api/accounts/:externalId documents MISSING_AUTH_HEADER (401), INVALID_API_KEY (401), METHOD_NOT_ALLOWED (405), ACCOUNT_NOT_FOUND (404), INTERNAL_ERROR (500), VALIDATION_ERROR (400).',
      'Routes that document it: POST /external-api/accounts/bulk-upsert;',
      'arm a raw "response" fault, which is outside cora\'s documented contract',
    );
    // Untargeted, it reaches every route: the ones that do not document it are named, the ones that do are not.
    await expectRefused(
      { vendor: 'cora', error: 'ACCOUNT_NOT_FOUND' },
      'ACCOUNT_NOT_FOUND (404) is not documented on POST /external-api/accounts/bulk-upsert, GET /external-api/accounts, so',
      'Routes that document it: GET /external-api/accounts/:externalId, PATCH /external-api/accounts/:externalId;',
    );
    // The unknown-path 404 is the router's, never a route's answer.
    await expectRefused({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, error: 'NOT_FOUND' }, 'NOT_FOUND (404) is not documented', 'No cora route documents it;');
    await expectRefused({ vendor: 'propel', method: 'POST', path: '/v2/contacts/bulk/id', error: 'ContactNotFound' }, 'ContactNotFound (404) is not documented on POST /v2/contacts/bulk/id');

    // Where every reached route documents it (a concrete id reaches GET and PATCH, not the bulk path), it is armed; a generic error anywhere.
    expect((await arm({ vendor: 'cora', path: '/external-api/accounts/A1', error: 'ACCOUNT_NOT_FOUND' })).status).toBe(201);
    expect((await arm({ vendor: 'cora', error: 'INTERNAL_ERROR' })).status).toBe(201);
    expect((await arm({ vendor: 'copper', error: 'RATE_LIMITED' })).status).toBe(201);
    expect((await armed()).map((f) => 'error' in f.action && f.action.error)).toEqual(['ACCOUNT_NOT_FOUND', 'INTERNAL_ERROR', 'RATE_LIMITED']);
  });

  it('takes a concrete path that matches a pattern, and fires only on that path', async () => {
    const res = await arm({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/A1', error: 'INTERNAL_ERROR' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ method: 'GET', path: '/external-api/accounts/A1' });
    expect((await getAccount(sandbox(), 'A2')).body.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await getAccount(sandbox(), 'A1')).body.code).toBe('INTERNAL_ERROR');
  });

  it('takes rowErrors on the bulk path with or without a method (only bulk routes reach it)', async () => {
    expect((await arm({ vendor: 'cora', path: BULK_PATH, rowErrors: { '0': 'VALIDATION_ERROR' } })).status).toBe(201);
    expect((await arm({ vendor: 'copper', method: 'post', path: '/developer_api/v1/people/bulk_update', rowErrors: { '0': 'not_found' } })).status).toBe(201);
    expect((await armed()).map((f) => f.method)).toEqual([null, 'POST']);
  });

  it('faultTargetProblem answers undefined for a fault that can fire, and a message for one that cannot', () => {
    const routes = [
      { method: 'post' as const, path: '/things/bulk', batchField: 'things', errors: [] },
      { method: 'get' as const, path: '/things/:id', errors: ['GONE'] },
    ];
    const errors = { GONE: { status: 410, message: 'Gone' }, DOWN: { status: 503, message: 'Down', generic: true } };
    const vendor = { name: 'toy', errors: { errors, generic: ['DOWN'], fromCore: { INVALID_HEADER: 'INVALID_HEADER' }, rowErrors: { BAD: { message: 'Bad' } } } } as never;
    expect(faultTargetProblem(vendor, routes, { method: null, path: '/things/bulk', action: { rowErrors: { '0': 'BAD' } } })).toBeUndefined();
    expect(faultTargetProblem(vendor, routes, { method: 'GET', path: '/things/42', action: { error: 'GONE' } })).toBeUndefined();
    expect(faultTargetProblem(vendor, routes, { method: 'GET', path: '/things/bulk', action: { error: 'GONE' } })).toContain('has no GET route');
    expect(faultTargetProblem(vendor, routes, { method: null, path: '/things/*', action: { rowErrors: { '0': 'BAD' } } })).toContain('also matches GET /things/:id');
    expect(faultTargetProblem(vendor, routes, { method: null, path: null, action: { error: 'toString' } })).toContain('toString is not a toy error');
    // A named error only where every reached route documents it: its own list, or the catalogue's generic ones.
    expect(faultTargetProblem(vendor, routes, { method: null, path: null, action: { error: 'DOWN' } })).toBeUndefined();
    expect(faultTargetProblem(vendor, routes, { method: null, path: null, action: { error: 'GONE' } })).toBe(
      'GONE (410) is not documented on POST /things/bulk, so a fault may not answer it there: POST /things/bulk documents DOWN (503). ' +
        'Routes that document it: GET /things/:id; to send it here anyway, arm a raw "response" fault, which is outside toy\'s documented contract',
    );
    expect(faultTargetProblem(vendor, [routes[0]!], { method: 'POST', path: null, action: { error: 'GONE' } })).toContain('No toy route documents it');
  });
});

describe('targeting', () => {
  it('tenant: fires only on requests the vendor authenticated as that tenant; others do not count', async () => {
    const res = await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, tenant: 'org_other', error: 'INTERNAL_ERROR' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tenant: 'org_other', seen: 0 });
    expect((await getAccount(sandbox(), 'T1')).body.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await getAccount(sandbox(), 'T1', 'cora_org_other.wrong')).body.code).toBe('INVALID_API_KEY');
    expect((await armed())[0]).toMatchObject({ seen: 0, remaining: 1 });
    expect((await getAccount(sandbox(), 'T1', OTHER_KEY)).body.code).toBe('INTERNAL_ERROR');
    expect(await armed()).toEqual([]);
    const [entry] = await sandbox().admin.requests({ limit: 1 });
    expect(entry).toMatchObject({ tenant: 'org_other', error: 'INTERNAL_ERROR', fault: 'flt_1' });
  });

  it('tenant faults also fire delays and row errors after auth, on the tenant\'s bulk calls only', async () => {
    expect((await arm({ vendor: 'cora', path: BULK_PATH, tenant: 'org_demo', rowErrors: { '0': 'VALIDATION_ERROR' } })).status).toBe(201);
    expect((await bulk(sandbox(), { accounts: [newAccount('TO1')] }, { key: OTHER_KEY })).body.summary.failed).toBe(0);
    expect((await bulk(sandbox(), { accounts: [newAccount('TD1')] })).body.summary.failed).toBe(1);
  });

  it('requestHeaders: names in any case, values exact; listed with lower-case names', async () => {
    const res = await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, requestHeaders: { 'X-Client-Run': 'run-7' }, error: 'INTERNAL_ERROR', times: 2 });
    expect(res.status).toBe(201);
    expect(res.body.requestHeaders).toEqual({ 'x-client-run': 'run-7' });
    const get = (headers: Record<string, string>) => call(sandbox(), '/cora/external-api/accounts/H1', { headers: { authorization: `Bearer ${DEMO_KEY}`, ...headers } });
    expect((await get({})).body.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await get({ 'x-client-run': 'run-8' })).body.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await get({ 'x-client-run': 'RUN-7' })).body.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await armed())[0]).toMatchObject({ seen: 0, remaining: 2 });
    expect((await get({ 'x-client-run': 'run-7' })).body.code).toBe('INTERNAL_ERROR');
    expect((await get({ 'X-CLIENT-RUN': 'run-7' })).body.code).toBe('INTERNAL_ERROR');
    expect(await armed()).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a header name that is not a token', { requestHeaders: { 'x client': 'a' } }, 'requestHeaders.x client'],
    ['a header value with CR LF', { requestHeaders: { 'x-a': 'a\r\nb' } }, 'requestHeaders.x-a'],
    ['a header value with surrounding space (never matches)', { requestHeaders: { 'x-a': ' a' } }, 'requestHeaders.x-a'],
    ['the same header twice in two cases', { requestHeaders: { 'X-A': '1', 'x-a': '1' } }, 'requestHeaders.x-a'],
    ['a pointer without the leading slash', { requestBody: { 'accounts/0': 1 } }, 'requestBody.accounts/0'],
    ['a pointer with a bad escape', { requestBody: { '/a~2b': 1 } }, 'requestBody./a~2b'],
    ['an empty tenant', { tenant: '' }, 'tenant'],
    ['probability 0', { probability: 0 }, 'probability'],
    ['probability above 1', { probability: 1.5 }, 'probability'],
    ['a fractional seed', { seed: 1.5 }, 'seed'],
  ])('refuses %s with 400 naming the field', async (_, targeting, field) => {
    await expectRefused({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, error: 'INTERNAL_ERROR', ...targeting }, field);
  });

  it('requestBody: JSON pointers deep-equal; escapes; a body that is not JSON never matches', async () => {
    const meta = { filenumber: 'B2', 'a/b': [1, { c: null }] };
    const res = await arm({
      vendor: 'cora',
      path: BULK_PATH,
      requestBody: { '/accounts/0/externalId': 'B2', '/accounts/0/metadata': meta, '/accounts/0/metadata/a~1b/1': { c: null } },
      error: 'RATE_LIMITED',
    });
    expect(res.status).toBe(201);
    expect((await bulk(sandbox(), { accounts: [newAccount('B1', { metadata: { ...meta, filenumber: 'B1' } })] })).status).toBe(200);
    expect((await bulk(sandbox(), { accounts: [newAccount('B2')] })).status).toBe(200);
    expect((await bulk(sandbox(), { accounts: [newAccount('B2', { metadata: { ...meta, more: 1 } })] })).status).toBe(200);
    expect((await bulk(sandbox(), { accounts: [newAccount('B2', { metadata: { ...meta, 'a/b': [1, { c: 0 }] } })] })).status).toBe(200);
    expect((await bulk(sandbox(), 'not json')).status).toBe(400);
    expect((await armed())[0]).toMatchObject({ seen: 0, remaining: 1 });
    // Key order does not matter; the signature still checks out (the body is read once, before auth).
    const hit = await bulk(sandbox(), { accounts: [{ ...newAccount('B3'), externalId: 'B2', metadata: { 'a/b': [1, { c: null }], filenumber: 'B2' } }] });
    expect([hit.status, hit.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(await armed()).toEqual([]);
  });

  it('requestBody "" matches the whole body', async () => {
    const body = { accounts: [newAccount('W1')] };
    expect((await arm({ vendor: 'cora', method: 'POST', path: BULK_PATH, requestBody: { '': body }, drop: true })).status).toBe(201);
    await expect(bulk(sandbox(), body)).rejects.toThrow();
    expect((await getAccount(sandbox(), 'W1')).status).toBe(404);
  });
});

/** Which of `n` requests a fault of probability p from `seed` fires on: the first `after` pass, then one draw each. */
function expectedFirings(seed: number, p: number, n: number, after = 0): boolean[] {
  let state = seed >>> 0;
  return Array.from({ length: n }, (_, i) => {
    if (i < after) return false;
    const draw = mulberry32(state);
    state = draw.state;
    return draw.value < p;
  });
}

describe('probability and seed', () => {
  const fired = async (s: Sandbox, n: number) => {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push((await getAccount(s, `P${i}`)).body.code === 'INTERNAL_ERROR');
    return out;
  };
  const fault = { vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, error: 'INTERNAL_ERROR', times: 100 };

  it('fires on the draws the seeded generator gives; a miss consumes no times; the same seed repeats', async () => {
    const res = await arm({ ...fault, probability: 0.5, seed: 42, after: 2 });
    expect(res.body).toMatchObject({ probability: 0.5, seed: 42, rngState: 42 });
    const first = await fired(sandbox(), 20);
    expect(first).toEqual(expectedFirings(42, 0.5, 20, 2));
    expect(first.filter(Boolean).length).toBeGreaterThan(0);
    expect(first.filter((f) => !f).length).toBeGreaterThan(2);
    expect((await armed())[0]).toMatchObject({ seen: 20, remaining: 100 - first.filter(Boolean).length });

    await sandbox().admin.disarmFaults();
    await arm({ ...fault, probability: 0.5, seed: 42, after: 2 });
    expect(await fired(sandbox(), 20)).toEqual(first);
    await sandbox().admin.disarmFaults();
    await arm({ ...fault, probability: 0.5, seed: 43, after: 2 });
    expect(await fired(sandbox(), 20)).not.toEqual(first);
  });

  it('keeps the generator state through snapshot export and restore: both sandboxes go on alike', async () => {
    await arm({ ...fault, probability: 0.3, seed: 7 });
    await fired(sandbox(), 5);
    const snapshot = await sandbox().admin.snapshot();
    const fresh = await startSandbox({ clock: SandboxClock.frozen(0), rateLimits: 'off' });
    try {
      await fresh.admin.restore(snapshot);
      expect(await armed(fresh)).toEqual(await armed());
      const [a, b] = [await fired(sandbox(), 15), await fired(fresh, 15)];
      expect(b).toEqual(a);
      expect(a).toEqual(expectedFirings(7, 0.3, 20).slice(5));
    } finally {
      await fresh.close();
    }
  });
});

describe('delay distributions', () => {
  const seeded = (seed: number) => {
    let state = seed >>> 0;
    return () => {
      const draw = mulberry32(state);
      state = draw.state;
      return draw.value;
    };
  };
  const draws = (spec: DelaySpec, seed: number, n = 50) => {
    const random = seeded(seed);
    return Array.from({ length: n }, () => drawDelayMs(spec, random));
  };

  it('fixed and plain numbers are what they say; uniform stays within min..max, whole milliseconds', () => {
    expect(draws(250, 1, 3)).toEqual([250, 250, 250]);
    expect(draws({ fixed: 40 }, 1, 3)).toEqual([40, 40, 40]);
    const uniform = draws({ uniform: { min: 10, max: 20 } }, 1, 200);
    expect(uniform.every((ms) => Number.isInteger(ms) && ms >= 10 && ms <= 20)).toBe(true);
    expect(new Set(uniform).size).toBeGreaterThan(5);
  });

  it('the same seed gives the same delays, another seed others', () => {
    for (const spec of [{ uniform: { min: 0, max: 1000 } }, { logNormal: { medianMs: 200, sigma: 1 } }] as DelaySpec[]) {
      expect(draws(spec, 9)).toEqual(draws(spec, 9));
      expect(draws(spec, 9)).not.toEqual(draws(spec, 10));
    }
  });

  it('logNormal centres on its median and is clamped to 0..120000', () => {
    const sorted = draws({ logNormal: { medianMs: 200, sigma: 0.5 } }, 3, 2001).sort((a, b) => a - b);
    expect(sorted[1000]).toBeGreaterThan(180);
    expect(sorted[1000]).toBeLessThan(220);
    const wild = draws({ logNormal: { medianMs: 100_000, sigma: 5 } }, 3, 500);
    expect(Math.max(...wild)).toBe(120_000);
    expect(wild.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 120_000)).toBe(true);
  });

  it('draws from the fault\'s own generator, so two faults with one seed wait alike', () => {
    const faults = new Faults();
    const spec = { delayMs: { uniform: { min: 0, max: 5000 } } };
    const common = { vendor: 'v', namespace: '', method: null, path: null, tenant: null, requestHeaders: null, requestBody: null, after: 0, times: 10, probability: 1, seed: 5 };
    const a = faults.arm({ ...common, action: spec });
    const b = faults.arm({ ...common, action: spec });
    const fromA = [1, 2, 3].map(() => drawFaultDelay(a));
    expect([1, 2, 3].map(() => drawFaultDelay(b))).toEqual(fromA);
    expect(fromA).toEqual(draws(spec.delayMs, 5, 3));
    expect(a.rngState).not.toBe(5);
  });

  it.each<[unknown, string]>([
    [120_001, 'delayMs'],
    [{ fixed: -1 }, 'delayMs.fixed'],
    [{ uniform: { min: 50, max: 10 } }, 'delayMs.uniform.min'],
    [{ uniform: { min: 0, max: 200_000 } }, 'delayMs.uniform.max'],
    [{ logNormal: { medianMs: 100, sigma: 0 } }, 'delayMs.logNormal.sigma'],
    [{ logNormal: { medianMs: 100, sigma: 5.5 } }, 'delayMs.logNormal.sigma'],
    [{ normal: { mean: 1 } }, 'delayMs'],
  ])('refuses delayMs %j with 400', async (delayMs, field) => {
    await expectRefused({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, delayMs }, field);
  });

  it('a uniform delay fault delays the vendor call', async () => {
    expect((await arm({ vendor: 'cora', method: 'GET', path: ACCOUNT_PATH, delayMs: { uniform: { min: 60, max: 80 } }, seed: 3 })).status).toBe(201);
    const started = performance.now();
    expect((await getAccount(sandbox(), 'D1')).status).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(59);
    const [entry] = await sandbox().admin.requests({ limit: 1 });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(59);
    expect(entry!.fault).toBe('flt_1');
  });
});

describe('StoredFault', () => {
  it('parses every fault GET /faults and the snapshot list, exactly', async () => {
    await arm({ vendor: 'cora', method: 'get', path: ACCOUNT_PATH, tenant: 'org_demo', requestHeaders: { 'X-A': '1' }, error: 'INTERNAL_ERROR', probability: 0.25, seed: -3 });
    await arm({ vendor: 'cora', path: BULK_PATH, requestBody: { '/dryRun': true }, delayMs: { logNormal: { medianMs: 5, sigma: 1 } } });
    await arm({ vendor: 'copper', response: { status: 204 } });
    const listed = await armed();
    expect(listed.map((f) => StoredFault.parse(f))).toEqual(listed);
    expect(listed[0]).toEqual({
      id: 'flt_1',
      vendor: 'cora',
      namespace: '',
      method: 'GET',
      path: ACCOUNT_PATH,
      tenant: 'org_demo',
      requestHeaders: { 'x-a': '1' },
      requestBody: null,
      after: 0,
      times: 1,
      probability: 0.25,
      seed: -3,
      rngState: -3 >>> 0,
      seen: 0,
      remaining: 1,
      action: { error: 'INTERNAL_ERROR' },
    });
    const snapshot = await sandbox().admin.snapshot();
    expect(snapshot.faults.map((f) => StoredFault.parse(f))).toEqual(listed);
  });

  it('refuses unknown keys, actions past their limits and malformed ids', () => {
    const good = StoredFault.parse({ id: 'flt_3', vendor: 'cora', namespace: '', method: null, path: null, after: 0, times: 2, seen: 0, remaining: 2, action: { drop: true } });
    for (const bad of [
      { ...good, extra: 1 },
      { ...good, id: 'fault_3' },
      { ...good, method: 'get' },
      { ...good, remaining: 0 },
      { ...good, probability: 0 },
      { ...good, rngState: 2 ** 32 },
      { ...good, requestHeaders: { 'X-Upper': 'a' } },
      { ...good, action: { response: { status: 100 } } },
      { ...good, action: { response: { status: 204, body: 'x' } } },
      { ...good, action: { delayMs: 120_001 } },
      { ...good, action: { error: 'INTERNAL_ERROR', headers: { 'content-length': '1' } } },
    ]) {
      expect(StoredFault.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('reads a fault stored before targeting existed as untargeted, and Faults.restore fires it', async () => {
    const old = { id: 'flt_4', vendor: 'cora', namespace: '', method: 'GET', path: ACCOUNT_PATH, after: 0, times: 1, seen: 0, remaining: 1, action: { error: 'INTERNAL_ERROR' } };
    const parsed = StoredFault.parse(old);
    expect(parsed).toMatchObject({ tenant: null, requestHeaders: null, requestBody: null, probability: 1, seed: 0 });
    const faults = new Faults();
    faults.restore([parsed]);
    expect(faults.all()[0]).toMatchObject({ rngState: 0 });
    expect(faults.take({ vendor: 'cora', namespace: '', method: 'GET', path: '/external-api/accounts/X', header: () => undefined })?.id).toBe('flt_4');
    expect(faults.arm({ ...parsed, rngState: undefined } as never).id).toBe('flt_5');

    // Through HTTP: a snapshot whose fault has the old shape still fires.
    const snapshot = await sandbox().admin.snapshot();
    await sandbox().admin.restore({ ...snapshot, faults: [old] });
    expect((await getAccount(sandbox(), 'X')).body.code).toBe('INTERNAL_ERROR');
  });
});

describe('the OpenAPI document', () => {
  it('describes the new fields, the delay distributions and the 400s of POST /faults', async () => {
    const doc = (await call(sandbox(), '/_sandbox/openapi.json')).body;
    const op = doc.paths['/faults'].post;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['201', '400']));
    expect(op.description).toContain('Refused with 400');
    expect(op.description).toContain('an error a route the fault reaches does not document');
    expect(op.description).toContain("a raw response, outside the vendor's documented contract");
    const text = JSON.stringify(op);
    for (const word of ['tenant', 'requestHeaders', 'requestBody', 'probability', 'seed', 'logNormal', 'uniform', 'medianMs']) expect(text).toContain(word);
    const view = JSON.stringify(doc.components?.schemas?.SandboxFault ?? op.responses['201']);
    for (const word of ['rngState', 'tenant', 'probability']) expect(view).toContain(word);
  });
});

describe('unchanged behaviour', () => {
  it('coraSigned writes still pass with a body fault armed on another path', async () => {
    await arm({ vendor: 'cora', method: 'PATCH', path: ACCOUNT_PATH, requestBody: { '/x': 1 }, error: 'INTERNAL_ERROR' });
    expect((await bulk(sandbox(), { accounts: [newAccount('U1')] })).status).toBe(200);
    const patched = await coraSigned(sandbox(), '/external-api/accounts/U1', { currentBalance: 3 }, { method: 'PATCH' });
    expect(patched.status).toBe(200);
    expect((await armed())[0]).toMatchObject({ seen: 0 });
  });
});
