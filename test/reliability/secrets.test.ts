// No secret (API key, HMAC secret, client secret, token, password) ever shows in logs, the journal, control views or error bodies.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import type { Sandbox } from '../../src/sandbox.js';
import { call, json, startSandbox, type JsonResponse } from '../helpers.js';
import { DEMO_KEY as CORA_KEY } from '../../src/vendors/cora/cora.client.js';
import { mc } from '../../src/vendors/mailingcore/mailingcore.client.js';
import { KITS, SUITE_VENDORS } from '../kit/vendor-kit.js';

/** Secrets in query strings and body fields, and every vendor's (its kit's): demo, wrong, created, seeded, refused. */
const SECRETS = [
  'qs-client-secret-1',
  'qs-access-token-1',
  'qs-api-key-value',
  'qs-plain-key-value',
  'body-password-value',
  '987654321987',
  ...KITS.flatMap((kit) => kit.secrets.known),
];

let sandbox: Sandbox;
let lines: string[];

beforeEach(async () => {
  lines = [];
  const logger = createLogger('debug', { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')) });
  sandbox = await startSandbox({ logger, vendors: SUITE_VENDORS });
});
afterEach(async () => {
  await sandbox.close();
});

const QUERY = '?client_secret=qs-client-secret-1&access_token=qs-access-token-1&api_key=qs-api-key-value&key=qs-plain-key-value';
const PASSWORD_BODY = { password: 'body-password-value', nested: [{ apiKey: 987654321987 }] };

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', ...json(body) });

/**
 * Every vendor's auth with good and wrong credentials, secrets in query strings and body fields,
 * and every control route that takes a secret. Returns every response, and the tokens issued.
 */
async function traffic(): Promise<{ responses: JsonResponse[]; tokens: string[] }> {
  const responses: JsonResponse[] = [];
  const keep = async (p: Promise<JsonResponse>) => {
    const res = await p;
    responses.push(res);
    return res;
  };
  // Control routes that take a secret: a created credential of each vendor's kind, and one seeded for each.
  for (const kit of KITS) expect((await keep(post('/_sandbox/credentials', { vendor: kit.name, ...kit.secrets.created }))).status).toBe(201);
  const seeded = await keep(post('/_sandbox/seed', Object.fromEntries(KITS.map((kit) => [kit.name, { credentials: [kit.secrets.seeded] }]))));
  expect(seeded.body).toMatchObject({ credentials: KITS.length });
  // Each vendor's own traffic (its kit): good, wrong, created, seeded and refused credentials, and the leaking query and body.
  const tokens: string[] = [];
  for (const kit of KITS) {
    const own = await kit.secrets.traffic(sandbox, { query: QUERY, body: PASSWORD_BODY });
    responses.push(...own.responses);
    tokens.push(...own.issued);
  }
  await keep(call(sandbox, `/_sandbox/requests${QUERY}`));
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
    for (const kit of KITS) expect(views.requests).toContain(`"vendor":"${kit.name}"`);
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
