// What the fuzzer knows of each vendor's bulk endpoint: how to call it, a valid body, and what it reports created.
import fc from 'fast-check';
import type { Sandbox } from '../../src/sandbox.js';
import { call, type JsonResponse } from '../helpers.js';
import { BULK_PATH, coraSigned } from '../../src/vendors/cora/cora.client.js';
import { token } from '../../src/vendors/propel/propel.client.js';
import { copperHeaders } from '../../src/vendors/copper/copper.client.js';

export interface FuzzTarget {
  vendor: string;
  /** Tenant the target writes as (records are counted there). */
  tenant: string;
  method: string;
  /** The vendor path as its routes declare it. */
  routePath: string;
  /** A body the vendor accepts. */
  validBody: fc.Arbitrary<unknown>;
  /** Sends raw text with valid credentials, or with the given header overrides. */
  send(sandbox: Sandbox, text: string, headers: Record<string, string>): Promise<JsonResponse>;
  /** Auth headers worth mutating, with their valid values. */
  authHeaders(sandbox: Sandbox): Promise<Record<string, string>>;
  /** How many new records the response says were written. */
  created(res: JsonResponse): number;
}

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom('example.com', 'test.org')).map(([u, d]) => `${u}@${d}`);

const cora: FuzzTarget = {
  vendor: 'cora',
  tenant: 'org_demo',
  method: 'POST',
  routePath: BULK_PATH,
  validBody: fc.record({
    dryRun: fc.boolean(),
    accounts: fc.array(
      fc.record({
        externalId: id,
        phoneNumber: fc.constant('+15555550111'),
        portfolioId: id,
        metadata: fc.record({ filenumber: id, note: fc.string() }),
        currentBalance: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()),
        tags: fc.array(fc.string(), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  send: (sandbox, text, headers) => coraSigned(sandbox, BULK_PATH, text, { headers }),
  authHeaders: async () => ({ authorization: 'Bearer cora_org_demo.demo_secret', 'x-cora-timestamp': '', 'x-cora-signature': '' }),
  created: (res) => (res.status === 200 && res.body?.dryRun === false ? res.body.summary.created : 0),
};

const propelTokens = new WeakMap<Sandbox, string>();
const propelToken = async (sandbox: Sandbox) => {
  let t = propelTokens.get(sandbox);
  if (!t) propelTokens.set(sandbox, (t = await token(sandbox)));
  return t;
};

const propel: FuzzTarget = {
  vendor: 'propel',
  tenant: 'propel_demo',
  method: 'POST',
  routePath: '/v2/contacts/bulk/id',
  validBody: fc.record({
    contacts: fc.array(
      fc.record({ id: fc.integer({ min: 1, max: 5000 }), firstName: fc.string({ maxLength: 20 }), email, gender: fc.constantFrom('M', 'F', 'U') }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  async send(sandbox, text, headers) {
    return call(sandbox, '/propel/v2/contacts/bulk/id', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await propelToken(sandbox)}`, ...headers },
      body: text,
    });
  },
  authHeaders: async (sandbox) => ({ authorization: `Bearer ${await propelToken(sandbox)}` }),
  created: (res) => (res.status === 200 ? res.body.data.filter((d: { success: boolean; action: string }) => d.success && d.action === 'create').length : 0),
};

const copper: FuzzTarget = {
  vendor: 'copper',
  tenant: 'copper_demo',
  method: 'POST',
  routePath: '/developer_api/v1/people/bulk_create',
  validBody: fc.record({
    people: fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 30 }),
        emails: fc.array(fc.record({ email, category: fc.constantFrom('work', 'personal', 'other') }), { maxLength: 2 }),
        title: fc.option(fc.string(), { nil: null }),
      }),
      { minLength: 1, maxLength: 10 },
    ),
  }),
  send: (sandbox, text, headers) =>
    call(sandbox, '/copper/developer_api/v1/people/bulk_create', { method: 'POST', headers: { ...copperHeaders(), ...headers }, body: text }),
  authHeaders: async () => {
    const { 'content-type': _, ...auth } = copperHeaders();
    return auth;
  },
  created: (res) => (res.status === 200 && Array.isArray(res.body) ? res.body.filter((p: { success?: boolean }) => p.success !== false).length : 0),
};

const mailingcore: FuzzTarget = {
  vendor: 'mailingcore',
  tenant: 'tenant_demo',
  method: 'POST',
  routePath: '/contacts/bulk',
  validBody: fc.record({
    contacts: fc.array(
      fc.record({ email, externalId: fc.option(id, { nil: undefined }), locale: fc.constantFrom('es', 'en', 'it', 'fr', 'ca', 'de'), optIn: fc.boolean() }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  send: (sandbox, text, headers) =>
    call(sandbox, '/mailingcore/contacts/bulk', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer mc_test_demo', 'x-tenant-id': 'tenant_demo', ...headers },
      body: text,
    }),
  authHeaders: async () => ({ authorization: 'Bearer mc_test_demo', 'x-tenant-id': 'tenant_demo' }),
  created: (res) => (res.status === 200 ? res.body.created : 0),
};

export const FUZZ_TARGETS: readonly FuzzTarget[] = [cora, propel, copper, mailingcore];
