// Every OpenAPI document passes a third-party validator; documented examples, a broad request set per vendor and every fault a route documents get responses their document describes.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject, OperationObject } from 'openapi3-ts/oas31';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { documentedErrors } from '../src/core/errors.js';
import { SqliteStore } from '../src/core/sqlite-store.js';
import type { Sandbox } from '../src/sandbox.js';
import * as copper from '../src/vendors/copper/copper.client.js';
import * as cora from '../src/vendors/cora/cora.client.js';
import * as mc from '../src/vendors/mailingcore/mailingcore.client.js';
import * as propel from '../src/vendors/propel/propel.client.js';
import * as example from './example-vendor/example.client.js';
import { call, json, useSandbox, type JsonResponse } from './helpers.js';
import { kitFor, SUITE_VENDORS } from './kit/vendor-kit.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

const store = new SqliteStore(':memory:');
// The registered vendors and the example vendor built from the kit (test/example-vendor).
const { documents, vendors } = await createApp({ store, vendors: SUITE_VENDORS });
const prefixOf = (name: string) => (name === 'sandbox' ? '/_sandbox' : vendors.find((v) => v.name === name)!.prefix);

describe('every document is valid OpenAPI 3.x (swagger-parser)', () => {
  for (const [name, doc] of Object.entries(documents)) {
    it(`${name}: validates, and every $ref resolves`, async () => {
      // validate() dereferences in place: give it a copy.
      const api = (await SwaggerParser.validate(structuredClone(doc) as never)) as unknown as OpenAPIObject;
      expect(api.openapi).toMatch(/^3\.1\./);
      expect(JSON.stringify(api)).not.toContain('"$ref"');
    });
  }
});

// ---- response validation against the documents, with a standard JSON-schema validator

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const docId = (name: string) => `https://bulk-sandbox.invalid/${name}.openapi.json`;
// OpenAPI 3.1 schemas are JSON Schema 2020-12: the whole document is added once, and each
// response schema is compiled as a reference into it, so `#/components/...` resolve as written.
for (const [name, doc] of Object.entries(documents)) ajv.addSchema({ ...structuredClone(doc), $id: docId(name) } as object);
const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
const compiled = new Map<string, ValidateFunction>();

interface Sent {
  status: number;
  contentType: string | null;
  text: string;
}

/** Fails unless the document lists the status for the operation and the body matches that response's schema. */
function expectDocumented(name: string, method: string, template: string, res: Sent): void {
  const op = (documents[name]!.paths![template] as Record<string, OperationObject>)[method]!;
  const label = `${name} ${method.toUpperCase()} ${template} answered ${res.status}`;
  const response = op.responses?.[String(res.status)] as { content?: Record<string, unknown> } | undefined;
  expect(response, `${label}: status not in the document (${Object.keys(op.responses ?? {}).join(', ')}); body ${res.text.slice(0, 300)}`).toBeDefined();
  if (!response!.content) {
    expect(res.text, `${label}: the document describes no body`).toBe('');
    return;
  }
  const type = res.contentType?.split(';')[0]!.trim() ?? '';
  const mediaKey = Object.keys(response!.content).find((k) => k.split(';')[0]!.trim() === type);
  expect(mediaKey, `${label}: content type ${type} not in the document (${Object.keys(response!.content).join(', ')})`).toBeDefined();
  const ref = `${docId(name)}#/${pointer('paths', template, method, 'responses', String(res.status), 'content', mediaKey!, 'schema')}`;
  let validate = compiled.get(ref);
  if (!validate) compiled.set(ref, (validate = ajv.compile({ $ref: ref })));
  const body = type.endsWith('json') ? JSON.parse(res.text) : res.text;
  const ok = validate(body);
  expect(ok, `${label}: body does not match its schema: ${ajv.errorsText(validate.errors)}\n${res.text.slice(0, 500)}`).toBe(true);
}

interface Operation {
  method: string;
  template: string;
  op: OperationObject;
  example?: unknown;
}
function operationsOf(doc: OpenAPIObject): Operation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([template, item]) =>
    Object.entries(item as Record<string, OperationObject>).map(([method, op]) => {
      const example = (op.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)?.content?.['application/json']?.example;
      return { method, template, op, ...(example !== undefined ? { example } : {}) };
    }),
  );
}

