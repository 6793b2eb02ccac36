// Propel happy paths through HTTP: tokens, bulk by id and by sourceId, attributes, parents, reads, PATCH, DELETE, tenants.
import { describe, expect, it } from 'vitest';
import { advanceClock, call, json, T0_ISO, useSandbox } from '../../../test/helpers.js';
import {
  bulkById,
  bulkBySourceId,
  contactPath,
  contactWith,
  DEMO_CLIENT,
  getContact,
  OTHER_CLIENT,
  propelCall,
  requestToken,
  token,
} from './propel.client.js';
import { TOKEN_TTL_S } from './auth.js';
import { PROPEL_ERRORS, PROPEL_MESSAGES } from './errors.js';
import { FIRST_CONTACT_ID } from './store.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const T1_ISO = '2026-01-15T10:01:00.000Z';

const unauthorized = {
  error: {
    code: 401,
    status: 401,
    type: 'Unauthorized',
    messages: [PROPEL_ERRORS.Unauthorized.message],
    moreInfo: 'https://www.propel.us/docs/errors/401',
  },
};

/** The stored form of a contact with every field not given left null. */
const stored = (fields: Record<string, unknown>) => contactWith(T0_ISO, { id: expect.any(Number), ...fields });

describe('propel oauth2 token', () => {
  it('issues an 1800-second Bearer token for a form body, and for HTTP Basic', async () => {
    for (const basic of [false, true]) {
      const res = await requestToken(sandbox(), DEMO_CLIENT, { basic });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), expires_in: TOKEN_TTL_S, token_type: 'Bearer', scope: 'profile' });
      expect(Object.keys(res.body)).toEqual(['access_token', 'expires_in', 'token_type', 'scope']);
      expect(res.headers.get('return-format')).toBe('json');
      expect(res.headers.get('x-request-id')).toMatch(UUID);
      expect((await getContact(sandbox(), 1, { token: res.body.access_token })).status).toBe(404);
    }
  });

  it('accepts a token until 1800 s of the sandbox clock have passed, then answers 401 Unauthorized', async () => {
    const bearer = await token(sandbox());
    await bulkById(sandbox(), { contacts: [{ id: 7 }] }, { token: bearer });
    await advanceClock(sandbox(), TOKEN_TTL_S * 1000 - 1);
    expect((await getContact(sandbox(), 7, { token: bearer })).status).toBe(200);
    await advanceClock(sandbox(), 1);
    const expired = await getContact(sandbox(), 7, { token: bearer });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(unauthorized);
    expect(expired.headers.get('return-format')).toBe('json');
    // A new token works again.
    expect((await getContact(sandbox(), 7)).status).toBe(200);
  });

  it('rejects a missing, forged or revoked-client token with the Unauthorized envelope', async () => {
    const bearer = await token(sandbox());
    const tampered = `${bearer.slice(0, -1)}${bearer.endsWith('0') ? '1' : '0'}`;
    for (const t of [null, 'nope', tampered]) {
      const res = await getContact(sandbox(), 1, { token: t });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(unauthorized);
    }
    const revoke = await call(sandbox(), '/_sandbox/credentials?vendor=propel&id=demo_client', { method: 'DELETE' });
    expect(revoke.status).toBe(200);
    expect((await getContact(sandbox(), 1, { token: bearer })).body).toEqual(unauthorized);
  });
});

describe('propel response headers', () => {
  it('echoes X-Request-Id on success, 401, 404 and 400, and sends return-format: json', async () => {
    const headers = { 'x-request-id': 'req-123' };
    const responses = [
      await getContact(sandbox(), 1, { headers }),
      await getContact(sandbox(), 1, { token: null, headers }),
      await call(sandbox(), '/propel/v2/nowhere', { headers }),
      await bulkById(sandbox(), '{', { headers }),
      await bulkById(sandbox(), { contacts: [{ id: 1 }] }, { headers }),
    ];
    expect(responses.map((r) => r.status)).toEqual([404, 401, 404, 400, 200]);
    for (const res of responses) {
      expect(res.headers.get('x-request-id')).toBe('req-123');
      expect(res.headers.get('return-format')).toBe('json');
    }
  });

  it('mints a UUID per request when the caller sends none, 404s included', async () => {
    const a = await call(sandbox(), '/propel/v2/nowhere');
    const b = await getContact(sandbox(), 1, { token: null });
    expect(a.headers.get('x-request-id')).toMatch(UUID);
    expect(b.headers.get('x-request-id')).toMatch(UUID);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });
});

