// Isolation matrix: every vendor endpoint, called as another tenant or from another namespace, never reaches the data.
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { call, useSandbox, type JsonResponse } from '../helpers.js';
import { bulk as coraBulk, coraSigned, DEMO_KEY as CORA_DEMO, getAccount, newAccount, OTHER_KEY as CORA_OTHER } from '../../src/vendors/cora/cora.client.js';
import { DEMO_CLIENT, OTHER_CLIENT, propelCall, token } from '../../src/vendors/propel/propel.client.js';
import { copper, DEMO as COPPER_DEMO, OTHER as COPPER_OTHER } from '../../src/vendors/copper/copper.client.js';
import { mc, DEMO_KEY as MC_DEMO, OTHER_KEY as MC_OTHER, OTHER_TENANT } from '../../src/vendors/mailingcore/mailingcore.client.js';

const MARKER = 'isolation-marker-7f3a';
const OTHER_NS = { 'x-sandbox-namespace': 'someone-else' };

/** Who probes: another tenant in the owner's namespace, or the owner's own credentials in another namespace. */
type Who = 'otherTenant' | 'otherNamespace';
interface Probe {
  name: string;
  run(sandbox: Sandbox, who: Who): Promise<JsonResponse>;
  /** Statuses that mean "not found / forbidden / not yours" for this probe (a write into one's own tenant counts). */
  denied: number[];
}
interface VendorCase {
  vendor: string;
  /** Creates the owner's record (with MARKER) and returns a reader of it as the owner sees it. */
  setup(sandbox: Sandbox): Promise<() => Promise<JsonResponse>>;
  probes: Probe[];
}

let coraId = '';
const cora: VendorCase = {
  vendor: 'cora',
  async setup(sandbox) {
    expect((await coraBulk(sandbox, { accounts: [newAccount('ISO1', { bucket: MARKER })] })).status).toBe(200);
    coraId = 'ISO1';
    return () => getAccount(sandbox, 'ISO1');
  },
  probes: [
    {
      name: 'GET one',
      denied: [404],
      run: (sb, who) =>
        call(sb, `/cora/external-api/accounts/${coraId}`, {
          headers: { authorization: `Bearer ${who === 'otherTenant' ? CORA_OTHER : CORA_DEMO}`, ...(who === 'otherNamespace' ? OTHER_NS : {}) },
        }),
    },
    {
      name: 'GET many',
      denied: [200],
      run: (sb, who) =>
        call(sb, `/cora/external-api/accounts?externalIds=${coraId}`, {
          headers: { authorization: `Bearer ${who === 'otherTenant' ? CORA_OTHER : CORA_DEMO}`, ...(who === 'otherNamespace' ? OTHER_NS : {}) },
        }),
    },
    {
      name: 'PATCH',
      denied: [404],
      run: (sb, who) =>
        coraSigned(sb, `/external-api/accounts/${coraId}`, { bucket: 'HACKED' }, {
          method: 'PATCH',
          key: who === 'otherTenant' ? CORA_OTHER : CORA_DEMO,
          headers: who === 'otherNamespace' ? OTHER_NS : {},
        }),
    },
    {
      name: 'bulk upsert of the same externalId',
      denied: [200],
      run: (sb, who) =>
        coraBulk(sb, { accounts: [newAccount(coraId, { bucket: 'HACKED' })] }, { key: who === 'otherTenant' ? CORA_OTHER : CORA_DEMO, headers: who === 'otherNamespace' ? OTHER_NS : {} }),
    },
  ],
};

let propelId = 0;
const propelAs = async (sb: Sandbox, who: Who) => ({
  token: await token(sb, who === 'otherTenant' ? OTHER_CLIENT : DEMO_CLIENT),
  headers: who === 'otherNamespace' ? OTHER_NS : {},
});
const propel: VendorCase = {
  vendor: 'propel',
  async setup(sandbox) {
    const res = await propelCall(sandbox, 'POST', '/contacts/bulk/sourceId', { contacts: [{ sourceId: 'ISO-S', source: 'ERP', firstName: MARKER }] });
    expect(res.status).toBe(200);
    propelId = res.body.data[0].id;
    return () => propelCall(sandbox, 'GET', `/contacts/id/${propelId}`);
  },
  probes: [
    { name: 'GET by id', denied: [404], run: async (sb, who) => propelCall(sb, 'GET', `/contacts/id/${propelId}`, undefined, await propelAs(sb, who)) },
    { name: 'GET by sourceId', denied: [404], run: async (sb, who) => propelCall(sb, 'GET', '/contacts/sourceId/ISO-S?source=ERP', undefined, await propelAs(sb, who)) },
    { name: 'PATCH', denied: [404], run: async (sb, who) => propelCall(sb, 'PATCH', `/contacts/id/${propelId}`, { firstName: 'HACKED' }, await propelAs(sb, who)) },
    { name: 'DELETE', denied: [404], run: async (sb, who) => propelCall(sb, 'DELETE', `/contacts/id/${propelId}`, undefined, await propelAs(sb, who)) },
    {
      name: 'bulk by id of the same id',
      denied: [200],
      run: async (sb, who) => propelCall(sb, 'POST', '/contacts/bulk/id', { contacts: [{ id: propelId, firstName: 'HACKED' }] }, await propelAs(sb, who)),
    },
  ],
};

