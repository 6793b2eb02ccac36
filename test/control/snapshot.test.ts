// Snapshot restore through HTTP: all or nothing, any export size, and credential secrets withheld unless asked for.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_BODY_LIMIT, WITHHELD_SECRET, type Snapshot } from '../../src/core/control/state.js';
import type { Sandbox } from '../../src/sandbox.js';
import { bulk as coraBulk, coraSigned, getAccount, newAccount, DEMO_KEY as CORA_KEY } from '../../src/vendors/cora/cora.client.js';
import { copperCatalogue } from '../../src/vendors/copper/errors.js';
import { bulkCreate, bulkUpdate, getPerson } from '../../src/vendors/copper/copper.client.js';
import { bulk as mcBulk, contact, createCampaign, getContact as mcGetContact, putContact } from '../../src/vendors/mailingcore/mailingcore.client.js';
import { bulkById, bulkBySourceId, getContact as propelGetContact, requestToken } from '../../src/vendors/propel/propel.client.js';
import { VENDORS as REGISTERED } from '../../src/vendors/registry.js';
import { call, json, startSandbox, useSandbox } from '../helpers.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const VENDORS = REGISTERED.map((v) => v.name);
const NAMESPACES = ['', 'job-a'];
const DEMO_SECRETS = ['demo_secret', 'other_secret', 'copper_demo_token', 'mc_test_demo', 'cora_org_demo.demo_secret'];

const ok = async (what: string, p: Promise<{ status: number; text: string }>) => {
  const res = await p;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
};

/** Writes records through every vendor's bulk endpoint (and a few single-record calls), arms a fault, moves the clock. */
async function populate(sb: Sandbox, tag: string): Promise<void> {
  await ok('cora bulk', coraBulk(sb, {
    accounts: [
      newAccount(`${tag}C1`, { person: { name: { first: 'Ada', last: 'L' }, birthdate: '1815-12-10' }, address: { city: 'London' }, tags: ['a'], currentBalance: 12.5 }),
      newAccount(`${tag}C2`, { emailAddress: 'c2@example.com', originalCreditor: { name: 'Bank' } }),
    ],
  }));
  await ok('cora bulk ns', coraBulk(sb, { accounts: [newAccount(`${tag}C3`)] }, { headers: { 'x-sandbox-namespace': 'job-a' } }));
  await ok('cora patch', coraSigned(sb, `/external-api/accounts/${tag}C2`, { bucket: 'b1', metadata: { note: 'x' } }, { method: 'PATCH' }));
  const base = tag === 'A' ? 1 : 100;
  await ok('propel bulk/id', bulkById(sb, { contacts: [{ id: base, firstName: 'P', email: 'p@example.com', gender: 'F', dateOfBirth: '1990-01-01' }] }));
  await ok('propel bulk/sourceId', bulkBySourceId(sb, {
    contacts: [{ sourceId: base + 1, source: 'crm', language: 'EN', lastName: 'Q', parent: { id: base }, attributes: [{ class: 'user', name: 'TIER', type: 'text', value: 'gold' }] }],
  }));
  await ok('copper bulk_create', bulkCreate(sb, [
    {
      name: `${tag} Grace Hopper`,
      emails: [{ email: `${tag.toLowerCase()}grace@example.com`, category: 'work' }],
      phone_numbers: [{ number: '+1 555 0100', category: 'mobile' }],
      address: { city: 'Arlington' },
      tags: ['navy'],
      custom_fields: [{ custom_field_definition_id: 7, value: 'v' }],
    },
  ]));
  const people = (await call(sb, '/_sandbox/copper/records?limit=1000')).body.records as Array<{ id: number }>;
  await ok('copper bulk_update', bulkUpdate(sb, [{ id: people.at(-1)!.id, title: 'Rear Admiral' }]));
  await ok('mailingcore bulk', mcBulk(sb, { contacts: [contact(`${tag}M1`, { locale: 'en', optIn: true, attributes: { plan: 'pro' } }), contact(`${tag}M2`)] }));
  await ok('mailingcore put', putContact(sb, { email: `${tag}m3@example.com`, source: 'form' }));
  await ok('mailingcore campaign', createCampaign(sb, { name: `${tag} launch`, audienceFilter: { optIn: true }, templateLocales: ['en'] }));
  // Armed where the tests never send anything, so they stay armed and count nothing.
  await sb.admin.armFault({ vendor: 'cora', error: 'INTERNAL_ERROR', after: 100 });
  await sb.admin.armFault({ vendor: 'copper', method: 'POST', path: '/developer_api/v1/people/bulk_update', after: 100, rowErrors: { 0: Object.keys(copperCatalogue.rowErrors)[0]! } });
  await sb.admin.advanceClock(60_000);
}