async function send(sandbox: Sandbox, name: string, method: string, vendorPath: string, body: unknown, auth: boolean): Promise<Sent> {
  const text = body === undefined ? '' : JSON.stringify(body);
  // How a real client of the vendor authenticates (the demo credentials), from its kit.
  const server = { fetch: (path: string, init?: RequestInit) => sandbox.fetch(path, init), now: () => sandbox.clock.now() };
  const headers: Record<string, string> = auth ? { ...(await kitFor(name).clientAuth(server, { method: method.toUpperCase(), path: vendorPath, body: text })) } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await sandbox.fetch(`${prefixOf(name)}${vendorPath}`, { method: method.toUpperCase(), headers, ...(body === undefined ? {} : { body: text }) });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe('documented examples replayed through the server', () => {
  const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

  for (const vendor of vendors) {
    it(`${vendor.name}: every example and every read of a stored record answers as its document says`, async () => {
      const doc = documents[vendor.name]!;
      const ops = operationsOf(doc);
      const examples = ops.filter((o) => o.example !== undefined);
      expect(examples.length, `${vendor.name} documents no request example`).toBeGreaterThan(0);

      // Writes first (they create what the reads then find); operations on one record use a record the examples stored.
      const replayed: string[] = [];
      const { records } = await sandbox().admin.records(vendor.name, { tenant: kitFor(vendor.name).tenant });
      expect(records).toEqual([]);
      // An example may legitimately answer an error (a lookup example naming a record the others did
      // not create): what must hold is that its document describes the answer.
      let succeeded = 0;
      for (const { method, template, example } of examples.filter((o) => !o.template.includes('{'))) {
        const res = await send(sandbox(), vendor.name, method, template, example, true);
        if (res.status < 300) succeeded++;
        expectDocumented(vendor.name, method, template, res);
        replayed.push(`${method} ${template}`);
      }
      expect(succeeded, `${vendor.name}: no example succeeded`).toBeGreaterThan(0);
      const stored = (await sandbox().admin.records(vendor.name, { tenant: kitFor(vendor.name).tenant })).records as Array<Record<string, unknown>>;
      expect(stored.length, `${vendor.name}: the examples stored nothing`).toBeGreaterThan(0);
      // Path parameters naming one stored record, from its kit.
      const values = kitFor(vendor.name).pathValues(stored[0]!);
      const withParams = ops.filter((o) => o.template.includes('{') && (o.example !== undefined || o.method === 'get'));
      for (const { method, template, example } of withParams) {
        // A parameter naming something other than a stored record (a campaign id) gets a value that exists nowhere: its 404 must be documented too.
        let known = true;
        const path = template.replace(/\{([^}]+)\}/g, (_, p: string) => encodeURIComponent(values[p] ?? ((known = false), 'missing')));
        const res = await send(sandbox(), vendor.name, method, path, example, true);
        if (known) expect(res.status, `${method} ${path} on a stored record: ${res.text.slice(0, 300)}`).toBeLessThan(300);
        expectDocumented(vendor.name, method, template, res);
        replayed.push(`${method} ${template}`);
      }

      // The same examples without credentials: the documented auth error, in the documented shape.
      for (const { method, template, example } of examples.filter((o) => !o.template.includes('{'))) {
        const res = await send(sandbox(), vendor.name, method, template, example, false);
        expect(res.status, `${method} ${template} without credentials`).toBeGreaterThanOrEqual(400);
        expectDocumented(vendor.name, method, template, res);
      }
      // An unknown path under the vendor's own route and a wrong method are answered in the documented shapes too.
      const first = examples.find((o) => !o.template.includes('{'))!;
      const wrong = await send(sandbox(), vendor.name, 'delete', first.template, undefined, true);
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expect(replayed.length).toBeGreaterThanOrEqual(examples.length);
    });
  }

  it('sandbox: the control API answers as its document says (what the dashboard reads)', async () => {
    const s = sandbox();
    // Some traffic first, so the journal, coverage and metrics have content to validate.
    await send(s, 'cora', 'post', '/external-api/accounts/bulk-upsert', operationsOf(documents.cora!).find((o) => o.example)!.example, true);
    await send(s, 'cora', 'get', '/external-api/accounts/NOPE', undefined, false);
    const calls: Array<[string, string, string, unknown?]> = [
      ['get', '/health', '/health'],
      ['get', '/openapi.json', '/openapi.json'],
      ['post', '/faults', '/faults', { vendor: 'cora', path: '/external-api/accounts/bulk-upsert', rowErrors: { 0: 'VALIDATION_ERROR' } }],
      ['post', '/faults', '/faults', { vendor: 'nope', error: 'X' }],
      ['post', '/faults', '/faults', { vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', error: 'RATE_LIMITED' }],
      ['get', '/faults', '/faults'],
      ['delete', '/faults', '/faults'],
      ['get', '/requests', '/requests?vendor=cora'],
      ['get', '/requests', '/requests?since=yesterday'],
      ['get', '/requests/count', '/requests/count?vendor=cora&operationId=coraBulkUpsertAccounts'],
      ['get', '/requests/count', '/requests/count?status=abc'],
      ['get', '/coverage', '/coverage'],
      ['get', '/metrics', '/metrics'],
      ['get', '/clock', '/clock'],
      ['post', '/clock', '/clock', { advanceMs: 1000 }],
      ['get', '/credentials', '/credentials'],
      ['get', '/rate-limits', '/rate-limits'],
      ['get', '/snapshot', '/snapshot'],
      ...vendors.map((v): [string, string, string] => ['get', '/{vendor}/records', `/${v.name}/records`]),
      ['post', '/reset', '/reset', {}],
      ['delete', '/requests', '/requests'],
    ];
    for (const [method, template, path, body] of calls) {
      const res = await sandbox().fetch(`/_sandbox${path}`, {
        method: method.toUpperCase(),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      expectDocumented('sandbox', method, template, { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() });
    }
  });
});

// ---- a broad request set per vendor: successes, partial successes, reads, and every request-level error the routes produce

/** One request of the set: the operation it must be documented under, the status it must get, and how to send it. */
type Case = [method: string, template: string, status: number, send: () => Promise<JsonResponse>];

const sentOf = (res: JsonResponse): Sent => ({ status: res.status, contentType: res.headers.get('content-type'), text: res.text });
const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

/** The requests of each vendor, sent in order (later ones read what earlier ones wrote), with the vendor's own test client. */
const BROAD: Record<string, (s: Sandbox) => Promise<Case[]>> = {
  async cora(s) {
    const B = '/external-api/accounts/bulk-upsert';
    const ONE = '/external-api/accounts/{externalId}';
    const MANY = '/external-api/accounts';
    const get = (path: string, key: string | null = cora.DEMO_KEY) => () => call(s, `/cora${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
    const patch = (id: string, body: unknown, options: cora.SignedCallOptions = {}) => () => cora.coraSigned(s, `/external-api/accounts/${id}`, body, { method: 'PATCH', ...options });
    return [
      ['post', B, 200, () => cora.bulk(s, { accounts: [cora.newAccount('V1'), cora.newAccount('V2')] })],
      // Partial success: a bad phone, an organizationId, a duplicate externalId fail alone.
      ['post', B, 200, () => cora.bulk(s, { accounts: [cora.newAccount('V3'), { externalId: 'V4', phoneNumber: '555' }, { externalId: 'V1', organizationId: 'o' }, cora.newAccount('V5'), cora.newAccount('V5')] })],
      ['post', B, 200, () => cora.bulk(s, { accounts: [cora.newAccount('V1', { bucket: 'b' })], dryRun: true, includeChanges: true })],
      ['post', B, 200, () => cora.bulk(s, { accounts: [{ externalId: 'V2', currentBalance: 9 }], includeChanges: true })],
      ['post', B, 400, () => cora.bulk(s, { accounts: [] })],
      ['post', B, 400, () => cora.bulk(s, { accounts: many(501, (i) => cora.newAccount(`L${i}`)) })],
      ['post', B, 400, () => cora.bulk(s, 'not json')],
      ['post', B, 400, () => cora.bulk(s, { accounts: 'x' })],
      ['post', B, 400, () => cora.bulk(s, { accounts: [cora.newAccount('V6')], dryRun: 'yes' })],
      ['post', B, 401, () => cora.bulk(s, { accounts: [cora.newAccount('V7')] }, { omit: ['signature'] })],
      ['post', B, 401, () => cora.bulk(s, { accounts: [cora.newAccount('V7')] }, { signature: '00' })],
      ['post', B, 401, () => cora.bulk(s, { accounts: [cora.newAccount('V7')] }, { timestamp: '1' })],
      ['post', B, 401, () => cora.bulk(s, { accounts: [cora.newAccount('V7')] }, { key: cora.REVOKED_KEY })],
      ['post', B, 401, () => cora.bulk(s, { accounts: [cora.newAccount('V7')] }, { key: 'cora_org_nope.secret' })],
      ['get', ONE, 200, get('/external-api/accounts/V1')],
      ['get', ONE, 404, get('/external-api/accounts/NOPE')],
      ['get', ONE, 401, get('/external-api/accounts/V1', null)],
      ['get', ONE, 401, get('/external-api/accounts/V1', cora.REVOKED_KEY)],
      ['get', MANY, 200, get('/external-api/accounts?externalIds=V1,V2,NOPE')],
      ['get', MANY, 400, get('/external-api/accounts')],
      ['get', MANY, 400, get(`/external-api/accounts?externalIds=${many(201, (i) => `X${i}`).join(',')}`)],
      ['get', MANY, 401, get('/external-api/accounts?externalIds=V1', 'cora_org_nope.x')],
      ['patch', ONE, 200, patch('V1', { currentBalance: 3 })],
      ['patch', ONE, 200, patch('V1', { update: { bucket: 'c' } })],
      ['patch', ONE, 404, patch('NOPE', { currentBalance: 3 })],
      ['patch', ONE, 400, patch('V1', { organizationId: 'o' })],
      ['patch', ONE, 400, patch('V1', { phoneNumber: 'bad' })],
      ['patch', ONE, 400, patch('V1', 'not json')],
      ['patch', ONE, 401, patch('V1', { currentBalance: 3 }, { omit: ['timestamp'] })],
    ];
  },
  async propel(s) {
    const TOKEN = '/oauth2/token';
    const BY_ID = '/v2/contacts/bulk/id';
    const BY_SOURCE = '/v2/contacts/bulk/sourceId';
    const ONE = '/v2/contacts/{lookupKey}/{lookupValue}';
    const form = (body: string) => () => call(s, '/propel/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const bearer = await propel.token(s);
    const at = (method: string, path: string, body?: unknown, token: string | null = bearer) => () => propel.propelCall(s, method, path, body, { token });
    const attr = (type: string, value: unknown) => ({ class: 'user', name: 'SCORE', type, value });
    return [
      ['post', TOKEN, 200, () => propel.requestToken(s)],
      ['post', TOKEN, 200, () => propel.requestToken(s, propel.DEMO_CLIENT, { basic: true })],
      ['post', TOKEN, 400, () => propel.requestToken(s, propel.DEMO_CLIENT, { grantType: 'password' })],
      ['post', TOKEN, 401, () => propel.requestToken(s, { clientId: 'demo_client', clientSecret: 'wrong' })],
      ['post', TOKEN, 400, () => call(s, '/propel/oauth2/token', { method: 'POST', ...json({ grant_type: 'client_credentials' }) })],
      ['post', TOKEN, 401, form('grant_type=client_credentials&client_id=nobody&client_secret=x')],
      ['post', BY_ID, 200, at('POST', '/contacts/bulk/id', { contacts: [{ id: 1, firstName: 'Ada' }, { id: 2, parent: { id: 999 } }, { id: 3, parent: { id: 1 } }] })],
      ['post', BY_SOURCE, 200, at('POST', '/contacts/bulk/sourceId', { contacts: [{ sourceId: 10, source: 'ERP', attributes: [attr('integer', 'x')] }, { sourceId: 11, source: 'ERP', attributes: [attr('text', 'ok')] }] })],
      ['post', BY_ID, 400, at('POST', '/contacts/bulk/id', { contacts: [] })],
      ['post', BY_ID, 400, at('POST', '/contacts/bulk/id', { contacts: [{ id: 4, company: 'x' }] })],
      ['post', BY_ID, 400, at('POST', '/contacts/bulk/id', { contacts: [{ firstName: 'no id' }] })],
      ['post', BY_ID, 400, at('POST', '/contacts/bulk/id', { contacts: many(1001, (i) => ({ id: i + 1 })) })],
      ['post', BY_ID, 400, at('POST', '/contacts/bulk/id', 'not json')],
      ['post', BY_SOURCE, 400, at('POST', '/contacts/bulk/sourceId', { contacts: [{ sourceId: 12 }] })],
      ['post', BY_ID, 401, at('POST', '/contacts/bulk/id', { contacts: [{ id: 5 }] }, null)],
      ['post', BY_ID, 401, at('POST', '/contacts/bulk/id', { contacts: [{ id: 5 }] }, 'forged')],
      ['get', ONE, 200, at('GET', '/contacts/id/1')],
      ['get', ONE, 200, at('GET', '/contacts/sourceId/11?source=ERP')],
      ['get', ONE, 404, at('GET', '/contacts/id/999')],
      ['get', ONE, 400, at('GET', '/contacts/bogus/1')],
      ['get', ONE, 400, at('GET', '/contacts/sourceId/11')],
      ['get', ONE, 401, at('GET', '/contacts/id/1', undefined, null)],
      ['patch', ONE, 200, at('PATCH', '/contacts/id/1', { lastName: 'Lovelace' })],
      ['patch', ONE, 404, at('PATCH', '/contacts/id/1', { parent: { id: 999 } })],
      ['patch', ONE, 404, at('PATCH', '/contacts/id/999', { lastName: 'X' })],
      ['patch', ONE, 400, at('PATCH', '/contacts/id/1', { company: 'x' })],
      ['delete', ONE, 200, at('DELETE', '/contacts/id/3')],
      ['delete', ONE, 404, at('DELETE', '/contacts/id/3')],
    ];
  },
  async copper(s) {
    const R = '/developer_api/v1';
    const person = (await copper.copper(s, '/people', { name: 'Base Person', emails: [{ email: 'base@example.com', category: 'work' }] })).body.id as number;
    const other = (await copper.copper(s, '/people', { name: 'Other Person' })).body.id as number;
    const activity = (await copper.createActivity(s, { parent: { type: 'person', id: person }, type: { category: 'user', id: 0 }, details: 'Called' })).body.id as number;
    const put = (id: number, body: unknown) => () => copper.copper(s, `/people/${id}`, body, { method: 'PUT' });
    return [
      ['post', `${R}/people/bulk_create`, 200, () => copper.bulkCreate(s, [{ name: 'Ada One', emails: [{ email: 'ada@example.com', category: 'work' }] }, { name: '' }, { name: 'Taken', emails: [{ email: 'base@example.com', category: 'work' }] }])],
      ['post', `${R}/people/bulk_create`, 200, () => copper.bulkCreate(s, [])],
      ['post', `${R}/people/bulk_create`, 422, () => copper.bulkCreate(s, many(11, (i) => ({ name: `P ${i}` })))],
      ['post', `${R}/people/bulk_create`, 422, () => copper.copper(s, '/people/bulk_create', { people: 'x' })],
      ['post', `${R}/people/bulk_create`, 400, () => copper.copper(s, '/people/bulk_create', 'not json')],
      ['post', `${R}/people/bulk_create`, 401, () => copper.bulkCreate(s, [{ name: 'X' }], { omit: ['token'] })],
      ['post', `${R}/people/bulk_update`, 200, () => copper.bulkUpdate(s, [{ id: person, title: 'CEO' }, { id: 999_999, title: 'x' }, { id: other, emails: [{ email: 'ada@example.com', category: 'work' }] }])],
      ['post', `${R}/people`, 200, () => copper.copper(s, '/people', { name: 'Single Person' })],
      ['post', `${R}/people`, 422, () => copper.copper(s, '/people', {})],
      ['post', `${R}/people/fetch_by_email`, 200, () => copper.copper(s, '/people/fetch_by_email', { email: 'base@example.com' })],
      ['post', `${R}/people/fetch_by_email`, 404, () => copper.copper(s, '/people/fetch_by_email', { email: 'nobody@example.com' })],
      ['post', `${R}/people/fetch_by_email`, 422, () => copper.copper(s, '/people/fetch_by_email', {})],
      ['post', `${R}/people/search`, 200, () => copper.search(s, { name: 'Person', sort_by: 'name' })],
      ['post', `${R}/people/search`, 422, () => copper.search(s, { page_size: 'x' })],
      ['post', `${R}/people/search`, 401, () => copper.search(s, {}, { application: 'other' })],
      ['get', `${R}/people/{id}`, 200, () => copper.getPerson(s, person)],
      ['get', `${R}/people/{id}`, 404, () => copper.getPerson(s, 999_999)],
      ['get', `${R}/people/{id}`, 404, () => copper.getPerson(s, 'abc')],
      ['put', `${R}/people/{id}`, 200, put(person, { title: 'CTO' })],
      ['put', `${R}/people/{id}`, 422, put(person, { name: '' })],
      ['put', `${R}/people/{id}`, 404, put(999_999, { title: 'x' })],
      ['post', `${R}/people/{id}/activities`, 200, () => copper.personActivities(s, person)],
      ['post', `${R}/people/{id}/activities`, 404, () => copper.personActivities(s, 999_999)],
      ['post', `${R}/people/{id}/activities`, 422, () => copper.personActivities(s, person, { page_size: 'x' })],
      ['post', `${R}/activities`, 200, () => copper.createActivity(s, { parent: { type: 'person', id: other }, type: { category: 'user', id: 0 }, details: 'Met' })],
      ['post', `${R}/activities`, 422, () => copper.createActivity(s, {})],
      ['get', `${R}/activities/{id}`, 200, () => copper.copper(s, `/activities/${activity}`)],
      ['get', `${R}/activities/{id}`, 404, () => copper.copper(s, '/activities/999999')],
      ['delete', `${R}/people/{id}`, 200, () => copper.copper(s, `/people/${other}`, undefined, { method: 'DELETE' })],
      ['delete', `${R}/people/{id}`, 404, () => copper.copper(s, `/people/${other}`, undefined, { method: 'DELETE' })],
    ];
  },
  async mailingcore(s) {
    const ONE = '/contacts/{idOrExternalId}';
    // PATCH takes the server id.
    const idOf = async (externalId: string) => (await mc.getContact(s, externalId)).body.id as string;
    const campaign = (await mc.createCampaign(s, { name: 'Launch', audienceFilter: { optIn: true }, templateLocales: ['en'] })).body.id as string;
    return [
      ['post', '/contacts/bulk', 200, () => mc.bulk(s, { contacts: [mc.contact('M1', { locale: 'en', optIn: true }), mc.contact('M2')] })],
      // Row failures: an externalId whose email belongs to another contact, and a repeated key.
      ['post', '/contacts/bulk', 200, () => mc.bulk(s, { contacts: [mc.contact('M3', { email: 'M1@example.com' }), mc.contact('M4'), mc.contact('M4')] })],
      ['post', '/contacts/bulk', 400, () => mc.bulk(s, { contacts: [] })],
      ['post', '/contacts/bulk', 400, () => mc.bulk(s, { contacts: many(1001, (i) => mc.contact(`L${i}`)) })],
      ['post', '/contacts/bulk', 400, () => mc.bulk(s, { contacts: [{ email: 'bad' }] })],
      ['post', '/contacts/bulk', 400, () => mc.bulk(s, 'not json')],
      ['post', '/contacts/bulk', 400, () => mc.bulk(s, { contacts: [mc.contact('M5')] }, { tenant: null })],
      ['post', '/contacts/bulk', 401, () => mc.bulk(s, { contacts: [mc.contact('M5')] }, { key: null })],
      ['post', '/contacts/bulk', 401, () => mc.bulk(s, { contacts: [mc.contact('M5')] }, { key: 'mc_test_nope' })],
      ['post', '/contacts/bulk', 403, () => mc.bulk(s, { contacts: [mc.contact('M5')] }, { key: mc.READONLY_KEY })],
      ['post', '/contacts/bulk', 403, () => mc.bulk(s, { contacts: [mc.contact('M5')] }, { tenant: mc.OTHER_TENANT })],
      ['put', '/contacts', 200, () => mc.putContact(s, { email: 'p1@example.com', externalId: 'P1' })],
      ['put', '/contacts', 409, () => mc.putContact(s, { email: 'M1@example.com', externalId: 'M2' })],
      ['put', '/contacts', 400, () => mc.putContact(s, { email: 'bad' })],
      ['get', '/contacts', 200, () => mc.listContacts(s, { limit: 2 })],
      ['get', '/contacts', 400, () => mc.listContacts(s, { limit: 1000 })],
      ['get', '/contacts', 400, () => mc.listContacts(s, { cursor: 'bad' })],
      ['get', ONE, 200, () => mc.getContact(s, 'M1')],
      ['get', ONE, 404, () => mc.getContact(s, 'NOPE')],
      ['patch', ONE, 200, async () => mc.patchContact(s, await idOf('M1'), { locale: 'fr' })],
      ['patch', ONE, 404, () => mc.patchContact(s, 'NOPE', { locale: 'fr' })],
      ['patch', ONE, 409, async () => mc.patchContact(s, await idOf('M1'), { email: 'M2@example.com' })],
      ['patch', ONE, 400, async () => mc.patchContact(s, await idOf('M1'), { locale: 'xx' })],
      ['delete', ONE, 200, () => mc.deleteContact(s, 'M2')],
      ['delete', ONE, 404, () => mc.deleteContact(s, 'M2')],
      ['post', '/campaigns', 201, () => mc.createCampaign(s, { name: 'Again', audienceFilter: { locale: 'en' } })],
      ['post', '/campaigns', 400, () => mc.createCampaign(s, {})],
      ['get', '/campaigns/{id}/locale-coverage', 200, () => mc.localeCoverage(s, campaign)],
      ['get', '/campaigns/{id}/locale-coverage', 404, () => mc.localeCoverage(s, 'NOPE')],
      ['get', '/campaigns/{id}/locale-coverage', 403, () => mc.localeCoverage(s, campaign, { key: mc.READONLY_KEY })],
    ];
  },
  async example(s) {
    const B = '/v1/contacts/bulk';
    return [
      ['post', B, 200, () => example.upsert(s, { contacts: [example.contact('e1'), { email: 'no-at' }, { email: 'e2@example.com', name: 7 }] })],
      ['post', B, 400, () => example.upsert(s, { contacts: [] })],
      ['post', B, 400, () => example.upsert(s, 'not json')],
      ['post', B, 401, () => example.upsert(s, { contacts: [example.contact('e3')] }, { token: 'wrong-token-x' })],
      ['get', '/v1/contacts/{email}', 200, () => example.getContact(s, 'e1@example.com')],
      ['get', '/v1/contacts/{email}', 404, () => example.getContact(s, 'none@example.com')],
      ['get', '/v1/contacts/{email}', 401, () => example.getContact(s, 'e1@example.com', { token: 'wrong-token-x' })],
    ];
  },
};

/** Requests that meet the vendor's own rate limit (the sandbox is switched to `vendor` limits first). */
const LIMITED: Record<string, (s: Sandbox) => Array<() => Promise<JsonResponse>>> = {
  cora: (s) => [() => cora.bulk(s, { accounts: [cora.newAccount('R1')] }), () => cora.bulk(s, { accounts: [cora.newAccount('R2')] })],
  copper: (s) => many(4, (i) => () => copper.bulkCreate(s, [{ name: `Rate ${i}` }])),
};
const LIMITED_AT: Record<string, [string, string]> = { cora: ['post', '/external-api/accounts/bulk-upsert'], copper: ['post', '/developer_api/v1/people/bulk_create'] };

describe('a broad request set per vendor: every answer is documented (status listed, body matching its schema)', () => {
  const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

  it('covers every vendor mounted', () => {
    expect(Object.keys(BROAD).sort()).toEqual(vendors.map((v) => v.name).sort());
  });

  for (const vendor of vendors) {
    it(`${vendor.name}: successes, partial successes, reads and request-level errors, each with the status it must get`, async () => {
      const s = sandbox();
      const cases = await BROAD[vendor.name]!(s);
      const operations = new Set<string>();
      for (const [method, template, status, send] of cases) {
        const res = await send();
        expect(res.status, `${method.toUpperCase()} ${template}: ${res.text.slice(0, 300)}`).toBe(status);
        expectDocumented(vendor.name, method, template, sentOf(res));
        operations.add(`${method} ${template}`);
      }
      // Every operation of the document is exercised, and the partial successes really failed rows.
      expect([...operations].sort()).toEqual(operationsOf(documents[vendor.name]!).map((o) => `${o.method} ${o.template}`).sort());
      const journal = await s.admin.requests({ vendor: vendor.name, limit: 1000 });
      expect(journal.some((e) => e.rowErrors.length > 0), 'some request failed single rows').toBe(true);

      // A malformed X-Sandbox-Namespace, which the core checks before any route runs: the vendor's answer to it is documented on every route.
      const server = { fetch: (path: string, init?: RequestInit) => s.fetch(path, init), now: () => s.clock.now() };
      for (const route of s.app.instances[vendor.name]!.routes) {
        const method = route.method.toUpperCase();
        const path = faultPath(route.path);
        const headers = { ...(await kitFor(vendor.name).clientAuth(server, { method, path, body: '' })), 'x-sandbox-namespace': 'not a namespace!' };
        const res = await s.fetch(`${vendor.prefix}${path}`, { method, headers });
        const sent = { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
        expect(sent.status, `${method} ${route.path} with a bad namespace: ${sent.text}`).toBeGreaterThanOrEqual(400);
        expect(sent.text).toContain('X-Sandbox-Namespace');
        expectDocumented(vendor.name, route.method, route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'), sent);
      }

      const limited = LIMITED[vendor.name];
      if (limited) {
        expect((await call(s, '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'vendor' }) })).status).toBe(200);
        const statuses: number[] = [];
        for (const send of limited(s)) {
          const res = await send();
          statuses.push(res.status);
          expectDocumented(vendor.name, ...LIMITED_AT[vendor.name]!, sentOf(res));
        }
        expect(statuses).toContain(429);
      }
    });
  }
});

// ---- faults: armed by name, each answers within its route's documented contract; elsewhere they are refused

/** A value for each path parameter: what the route's pattern matches (Propel's lookup key must be id or sourceId). */
const faultPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => (name === 'lookupKey' ? 'id' : '1'));

describe('faults armed by name: every route × every error it documents answers as documented; every other catalogue error is refused', () => {
  const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

  for (const vendor of vendors) {
    it(`${vendor.name}`, async () => {
      const s = sandbox();
      const catalogue = vendor.errors;
      const names = Object.keys(catalogue.errors);
      const routes = s.app.instances[vendor.name]!.routes;
      const server = { fetch: (path: string, init?: RequestInit) => s.fetch(path, init), now: () => s.clock.now() };
      let fired = 0;
      let refused = 0;
      for (const route of routes) {
        const method = route.method.toUpperCase();
        const template = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const path = faultPath(route.path);
        const documented = documentedErrors(route.errors, catalogue);
        for (const error of names) {
          const arm = () => call(s, '/_sandbox/faults', { method: 'POST', ...json({ vendor: vendor.name, method, path: route.path, error, times: 1 }) });
          if (!documented.includes(error)) {
            const res = await arm();
            expect([res.status, res.body.error?.code], `${error} on ${method} ${route.path}: ${res.text}`).toEqual([400, 'INVALID_REQUEST']);
            expect(res.body.error.message).toContain(`${error} (${catalogue.errors[error]!.status}) is not documented on ${method} ${route.path}`);
            refused++;
            continue;
          }
          // Credentials first: Propel's client fetches a token, which would meet a fault armed on its token route.
          const body = route.request?.body ? '{}' : '';
          const headers: Record<string, string> = { ...(await kitFor(vendor.name).clientAuth(server, { method, path, body })) };
          if (body) headers['content-type'] = 'application/json';
          expect((await arm()).status, `${error} on ${method} ${route.path}`).toBe(201);
          const res = await s.fetch(`${vendor.prefix}${path}`, { method, headers, ...(body ? { body } : {}) });
          const sent = { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
          expect(sent.status, `${error} on ${method} ${route.path}: ${sent.text}`).toBe(catalogue.errors[error]!.status);
          expectDocumented(vendor.name, route.method, template, sent);
          expect(await s.admin.faults(), `${error} on ${method} ${route.path} fired`).toEqual([]);
          fired++;
        }
      }
      expect(fired).toBe(routes.reduce((n, r) => n + documentedErrors(r.errors, catalogue).length, 0));
      expect(fired + refused).toBe(routes.length * names.length);
      // The generic ones are armed on every route at once.
      for (const error of catalogue.generic) {
        expect((await call(s, '/_sandbox/faults', { method: 'POST', ...json({ vendor: vendor.name, error }) })).status, error).toBe(201);
      }
    });
  }
});

describe('the validator itself', () => {
  it('rejects a response the document does not describe', () => {
    expect(() => expectDocumented('cora', 'get', '/external-api/accounts/{externalId}', { status: 200, contentType: 'application/json', text: '{"success":"yes"}' })).toThrow(
      /does not match its schema/,
    );
    expect(() => expectDocumented('cora', 'get', '/external-api/accounts/{externalId}', { status: 418, contentType: 'application/json', text: '{}' })).toThrow(
      /status not in the document/,
    );
  });
});