describe('propel bulk by id', () => {
  it('creates an unknown id with that id, and updates it on the next call (idempotent upsert)', async () => {
    const body = { contacts: [{ id: 25492, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }] };
    const first = await bulkById(sandbox(), body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ data: [{ action: 'create', id: 25492, key: 25492, lookupKey: 'id', success: true }], messages: ['Completed'], total: 1 });
    await advanceClock(sandbox(), 60_000);
    const second = await bulkById(sandbox(), body);
    // The vendor's own 200 example, byte for byte.
    expect(second.text).toBe('{"data":[{"action":"update","id":25492,"key":25492,"lookupKey":"id","success":true}],"messages":["Completed"],"total":1}');
    const read = await getContact(sandbox(), 25492);
    expect(read.status).toBe(200);
    // Nothing changed, so updatedAt stays at the create.
    expect(read.body).toEqual({ data: stored({ id: 25492, firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }) });
    const all = await call(sandbox(), '/_sandbox/propel/records?tenant=propel_demo');
    expect(all.body.records).toHaveLength(1);
  });

  it('replaces the fields sent and keeps the others, stamping updatedAt', async () => {
    await bulkById(sandbox(), {
      contacts: [{ id: 10, firstName: 'Ada', lastName: 'Lovelace', gender: 'F', dateOfBirth: '1815-12-10', debtorId: 99, primaryLanguage: 'en' }],
    });
    await advanceClock(sandbox(), 60_000);
    const res = await bulkById(sandbox(), { contacts: [{ id: 10, lastName: 'King', phone: '+44 20 1234', language: 'nl', sourceId: 10, source: 'ERP' }] });
    expect(res.body.data).toEqual([{ action: 'update', id: 10, key: 10, lookupKey: 'id', success: true }]);
    expect((await getContact(sandbox(), 10)).body.data).toEqual(
      stored({
        id: 10,
        firstName: 'Ada',
        lastName: 'King',
        gender: 'F',
        dateOfBirth: '1815-12-10',
        debtorId: 99,
        primaryLanguage: 'EN',
        language: 'NL',
        phone: '+44 20 1234',
        sourceId: 10,
        source: 'ERP',
        updatedAt: T1_ISO,
      }),
    );
    // The identity set through bulk/id finds the same contact through bulk/sourceId.
    const bySource = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 10, source: 'ERP', language: 'NL', title: 'Countess' }] });
    expect(bySource.body.data).toEqual([{ action: 'update', id: 10, key: 10, lookupKey: 'sourceId', success: true }]);
  });

  it('runs rows in order: a repeated id updates what the earlier row wrote', async () => {
    const res = await bulkById(sandbox(), { contacts: [{ id: 5, firstName: 'A' }, { id: 5, lastName: 'B' }] });
    expect(res.body.data.map((r: any) => r.action)).toEqual(['create', 'update']);
    expect(res.body.total).toBe(2);
    expect((await getContact(sandbox(), 5)).body.data).toMatchObject({ firstName: 'A', lastName: 'B' });
  });
});