/** Everything a restore could touch, read through the control API. */
async function stateOf(sb: Sandbox) {
  const records: Record<string, unknown> = {};
  for (const vendor of VENDORS) {
    for (const namespace of NAMESPACES) records[`${vendor}/${namespace}`] = (await call(sb, `/_sandbox/${vendor}/records?limit=1000&namespace=${namespace}`)).body;
  }
  return {
    records,
    credentials: (await call(sb, '/_sandbox/credentials')).body,
    clock: (await call(sb, '/_sandbox/clock')).body,
    faults: (await call(sb, '/_sandbox/faults')).body,
    journal: (await call(sb, '/_sandbox/requests?limit=10000')).body,
    rateLimits: (await call(sb, '/_sandbox/rate-limits')).body.mode,
    // Every table, secrets included: what the listings above do not show.
    tables: (await call(sb, '/_sandbox/snapshot?secrets=include')).body.tables,
  };
}

const exportText = async (sb: Sandbox, query = '') => (await call(sb, `/_sandbox/snapshot${query}`)).text;
const restore = (sb: Sandbox, body: unknown) => call(sb, '/_sandbox/snapshot', { method: 'POST', ...json(body) });

/** The demo credentials of every vendor still open their vendor's API. */
async function expectDemoCredentialsWork(sb: Sandbox): Promise<void> {
  expect((await getAccount(sb, 'NOPE', CORA_KEY)).body.code).toBe('ACCOUNT_NOT_FOUND');
  expect((await requestToken(sb)).status).toBe(200);
  expect((await getPerson(sb, 999_999)).status).toBe(404);
  expect((await mcGetContact(sb, 'nope')).status).toBe(404);
}

