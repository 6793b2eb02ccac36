// Propel errors through HTTP: every catalogue code with its exact envelope and wording, and that none of them writes.
import { describe, expect, it } from 'vitest';
import { BODY_MESSAGES, MAX_JSON_DEPTH } from '../../core/body.js';
import { call, json, useSandbox } from '../../../test/helpers.js';
import { bulkById, bulkBySourceId, DEMO_CLIENT, getContact, propelCall, requestToken } from './propel.client.js';
import { MAX_CONTACTS, MORE_INFO_BASE, PROPEL_ERRORS, PROPEL_MESSAGES, type PropelErrorName } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });

/** The full envelope of `type`, with the given messages (default: the catalogue's own). */
function envelope(type: PropelErrorName, messages: string[] = [PROPEL_ERRORS[type].message]) {
  const { code, status } = PROPEL_ERRORS[type];
  return { error: { code, status, type, messages, moreInfo: `${MORE_INFO_BASE}${code}` } };
}

async function expectStoredIds(ids: number[]): Promise<void> {
  const { body } = await call(sandbox(), '/_sandbox/propel/records');
  expect(body.records.map((r: any) => r.id)).toEqual(ids);
}

describe('propel 10007 SchemaValidationException', () => {
  it("reproduces the vendor's own 400 example byte for byte, and writes nothing", async () => {
    const res = await bulkById(sandbox(), { contacts: [{ id: 1, company: 'Acme' }] });
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      '{"error":{"code":10007,"messages":["#/contacts/0: extraneous key [company] is not permitted"],"moreInfo":"https://www.propel.us/docs/errors/10007","status":400,"type":"SchemaValidationException"}}',
    );
    expect(res.headers.get('return-format')).toBe('json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    await expectStoredIds([]);
  });

  const byId: Array<[string, unknown, string[]]> = [
    ['a missing contacts key', {}, ['#: required key [contacts] not found']],
    ['a body that is not an object', [], ['#: expected type: JSONObject, found: JSONArray']],
    ['contacts not an array', { contacts: {} }, ['#/contacts: expected type: JSONArray, found: JSONObject']],
    ['an empty contacts array', { contacts: [] }, ['#/contacts: expected minimum item count: 1, found: 0']],
    ['an extraneous top-level key', { contacts: [{ id: 1 }], dryRun: true }, ['#: extraneous key [dryRun] is not permitted']],
    ['a contact that is not an object', { contacts: ['x'] }, ['#/contacts/0: expected type: JSONObject, found: String']],
    ['a string id', { contacts: [{ id: '12' }] }, ['#/contacts/0/id: expected type: Number, found: String']],
    ['a fractional id', { contacts: [{ id: 1.5 }] }, ['#/contacts/0/id: expected type: Integer, found: BigDecimal']],
    ['an id below 1', { contacts: [{ id: 0 }] }, ['#/contacts/0/id: 0 is not greater or equal to 1']],
    // One message past the safe-integer range too: the field's own bound, the number with every digit.
    ['an id past 2^53', { contacts: [{ id: 2 ** 53 }] }, ['#/contacts/0/id: 9007199254740992 is not less or equal to 2147483647']],
    ['an id of 1e21', { contacts: [{ id: 1e21 }] }, ['#/contacts/0/id: 1000000000000000000000 is not less or equal to 2147483647']],
    ['a negative id past -2^53', { contacts: [{ id: -1e20 }] }, ['#/contacts/0/id: -100000000000000000000 is not greater or equal to 1']],
    ['a number past 2^63 for a string', { contacts: [{ id: 1, phone: 1e19 }] }, ['#/contacts/0/phone: expected type: String, found: BigInteger']],
    ['a null field', { contacts: [{ id: 1, firstName: null }] }, ['#/contacts/0/firstName: expected type: String, found: Null']],
    ['a number for a string', { contacts: [{ id: 1, phone: 123 }] }, ['#/contacts/0/phone: expected type: String, found: Integer']],
    ['a gender outside the enum', { contacts: [{ id: 1, gender: 'X' }] }, ['#/contacts/0/gender: X is not a valid enum value']],
    ['an invalid email', { contacts: [{ id: 1, email: 'nope' }] }, ['#/contacts/0/email: [nope] is not a valid email address']],
    [
      'a date of birth in another format',
      { contacts: [{ id: 1, dateOfBirth: '10-12-1815' }] },
      ['#/contacts/0/dateOfBirth: string [10-12-1815] does not match pattern ^\\d{4}-\\d{2}-\\d{2}$'],
    ],
    ['a three-letter language', { contacts: [{ id: 1, language: 'NLD' }] }, ['#/contacts/0/language: string [NLD] does not match pattern ^[A-Za-z]{2}$']],
    ['sourceId without source', { contacts: [{ id: 1, sourceId: 5 }] }, ['#/contacts/0: property [source] is required']],
    ['an empty source', { contacts: [{ id: 1, sourceId: 5, source: '' }] }, ['#/contacts/0/source: expected minLength: 1, actual: 0']],
    ['attributes on bulk/id', { contacts: [{ id: 1, attributes: [] }] }, ['#/contacts/0: extraneous key [attributes] is not permitted']],
    ['a parent with neither key', { contacts: [{ id: 1, parent: {} }] }, ['#/contacts/0/parent: required key [id] not found']],
    ['a parent sourceId without source', { contacts: [{ id: 1, parent: { sourceId: 6 } }] }, ['#/contacts/0/parent: property [source] is required']],
    ['an extraneous parent key', { contacts: [{ id: 1, parent: { id: 2, name: 'x' } }] }, ['#/contacts/0/parent: extraneous key [name] is not permitted']],
    [
      'violations in several rows, all listed row by row',
      { contacts: [{ id: 1, company: 'A' }, { id: 2 }, { id: 'x', gender: 'Q', company: 'B' }] },
      [
        '#/contacts/0: extraneous key [company] is not permitted',
        '#/contacts/2/id: expected type: Number, found: String',
        '#/contacts/2/gender: Q is not a valid enum value',
        '#/contacts/2: extraneous key [company] is not permitted',
      ],
    ],
  ];
  it.each(byId)('bulk/id: %s', async (_, body, messages) => {
    const res = await bulkById(sandbox(), body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(envelope('SchemaValidationException', messages));
    await expectStoredIds([]);
  });

  const bySourceId: Array<[string, unknown, string[]]> = [
    ['an id on bulk/sourceId', { contacts: [{ id: 1, sourceId: 5, source: 'ERP' }] }, ['#/contacts/0: extraneous key [id] is not permitted']],
    ['a sourceId of 0', { contacts: [{ sourceId: 0, source: 'ERP' }] }, ['#/contacts/0/sourceId: 0 is not greater or equal to 1']],
    [
      'malformed attributes',
      {
        contacts: [
          {
            sourceId: 5,
            source: 'ERP',
            attributes: [
              { name: 'POINTS', type: 'integer', value: 1 },
              { class: 'user', name: 'lower_case', type: 'bool', value: true, extra: 1 },
            ],
          },
        ],
      },
      [
        '#/contacts/0/attributes/0: required key [class] not found',
        '#/contacts/0/attributes/1/name: string [lower_case] does not match pattern ^[A-Z][A-Z0-9_]*$',
        '#/contacts/0/attributes/1/type: bool is not a valid enum value',
        '#/contacts/0/attributes/1: extraneous key [extra] is not permitted',
      ],
    ],
  ];
  it.each(bySourceId)('bulk/sourceId: %s', async (_, body, messages) => {
    const res = await bulkBySourceId(sandbox(), body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(envelope('SchemaValidationException', messages));
    await expectStoredIds([]);
  });

  it('one bad row fails the whole request: the valid rows are not written either', async () => {
    await bulkById(sandbox(), { contacts: [{ id: 1, firstName: 'Before' }] });
    const res = await bulkById(sandbox(), { contacts: [{ id: 1, firstName: 'After' }, { id: 2 }, { id: 3, gender: 'Z' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('SchemaValidationException');
    await expectStoredIds([1]);
    expect((await getContact(sandbox(), 1)).body.data.firstName).toBe('Before');
  });
});

describe('propel request-level errors', () => {
  it('10016 LookupKeyNotFound: one message per contact without its lookup key, nothing written', async () => {
    const byId = await bulkById(sandbox(), { contacts: [{ id: 1 }, { firstName: 'No id' }, { lastName: 'Neither' }] });
    expect(byId.status).toBe(400);
    expect(byId.body).toEqual(
      envelope('LookupKeyNotFound', [PROPEL_MESSAGES.lookupKeyMissing(1, 'id'), PROPEL_MESSAGES.lookupKeyMissing(2, 'id')]),
    );
    expect(byId.body.error.messages).toEqual(['#/contacts/1: lookup key [id] not found', '#/contacts/2: lookup key [id] not found']);
    const bySource = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 5, source: 'ERP' }, { source: 'ERP' }] });
    expect(bySource.body).toEqual(envelope('LookupKeyNotFound', ['#/contacts/1: lookup key [sourceId] not found']));
    await expectStoredIds([]);
  });

  it(`10017 PayloadValidationError: more than ${MAX_CONTACTS} contacts; exactly ${MAX_CONTACTS} pass`, async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
    const res = await bulkById(sandbox(), { contacts: rows(MAX_CONTACTS + 1) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(envelope('PayloadValidationError', ['Maximum 1000 contacts per request']));
    await expectStoredIds([]);
    const full = await bulkById(sandbox(), { contacts: rows(MAX_CONTACTS) });
    expect(full.status).toBe(200);
    expect(full.body.total).toBe(MAX_CONTACTS);
  });

  const badBodies: Array<[string, string, string, string]> = [
    ['malformed JSON', '{"contacts": [', 'application/json', BODY_MESSAGES.malformed],
    ['a wrong content type', '{"contacts":[{"id":1}]}', 'text/plain', BODY_MESSAGES.contentType],
    ['an empty body', '', 'application/json', BODY_MESSAGES.empty],
    ['a __proto__ key', '{"contacts":[{"id":1,"__proto__":{"x":1}}]}', 'application/json', BODY_MESSAGES.forbiddenKey('__proto__')],
    ['a constructor key', '{"contacts":[{"id":1,"constructor":1}]}', 'application/json', BODY_MESSAGES.forbiddenKey('constructor')],
    ['deep nesting', `{"contacts":[{"id":1,"parent":${'['.repeat(MAX_JSON_DEPTH + 5)}${']'.repeat(MAX_JSON_DEPTH + 5)}}]}`, 'application/json', BODY_MESSAGES.tooDeep],
  ];
  it.each(badBodies)('10005 InvalidJSONPayload for %s, never a 500', async (_, body, contentType, message) => {
    const res = await bulkById(sandbox(), body, { headers: { 'content-type': contentType } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(envelope('InvalidJSONPayload', [message]));
    await expectStoredIds([]);
  });

  it('10006 InvalidLookupKey names the key sent', async () => {
    const res = await propelCall(sandbox(), 'GET', '/contacts/email/a@b.c');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(envelope('InvalidLookupKey', ['Invalid lookup key [email], key must contain one of the following values: [id,sourceId]']));
  });

  it('50006 ContactNotFound by id and by sourceId; 10017 when a sourceId lookup lacks source', async () => {
    const byId = await getContact(sandbox(), 999);
    expect(byId.status).toBe(404);
    expect(byId.body).toEqual(envelope('ContactNotFound', ['Contact with id [999] not found']));
    const bySource = await getContact(sandbox(), { sourceId: 9, source: 'ERP' });
    expect(bySource.body).toEqual(envelope('ContactNotFound', ['Contact with sourceId [9] not found']));
    const noSource = await propelCall(sandbox(), 'GET', '/contacts/sourceId/9');
    expect(noSource.status).toBe(400);
    expect(noSource.body).toEqual(envelope('PayloadValidationError', [PROPEL_MESSAGES.sourceQueryRequired]));
    const patch = await propelCall(sandbox(), 'PATCH', '/contacts/id/999', { firstName: 'x' });
    expect(patch.body).toEqual(envelope('ContactNotFound', ['Contact with id [999] not found']));
    const del = await propelCall(sandbox(), 'DELETE', '/contacts/id/999');
    expect(del.body).toEqual(envelope('ContactNotFound', ['Contact with id [999] not found']));
  });

  it('PATCH: 50007 for an unknown parent, 10007 for schema problems, 10017 for a bad attribute, and the contact is unchanged', async () => {
    await bulkById(sandbox(), { contacts: [{ id: 1, firstName: 'Ada' }] });
    const cases: Array<[unknown, ReturnType<typeof envelope>]> = [
      [{ firstName: 'B', parent: { id: 5 } }, envelope('ParentContactNotFound', ['Parent contact with id [5] not found'])],
      [{ id: 2, firstName: 'B' }, envelope('SchemaValidationException', ['#: extraneous key [id] is not permitted'])],
      [{ firstName: 'B', sourceId: 5 }, envelope('SchemaValidationException', ['#: property [source] is required'])],
      [
        { firstName: 'B', attributes: [{ class: 'user', name: 'N', type: 'decimal', value: 'abc' }] },
        envelope('PayloadValidationError', [PROPEL_MESSAGES.invalidAttributeValue('decimal')]),
      ],
    ];
    for (const [body, expected] of cases) {
      const res = await propelCall(sandbox(), 'PATCH', '/contacts/id/1', body);
      expect(res.status).toBe(expected.error.status);
      expect(res.body).toEqual(expected);
    }
    expect((await getContact(sandbox(), 1)).body.data).toMatchObject({ firstName: 'Ada', sourceId: null, attributes: [] });
  });

  it('a second contact may not take an identity another contact holds (row failure, and 10017 on PATCH)', async () => {
    await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 5, source: 'ERP', language: 'NL' }] });
    const res = await bulkById(sandbox(), { contacts: [{ id: 7, sourceId: 5, source: 'ERP', language: 'NL' }] });
    expect(res.body.data).toEqual([
      { action: 'create', key: 7, lookupKey: 'id', success: false, error: PROPEL_MESSAGES.sourceIdInUse(5, 'ERP', 'NL') },
    ]);
    expect(res.body.data[0].error).toBe('Contact with sourceId [5], source [ERP] and language [NL] already exists');
    await bulkById(sandbox(), { contacts: [{ id: 7 }] });
    const patch = await propelCall(sandbox(), 'PATCH', '/contacts/id/7', { sourceId: 5, source: 'ERP', language: 'nl' });
    expect(patch.body).toEqual(envelope('PayloadValidationError', [PROPEL_MESSAGES.sourceIdInUse(5, 'ERP', 'NL')]));
  });

  it('10008 NotFound for unknown paths and for wrong methods (Propel documents no 405)', async () => {
    const unknown = await call(sandbox(), '/propel/v2/orders');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(envelope('NotFound'));
    const wrongMethod = await propelCall(sandbox(), 'PUT', '/contacts/bulk/id', { contacts: [{ id: 1 }] });
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.body).toEqual(envelope('NotFound'));
    expect(wrongMethod.headers.get('allow')).toBeNull();
    await expectStoredIds([]);
  });

  it('a fault can answer with any catalogue error, in the envelope and with the headers', async () => {
    const armed = await call(sandbox(), '/_sandbox/faults', {
      method: 'POST',
      ...json({ vendor: 'propel', method: 'POST', path: '/v2/contacts/bulk/id', error: 'SchemaValidationException' }),
    });
    expect(armed.status).toBe(201);
    const res = await bulkById(sandbox(), { contacts: [{ id: 1 }] }, { headers: { 'x-request-id': 'fault-1' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(envelope('SchemaValidationException'));
    expect(res.headers.get('x-request-id')).toBe('fault-1');
    expect(res.headers.get('return-format')).toBe('json');
    await expectStoredIds([]);
  });
});

describe('propel token errors', () => {
  it('401 InvalidClient for a wrong secret, an unknown client or a revoked one', async () => {
    const wrong = await requestToken(sandbox(), { clientId: DEMO_CLIENT.clientId, clientSecret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(envelope('InvalidClient'));
    expect((await requestToken(sandbox(), { clientId: 'ghost', clientSecret: 'x' }, { basic: true })).body).toEqual(envelope('InvalidClient'));
    await call(sandbox(), '/_sandbox/credentials?vendor=propel&id=demo_client', { method: 'DELETE' });
    expect((await requestToken(sandbox())).status).toBe(401);
  });

  it('400 InvalidTokenRequest for another grant type or a body that is not a form', async () => {
    const grant = await requestToken(sandbox(), DEMO_CLIENT, { grantType: 'password' });
    expect(grant.status).toBe(400);
    expect(grant.body).toEqual(envelope('InvalidTokenRequest', [PROPEL_MESSAGES.grantType]));
    const asJson = await call(sandbox(), '/propel/oauth2/token', {
      method: 'POST',
      ...json({ grant_type: 'client_credentials', client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret }),
    });
    expect(asJson.status).toBe(400);
    expect(asJson.body).toEqual(envelope('InvalidTokenRequest', [PROPEL_MESSAGES.formContentType]));
  });
});

describe('propel body limit', () => {
  const small = useSandbox({ rateLimits: 'off', bodyLimit: 512 });
  it('413 PayloadTooLarge over the limit, nothing written', async () => {
    const res = await bulkById(small(), { contacts: [{ id: 1, firstName: 'x'.repeat(600) }] });
    expect(res.status).toBe(413);
    expect(res.body).toEqual(envelope('PayloadTooLarge', [BODY_MESSAGES.tooLarge(512)]));
    const { body } = await call(small(), '/_sandbox/propel/records');
    expect(body.records).toEqual([]);
  });
});

describe('propel OpenAPI document', () => {
  it('describes every route with its errors and Propel-prefixed components', async () => {
    const { body: doc } = await call(sandbox(), '/propel/openapi.json');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/oauth2/token',
      '/v2/contacts/bulk/id',
      '/v2/contacts/bulk/sourceId',
      '/v2/contacts/{lookupKey}/{lookupValue}',
    ]);
    const bulk = doc.paths['/v2/contacts/bulk/id'].post;
    expect(Object.keys(bulk.responses).sort()).toEqual(['200', '400', '401', '404', '413', '500']);
    expect(bulk.responses['400'].description).toContain('`SchemaValidationException`');
    expect(bulk.responses['400'].headers).toHaveProperty('x-request-id');
    expect(Object.keys(doc.components.schemas).every((id) => id.startsWith('Propel'))).toBe(true);
    expect(doc.components.schemas).toHaveProperty('PropelError');
  });
});