describe('propel bulk by sourceId', () => {
  it('numbers new contacts from 25000 per tenant and identifies them by sourceId, source and language', async () => {
    const res = await bulkBySourceId(sandbox(), {
      contacts: [
        { sourceId: 1, source: 'ERP', language: 'NL', firstName: 'Nl' },
        { sourceId: 1, source: 'ERP', language: 'EN', firstName: 'En' },
        { sourceId: 1, source: 'ERP', firstName: 'None' },
        { sourceId: 1, source: 'CRM', language: 'NL', firstName: 'Crm' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [0, 1, 2, 3].map((i) => ({ action: 'create', id: FIRST_CONTACT_ID + i, key: 1, lookupKey: 'sourceId', success: true })),
      messages: [PROPEL_MESSAGES.completed],
      total: 4,
    });
    // Lower-case language matches the stored upper-case one.
    const again = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 1, source: 'ERP', language: 'nl', lastName: 'Updated' }] });
    expect(again.body.data).toEqual([{ action: 'update', id: FIRST_CONTACT_ID, key: 1, lookupKey: 'sourceId', success: true }]);
    expect((await getContact(sandbox(), { sourceId: 1, source: 'ERP', language: 'NL' })).body.data).toMatchObject({
      id: FIRST_CONTACT_ID,
      firstName: 'Nl',
      lastName: 'Updated',
      language: 'NL',
    });
    expect((await getContact(sandbox(), { sourceId: 1, source: 'ERP' })).body.data).toMatchObject({ id: FIRST_CONTACT_ID + 2, firstName: 'None' });
    // The other tenant's sequence starts at 25000 too.
    const other = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 1, source: 'ERP' }] }, { client: OTHER_CLIENT });
    expect(other.body.data[0]).toMatchObject({ action: 'create', id: FIRST_CONTACT_ID });
  });

  it('skips sequence ids a client already took through bulk/id', async () => {
    await bulkById(sandbox(), { contacts: [{ id: FIRST_CONTACT_ID }, { id: FIRST_CONTACT_ID + 1 }] });
    const res = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 9, source: 'ERP' }] });
    expect(res.body.data[0].id).toBe(FIRST_CONTACT_ID + 2);
  });

  it('sets attributes by name with typed values, replaces them, and deletes those sent without value', async () => {
    const create = await bulkBySourceId(sandbox(), {
      contacts: [
        {
          sourceId: 21,
          source: 'ERP',
          attributes: [
            { class: 'user', name: 'LOYALTY_POINTS', type: 'integer', value: '120' },
            { class: 'user', name: 'DISCOUNT', type: 'decimal', value: 2.5 },
            { class: 'user', name: 'MEMBER_SINCE', type: 'date', value: '2020-02-29' },
            { class: 'user', name: 'TIER', type: 'enum', value: 'GOLD' },
            { class: 'user', name: 'NOTE', type: 'text', value: 'hello' },
          ],
        },
      ],
    });
    expect(create.body.data[0]).toMatchObject({ success: true, action: 'create' });
    const update = await bulkBySourceId(sandbox(), {
      contacts: [
        {
          sourceId: 21,
          source: 'ERP',
          attributes: [
            { class: 'user', name: 'LOYALTY_POINTS', type: 'integer', value: 121 },
            { class: 'user', name: 'NOTE', type: 'text' },
            { class: 'user', name: 'NEVER_SET', type: 'text' },
          ],
        },
      ],
    });
    expect(update.body.data[0]).toMatchObject({ success: true, action: 'update' });
    expect((await getContact(sandbox(), { sourceId: 21, source: 'ERP' })).body.data.attributes).toEqual([
      { class: 'user', name: 'LOYALTY_POINTS', type: 'integer', value: 121 },
      { class: 'user', name: 'DISCOUNT', type: 'decimal', value: 2.5 },
      { class: 'user', name: 'MEMBER_SINCE', type: 'date', value: '2020-02-29' },
      { class: 'user', name: 'TIER', type: 'enum', value: 'GOLD' },
    ]);
  });

  it('fails only the row whose attribute value does not fit its type', async () => {
    const res = await bulkBySourceId(sandbox(), {
      contacts: [
        { sourceId: 31, source: 'ERP' },
        { sourceId: 32, source: 'ERP', attributes: [{ class: 'user', name: 'POINTS', type: 'integer', value: '12.5' }] },
        { sourceId: 33, source: 'ERP', attributes: [{ class: 'user', name: 'BORN', type: 'date', value: '2021-02-30' }] },
        { sourceId: 34, source: 'ERP' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { action: 'create', id: FIRST_CONTACT_ID, key: 31, lookupKey: 'sourceId', success: true },
      { action: 'create', key: 32, lookupKey: 'sourceId', success: false, error: PROPEL_MESSAGES.invalidAttributeValue('integer') },
      { action: 'create', key: 33, lookupKey: 'sourceId', success: false, error: 'Invalid value provided. Attribute type is [date].' },
      { action: 'create', id: FIRST_CONTACT_ID + 1, key: 34, lookupKey: 'sourceId', success: true },
    ]);
    expect((await getContact(sandbox(), { sourceId: 32, source: 'ERP' })).status).toBe(404);
  });
});