describe('POST /_sandbox/snapshot refuses a bad document whole', () => {
  type Mutation = (s: Snapshot) => void;
  const row = (s: Snapshot, table: string, i = 0) => s.tables[table]![i]!;
  const coraData = (s: Snapshot, edit: (account: Record<string, unknown>) => void) => {
    const account = JSON.parse(row(s, 'cora_accounts').data as string) as Record<string, unknown>;
    edit(account);
    row(s, 'cora_accounts').data = JSON.stringify(account);
  };
  const cases: Array<[string, Mutation, string]> = [
    ['a clock that is no instant', (s) => (s.clock.now = 'nope'), 'clock.now: not a valid instant'],
    ['a clock in year 10000', (s) => (s.clock.now = '+010000-01-01T00:00:00.000Z'), "clock.now: +010000-01-01T00:00:00.000Z is outside the clock's range"],
    ['a clock frozen as a string', (s) => ((s.clock as Record<string, unknown>).frozen = 'yes'), 'clock.frozen:'],
    ['a numeric fault id', (s) => ((s.faults[0] as Record<string, unknown>).id = 7), 'faults.0.id:'],
    ['a fault id of another form', (s) => (s.faults[0]!.id = 'fault-1'), 'faults.0.id: must look like flt_<digits>'],
    ['a duplicate fault id', (s) => (s.faults[1]!.id = s.faults[0]!.id), 'faults.1.id: duplicate fault id'],
    ['a fault action "boom"', (s) => ((s.faults[0] as Record<string, unknown>).action = 'boom'), 'faults.0.action:'],
    ['a fault delay of 1e9 ms', (s) => (s.faults[0]!.action = { delayMs: 1e9 }), 'faults.0.action.delayMs: Too big'],
    ['a fault of an unknown vendor', (s) => (s.faults[0]!.vendor = 'nope'), 'faults.0.vendor: unknown vendor nope'],
    ['a fault error the vendor lacks', (s) => (s.faults[0]!.action = { error: 'BOOM' }), 'faults.0: BOOM is not a cora error'],
    [
      'a fault error a route it reaches does not document',
      (s) => (s.faults[0]!.action = { error: 'NOT_FOUND' }),
      'faults.0: NOT_FOUND (404) is not documented on POST /external-api/accounts/bulk-upsert, GET /external-api/accounts, GET /external-api/accounts/:externalId, PATCH /external-api/accounts/:externalId',
    ],
    ['a fault row error the vendor lacks', (s) => (s.faults[1]!.action = { rowErrors: { 0: 'BOOM' } }), 'faults.1: BOOM is not a copper row error'],
    ['a negative fault counter', (s) => (s.faults[0]!.remaining = -1), 'faults.0.remaining:'],
    ['an unknown fault field', (s) => ((s.faults[0] as Record<string, unknown>).extra = 1), 'faults.0: Unrecognized key'],
    ['an empty journal entry', (s) => (s.journal[0] = {} as never), 'journal.0.id:'],
    ['a journal entry of an unknown vendor', (s) => (s.journal[0]!.vendor = 'nope'), 'journal.0.vendor: unknown vendor nope'],
    ['a journal status of 42', (s) => (s.journal[0]!.status = 42), 'journal.0.status:'],
    ['a journal time that is no ISO time', (s) => (s.journal[0]!.time = 'yesterday'), 'journal.0.time:'],
    ['a duplicate journal id', (s) => (s.journal[1]!.id = s.journal[0]!.id), 'journal.1.id: ids must be unique and ascending'],
    ['an unknown top-level key', (s) => ((s as Record<string, unknown>).extra = 1), '(body): Unrecognized key'],
    ['an unknown table', (s) => (s.tables.evil = []), 'tables.evil: unknown table'],
    ['an unknown column', (s) => (row(s, 'cora_accounts')['x"); DROP TABLE credentials; --'] = 1), 'tables.cora_accounts.0.x"); DROP TABLE credentials; --: unknown column'],
    ['a missing NOT NULL column', (s) => delete row(s, 'cora_accounts').tenant, 'tables.cora_accounts.0.tenant: required'],
    ['a null in a NOT NULL column', (s) => (row(s, 'cora_accounts').created_at = null), 'tables.cora_accounts.0.created_at: must not be null'],
    ['a number in a TEXT column', (s) => (row(s, 'cora_accounts').external_id = 5), 'tables.cora_accounts.0.external_id: must be a string'],
    ['a string in an INTEGER column', (s) => (row(s, 'propel_contacts').id = '7'), 'tables.propel_contacts.0.id: must be an integer'],
    ['a fraction in an INTEGER column', (s) => (row(s, 'mailingcore_contacts').seq = 1.5), 'tables.mailingcore_contacts.0.seq: must be an integer'],
    ['data that is not JSON', (s) => (row(s, 'cora_accounts', 1).data = '{nope'), 'tables.cora_accounts.1.data: must be JSON text'],
    ['data that is a JSON array', (s) => (row(s, 'copper_people').data = '[1]'), 'tables.copper_people.0.data: must be a JSON object'],
    ['an account without tags', (s) => coraData(s, (a) => delete a.tags), 'tables.cora_accounts.0.data.tags:'],
    ['an account with an unknown field', (s) => coraData(s, (a) => (a.extra = 1)), 'tables.cora_accounts.0.data: Unrecognized key'],
    ['a person whose name is a number', (s) => (row(s, 'copper_people').data = JSON.stringify({ ...JSON.parse(row(s, 'copper_people').data as string), name: 5 })), 'tables.copper_people.0.data.name:'],
    ['a contact whose attributes are a list', (s) => (row(s, 'mailingcore_contacts').data = JSON.stringify({ ...JSON.parse(row(s, 'mailingcore_contacts').data as string), attributes: [] })), 'tables.mailingcore_contacts.0.data.attributes:'],
    ['a propel contact with a string id', (s) => (row(s, 'propel_contacts').data = JSON.stringify({ ...JSON.parse(row(s, 'propel_contacts').data as string), id: 'x' })), 'tables.propel_contacts.0.data.id:'],
    ['a campaign without a name', (s) => (row(s, 'mailingcore_campaigns').data = '{}'), 'tables.mailingcore_campaigns.0.data.name:'],
    ['a credential of an unknown vendor', (s) => (row(s, 'credentials').vendor = 'nope'), 'tables.credentials.0.vendor: unknown vendor nope'],
    ['a credential revoked = 2', (s) => (row(s, 'credentials').revoked = 2), 'tables.credentials.0.revoked: must be 0 or 1'],
    ['credential data that is a JSON string', (s) => (row(s, 'credentials').data = '"x"'), 'tables.credentials.0.data: must be a JSON object'],
    ['two rows with one key', (s) => s.tables.cora_accounts!.push({ ...row(s, 'cora_accounts') }), 'tables.cora_accounts.'],
    ['two credentials with one key', (s) => s.tables.credentials!.push({ ...row(s, 'credentials') }), 'tables.credentials.'],
  ];

  it.each(cases)('refuses %s with 400 naming it, and changes nothing', async (_name, mutate, issue) => {
    await populate(sandbox(), 'A');
    const snapshot = JSON.parse(await exportText(sandbox())) as Snapshot;
    // The state moves on after the export, so a restore that half happened would show.
    await populate(sandbox(), 'B');
    await sandbox().admin.setRateLimits('vendor');
    const before = await stateOf(sandbox());
    mutate(snapshot);

    const res = await restore(sandbox(), snapshot);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.issues, JSON.stringify(res.body)).toEqual(expect.arrayContaining([expect.stringContaining(issue)]));
    expect(await stateOf(sandbox())).toEqual(before);
  });

  it('names a constraint a row breaks inside the transaction with the table, not 500', async () => {
    await populate(sandbox(), 'A');
    const snapshot = JSON.parse(await exportText(sandbox())) as Snapshot;
    await populate(sandbox(), 'B');
    const before = await stateOf(sandbox());
    snapshot.tables.copper_person_emails!.push({ ...snapshot.tables.copper_person_emails![0]! });
    const res = await restore(sandbox(), snapshot);
    expect(res.status).toBe(400);
    // The engine's own words: SQLite's, or PostgreSQL's in shared mode.
    const unique = '(UNIQUE constraint failed|duplicate key value violates unique constraint)';
    expect(res.body.error.message).toMatch(new RegExp(`^Snapshot table copper_person_emails breaks a constraint: ${unique}`));
    expect(res.body.error.issues).toEqual([expect.stringMatching(new RegExp(`^tables\\.copper_person_emails\\.\\d+: ${unique}`))]);
    expect(await stateOf(sandbox())).toEqual(before);
  });

  it('caps the issues it lists, saying how many more there were', async () => {
    await populate(sandbox(), 'A');
    const snapshot = JSON.parse(await exportText(sandbox())) as Snapshot;
    snapshot.tables.cora_accounts = Array.from({ length: 80 }, (_, i) => ({ ...snapshot.tables.cora_accounts![0]!, external_id: i }));
    const res = await restore(sandbox(), snapshot);
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toHaveLength(51);
    expect(res.body.error.issues.at(-1)).toBe('... and 30 more');
  });
});

