// Copper activities through HTTP: a person's list, logging one, reading it back, 404s and 422s, accounts and namespaces apart, delete, reset and snapshots.
import { describe, expect, it } from 'vitest';
import { call, json, T0, useSandbox } from '../../../test/helpers.js';
import { copper, createActivity, getPerson, OTHER, personActivities, storedActivities } from './copper.client.js';
import { COPPER_MESSAGES } from './errors.js';
import { ACTIVITIES_TABLE, ACTIVITY_SEQUENCES_TABLE } from './store.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const T0_S = Math.floor(T0 / 1000);
const envelope = (status: number, message: string) => ({ success: false, status, message });
const NOT_FOUND = envelope(404, COPPER_MESSAGES.notFound);
const NOTE = { category: 'user', id: 0 };
const CALL = { category: 'user', id: 11 };
const note = (personId: number, details: string, extra: Record<string, unknown> = {}) => ({ parent: { type: 'person', id: personId }, type: NOTE, details, ...extra });

/** A person of the demo account (or `as` another); answers its id. */
async function person(name: string, options: Parameters<typeof copper>[3] = {}): Promise<number> {
  const res = await copper(sandbox(), '/people', { name }, options);
  expect(res.status, res.text).toBe(200);
  return res.body.id as number;
}

/** Logs an activity that must succeed; answers it. */
async function logged(body: unknown, options?: Parameters<typeof copper>[3]): Promise<any> {
  const res = await createActivity(sandbox(), body, options);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe("copper: a person's activities", () => {
  it('lists none for a person without activities, with or without a body', async () => {
    const id = await person('Quiet Person');
    for (const body of ['', {}, { page_size: 5 }]) {
      const res = await personActivities(sandbox(), id, body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.body).toEqual([]);
    }
  });

  it("answers an unknown person with Copper's 404, whatever the body says", async () => {
    await person('Someone');
    for (const [id, body] of [[999, ''], [999, { page_size: 'x' }], ['abc', {}], ['0', {}]] as const) {
      const res = await personActivities(sandbox(), id, body);
      expect(res.status, `${id} ${JSON.stringify(body)}`).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
    }
  });

  it('logs a note on a person: the full activity back, stored, listed, readable by id, and the person unchanged', async () => {
    const id = await person('Ada Lovelace');
    const before = (await getPerson(sandbox(), id)).body;
    sandbox().clock.advance(60_000);
    const res = await createActivity(sandbox(), note(id, 'Called about the renewal'));
    expect(res.status).toBe(200);
    const expected = {
      id: 1,
      parent: { id, type: 'person' },
      type: { category: 'user', id: 0 },
      user_id: null,
      details: 'Called about the renewal',
      activity_date: T0_S + 60,
      old_value: null,
      new_value: null,
      date_created: T0_S + 60,
      date_modified: T0_S + 60,
    };
    expect(res.body).toEqual(expected);
    expect(Object.keys(res.body)).toEqual(Object.keys(expected));
    expect(await storedActivities(sandbox())).toEqual([{ namespace: '', tenant: 'copper_demo', id: 1, person_id: id, data: expected }]);
    expect((await copper(sandbox(), '/activities/1')).body).toEqual(expected);
    expect((await personActivities(sandbox(), id)).body).toEqual([expected]);
    // Logging an activity changes nothing on the person (interaction counts are not emulated).
    expect((await getPerson(sandbox(), id)).body).toEqual(before);
  });

  it('takes activity_date and the type id as sent, and ignores read-only fields', async () => {
    const id = await person('Grace Hopper');
    const body = note(id, 'Meeting notes', { type: CALL, activity_date: 1_600_000_000, id: 777, user_id: 5, date_created: 1, old_value: 'x', extra: true });
    const activity = await logged(body);
    expect(activity).toEqual({
      id: 1,
      parent: { id, type: 'person' },
      type: CALL,
      user_id: null,
      details: 'Meeting notes',
      activity_date: 1_600_000_000,
      old_value: null,
      new_value: null,
      date_created: T0_S,
      date_modified: T0_S,
    });
    expect((await storedActivities(sandbox())).map((row) => row.data)).toEqual([activity]);
    // activity_date null is "now".
    expect(await logged(note(id, 'Later', { activity_date: null }))).toMatchObject({ id: 2, activity_date: T0_S });
  });

  it('lists newest first, pages, and filters by type and activity date; another person\'s activities stay out', async () => {
    const ada = await person('Ada Lovelace');
    const bob = await person('Bob Other');
    const first = await logged(note(ada, 'first', { activity_date: 1_000 }));
    const second = await logged(note(ada, 'second', { activity_date: 3_000, type: CALL }));
    const third = await logged(note(ada, 'third', { activity_date: 2_000 }));
    // Same date as the third: the higher id comes first.
    const fourth = await logged(note(ada, 'fourth', { activity_date: 2_000 }));
    await logged(note(bob, 'not Ada’s', { activity_date: 9_000 }));
    const list = async (body: unknown) => {
      const res = await personActivities(sandbox(), ada, body);
      expect(res.status, res.text).toBe(200);
      return res.body.map((a: { details: string }) => a.details);
    };
    expect(await list('')).toEqual(['second', 'fourth', 'third', 'first']);
    expect(await list({ page_size: 2, page_number: 2 })).toEqual(['third', 'first']);
    expect(await list({ page_size: 2, page_number: 3 })).toEqual([]);
    expect(await list({ activity_types: [NOTE] })).toEqual(['fourth', 'third', 'first']);
    expect(await list({ activity_types: [{ category: 'user' }] })).toEqual(['second', 'fourth', 'third', 'first']);
    expect(await list({ activity_types: [{ category: 'system' }] })).toEqual([]);
    expect(await list({ minimum_activity_date: 2_000, maximum_activity_date: 2_999 })).toEqual(['fourth', 'third']);
    expect(await list({ activity_types: [CALL, NOTE], minimum_activity_date: 2_500, full_result: true })).toEqual(['second']);
    expect((await personActivities(sandbox(), ada)).body).toEqual([second, fourth, third, first]);
  });

  it.each<[string, unknown, string]>([
    ['a page_size over 200', { page_size: 201 }, COPPER_MESSAGES.invalidSearchField('page_size')],
    ['page_number 0', { page_number: 0 }, COPPER_MESSAGES.invalidSearchField('page_number')],
    ['an unknown category', { activity_types: [{ category: 'robot' }] }, COPPER_MESSAGES.invalidSearchField('activity_types')],
    ['a date as text', { minimum_activity_date: 'yesterday' }, COPPER_MESSAGES.invalidSearchField('minimum_activity_date')],
    ['an unknown parameter', { sort_by: 'date' }, COPPER_MESSAGES.unsupportedSearchField('sort_by')],
    ['a body that is no object', [1], COPPER_MESSAGES.bodyNotObject],
  ])('refuses %s in the list body with 422', async (_, body, message) => {
    const id = await person('Ada Lovelace');
    const res = await personActivities(sandbox(), id, body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(envelope(422, message));
  });
});

describe('copper: logging an activity that cannot be logged', () => {
  it.each<[string, (id: number) => unknown, string]>([
    ['an empty object', () => ({}), "Parent: can't be blank, Type: can't be blank, Details: can't be blank"],
    ['a company parent (not emulated)', (id) => note(id, 'x', { parent: { type: 'company', id } }), 'Parent: is invalid'],
    ['a parent without an id', () => note(1, 'x', { parent: { type: 'person' } }), 'Parent: is invalid'],
    ['an unknown person, and blank details', () => note(999, '   '), "Parent: was not found, Details: can't be blank"],
    ['a system activity', (id) => note(id, 'x', { type: { category: 'system', id: 1 } }), 'Type: is invalid'],
    ['a negative type id', (id) => note(id, 'x', { type: { category: 'user', id: -1 } }), 'Type: is invalid'],
    ['details that are no text', (id) => note(id, 'x', { details: 5 }), 'Details: is invalid'],
    ['a null type and a text date', (id) => note(id, 'x', { type: null, activity_date: 'today' }), "Type: can't be blank, Activity date: is invalid"],
    ['a fractional date', (id) => note(id, 'x', { activity_date: 1.5 }), 'Activity date: is invalid'],
  ])('answers %s with the 422 naming every failing field, and writes nothing', async (_, body, problems) => {
    const id = await person('Ada Lovelace');
    const res = await createActivity(sandbox(), body(id));
    expect(res.status).toBe(422);
    expect(res.body).toEqual(envelope(422, `Invalid input: Validation errors: ${problems}`));
    expect(await storedActivities(sandbox())).toEqual([]);
    // Nothing was written, the id sequence included: the next activity is the account's first.
    expect(await logged(note(id, 'fine'))).toMatchObject({ id: 1 });
  });

  it('answers a body that is no object with 422, and malformed JSON with 400', async () => {
    const id = await person('Ada Lovelace');
    const array = await createActivity(sandbox(), [note(id, 'x')]);
    expect(array.status).toBe(422);
    expect(array.body).toEqual(envelope(422, COPPER_MESSAGES.bodyNotObject));
    const broken = await createActivity(sandbox(), '{"parent": {');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual(envelope(400, COPPER_MESSAGES.invalidJson));
    expect(await storedActivities(sandbox())).toEqual([]);
  });

  it('answers an unknown activity id with 404', async () => {
    for (const id of ['1', '999', 'abc']) {
      const res = await copper(sandbox(), `/activities/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
    }
  });
});

describe('copper activities are kept apart and go with their person', () => {
  it('never shows, lists or logs on another account’s person; ids are per account', async () => {
    const ada = await person('Ada Lovelace');
    const activity = await logged(note(ada, 'demo only'));
    // The other account has no person `ada`: its list, read and log are refused, and write nothing.
    expect((await personActivities(sandbox(), ada, '', { as: OTHER })).status).toBe(404);
    expect((await copper(sandbox(), `/activities/${activity.id}`, undefined, { as: OTHER })).status).toBe(404);
    const foreign = await createActivity(sandbox(), note(ada, 'sneaky'), { as: OTHER });
    expect(foreign.status).toBe(422);
    expect(foreign.body).toEqual(envelope(422, 'Invalid input: Validation errors: Parent: was not found'));
    // Its own person 1 (the same id) has no activities, and its own first activity is its id 1.
    const theirs = await person('Other Ada', { as: OTHER });
    expect(theirs).toBe(ada);
    expect((await personActivities(sandbox(), theirs, '', { as: OTHER })).body).toEqual([]);
    const own = await logged(note(theirs, 'other account'), { as: OTHER });
    expect(own).toMatchObject({ id: 1, details: 'other account' });
    expect((await personActivities(sandbox(), ada)).body).toEqual([activity]);
    expect((await storedActivities(sandbox())).map((row) => [row.tenant, row.id, row.data.details])).toEqual([
      ['copper_demo', 1, 'demo only'],
      ['copper_other', 1, 'other account'],
    ]);
  });

  it('keeps namespaces apart within one account', async () => {
    const ns = { headers: { 'x-sandbox-namespace': 'job-a' } };
    const ada = await person('Ada Lovelace');
    await logged(note(ada, 'default namespace'));
    expect((await personActivities(sandbox(), ada, '', ns)).status).toBe(404);
    expect((await copper(sandbox(), '/activities/1', undefined, ns)).status).toBe(404);
    const inNs = await person('Job Person', ns);
    expect((await personActivities(sandbox(), inNs, '', ns)).body).toEqual([]);
    await logged(note(inNs, 'job-a'), ns);
    expect((await storedActivities(sandbox())).map((row) => [row.namespace, row.id, row.data.details])).toEqual([
      ['', 1, 'default namespace'],
      ['job-a', 1, 'job-a'],
    ]);
  });

  it("deletes a person's activities with the person; activity ids are never reused", async () => {
    const ada = await person('Ada Lovelace');
    const bob = await person('Bob Babbage');
    await logged(note(ada, 'one'));
    await logged(note(ada, 'two'));
    const kept = await logged(note(bob, 'kept'));
    expect((await copper(sandbox(), `/people/${ada}`, undefined, { method: 'DELETE' })).status).toBe(200);
    expect((await copper(sandbox(), '/activities/1')).status).toBe(404);
    expect((await personActivities(sandbox(), ada)).status).toBe(404);
    expect((await storedActivities(sandbox())).map((row) => row.data)).toEqual([kept]);
    expect(await logged(note(bob, 'after'))).toMatchObject({ id: 4 });
  });
});

describe('copper activities under reset and snapshots', () => {
  it('a reset of the vendor or the account empties the activities and restarts their ids; another account keeps its own', async () => {
    const ada = await person('Ada Lovelace');
    await logged(note(ada, 'demo'));
    const theirs = await person('Other Ada', { as: OTHER });
    await logged(note(theirs, 'other'), { as: OTHER });

    expect(await sandbox().admin.reset({ vendor: 'copper', tenant: 'copper_demo' })).toEqual({ deleted: 1 });
    expect((await storedActivities(sandbox())).map((row) => [row.tenant, row.data.details])).toEqual([['copper_other', 'other']]);
    const again = await person('Ada Again');
    expect(again).toBe(1);
    expect((await personActivities(sandbox(), again)).body).toEqual([]);
    expect(await logged(note(again, 'after reset'))).toMatchObject({ id: 1 });

    await sandbox().admin.reset({ vendor: 'copper' });
    expect(await storedActivities(sandbox())).toEqual([]);
    const rows = await sandbox().app.deps.store.all(`SELECT * FROM ${ACTIVITY_SEQUENCES_TABLE}`);
    expect(rows).toEqual([]);
  });

  it('a snapshot carries the activities and their sequence; a restore brings them back exactly', async () => {
    const ada = await person('Ada Lovelace');
    const first = await logged(note(ada, 'first', { activity_date: 1_000 }));
    const second = await logged(note(ada, 'second', { activity_date: 2_000 }));
    const snapshot = await sandbox().admin.snapshot();
    expect(snapshot.tables[ACTIVITIES_TABLE]).toEqual([
      { namespace: '', tenant: 'copper_demo', id: 1, person_id: ada, data: JSON.stringify(first) },
      { namespace: '', tenant: 'copper_demo', id: 2, person_id: ada, data: JSON.stringify(second) },
    ]);
    expect(snapshot.tables[ACTIVITY_SEQUENCES_TABLE]).toEqual([{ namespace: '', tenant: 'copper_demo', last_id: 2 }]);

    await sandbox().admin.reset();
    expect(await storedActivities(sandbox())).toEqual([]);
    await sandbox().admin.restore(snapshot);
    expect((await personActivities(sandbox(), ada)).body).toEqual([second, first]);
    expect((await copper(sandbox(), '/activities/2')).body).toEqual(second);
    expect(await logged(note(ada, 'third'))).toMatchObject({ id: 3 });
  });

  it('a restore refuses an activity Copper could not read back, naming it, and changes nothing', async () => {
    const ada = await person('Ada Lovelace');
    const activity = await logged(note(ada, 'kept'));
    const bad = await sandbox().admin.snapshot();
    bad.tables[ACTIVITIES_TABLE]![0]!.data = JSON.stringify({ ...activity, details: 5 });
    // The state moves on after the export, so a restore that half happened would show.
    const later = await logged(note(ada, 'later'));
    const res = await call(sandbox(), '/_sandbox/snapshot', { method: 'POST', ...json(bad) });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([expect.stringContaining(`tables.${ACTIVITIES_TABLE}.0.data.details:`)]);
    expect((await personActivities(sandbox(), ada)).body).toEqual([later, activity]);
  });
});