describe('propel parents', () => {
  it('links a parent by id or by sourceId, including one created earlier in the same request', async () => {
    const res = await bulkBySourceId(sandbox(), {
      contacts: [
        { sourceId: 100, source: 'ERP', firstName: 'Parent' },
        { sourceId: 101, source: 'ERP', parent: { sourceId: 100, source: 'ERP' } },
        { sourceId: 102, source: 'ERP', parent: { id: FIRST_CONTACT_ID } },
      ],
    });
    expect(res.body.data.every((r: any) => r.success)).toBe(true);
    for (const sourceId of [101, 102]) {
      expect((await getContact(sandbox(), { sourceId, source: 'ERP' })).body.data.parent).toEqual({ id: FIRST_CONTACT_ID });
    }
  });

  it('reports an unknown parent as a row failure and writes the other rows', async () => {
    const res = await bulkById(sandbox(), {
      contacts: [
        { id: 1, parent: { id: 999 } },
        { id: 2, parent: { sourceId: 404, source: 'ERP' } },
        { id: 3 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { action: 'create', key: 1, lookupKey: 'id', success: false, error: 'Parent contact with id [999] not found' },
        { action: 'create', key: 2, lookupKey: 'id', success: false, error: 'Parent contact with sourceId [404] not found' },
        { action: 'create', id: 3, key: 3, lookupKey: 'id', success: true },
      ],
      messages: ['Completed'],
      total: 3,
    });
    expect((await getContact(sandbox(), 1)).status).toBe(404);
    expect((await getContact(sandbox(), 2)).status).toBe(404);
    expect((await getContact(sandbox(), 3)).status).toBe(200);
  });
});

describe('propel single-contact endpoints', () => {
  it('PATCH replaces the fields sent and answers with the contact', async () => {
    await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 5, source: 'ERP', language: 'NL', firstName: 'Ada' }] });
    await advanceClock(sandbox(), 60_000);
    const res = await propelCall(sandbox(), 'PATCH', contactPath({ sourceId: 5, source: 'ERP', language: 'NL' }), {
      lastName: 'Lovelace',
      attributes: [{ class: 'user', name: 'VIP', type: 'text', value: 'yes' }],
    });
    expect(res.status).toBe(200);
    const expected = stored({
      id: FIRST_CONTACT_ID,
      firstName: 'Ada',
      lastName: 'Lovelace',
      language: 'NL',
      sourceId: 5,
      source: 'ERP',
      attributes: [{ class: 'user', name: 'VIP', type: 'text', value: 'yes' }],
      updatedAt: T1_ISO,
    });
    expect(res.body).toEqual({ data: expected, messages: [PROPEL_MESSAGES.contactUpdated], total: 1 });
    expect((await getContact(sandbox(), FIRST_CONTACT_ID)).body).toEqual({ data: expected });
  });

  it('DELETE removes the contact and clears the parent of its children', async () => {
    await bulkById(sandbox(), { contacts: [{ id: 1 }, { id: 2, parent: { id: 1 } }] });
    const res = await propelCall(sandbox(), 'DELETE', '/contacts/id/1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: {}, messages: [PROPEL_MESSAGES.contactDeleted] });
    const gone = await getContact(sandbox(), 1);
    expect(gone.status).toBe(404);
    expect(gone.body.error.messages).toEqual([PROPEL_MESSAGES.contactNotFound('id', '1')]);
    expect((await getContact(sandbox(), 2)).body.data.parent).toBeNull();
  });
});

describe('propel tenants', () => {
  it('keeps tenants apart: the same id in two tenants is two contacts, and parents never cross', async () => {
    await bulkById(sandbox(), { contacts: [{ id: 42, firstName: 'Demo' }] });
    expect((await getContact(sandbox(), 42, { client: OTHER_CLIENT })).status).toBe(404);
    const other = await bulkById(sandbox(), { contacts: [{ id: 42, firstName: 'Other' }, { id: 43, parent: { id: 42 } }] }, { client: OTHER_CLIENT });
    expect(other.body.data.map((r: any) => [r.action, r.success])).toEqual([
      ['create', true],
      ['create', true],
    ]);
    const crossParent = await bulkById(sandbox(), { contacts: [{ id: 44, parent: { id: 43 } }] });
    expect(crossParent.body.data[0]).toMatchObject({ success: false, error: PROPEL_MESSAGES.parentNotFoundById(43) });
    expect((await getContact(sandbox(), 42)).body.data.firstName).toBe('Demo');
    expect((await getContact(sandbox(), 42, { client: OTHER_CLIENT })).body.data.firstName).toBe('Other');
    const del = await propelCall(sandbox(), 'DELETE', '/contacts/id/42', undefined, { client: OTHER_CLIENT });
    expect(del.status).toBe(200);
    expect((await getContact(sandbox(), 42)).status).toBe(200);
  });

  it('keeps namespaces apart', async () => {
    await bulkById(sandbox(), { contacts: [{ id: 1 }] }, { headers: { 'x-sandbox-namespace': 'ci-1' } });
    expect((await getContact(sandbox(), 1, { headers: { 'x-sandbox-namespace': 'ci-1' } })).status).toBe(200);
    expect((await getContact(sandbox(), 1)).status).toBe(404);
  });
});