describe('POST /_sandbox/snapshot restores any export', () => {
  it('restores records written through every vendor, exactly, and the vendors read them back', async () => {
    await populate(sandbox(), 'A');
    await populate(sandbox(), 'B');
    const text = await exportText(sandbox());
    const before = await stateOf(sandbox());
    await call(sandbox(), '/_sandbox/reset', { method: 'POST', ...json({}) });
    await sandbox().admin.setClock({ set: 0 });

    const res = await restore(sandbox(), JSON.parse(text));
    expect(res.status, res.text).toBe(200);
    expect(await exportText(sandbox())).toBe(text);
    expect(await stateOf(sandbox())).toEqual(before);
    expect((await getAccount(sandbox(), 'AC1')).body.account).toMatchObject({ externalId: 'AC1', person: { name: { first: 'Ada' } } });
    expect((await propelGetContact(sandbox(), { sourceId: 2, source: 'crm', language: 'EN' })).body.data).toMatchObject({ lastName: 'Q' });
    const mcContact = await mcGetContact(sandbox(), 'AM1');
    expect(mcContact.status).toBe(200);
    expect(mcContact.text).toContain('"plan":"pro"');
  });

  it('takes an export above the sandbox body limit (here > 12 MB at the default 10 MiB)', async () => {
    const blob = 'x'.repeat(6000);
    for (let batch = 0; batch < 3; batch++) {
      const records = Array.from({ length: 700 }, (_, i) => newAccount(`BIG${batch}_${i}`, { metadata: { filenumber: `F${i}`, blob } }));
      const seeded = await call(sandbox(), '/_sandbox/seed', { method: 'POST', ...json({ cora: { records: { org_demo: records } } }) });
      expect(seeded.status, seeded.text).toBe(200);
    }
    const text = await exportText(sandbox());
    expect(Buffer.byteLength(text)).toBeGreaterThan(12_000_000);
    await call(sandbox(), '/_sandbox/reset', { method: 'POST', ...json({}) });
    expect((await call(sandbox(), '/_sandbox/cora/records?limit=1')).body.records).toEqual([]);

    const res = await call(sandbox(), '/_sandbox/snapshot', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    expect(res.status, res.text.slice(0, 500)).toBe(200);
    expect(res.body.rows).toBeGreaterThan(2100);
    expect(await exportText(sandbox())).toBe(text);
  }, 20_000);

  it('restores a journal of many large entries whole and in order, one holding NUL in its path and namespace, and numbers new requests after them', async () => {
    const snapshot = JSON.parse(await exportText(sandbox())) as Snapshot;
    // 150 entries of 20 kB: more than one statement's worth on PostgreSQL (core/shared-state.ts GROUP_ENTRIES, GROUP_CHARS).
    snapshot.journal = Array.from({ length: 150 }, (_, i) => ({
      id: 1000 + i * 2,
      time: '2026-01-15T10:00:00.000Z',
      vendor: 'cora',
      namespace: i === 70 ? 'n\u0000s' : '',
      tenant: 'org_demo',
      method: 'POST',
      path: i === 70 ? '/external-api/accounts/a\u0000b' : '/external-api/accounts/bulk-upsert',
      operationId: null,
      requestHeaders: { 'content-type': 'application/json' },
      requestBody: { accounts: [{ externalId: `J${i}`, note: 'x'.repeat(20_000) }] },
      status: 200,
      responseHeaders: { 'content-type': 'application/json' },
      responseBody: { summary: { created: 1 } },
      durationMs: 1.5,
      error: null,
      rowErrors: [],
      fault: null,
    }));
    const res = await restore(sandbox(), snapshot);
    expect(res.status, res.text).toBe(200);
    const restored = (JSON.parse(await exportText(sandbox())) as Snapshot).journal;
    expect(restored).toEqual(snapshot.journal);
    expect((await call(sandbox(), '/_sandbox/requests/count')).body.count).toBe(150);
    const next = await coraBulk(sandbox(), { accounts: [newAccount('after-restore')] });
    expect(next.status, next.text).toBe(200);
    expect(Number(next.headers.get('x-sandbox-request-id'))).toBeGreaterThan(1298);
  });

  it(`answers 413 for a body above ${SNAPSHOT_BODY_LIMIT} bytes, before reading it`, async () => {
    const url = new URL(`${sandbox().url}/_sandbox/snapshot`);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(SNAPSHOT_BODY_LIMIT + 1) } },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => {
            resolve({ status: response.statusCode ?? 0, body });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      req.write('{');
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: `Request body exceeds the ${SNAPSHOT_BODY_LIMIT}-byte limit` } });
  });
});

