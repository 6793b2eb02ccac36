// The vendor pages' own shapes through HTTP: every Propel body's keys in the order of the pages' examples and schemas, compared as JSON text.
import { describe, expect, it } from 'vitest';
import { BODY_MESSAGES } from '../../core/body.js';
import { call, json, T0_ISO, useSandbox } from '../../../test/helpers.js';
import { bulkById, bulkBySourceId, getContact, propelCall, requestToken } from './propel.client.js';
import { MORE_INFO_BASE, PROPEL_ERRORS, PROPEL_MESSAGES, type PropelErrorName } from './errors.js';
import { FIRST_CONTACT_ID } from './store.js';

const sandbox = useSandbox({ rateLimits: 'off' });

/** "Bulk Contacts by Id - 400 (invalid schema)", as the vendor page prints it. */
const PAGE_400_EXAMPLE = `{
"error": {
"code": 10007,
"messages": [
"#/contacts/0: extraneous key [company] is not permitted"
],
"moreInfo": "https://www.propel.us/docs/errors/10007",
"status": 400,
"type": "SchemaValidationException"
}
}`;

/** "Bulk Contacts by Id - 200", as the vendor page prints it. */
const PAGE_200_EXAMPLE = `{
"data": [
{
"action": "update",
"id": 25492,
"key": 25492,
"lookupKey": "id",
"success": true
}
],
"messages": [
"Completed"
],
"total": 1
}`;

/** What the sandbox sends for a page example: the same keys in the same order, without the whitespace. */
const compact = (text: string) => JSON.stringify(JSON.parse(text));

/** The error envelope as text, its keys written out in the page's order. */
function envelopeText(type: PropelErrorName, messages: string[] = [PROPEL_ERRORS[type].message]): string {
  const { code, status } = PROPEL_ERRORS[type];
  return JSON.stringify({ error: { code, messages, moreInfo: `${MORE_INFO_BASE}${code}`, status, type } });
}

const storedIds = async () => (await call(sandbox(), '/_sandbox/propel/records')).body.records.map((r: { id: number }) => r.id);

describe("propel error envelope: the page's key order (code, messages, moreInfo, status, type)", () => {
  it("answers the page's own 400 example byte for byte, and writes nothing", async () => {
    const res = await bulkById(sandbox(), { contacts: [{ id: 1, company: 'Acme' }] });
    expect(res.status).toBe(400);
    expect(res.text).toBe(compact(PAGE_400_EXAMPLE));
    expect(await storedIds()).toEqual([]);
  });

  it('orders every error the sandbox produces itself the same way: body, lookup, auth, token and router errors', async () => {
    const cases: Array<[() => Promise<{ status: number; text: string }>, number, string]> = [
      [() => bulkById(sandbox(), '{"contacts": ['), 400, envelopeText('InvalidJSONPayload', [BODY_MESSAGES.malformed])],
      [() => bulkById(sandbox(), { contacts: [{ firstName: 'No id' }] }), 400, envelopeText('LookupKeyNotFound', [PROPEL_MESSAGES.lookupKeyMissing(0, 'id')])],
      [
        () => bulkById(sandbox(), { contacts: Array.from({ length: 1001 }, (_, i) => ({ id: i + 1 })) }),
        400,
        envelopeText('PayloadValidationError', [PROPEL_MESSAGES.tooManyContacts]),
      ],
      [() => propelCall(sandbox(), 'GET', '/contacts/email/x'), 400, envelopeText('InvalidLookupKey', [PROPEL_MESSAGES.invalidLookupKey('email')])],
      [() => getContact(sandbox(), 404), 404, envelopeText('ContactNotFound', [PROPEL_MESSAGES.contactNotFound('id', '404')])],
      [() => propelCall(sandbox(), 'PATCH', '/contacts/id/404', { firstName: 'x' }), 404, envelopeText('ContactNotFound', [PROPEL_MESSAGES.contactNotFound('id', '404')])],
      [() => getContact(sandbox(), 1, { token: null }), 401, envelopeText('Unauthorized')],
      [() => call(sandbox(), '/propel/v2/orders'), 404, envelopeText('NotFound')],
      [() => requestToken(sandbox(), { clientId: 'demo_client', clientSecret: 'wrong' }), 401, envelopeText('InvalidClient')],
      [() => requestToken(sandbox(), undefined, { grantType: 'password' }), 400, envelopeText('InvalidTokenRequest', [PROPEL_MESSAGES.grantType])],
    ];
    for (const [send, status, text] of cases) {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.text).toBe(text);
    }
    expect(await storedIds()).toEqual([]);
  });

  it('orders every error a fault fakes on bulk/id the same way; the ones bulk/id does not document are refused', async () => {
    // bulk/id's own errors and the generic 500: never ContactNotFound, ParentContactNotFound (a row error there), InvalidLookupKey or the token route's errors.
    const documented: PropelErrorName[] = [
      'Unauthorized', 'NotFound', 'InvalidJSONPayload', 'SchemaValidationException', 'PayloadTooLarge', 'LookupKeyNotFound', 'PayloadValidationError', 'InternalServerError',
    ];
    for (const type of Object.keys(PROPEL_ERRORS) as PropelErrorName[]) {
      const arm = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'propel', path: '/v2/contacts/bulk/id', error: type }) });
      if (!documented.includes(type)) {
        expect([arm.status, arm.body.error.message], type).toEqual([400, expect.stringContaining(`${type} (${PROPEL_ERRORS[type].status}) is not documented on POST /v2/contacts/bulk/id`)]);
        continue;
      }
      expect(arm.status, type).toBe(201);
      const res = await bulkById(sandbox(), { contacts: [{ id: 1 }] });
      expect(res.status).toBe(PROPEL_ERRORS[type].status);
      expect(res.text).toBe(envelopeText(type));
    }
    expect(await storedIds()).toEqual([]);
  });
});