describe('propel through the control API', () => {
  it('seeds fixtures by id and by sourceId, and lists them page by page', async () => {
    const seed = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({
        propel: {
          records: {
            propel_demo: [
              { id: 7, firstName: 'Seven' },
              { sourceId: 5, source: 'ERP', parent: { id: 7 }, attributes: [{ class: 'user', name: 'TIER', type: 'enum', value: 'GOLD' }] },
            ],
          },
        },
      }),
    });
    expect(seed.status).toBe(200);
    expect(seed.body).toMatchObject({ records: 2 });
    const page1 = await call(sandbox(), '/_sandbox/propel/records?tenant=propel_demo&limit=1');
    expect(page1.body.records).toEqual([stored({ id: 7, firstName: 'Seven' })]);
    const page2 = await call(sandbox(), `/_sandbox/propel/records?tenant=propel_demo&limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({
      records: [
        stored({ id: FIRST_CONTACT_ID, sourceId: 5, source: 'ERP', parent: { id: 7 }, attributes: [{ class: 'user', name: 'TIER', type: 'enum', value: 'GOLD' }] }),
      ],
      nextCursor: null,
    });
  });

  it('refuses invalid fixtures and loads none of them', async () => {
    const seed = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({ propel: { records: { propel_demo: [{ id: 1 }, { id: 2, parent: { id: 99 } }, { sourceId: 5 }] } } }),
    });
    expect(seed.status).toBe(400);
    expect(seed.body.error.issues).toEqual(['propel.records.propel_demo: sourceId fixtures #/contacts/0: property [source] is required']);
    const seed2 = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({ propel: { records: { propel_demo: [{ id: 1 }, { id: 2, parent: { id: 99 } }] } } }),
    });
    expect(seed2.status).toBe(400);
    expect(seed2.body.error.issues).toEqual([`propel.records.propel_demo: id fixtures #/contacts/1: ${PROPEL_MESSAGES.parentNotFoundById(99)}`]);
    expect((await call(sandbox(), '/_sandbox/propel/records')).body.records).toEqual([]);
  });

  it('fails the rows a rowErrors fault names, in the row-failure shape, and writes the rest', async () => {
    const arm = await call(sandbox(), '/_sandbox/faults', {
      method: 'POST',
      ...json({ vendor: 'propel', path: '/v2/contacts/bulk/id', rowErrors: { '1': 'ParentContactNotFound', '2': 'InvalidAttributeValue' } }),
    });
    expect(arm.status).toBe(201);
    const res = await bulkById(sandbox(), { contacts: [{ id: 1 }, { id: 2, parent: { id: 1 } }, { id: 3 }] });
    expect(res.body.data).toEqual([
      { action: 'create', id: 1, key: 1, lookupKey: 'id', success: true },
      { action: 'create', key: 2, lookupKey: 'id', success: false, error: PROPEL_MESSAGES.parentNotFoundById(1) },
      { action: 'create', key: 3, lookupKey: 'id', success: false, error: 'Invalid value provided. Attribute type is [text].' },
    ]);
    expect((await getContact(sandbox(), 2)).status).toBe(404);
    const coverage = await call(sandbox(), '/_sandbox/coverage');
    const propel = coverage.body.vendors.find((v: any) => v.vendor === 'propel');
    expect(propel.rowErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'ParentContactNotFound', count: 1 }),
        expect.objectContaining({ code: 'InvalidAttributeValue', count: 1 }),
      ]),
    );
  });

  it("journals each bulk row's key and lookupKey as answered, and still redacts the token and any key a client sends", async () => {
    const issued = await requestToken(sandbox());
    const bulk = await bulkById(sandbox(), { contacts: [{ id: 7 }, { id: 8, firstName: 'Eight' }] }, { token: issued.body.access_token });
    expect(bulk.status).toBe(200);
    // A client's own `key` field is refused (extraneous) and stays redacted in the journal: only the answers' fields are shown.
    const extraneous = await bulkById(sandbox(), { contacts: [{ id: 9, key: 'sent-by-the-client' }] }, { token: issued.body.access_token });
    expect(extraneous.status).toBe(400);

    const [refused, answered, tokenEntry] = await sandbox().admin.requests({ vendor: 'propel' });
    expect(answered!.responseBody).toEqual(bulk.body);
    expect(answered!.responseBody).toMatchObject({ data: [{ key: 7, lookupKey: 'id' }, { key: 8, lookupKey: 'id' }] });
    expect(refused!.requestBody).toEqual({ contacts: [{ id: 9, key: '[redacted]' }] });
    expect(tokenEntry).toMatchObject({ operationId: 'propelIssueToken', responseBody: { access_token: '[redacted]', expires_in: TOKEN_TTL_S, token_type: 'Bearer', scope: 'profile' } });
    const text = JSON.stringify(await sandbox().admin.requests());
    for (const secret of [issued.body.access_token, DEMO_CLIENT.clientSecret, 'sent-by-the-client']) expect(text).not.toContain(secret);
  });
});