describe('credential secrets in snapshots', () => {
  it('are withheld from GET /_sandbox/snapshot, and a restore takes the secrets the sandbox holds', async () => {
    await populate(sandbox(), 'A');
    const text = await exportText(sandbox());
    for (const secret of DEMO_SECRETS) expect(text).not.toContain(secret);
    const snapshot = JSON.parse(text) as Snapshot;
    expect(snapshot.tables.credentials!.length).toBeGreaterThan(5);
    expect(snapshot.tables.credentials!.every((c) => c.secret === WITHHELD_SECRET)).toBe(true);
    const withSecrets = await call(sandbox(), '/_sandbox/snapshot?secrets=include');
    for (const secret of ['demo_secret', 'other_secret', 'copper_demo_token', 'mc_test_demo']) expect(withSecrets.text).toContain(secret);

    await call(sandbox(), '/_sandbox/reset', { method: 'POST', ...json({}) });
    const res = await restore(sandbox(), snapshot);
    expect(res.status, res.text).toBe(200);
    expect(await exportText(sandbox(), '?secrets=include')).toBe(withSecrets.text);
    await expectDemoCredentialsWork(sandbox());
  });

  it('refuses a withheld secret of a credential the sandbox does not hold, listing it, and changes nothing', async () => {
    await populate(sandbox(), 'A');
    const snapshot = JSON.parse(await exportText(sandbox())) as Snapshot;
    snapshot.tables.credentials!.push({ ...snapshot.tables.credentials!.find((c) => c.vendor === 'cora')!, id: 'ghost' });
    await populate(sandbox(), 'B');
    const before = await stateOf(sandbox());
    const res = await restore(sandbox(), snapshot);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.message).toBe(
      'Snapshot withholds the secrets of credentials this sandbox does not hold: cora/ghost. Create them first (POST /_sandbox/credentials), or export with GET /_sandbox/snapshot?secrets=include.',
    );
    expect(res.body.error.issues).toEqual([expect.stringMatching(/^tables\.credentials\.\d+\.secret: withheld/)]);
    expect(await stateOf(sandbox())).toEqual(before);
  });

  it('travel with ?secrets=include onto a fresh sandbox without demo credentials; withheld, they cannot', async () => {
    await populate(sandbox(), 'A');
    const full = await exportText(sandbox(), '?secrets=include');
    const withheld = JSON.parse(await exportText(sandbox())) as Snapshot;
    const fresh = await startSandbox({ demo: false, rateLimits: 'off' });
    try {
      const refused = await restore(fresh, withheld);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('cora/cora_org_demo, cora/cora_org_other');
      expect((await call(fresh, '/_sandbox/credentials')).body).toEqual({ credentials: [] });

      const res = await restore(fresh, JSON.parse(full));
      expect(res.status, res.text).toBe(200);
      expect(await exportText(fresh, '?secrets=include')).toBe(full);
      await expectDemoCredentialsWork(fresh);
    } finally {
      await fresh.close();
    }
  });

  it('?secrets= takes only include', async () => {
    const res = await call(sandbox(), '/_sandbox/snapshot?secrets=yes');
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([expect.stringContaining('secrets:')]);
  });
});