let copperId = 0;
const copperAs = (who: Who) => ({ as: who === 'otherTenant' ? COPPER_OTHER : COPPER_DEMO, headers: who === 'otherNamespace' ? OTHER_NS : {} });
const copperCase: VendorCase = {
  vendor: 'copper',
  async setup(sandbox) {
    const res = await copper(sandbox, '/people', { name: `Iso ${MARKER}`, emails: [{ email: 'iso@example.com', category: 'work' }] });
    expect(res.status).toBe(200);
    copperId = res.body.id;
    return () => copper(sandbox, `/people/${copperId}`);
  },
  probes: [
    { name: 'GET', denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}`, undefined, copperAs(who)) },
    { name: 'PUT', denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}`, { name: 'HACKED' }, { ...copperAs(who), method: 'PUT' }) },
    { name: 'DELETE', denied: [404], run: (sb, who) => copper(sb, `/people/${copperId}`, undefined, { ...copperAs(who), method: 'DELETE' }) },
    { name: 'fetch_by_email', denied: [404], run: (sb, who) => copper(sb, '/people/fetch_by_email', { email: 'iso@example.com' }, copperAs(who)) },
    { name: 'search', denied: [200], run: (sb, who) => copper(sb, '/people/search', { emails: ['iso@example.com'] }, copperAs(who)) },
    { name: 'bulk_update of the same id', denied: [200], run: (sb, who) => copper(sb, '/people/bulk_update', { people: [{ id: copperId, name: 'HACKED' }] }, copperAs(who)) },
  ],
};

let mcId = '';
const mcAs = (who: Who) => (who === 'otherTenant' ? { key: MC_OTHER } : { headers: OTHER_NS });
const mailingcore: VendorCase = {
  vendor: 'mailingcore',
  async setup(sandbox) {
    const res = await mc(sandbox, 'PUT', '/contacts', { email: 'iso@example.com', externalId: 'ISO-EXT', source: MARKER });
    expect(res.status).toBe(200);
    mcId = res.body.id;
    return () => mc(sandbox, 'GET', `/contacts/${mcId}`);
  },
  probes: [
    { name: 'GET by id', denied: [404], run: (sb, who) => mc(sb, 'GET', `/contacts/${mcId}`, undefined, mcAs(who)) },
    { name: 'GET by externalId', denied: [404], run: (sb, who) => mc(sb, 'GET', '/contacts/ISO-EXT', undefined, mcAs(who)) },
    { name: 'GET list', denied: [200], run: (sb, who) => mc(sb, 'GET', '/contacts?limit=500', undefined, mcAs(who)) },
    { name: 'PATCH', denied: [404], run: (sb, who) => mc(sb, 'PATCH', `/contacts/${mcId}`, { optIn: true, source: 'HACKED' }, mcAs(who)) },
    { name: 'DELETE', denied: [404], run: (sb, who) => mc(sb, 'DELETE', '/contacts/ISO-EXT', undefined, mcAs(who)) },
    { name: 'bulk of the same externalId', denied: [200], run: (sb, who) => mc(sb, 'POST', '/contacts/bulk', { contacts: [{ email: 'iso@example.com', externalId: 'ISO-EXT', source: 'HACKED' }] }, mcAs(who)) },
    {
      name: "the owner's key naming the other tenant",
      denied: [403],
      run: (sb) => mc(sb, 'GET', `/contacts/${mcId}`, undefined, { key: MC_DEMO, tenant: OTHER_TENANT }),
    },
  ],
};

const sandbox = useSandbox({ rateLimits: 'off' });

describe.each([cora, propel, copperCase, mailingcore].map((v) => [v.vendor, v] as const))('%s isolation', (_, vendorCase) => {
  it.each(['otherTenant', 'otherNamespace'] as const)('as %s: every endpoint answers not-found or forbidden, and the data stays', async (who) => {
    const readOwn = await vendorCase.setup(sandbox());
    const before = await readOwn();
    expect(before.text).toContain(MARKER);
    for (const probe of vendorCase.probes) {
      const res = await probe.run(sandbox(), who);
      expect(probe.denied, `${probe.name}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
      expect(res.text, probe.name).not.toContain(MARKER);
    }
    const after = await readOwn();
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
  });
});
