// Copper error paths through HTTP: request limits, bad bodies, auth, 404s and single-record 422s, each asserting stored state.
import { describe, expect, it } from 'vitest';
import { BODY_MESSAGES } from '../../core/body.js';
import { call, json, startSandbox, useSandbox } from '../../../test/helpers.js';
import { API, bulkCreate, type CopperCallOptions, bulkUpdate, copper, copperHeaders, DEMO, getPerson, OTHER, search, storedPeople } from './copper.client.js';
import { COPPER_ERRORS, COPPER_MESSAGES, MAX_BULK_PEOPLE } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });

const envelope = (status: number, message: string) => ({ success: false, status, message });
const INVALID_JSON = envelope(400, COPPER_MESSAGES.invalidJson);
const NOT_FOUND = envelope(404, COPPER_MESSAGES.notFound);
const UNAUTHORIZED = envelope(401, COPPER_MESSAGES.invalidCredentials);
const elevenPeople = Array.from({ length: MAX_BULK_PEOPLE + 1 }, (_, i) => ({ name: `Person ${i}` }));

describe('copper bulk request limits', () => {
  it('answers 11 objects to bulk_create with the exact 422 body and writes nothing', async () => {
    const res = await bulkCreate(sandbox(), elevenPeople);
    expect(res.status).toBe(422);
    expect(res.text).toBe(JSON.stringify({ error: 'Request size too large, limit is 10' }));
    expect(res.body).toEqual({ error: COPPER_MESSAGES.requestTooLarge });
    expect(await storedPeople(sandbox())).toEqual([]);
  });

  it('answers 11 objects to bulk_update with the same 422 and changes nothing', async () => {
    const created = await bulkCreate(sandbox(), [{ name: 'Keep Me' }]);
    const res = await bulkUpdate(sandbox(), elevenPeople.map(() => ({ id: created.body[0].id, title: 'Changed' })));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: COPPER_MESSAGES.requestTooLarge });
    expect(await storedPeople(sandbox())).toEqual(created.body);
  });

  it('accepts exactly 10 objects', async () => {
    const res = await bulkCreate(sandbox(), elevenPeople.slice(0, MAX_BULK_PEOPLE));
    expect(res.status).toBe(200);
    expect(await storedPeople(sandbox())).toHaveLength(MAX_BULK_PEOPLE);
  });

  it.each([
    ['missing', {}],
    ['not an array', { people: { name: 'X' } }],
    ['a bare array', [{ name: 'X' }]],
  ])('answers people %s with 422 people is required', async (_, body) => {
    const res = await copper(sandbox(), '/people/bulk_create', body);
    expect(res.status).toBe(COPPER_ERRORS.PEOPLE_REQUIRED.status);
    expect(res.body).toEqual(envelope(422, COPPER_MESSAGES.peopleRequired));
    expect(await storedPeople(sandbox())).toEqual([]);
  });
});

