// sourceId as the vendor pages type it, through HTTP: a number everywhere, everit's messages for anything else, and contacts stored before it was one.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../core/open-store.js';
import type { Sandbox } from '../../sandbox.js';
import { call, json, startSandbox, T0_ISO, useSandbox } from '../../../test/helpers.js';
import { freshPgSchemaUrl, TEST_ENGINE } from '../../../test/pg/database.js';
import { tempDir } from '../../../test/store-inspect.js';
import { bulkById, bulkBySourceId, contactWith, getContact, propelCall } from './propel.client.js';
import { MORE_INFO_BASE, PROPEL_MESSAGES } from './errors.js';
import { CONTACTS_TABLE, FIRST_CONTACT_ID, PROPEL_MIGRATIONS } from './store.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The 10007 envelope as text, keys in the page's order. */
const schemaError = (...messages: string[]) =>
  JSON.stringify({ error: { code: 10007, messages, moreInfo: `${MORE_INFO_BASE}10007`, status: 400, type: 'SchemaValidationException' } });
const completed = (...rows: string[]) => `{"data":[${rows.join(',')}],"messages":["Completed"],"total":${rows.length}}`;

/** The keys of a contact as read, in the order the page's contact schema lists them. */
const READ_KEYS = [
  'abbreviation', 'attributes', 'createdAt', 'dateOfBirth', 'debtorId', 'email', 'firstName', 'gender', 'id', 'language', 'lastName',
  'middleName', 'mobile', 'parent', 'phone', 'primaryLanguage', 'source', 'sourceId', 'ssn', 'title', 'updatedAt',
] as const;
/** A contact as read: every field null unless given, keys in READ_KEYS order. */
function readShape(fields: Record<string, unknown>, at = T0_ISO): Record<string, unknown> {
  const blank: Record<string, unknown> = { attributes: [], createdAt: at, updatedAt: at };
  return Object.fromEntries(READ_KEYS.map((key) => [key, Object.hasOwn(fields, key) ? fields[key] : (blank[key] ?? null)]));
}

const records = async (sb: Sandbox = sandbox()) => (await call(sb, '/_sandbox/propel/records')).body.records as Array<Record<string, unknown>>;

describe('propel sourceId is a number', () => {
  it('creates and updates by a numeric sourceId, answers it as the row key, and stores and reads it as a number', async () => {
    const first = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 1001, source: 'ERP', language: 'NL', firstName: 'Ada' }] });
    expect(first.status).toBe(200);
    expect(first.text).toBe(completed(`{"action":"create","id":${FIRST_CONTACT_ID},"key":1001,"lookupKey":"sourceId","success":true}`));
    const again = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 1001, source: 'ERP', language: 'nl', lastName: 'Lovelace' }] });
    expect(again.text).toBe(completed(`{"action":"update","id":${FIRST_CONTACT_ID},"key":1001,"lookupKey":"sourceId","success":true}`));
    const expected = readShape({ id: FIRST_CONTACT_ID, firstName: 'Ada', lastName: 'Lovelace', language: 'NL', source: 'ERP', sourceId: 1001 });
    const read = await getContact(sandbox(), { sourceId: 1001, source: 'ERP', language: 'NL' });
    expect(read.text).toBe(JSON.stringify({ data: expected }));
    expect(await records()).toEqual([expected]);
    // A path is text: the digits name the number, leading zeros included (as for an id).
    expect((await propelCall(sandbox(), 'GET', '/contacts/sourceId/01001?source=ERP&language=NL')).body.data.id).toBe(FIRST_CONTACT_ID);
  });

  it('takes the largest safe integer, and echoes it exactly', async () => {
    const res = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: MAX_SAFE, source: 'ERP' }] });
    expect(res.text).toBe(completed(`{"action":"create","id":${FIRST_CONTACT_ID},"key":9007199254740991,"lookupKey":"sourceId","success":true}`));
    expect((await getContact(sandbox(), { sourceId: MAX_SAFE, source: 'ERP' })).body.data.sourceId).toBe(MAX_SAFE);
  });

  it('answers 404 for a sourceId path that is no such number', async () => {
    await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 1, source: 'ERP' }] });
    for (const value of ['ERP-1', '1.0', '-1', '0', '9007199254740992']) {
      const res = await propelCall(sandbox(), 'GET', `/contacts/sourceId/${value}?source=ERP`);
      expect(res.status).toBe(404);
      expect(res.body.error.messages).toEqual([PROPEL_MESSAGES.contactNotFound('sourceId', value)]);
    }
  });

  it('sets a numeric sourceId through bulk/id and PATCH, finds parents by it, and fails a row whose parent sourceId names no contact', async () => {
    const res = await bulkById(sandbox(), {
      contacts: [
        { id: 1, sourceId: 11, source: 'ERP' },
        { id: 2, parent: { sourceId: 11, source: 'ERP' } },
        { id: 3, parent: { sourceId: 77, source: 'ERP' } },
      ],
    });
    expect(res.text).toBe(
      completed(
        '{"action":"create","id":1,"key":1,"lookupKey":"id","success":true}',
        '{"action":"create","id":2,"key":2,"lookupKey":"id","success":true}',
        '{"action":"create","error":"Parent contact with sourceId [77] not found","key":3,"lookupKey":"id","success":false}',
      ),
    );
    expect((await getContact(sandbox(), 2)).body.data.parent).toEqual({ id: 1 });
    const bySource = await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 11, source: 'ERP', title: 'Dr' }] });
    expect(bySource.body.data).toEqual([{ action: 'update', id: 1, key: 11, lookupKey: 'sourceId', success: true }]);
    const patch = await propelCall(sandbox(), 'PATCH', '/contacts/id/2', { sourceId: 12, source: 'CRM' });
    expect(patch.status).toBe(200);
    expect(patch.body.data).toMatchObject({ sourceId: 12, source: 'CRM' });
    expect((await getContact(sandbox(), { sourceId: 12, source: 'CRM' })).body.data.id).toBe(2);
    expect((await records()).map((r) => [r.id, r.sourceId])).toEqual([
      [1, 11],
      [2, 12],
    ]);
  });

  it('a sourceId holder blocks the same number, not its text: another contact may not take (11, ERP, none)', async () => {
    await bulkBySourceId(sandbox(), { contacts: [{ sourceId: 11, source: 'ERP' }] });
    const res = await bulkById(sandbox(), { contacts: [{ id: 5, sourceId: 11, source: 'ERP' }] });
    expect(res.text).toBe(
      completed('{"action":"create","error":"Contact with sourceId [11], source [ERP] and language [] already exists","key":5,"lookupKey":"id","success":false}'),
    );
    expect((await records()).map((r) => r.id)).toEqual([FIRST_CONTACT_ID]);
  });
});

