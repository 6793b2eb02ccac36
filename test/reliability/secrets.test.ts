// No secret (API key, HMAC secret, client secret, token, password) ever shows in logs, the journal, control views or error bodies.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import type { Sandbox } from '../../src/sandbox.js';
import { call, json, startSandbox, type JsonResponse } from '../helpers.js';
import { bulk as coraBulk, DEMO_KEY as CORA_KEY, getAccount, newAccount } from '../../src/vendors/cora/cora.client.js';
import { DEMO_CLIENT, propelCall, requestToken } from '../../src/vendors/propel/propel.client.js';
import { copper, DEMO as COPPER_DEMO } from '../../src/vendors/copper/copper.client.js';
import { DEMO_KEY as MC_KEY, mc } from '../../src/vendors/mailingcore/mailingcore.client.js';

/** Secrets the sandbox knows (demo and created ones) and secrets a client presented wrongly. */
const SECRETS = [
  'demo_secret',
  'copper_demo_token',
  MC_KEY,
  'wrong-secret-abc',
  'mc_test_wrongkey',
  'wrong-copper-token',
  // Query strings and body fields.
  'qs-client-secret-1',
  'qs-access-token-1',
  'qs-api-key-value',
  'qs-plain-key-value',
  'body-password-value',
  '987654321987',
  // Created through POST /_sandbox/credentials, then used.
  'new-cora-secret-xyz',
  'new-propel-secret-xyz',
  'new-copper-token-xyz',
  'mc_test_created_key_xyz',
  // Loaded by POST /_sandbox/seed.
  'seeded-cora-secret',
  'seeded-propel-secret',
  'seeded-copper-token',
  'mc_test_seeded_key',
  // Refused create bodies.
  'refused-copper-token',
  'refused-secret-no-dot',
  // HTTP Basic for demo_client:demo_secret, as sent.
  Buffer.from(`${DEMO_CLIENT.clientId}:${DEMO_CLIENT.clientSecret}`).toString('base64'),
];

let sandbox: Sandbox;
let lines: string[];