describe("propel bulk results: the page's key order (data, messages, total; action, id, key, lookupKey, success)", () => {
  it("answers the page's own 200 example byte for byte", async () => {
    await bulkById(sandbox(), { contacts: [{ id: 25492 }] });
    const res = await bulkById(sandbox(), { contacts: [{ id: 25492, firstName: 'Ada' }] });
    expect(res.status).toBe(200);
    expect(res.text).toBe(compact(PAGE_200_EXAMPLE));
  });

  it('puts a failed row\'s error where the alphabetical order puts it, after action, and writes only the rows that succeeded', async () => {
    const res = await bulkById(sandbox(), { contacts: [{ id: 1, parent: { id: 999 } }, { id: 2 }] });
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      '{"data":[' +
        '{"action":"create","error":"Parent contact with id [999] not found","key":1,"lookupKey":"id","success":false},' +
        '{"action":"create","id":2,"key":2,"lookupKey":"id","success":true}' +
        '],"messages":["Completed"],"total":2}',
    );
    expect(await storedIds()).toEqual([2]);
  });

  it('orders a row a rowErrors fault fails the same way', async () => {
    const fault = { vendor: 'propel', path: '/v2/contacts/bulk/sourceId', rowErrors: { '0': 'InvalidAttributeValue' } };
    const arm = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json(fault) });
    expect(arm.status).toBe(201);
    const res = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 1, source: 'ERP' }, { sourceId: 2, source: 'ERP' }] });
    expect(res.text).toBe(
      '{"data":[' +
        '{"action":"create","error":"Invalid value provided. Attribute type is [text].","key":1,"lookupKey":"sourceId","success":false},' +
        `{"action":"create","id":${FIRST_CONTACT_ID},"key":2,"lookupKey":"sourceId","success":true}` +
        '],"messages":["Completed"],"total":2}',
    );
    expect(await storedIds()).toEqual([FIRST_CONTACT_ID]);
  });
});

describe("propel contacts as read: the page's contact schema order (alphabetical)", () => {
  /** The read shape of contact 7 with a first name and one attribute, keys written out alphabetically. */
  const contact7 = {
    abbreviation: null,
    attributes: [{ class: 'user', name: 'TIER', type: 'enum', value: 'GOLD' }],
    createdAt: T0_ISO,
    dateOfBirth: null,
    debtorId: null,
    email: null,
    firstName: 'Seven',
    gender: null,
    id: 7,
    language: null,
    lastName: null,
    middleName: null,
    mobile: null,
    parent: null,
    phone: null,
    primaryLanguage: null,
    source: 'ERP',
    sourceId: 7007,
    ssn: null,
    title: null,
    updatedAt: T0_ISO,
  };
  const seed7 = async () => {
    await bulkById(sandbox(), { contacts: [{ id: 7, sourceId: 7007, source: 'ERP' }] });
    const res = await propelCall(sandbox(), 'PATCH', '/contacts/id/7', { firstName: 'Seven', attributes: [{ class: 'user', name: 'TIER', type: 'enum', value: 'GOLD' }] });
    expect(res.status).toBe(200);
    return res;
  };

  it('GET, PATCH, DELETE and the control listing answer with the keys in that order', async () => {
    const patch = await seed7();
    expect(patch.text).toBe(JSON.stringify({ data: contact7, messages: [PROPEL_MESSAGES.contactUpdated], total: 1 }));
    expect((await getContact(sandbox(), 7)).text).toBe(JSON.stringify({ data: contact7 }));
    expect((await getContact(sandbox(), { sourceId: 7007, source: 'ERP' })).text).toBe(JSON.stringify({ data: contact7 }));
    expect((await call(sandbox(), '/_sandbox/propel/records?tenant=propel_demo')).text).toBe(JSON.stringify({ records: [contact7], nextCursor: null }));
    const del = await propelCall(sandbox(), 'DELETE', '/contacts/id/7');
    expect(del.text).toBe('{"data":{},"messages":["Contact deleted"]}');
    expect(await storedIds()).toEqual([]);
  });

  it('reads a contact stored in another key order (restored from a snapshot) in that order too', async () => {
    await seed7();
    const snapshot = (await call(sandbox(), '/_sandbox/snapshot')).body;
    const rows = snapshot.tables.propel_contacts as Array<{ data: string }>;
    expect(rows).toHaveLength(1);
    const reversed = Object.fromEntries(Object.entries(JSON.parse(rows[0]!.data) as Record<string, unknown>).reverse());
    rows[0]!.data = JSON.stringify(reversed);
    const restore = await call(sandbox(), '/_sandbox/snapshot', { method: 'POST', ...json(snapshot) });
    expect(restore.status).toBe(200);
    expect((await call(sandbox(), '/_sandbox/snapshot')).body.tables.propel_contacts[0].data).toBe(JSON.stringify(reversed));
    expect((await getContact(sandbox(), 7)).text).toBe(JSON.stringify({ data: contact7 }));
    expect((await call(sandbox(), '/_sandbox/propel/records')).text).toBe(JSON.stringify({ records: [contact7], nextCursor: null }));
  });
});