describe('propel sourceId: everything but an integer from 1 to 2^53 - 1 is a 10007 in everit words, and nothing is written', () => {
  const bad: Array<[string, unknown, string]> = [
    ['a string', '1001', 'expected type: Number, found: String'],
    ['a string that is no number', 'ERP-1', 'expected type: Number, found: String'],
    ['a fraction', 1.5, 'expected type: Integer, found: BigDecimal'],
    ['a negative number', -5, '-5 is not greater or equal to 1'],
    ['zero', 0, '0 is not greater or equal to 1'],
    ['2^53, the first unsafe integer', 2 ** 53, '9007199254740992 is not less or equal to 9007199254740991'],
    ['1e21, printed with every digit', 1e21, '1000000000000000000000 is not less or equal to 9007199254740991'],
    ['a negative beyond the safe range (one message, the field\'s bound)', -1e20, '-100000000000000000000 is not greater or equal to 1'],
    ['null', null, 'expected type: Number, found: Null'],
    ['a boolean', true, 'expected type: Number, found: Boolean'],
    ['an object', {}, 'expected type: Number, found: JSONObject'],
  ];

  it.each(bad)('%s', async (_, value, message) => {
    await bulkById(sandbox(), { contacts: [{ id: 1, firstName: 'Before' }] });
    const cases: Array<[() => Promise<{ status: number; text: string }>, string]> = [
      [() => bulkBySourceId(sandbox(), { contacts: [{ sourceId: 2, source: 'ERP' }, { sourceId: value, source: 'ERP' }] }), `#/contacts/1/sourceId: ${message}`],
      [() => bulkById(sandbox(), { contacts: [{ id: 2 }, { id: 1, sourceId: value, source: 'ERP' }] }), `#/contacts/1/sourceId: ${message}`],
      [() => bulkBySourceId(sandbox(), { contacts: [{ sourceId: 3, source: 'ERP', parent: { sourceId: value, source: 'ERP' } }] }), `#/contacts/0/parent/sourceId: ${message}`],
      [() => bulkById(sandbox(), { contacts: [{ id: 1, firstName: 'After', parent: { sourceId: value, source: 'ERP' } }] }), `#/contacts/0/parent/sourceId: ${message}`],
      [() => propelCall(sandbox(), 'PATCH', '/contacts/id/1', { firstName: 'After', sourceId: value, source: 'ERP' }), `#/sourceId: ${message}`],
    ];
    for (const [send, expected] of cases) {
      const res = await send();
      expect(res.status).toBe(400);
      expect(res.text).toBe(schemaError(expected));
    }
    expect(await records()).toEqual([readShape({ id: 1, firstName: 'Before' })]);
  });
});