beforeEach(async () => {
  lines = [];
  const logger = createLogger('debug', { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')) });
  sandbox = await startSandbox({ logger });
});
afterEach(async () => {
  await sandbox.close();
});

const QUERY = '?client_secret=qs-client-secret-1&access_token=qs-access-token-1&api_key=qs-api-key-value&key=qs-plain-key-value';
const PASSWORD_BODY = { password: 'body-password-value', nested: [{ apiKey: 987654321987 }] };

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', ...json(body) });

/**
 * Every vendor's auth with good and wrong credentials, secrets in query strings and body fields,
 * and every control route that takes a secret. Returns every response, and the Propel tokens issued.
 */
async function traffic(): Promise<{ responses: JsonResponse[]; tokens: string[] }> {
  const responses: JsonResponse[] = [];
  const keep = async (p: Promise<JsonResponse>) => {
    const res = await p;
    responses.push(res);
    return res;
  };
  // Control routes that take a secret: create for each vendor's kind, seed, refused creates, revoke.
  expect((await keep(post('/_sandbox/credentials', { vendor: 'cora', tenant: 'org_new', key: 'cora_org_new.new-cora-secret-xyz' }))).status).toBe(201);
  expect((await keep(post('/_sandbox/credentials', { vendor: 'propel', tenant: 'p_new', clientId: 'new_client', clientSecret: 'new-propel-secret-xyz' }))).status).toBe(201);
  expect((await keep(post('/_sandbox/credentials', { vendor: 'copper', tenant: 'c_new', token: 'new-copper-token-xyz', email: 'new@example.com' }))).status).toBe(201);
  expect((await keep(post('/_sandbox/credentials', { vendor: 'mailingcore', tenant: 'm_new', key: 'mc_test_created_key_xyz', scopes: ['contacts:read'] }))).status).toBe(201);
  const seeded = await keep(
    post('/_sandbox/seed', {
      cora: { credentials: [{ tenant: 'org_seed', key: 'cora_org_seed.seeded-cora-secret' }] },
      propel: { credentials: [{ tenant: 'p_seed', clientId: 'seed_client', clientSecret: 'seeded-propel-secret' }] },
      copper: { credentials: [{ tenant: 'c_seed', token: 'seeded-copper-token', email: 'seed@example.com' }] },
      mailingcore: { credentials: [{ tenant: 'm_seed', key: 'mc_test_seeded_key', scopes: ['contacts:read'] }] },
    }),
  );
  expect(seeded.body).toMatchObject({ credentials: 4 });
  expect((await keep(post('/_sandbox/credentials', { vendor: 'copper', tenant: 'c_x', token: 'refused-copper-token', email: 'not-an-email' }))).status).toBe(400);
  expect((await keep(post('/_sandbox/credentials', { vendor: 'cora', tenant: 'org_x', key: 'refused-secret-no-dot' }))).status).toBe(400);
  expect((await keep(post('/_sandbox/seed', { cora: { credentials: [{ tenant: 'o', key: 'refused-secret-no-dot' }] } }))).status).toBe(400);
  // A whole key passed as the id must not come back in the 404's message.
  expect((await keep(call(sandbox, `/_sandbox/credentials?vendor=cora&id=${encodeURIComponent('cora_org_new.new-cora-secret-xyz')}`, { method: 'DELETE' }))).status).toBe(404);
  expect((await keep(call(sandbox, `/_sandbox/credentials?vendor=mailingcore&id=mc_test_seeded_key`, { method: 'DELETE' }))).status).toBe(404);

  // Cora: signed write, read, wrong secret, a created and a seeded key, then the created key revoked.
  expect((await keep(coraBulk(sandbox, { accounts: [newAccount('S1')] }))).status).toBe(200);
  expect((await keep(getAccount(sandbox, 'S1'))).status).toBe(200);
  expect((await keep(getAccount(sandbox, 'S1', 'cora_org_demo.wrong-secret-abc'))).status).toBe(401);
  expect((await keep(coraBulk(sandbox, { accounts: [newAccount('S2')] }, { key: 'cora_org_demo.wrong-secret-abc' }))).status).toBe(401);
  expect((await keep(coraBulk(sandbox, { accounts: [newAccount('S3')] }, { key: 'cora_org_new.new-cora-secret-xyz' }))).status).toBe(200);
  expect((await keep(getAccount(sandbox, 'S3', 'cora_org_seed.seeded-cora-secret'))).status).toBe(404);
  expect((await keep(call(sandbox, '/_sandbox/credentials?vendor=cora&id=cora_org_new', { method: 'DELETE' }))).status).toBe(200);
  expect((await keep(getAccount(sandbox, 'S3', 'cora_org_new.new-cora-secret-xyz'))).status).toBe(401);

  // Propel: tokens by form body and by Basic, wrong secrets both ways, a forged token.
  const tokens: string[] = [];
  for (const client of [DEMO_CLIENT, { clientId: 'new_client', clientSecret: 'new-propel-secret-xyz' }, { clientId: 'seed_client', clientSecret: 'seeded-propel-secret' }]) {
    for (const basic of [false, true]) {
      const issued = await requestToken(sandbox, client, { basic });
      expect(issued.status).toBe(200);
      tokens.push(issued.body.access_token as string);
    }
  }
  for (const basic of [false, true]) expect((await keep(requestToken(sandbox, { clientId: 'demo_client', clientSecret: 'wrong-secret-abc' }, { basic }))).status).toBe(401);
  expect((await keep(propelCall(sandbox, 'POST', '/contacts/bulk/id', { contacts: [{ id: 1, firstName: 'A' }] }, { token: tokens[0]! }))).status).toBeLessThan(300);
  expect((await keep(propelCall(sandbox, 'GET', '/contacts/id/1', undefined, { token: tokens[3]! }))).status).toBe(404);
  expect((await keep(propelCall(sandbox, 'GET', '/contacts/id/1', undefined, { token: 'wrong-secret-abc' }))).status).toBe(401);

  // Copper: the demo, created and seeded tokens, and a wrong one.
  expect((await keep(copper(sandbox, '/people', { name: 'A B' }))).status).toBeLessThan(300);
  expect((await keep(copper(sandbox, '/people/1', undefined, { as: { token: 'wrong-copper-token', email: COPPER_DEMO.email } }))).status).toBe(401);
  expect((await keep(copper(sandbox, '/people/1', undefined, { as: { token: 'new-copper-token-xyz', email: 'new@example.com' } }))).status).toBe(404);
  expect((await keep(copper(sandbox, '/people/1', undefined, { as: { token: 'seeded-copper-token', email: 'seed@example.com' } }))).status).toBe(404);

  // MailingCore: the demo, created and seeded keys, and a wrong one.
  expect((await keep(mc(sandbox, 'PUT', '/contacts', { email: 'a@example.com' }))).status).toBeLessThan(300);
  expect((await keep(mc(sandbox, 'GET', '/contacts', undefined, { key: 'mc_test_wrongkey' }))).status).toBe(401);
  expect((await keep(mc(sandbox, 'GET', '/contacts', undefined, { key: 'mc_test_created_key_xyz', tenant: 'm_new' }))).status).toBe(200);
  expect((await keep(mc(sandbox, 'GET', '/contacts', undefined, { key: 'mc_test_seeded_key', tenant: 'm_seed' }))).status).toBe(200);

  // Secrets in query strings and a `password` body field, to every vendor, with and without credentials.
  const coraAuth = { authorization: `Bearer ${CORA_KEY}` };
  await keep(call(sandbox, `/cora/external-api/accounts/S1${QUERY}`, { headers: coraAuth }));
  await keep(call(sandbox, `/cora/external-api/accounts/S1${QUERY}`));
  await keep(call(sandbox, `/propel/oauth2/token${QUERY}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }));
  await keep(propelCall(sandbox, 'GET', `/contacts/id/1${QUERY}`, undefined, { token: tokens[0]! }));
  await keep(copper(sandbox, `/people/1${QUERY}`));
  await keep(mc(sandbox, 'GET', `/contacts${QUERY}`));
  await keep(call(sandbox, `/_sandbox/requests${QUERY}`));
  await keep(coraBulk(sandbox, PASSWORD_BODY));
  await keep(call(sandbox, `/cora${'/external-api/accounts/bulk-upsert'}`, { method: 'POST', ...json(PASSWORD_BODY) }));
  await keep(propelCall(sandbox, 'POST', '/contacts/bulk/id', PASSWORD_BODY, { token: tokens[0]! }));
  await keep(copper(sandbox, '/people', PASSWORD_BODY));
  await keep(mc(sandbox, 'POST', '/contacts/bulk', PASSWORD_BODY));
  await keep(mc(sandbox, 'POST', '/contacts/bulk', PASSWORD_BODY, { key: null }));
  return { responses, tokens };
}

/** Every text a user or operator can see after the traffic, by where it came from. */
async function outputs(): Promise<Record<string, string>> {
  const read = async (path: string) => {
    const res = await call(sandbox, path);
    expect(res.status, path).toBe(200);
    return res.text;
  };
  const snapshot = await call(sandbox, '/_sandbox/snapshot');
  expect(snapshot.status).toBe(200);
  return {
    requests: await read('/_sandbox/requests?limit=10000'),
    count: await read('/_sandbox/requests/count'),
    snapshotJournal: JSON.stringify(snapshot.body.journal),
    // The credentials table is another branch's change (see the last test); everything else is checked here.
    snapshotButCredentials: JSON.stringify({ ...snapshot.body, tables: { ...snapshot.body.tables, credentials: [] } }),
    metrics: await read('/_sandbox/metrics'),
    coverage: await read('/_sandbox/coverage'),
    credentials: await read('/_sandbox/credentials'),
    rateLimits: await read('/_sandbox/rate-limits'),
  };
}

const hitsOf = (texts: Record<string, string>, secrets: readonly string[]) =>
  Object.entries(texts).flatMap(([where, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${s} in ${where}`));

describe('secrets', () => {
  it('never appear in logs (debug included), the journal, its snapshot, control views or error bodies', async () => {
    const { responses, tokens } = await traffic();
    const views = await outputs();
    // The traffic is there, only its secrets are not.
    expect(views.requests).toContain('/external-api/accounts/bulk-upsert');
    expect(views.requests).toContain('client_secret=[redacted]&access_token=[redacted]&api_key=[redacted]&key=[redacted]');
    expect(lines.some((l) => l.includes('"requestBody"'))).toBe(true);
    const errors = Object.fromEntries(responses.filter((r) => r.status >= 400).map((r, i) => [`error body ${i} (${r.status})`, r.text]));
    const controlAnswers = Object.fromEntries(responses.filter((r) => r.status < 300 && r.text.includes('"secret"')).map((r, i) => [`control answer ${i}`, r.text]));
    expect(Object.keys(errors).length).toBeGreaterThan(10);
    expect(hitsOf({ ...views, ...errors, ...controlAnswers, logs: lines.join('\n') }, [...SECRETS, ...tokens])).toEqual([]);
  });

  it('redacts query strings when the entry is recorded, so no filter can find the raw value', async () => {
    await call(sandbox, `/cora/external-api/accounts/S1${QUERY}`, { headers: { authorization: `Bearer ${CORA_KEY}` } });
    expect((await call(sandbox, '/_sandbox/requests/count?path=qs-access-token-1')).body).toEqual({ count: 0 });
    expect((await call(sandbox, `/_sandbox/requests/count?path=${encodeURIComponent('access_token=[redacted]')}`)).body).toEqual({ count: 1 });
  });

  it('redacts a known secret wherever it appears, and credential-named fields of any type', async () => {
    await call(sandbox, '/copper/developer_api/v1/people/demo_secret?note=x-copper_demo_token-y', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-note': 'has mc_test_demo inside' },
      body: JSON.stringify({ note: 'my demo_secret here', accessToken: 42, deep: { 'x-signature': true, list: [{ clientSecret: 'abc' }] }, keyboard: 'kept' }),
    });
    const [entry] = (await call(sandbox, '/_sandbox/requests?vendor=copper&limit=1')).body.requests;
    expect(entry.path).toBe('/developer_api/v1/people/[redacted]?note=[redacted]');
    expect(entry.requestHeaders['x-note']).toBe('has [redacted] inside');
    expect(entry.requestBody).toEqual({
      note: 'my [redacted] here',
      accessToken: '[redacted]',
      deep: { 'x-signature': '[redacted]', list: [{ clientSecret: '[redacted]' }] },
      keyboard: 'kept',
    });
  });

  it('masks listings: nothing of a secret under 12 characters, at most the last 4 of a longer one', async () => {
    await post('/_sandbox/credentials', { vendor: 'propel', tenant: 't', clientId: 'long_client', clientSecret: 'a-long-client-secret-WXYZ' });
    const { credentials } = (await call(sandbox, '/_sandbox/credentials?vendor=propel')).body;
    expect(credentials.map((c: { id: string; secret: string }) => [c.id, c.secret])).toEqual([
      ['demo_client', '****'],
      ['other_client', '****cret'],
      ['long_client', '****WXYZ'],
    ]);
    await mc(sandbox, 'GET', '/contacts');
    const { buckets } = (await call(sandbox, '/_sandbox/rate-limits')).body;
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) for (const part of b.key.split(' / ').slice(1)) expect(part).toMatch(/^\*{4}.{0,4}$/);
  });

  // Passes only once the snapshot withholds credential secrets (another branch changes
  // GET /_sandbox/snapshot so `tables.credentials` no longer carries them): on this branch
  // alone the credentials table still holds them, and this test fails for that table only.
  it('the whole snapshot export holds no secret', async () => {
    const { tokens } = await traffic();
    const snapshot = await call(sandbox, '/_sandbox/snapshot');
    expect(hitsOf({ snapshot: snapshot.text }, [...SECRETS, ...tokens])).toEqual([]);
  });
});