describe('copper invalid bodies', () => {
  const deep = `{"people":[{"name":"Deep","custom_fields":[{"custom_field_definition_id":1,"value":${'['.repeat(100)}${']'.repeat(100)}}]}]}`;
  it.each([
    ['malformed JSON', '{"people": [{"name": "Broken"', 'application/json'],
    ['an empty body', '', 'application/json'],
    ['a __proto__ key', '{"people":[{"name":"Proto","__proto__":{"polluted":true}}]}', 'application/json'],
    ['a constructor key', '{"people":[{"name":"Ctor","constructor":{"prototype":{}}}]}', 'application/json'],
    ['deep nesting', deep, 'application/json'],
    ['a wrong content type', JSON.stringify({ people: [{ name: 'Plain' }] }), 'text/plain'],
  ])('answers %s with Copper\'s 400 Invalid JSON and writes nothing', async (_, body, contentType) => {
    for (const path of ['/people/bulk_create', '/people/bulk_update', '/people']) {
      const res = await copper(sandbox(), path, body, { contentType });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(INVALID_JSON);
    }
    expect(await storedPeople(sandbox())).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers a body over the limit with 413 in Copper\'s envelope, naming the sandbox limit', async () => {
    const small = await startSandbox({ rateLimits: 'off', bodyLimit: 200 });
    try {
      const res = await call(small, `${API}/people/bulk_create`, {
        method: 'POST',
        headers: copperHeaders(),
        body: JSON.stringify({ people: [{ name: 'x'.repeat(500) }] }),
      });
      expect(res.status).toBe(413);
      expect(res.body).toEqual(envelope(413, BODY_MESSAGES.tooLarge(200)));
      expect(await storedPeople(small)).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('copper authentication', () => {
  it.each<[string, CopperCallOptions]>([
    ['no access token', { omit: ['token'] }],
    ['no application', { omit: ['application'] }],
    ['no user email', { omit: ['email'] }],
    ['another application', { application: 'zapier' }],
    ['a wrong token', { as: { token: 'nope', email: DEMO.email } }],
    ['another user\'s token', { as: { token: OTHER.token, email: DEMO.email } }],
    ['an unknown email', { as: { token: DEMO.token, email: 'nobody@example.com' } }],
  ])('answers %s with 401 and writes nothing', async (_, options) => {
    const res = await bulkCreate(sandbox(), [{ name: 'Intruder' }], options);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    expect(await storedPeople(sandbox())).toEqual([]);
    expect(await storedPeople(sandbox(), 'copper_other')).toEqual([]);
  });

  it('checks every endpoint, reads included', async () => {
    const created = await bulkCreate(sandbox(), [{ name: 'Secret Person' }]);
    const res = await getPerson(sandbox(), created.body[0].id, { omit: ['token'] });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    expect((await search(sandbox(), {}, { application: 'other' })).status).toBe(401);
  });

  it('matches the user email without case, and refuses a revoked token', async () => {
    const ok = await bulkCreate(sandbox(), [{ name: 'Cased' }], { as: { token: DEMO.token, email: 'DEMO@Example.COM' } });
    expect(ok.status).toBe(200);
    const created = await call(sandbox(), '/_sandbox/credentials', {
      method: 'POST',
      ...json({ vendor: 'copper', tenant: 'copper_demo', token: 'gone_token', email: 'gone@example.com', revoked: true }),
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('gone_token');
    const revoked = await bulkCreate(sandbox(), [{ name: 'Revoked' }], { as: { token: 'gone_token', email: 'gone@example.com' } });
    expect(revoked.status).toBe(401);
    expect((await storedPeople(sandbox())).map((p) => p.name)).toEqual(['Cased']);
  });
});

describe('copper not found and single-record failures', () => {
  it('answers unknown paths, wrong methods and bad ids with Copper\'s 404 (no 405, no Allow)', async () => {
    for (const [path, method] of [
      ['/companies', 'GET'],
      ['/people/bulk_create', 'GET'],
      ['/people/1', 'POST'],
      ['/people/abc', 'GET'],
      ['/people/12345', 'GET'],
      ['/people/12345', 'DELETE'],
    ] as const) {
      const res = await copper(sandbox(), path, method === 'POST' ? {} : undefined, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
      expect(res.headers.get('allow')).toBeNull();
    }
  });

  it('PUT of an unknown person is 404 and writes nothing', async () => {
    const res = await copper(sandbox(), '/people/77', { name: 'Ghost' }, { method: 'PUT' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
    expect(await storedPeople(sandbox())).toEqual([]);
  });

  it('POST /people without a name is the vendor\'s 422 sentence', async () => {
    const res = await copper(sandbox(), '/people', { title: 'No Name' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(envelope(422, "Invalid input: Validation errors: Name: can't be blank"));
    expect(res.body).toEqual(envelope(422, COPPER_ERRORS.VALIDATION_FAILED.message));
    expect(await storedPeople(sandbox())).toEqual([]);
  });

  it('names every failing field in the single-record 422, and PUT changes nothing', async () => {
    const created = await bulkCreate(sandbox(), [{ name: 'Holder', emails: [{ email: 'held@example.com', category: 'work' }] }, { name: 'Other' }]);
    const taken = await copper(sandbox(), '/people', { name: 'New', emails: [{ email: 'HELD@example.com', category: 'work' }] });
    expect(taken.status).toBe(422);
    expect(taken.body.message).toBe(COPPER_MESSAGES.validation([{ field: 'emails', reason: 'taken' }]));
    expect(taken.body.message).toBe('Invalid input: Validation errors: Emails: has already been taken');
    const bad = await copper(sandbox(), `/people/${created.body[1].id}`, { name: null, phone_numbers: [{ number: '1', category: 'pager' }] }, { method: 'PUT' });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toBe("Invalid input: Validation errors: Name: can't be blank, Phone numbers: is invalid");
    expect(await storedPeople(sandbox())).toEqual(created.body);
  });

  it('fetch_by_email: 422 without an email, 404 for an unknown one', async () => {
    const missing = await copper(sandbox(), '/people/fetch_by_email', {});
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual(envelope(422, COPPER_MESSAGES.emailRequired));
    const unknown = await copper(sandbox(), '/people/fetch_by_email', { email: 'nobody@example.com' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(NOT_FOUND);
  });

  it('search: 422 for a bad parameter or an unsupported filter', async () => {
    const big = await search(sandbox(), { page_size: 201 });
    expect(big.status).toBe(422);
    expect(big.body).toEqual(envelope(422, COPPER_MESSAGES.invalidSearchField('page_size')));
    const sort = await search(sandbox(), { sort_by: 'shoe_size' });
    expect(sort.body).toEqual(envelope(422, COPPER_MESSAGES.invalidSearchField('sort_by')));
    const unsupported = await search(sandbox(), { shoe_size: 9 });
    expect(unsupported.body).toEqual(envelope(422, COPPER_MESSAGES.unsupportedSearchField('shoe_size')));
    const malformed = await copper(sandbox(), '/people/search', '{"page_size":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual(INVALID_JSON);
  });
});

describe('copper fixtures', () => {
  it('seeds valid people with create rules and refuses a bad batch whole', async () => {
    const instance = sandbox().app.instances.copper!;
    const scope = { namespace: '', tenant: 'copper_demo' };
    const bad = [{ name: 'Good Seed', emails: [{ email: 'seed@example.com', category: 'work' }] }, { name: '' }, { name: 'Dup', emails: [{ email: 'SEED@example.com', category: 'work' }] }];
    const refused = await call(sandbox(), '/_sandbox/seed', { method: 'POST', ...json({ copper: { records: { copper_demo: bad } } }) });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual(['copper.records.copper_demo: people.1: {"name":[{"error":"blank"}]}', 'copper.records.copper_demo: people.2: {"emails":[{"error":"taken"}]}']);
    expect(await storedPeople(sandbox())).toEqual([]);
    // More than the bulk limit is fine for fixtures.
    // Fixtures load inside the core's seed transaction.
    const seed = (records: unknown[]) => sandbox().app.deps.store.transaction((tx) => instance.seedRecords({ ...scope, tx }, records));
    expect(await seed(Array.from({ length: 12 }, (_, i) => ({ name: `Seed ${i}` })))).toEqual({ loaded: 12, issues: [] });
    const stored = await storedPeople(sandbox());
    expect(stored.map((p) => p.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await getPerson(sandbox(), 12)).body).toEqual(stored[11]);
  });

  it('lists records page by page with a cursor', async () => {
    const instance = sandbox().app.instances.copper!;
    await sandbox().app.deps.store.transaction(async (tx) => {
      await instance.seedRecords({ namespace: '', tenant: 'copper_demo', tx }, [{ name: 'A' }, { name: 'B' }, { name: 'C' }]);
      await instance.seedRecords({ namespace: '', tenant: 'copper_other', tx }, [{ name: 'D' }]);
    });
    const first = await instance.listRecords({ namespace: '', limit: 3 });
    expect(first.records.map((p: any) => p.name)).toEqual(['A', 'B', 'C']);
    const second = await instance.listRecords({ namespace: '', limit: 3, cursor: first.nextCursor! });
    expect(second.records.map((p: any) => p.name)).toEqual(['D']);
    expect(second.nextCursor).toBeNull();
  });
});