describe('propel contacts stored with a string sourceId before it was a number (migration 3)', () => {
  const dir = tempDir('propel-legacy-');
  let files = 0;
  const LEGACY_AT = '2025-06-01T00:00:00.000Z';

  /** What the insert reads of a legacy contact (the columns beside its data). */
  interface Legacy {
    id: number;
    sourceId: string | null;
    source: string | null;
    language: string | null;
    parent: { id: number } | null;
  }
  /** A contact as the sandbox stored it before: sourceId a string, keys in the old order. */
  const legacy = (id: number, fields: Record<string, unknown>) => contactWith(LEGACY_AT, { id, firstName: `F${id}`, ...fields }) as Legacy & Record<string, unknown>;
  const QUOTED = 'say "hi" \\ there';
  const LEGACY = [
    legacy(1, { sourceId: '1001', source: 'ERP', language: 'NL' }),
    legacy(2, { sourceId: 'ERP-2', source: 'ERP', email: 'two@example.com' }),
    legacy(3, { sourceId: '0042', source: 'ERP' }),
    legacy(4, { sourceId: QUOTED, source: 'ERP' }),
    legacy(5, { sourceId: '9007199254740992', source: 'ERP' }),
    legacy(6, { sourceId: '9007199254740991', source: 'ERP' }),
    legacy(7, { parent: { id: 1 } }),
  ];

  /** A database at migration 2 holding LEGACY for propel_demo, then a sandbox started on it (which migrates it). */
  async function legacySandbox(): Promise<Sandbox> {
    const db = TEST_ENGINE === 'postgres' ? await freshPgSchemaUrl() : join(dir, `legacy-${++files}.db`);
    const store = await openStore(db);
    try {
      await store.migrate('propel', PROPEL_MIGRATIONS.filter((m) => m.version <= 2));
      for (const c of LEGACY) {
        await store.run(
          `INSERT INTO ${CONTACTS_TABLE} (namespace, tenant, id, source_id, source, language, parent_id, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ['', 'propel_demo', c.id, c.sourceId, c.source, c.language, c.parent?.id ?? null, JSON.stringify(c), LEGACY_AT, LEGACY_AT],
        );
      }
    } finally {
      await store.close();
    }
    return startSandbox({ db, rateLimits: 'off' });
  }

  it('keeps a string of digits as that number, drops any other (the contact keeps the rest), and reads all in the new key order', async () => {
    const sb = await legacySandbox();
    try {
      const read = (id: number) => getContact(sb, id);
      const as = (c: Legacy, sourceId: number | null) => readShape({ ...c, sourceId }, LEGACY_AT);
      expect((await read(1)).text).toBe(JSON.stringify({ data: as(LEGACY[0]!, 1001) }));
      expect((await read(2)).text).toBe(JSON.stringify({ data: as(LEGACY[1]!, null) }));
      expect((await read(6)).body.data.sourceId).toBe(MAX_SAFE);
      expect(await records(sb)).toEqual([as(LEGACY[0]!, 1001), ...[1, 2, 3, 4].map((i) => as(LEGACY[i]!, null)), as(LEGACY[5]!, MAX_SAFE), as(LEGACY[6]!, null)]);

      // The kept number is the contact's identity: a bulk/sourceId with it updates the same contact.
      const update = await bulkBySourceId(sb, { contacts: [{ sourceId: 1001, source: 'ERP', language: 'NL', lastName: 'Kept' }] });
      expect(update.body.data).toEqual([{ action: 'update', id: 1, key: 1001, lookupKey: 'sourceId', success: true }]);
      expect((await getContact(sb, { sourceId: MAX_SAFE, source: 'ERP' })).body.data.id).toBe(6);
      // A dropped one holds no identity any more: the number 42 is free, and no lookup finds the old text.
      const free = await bulkBySourceId(sb, { contacts: [{ sourceId: 42, source: 'ERP' }] });
      expect(free.body.data).toEqual([{ action: 'create', id: FIRST_CONTACT_ID, key: 42, lookupKey: 'sourceId', success: true }]);
      expect((await propelCall(sb, 'GET', '/contacts/sourceId/ERP-2?source=ERP')).status).toBe(404);

      // What the snapshot exports is the migrated data, and it restores; a row in the old form is refused, naming the field.
      const snapshot = (await call(sb, '/_sandbox/snapshot')).body;
      const row1 = (snapshot.tables[CONTACTS_TABLE] as Array<Record<string, string | number | null>>).find((r) => r.id === 1)!;
      expect(row1.source_id).toBe('1001');
      expect(JSON.parse(row1.data as string).sourceId).toBe(1001);
      expect((await call(sb, '/_sandbox/snapshot', { method: 'POST', ...json(snapshot) })).status).toBe(200);
      row1.data = (row1.data as string).replace('"sourceId":1001', '"sourceId":"1001"');
      const refused = await call(sb, '/_sandbox/snapshot', { method: 'POST', ...json(snapshot) });
      expect(refused.status).toBe(400);
      expect(refused.body.error.issues).toEqual([expect.stringMatching(new RegExp(`^tables\\.${CONTACTS_TABLE}\\.\\d+\\.data\\.sourceId: `))]);
      expect((await getContact(sb, 1)).body.data).toMatchObject({ sourceId: 1001, lastName: 'Kept' });
    } finally {
      await sb.close();
    }
  });
});
