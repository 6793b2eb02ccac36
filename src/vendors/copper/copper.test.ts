// Copper happy paths through HTTP: the vendor's bulk example, partial updates, single-record calls, search, isolation.
import { describe, expect, it } from 'vitest';
import { T0, useSandbox } from '../../../test/helpers.js';
import { bulkCreate, bulkUpdate, copper, getPerson, OTHER, search, storedPeople } from './copper.client.js';
import { COPPER_ROW_ERRORS } from './errors.js';
import { DEFAULT_CONTACT_TYPE_ID } from './index.js';
import { TOTAL_HEADER } from './routes.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const T0_S = Math.floor(T0 / 1000);

/** The response of the vendor page's "Create New Person" example, verbatim. */
const VENDOR_EXAMPLE_RESPONSE = [
  {
    id: 12345,
    name: 'Contact One',
    prefix: null,
    first_name: 'Contact',
    middle_name: null,
    last_name: 'One',
    suffix: null,
    address: null,
    assignee_id: null,
    company_id: null,
    company_name: null,
    contact_type_id: 1074,
    details: null,
    emails: [],
    phone_numbers: [],
    socials: [],
    tags: [],
    title: null,
    websites: [],
    custom_fields: [],
    date_created: 1687360885,
    date_modified: 1687360885,
    date_last_contacted: null,
    interaction_count: 0,
    leads_converted_from: [],
    date_lead_created: null,
  },
  {
    id: 67890,
    name: 'Contact Two',
    prefix: null,
    first_name: 'Contact',
    middle_name: null,
    last_name: 'Two',
    suffix: null,
    address: null,
    assignee_id: null,
    company_id: null,
    company_name: null,
    contact_type_id: 1074,
    details: null,
    emails: [],
    phone_numbers: [],
    socials: [],
    tags: [],
    title: null,
    websites: [],
    custom_fields: [],
    date_created: 1687360885,
    date_modified: 1687360885,
    date_last_contacted: null,
    interaction_count: 0,
    leads_converted_from: [],
    date_lead_created: null,
  },
];

const notTaken = (email: string) => ({ email, category: 'work' });

describe('copper bulk_create', () => {
  it('reproduces the vendor example: two people, full objects, in request order, ids and times from the sandbox', async () => {
    const res = await bulkCreate(sandbox(), [
      { id: 12345, name: 'Contact One' },
      { id: 67890, name: 'Contact Two' },
    ]);
    expect(res.status).toBe(200);
    // Ids are server-assigned (the example's ids are ignored); everything else is the page's example.
    const expected = VENDOR_EXAMPLE_RESPONSE.map((p, i) => ({ ...p, id: i + 1, date_created: T0_S, date_modified: T0_S }));
    expect(res.body).toEqual(expected);
    expect(Object.keys(res.body[0])).toEqual(Object.keys(VENDOR_EXAMPLE_RESPONSE[0]!));
    expect(await storedPeople(sandbox())).toEqual(expected);
    for (const person of expected) expect((await getPerson(sandbox(), person.id)).body).toEqual(person);
  });

  it('stores every person field as sent, with the example defaults for the rest', async () => {
    const person = {
      name: 'Ada King Lovelace',
      prefix: 'Lady',
      suffix: 'PhD',
      address: { street: '123 Main Street', city: 'Savannah', state: 'Georgia', postal_code: '31410' },
      assignee_id: 7,
      company_id: 99,
      company_name: 'Analytical Engines',
      details: 'Poet of science',
      emails: [{ email: 'Ada@Example.com', category: 'personal' }],
      phone_numbers: [{ number: '415-123-45678', category: 'mobile' }],
      socials: [{ url: 'https://www.linkedin.com/in/ada', category: 'linkedin' }],
      tags: ['vip', 'math'],
      title: 'Countess',
      websites: [{ url: 'www.example.com', category: 'work' }],
      custom_fields: [{ custom_field_definition_id: 6, value: 1515744000 }],
      interaction_count: 99,
      date_created: 1,
    };
    const res = await bulkCreate(sandbox(), [person]);
    expect(res.status).toBe(200);
    expect(res.body[0]).toEqual({
      id: 1,
      name: 'Ada King Lovelace',
      prefix: 'Lady',
      first_name: 'Ada',
      middle_name: 'King',
      last_name: 'Lovelace',
      suffix: 'PhD',
      address: { street: '123 Main Street', city: 'Savannah', state: 'Georgia', postal_code: '31410', country: null },
      assignee_id: 7,
      company_id: 99,
      company_name: 'Analytical Engines',
      contact_type_id: DEFAULT_CONTACT_TYPE_ID,
      details: 'Poet of science',
      emails: [{ email: 'Ada@Example.com', category: 'personal' }],
      phone_numbers: [{ number: '415-123-45678', category: 'mobile' }],
      socials: [{ url: 'https://www.linkedin.com/in/ada', category: 'linkedin' }],
      tags: ['vip', 'math'],
      title: 'Countess',
      websites: [{ url: 'www.example.com', category: 'work' }],
      custom_fields: [{ custom_field_definition_id: 6, value: 1515744000 }],
      // Read-only fields sent by the client are ignored.
      date_created: T0_S,
      date_modified: T0_S,
      date_last_contacted: null,
      interaction_count: 0,
      leads_converted_from: [],
      date_lead_created: null,
    });
    expect(await storedPeople(sandbox())).toEqual([res.body[0]]);
  });

  it('splits names: one word is a first name, three or more give middle names', async () => {
    const res = await bulkCreate(sandbox(), [{ name: 'Cher' }, { name: '  Jean   Claude Van Damme ' }, { name: 'Jo Smith', last_name: 'Override' }]);
    const parts = res.body.map((p: any) => [p.name, p.first_name, p.middle_name, p.last_name]);
    expect(parts).toEqual([
      ['Cher', 'Cher', null, null],
      ['Jean   Claude Van Damme', 'Jean', 'Claude Van', 'Damme'],
      ['Jo Smith', 'Jo', null, 'Override'],
    ]);
  });

  it('answers an empty people array with an empty array and writes nothing', async () => {
    const res = await bulkCreate(sandbox(), []);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(await storedPeople(sandbox())).toEqual([]);
  });

  it('fails only the object whose email is taken, case-insensitively, and creates the rest', async () => {
    await bulkCreate(sandbox(), [{ name: 'Existing Person', emails: [notTaken('taken@example.com')] }]);
    const res = await bulkCreate(sandbox(), [
      { name: 'First New', emails: [notTaken('first@example.com')] },
      { name: 'Clash Stored', emails: [notTaken('TAKEN@example.com')] },
      { name: 'Second New', emails: [notTaken('second@example.com')] },
      { name: 'Clash In Request', emails: [notTaken('First@Example.com')] },
    ]);
    expect(res.status).toBe(200);
    expect(res.body[1]).toEqual({ success: false, message: { emails: [{ error: COPPER_ROW_ERRORS.taken.message }] } });
    expect(res.body[3]).toEqual({ success: false, message: { emails: [{ error: COPPER_ROW_ERRORS.taken.message }] } });
    expect([res.body[0].id, res.body[2].id]).toEqual([2, 3]);
    expect((await storedPeople(sandbox())).map((p) => p.name)).toEqual(['Existing Person', 'First New', 'Second New']);
  });

  it('reports every invalid field of an object: blank name, bad categories, malformed email, wrong types', async () => {
    const res = await bulkCreate(sandbox(), [
      { name: '   ', emails: [{ email: 'not-an-email', category: 'work' }] },
      { phone_numbers: [{ number: '1', category: 'fax' }], title: 5 },
      { name: 'Ok Person', socials: [{ url: 'x', category: 'myspace' }], websites: [{ url: 'y', category: 'blog' }], tags: 'vip' },
      'not an object',
      { name: 'Fine Person', emails: [{ email: 'x@example.com', category: 'personal' }] },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.slice(0, 4)).toEqual([
      { success: false, message: { name: [{ error: 'blank' }], emails: [{ error: 'invalid' }] } },
      { success: false, message: { phone_numbers: [{ error: 'invalid' }], title: [{ error: 'invalid' }], name: [{ error: 'blank' }] } },
      { success: false, message: { socials: [{ error: 'invalid' }], tags: [{ error: 'invalid' }], websites: [{ error: 'invalid' }] } },
      { success: false, message: { base: [{ error: 'invalid' }] } },
    ]);
    expect(res.body[4]).toMatchObject({ id: 1, name: 'Fine Person' });
    expect(await storedPeople(sandbox())).toHaveLength(1);
  });

  it('an email repeated within one object is taken', async () => {
    const res = await bulkCreate(sandbox(), [{ name: 'Two Same', emails: [notTaken('a@example.com'), { email: 'A@example.com', category: 'other' }] }]);
    expect(res.body).toEqual([{ success: false, message: { emails: [{ error: 'taken' }] } }]);
  });
});

describe('copper bulk_update', () => {
  it('changes only the fields sent, clears explicit nulls, and returns full people in request order', async () => {
    const created = await bulkCreate(sandbox(), [
      {
        name: 'Contact One',
        title: 'CTO',
        details: 'keep me',
        tags: ['a'],
        address: { city: 'Savannah' },
        emails: [notTaken('one@example.com')],
        phone_numbers: [{ number: '555', category: 'work' }],
      },
      { name: 'Contact Two' },
    ]);
    const [one, two] = created.body;
    sandbox().clock.advance(90_000);
    const res = await bulkUpdate(sandbox(), [
      { id: two.id, title: 'CEO' },
      { id: one.id, name: 'Contact Uno Primero', title: null, tags: null, address: null, emails: [{ email: 'uno@example.com', category: 'other' }] },
    ]);
    expect(res.status).toBe(200);
    const later = T0_S + 90;
    expect(res.body[0]).toEqual({ ...two, title: 'CEO', date_modified: later });
    expect(res.body[1]).toEqual({
      ...one,
      name: 'Contact Uno Primero',
      first_name: 'Contact',
      middle_name: 'Uno',
      last_name: 'Primero',
      title: null,
      tags: [],
      address: null,
      emails: [{ email: 'uno@example.com', category: 'other' }],
      date_modified: later,
    });
    expect(res.body[1]).toMatchObject({ details: 'keep me', phone_numbers: [{ number: '555', category: 'work' }], date_created: T0_S });
    expect(await storedPeople(sandbox())).toEqual([res.body[1], res.body[0]]);
    // The old address is free again; the new one is held.
    const reuse = await bulkCreate(sandbox(), [{ name: 'Reuser', emails: [notTaken('ONE@example.com')] }, { name: 'Clash', emails: [notTaken('uno@example.com')] }]);
    expect(reuse.body[0]).toMatchObject({ id: 3 });
    expect(reuse.body[1]).toEqual({ success: false, message: { emails: [{ error: 'taken' }] } });
  });

  it('fails unknown, missing and malformed ids with the id in the element, and updates the rest', async () => {
    const created = await bulkCreate(sandbox(), [{ name: 'Real Person' }]);
    const res = await bulkUpdate(sandbox(), [{ id: 999, name: 'Ghost' }, { name: 'No Id' }, { id: 'abc' }, { id: created.body[0].id, details: 'found' }]);
    expect(res.status).toBe(200);
    expect(res.body.slice(0, 3)).toEqual([
      { success: false, message: { id: [{ error: COPPER_ROW_ERRORS.not_found.message }] }, id: 999 },
      { success: false, message: { id: [{ error: 'blank' }] }, id: null },
      { success: false, message: { id: [{ error: 'invalid' }] }, id: 'abc' },
    ]);
    expect(res.body[3]).toMatchObject({ id: created.body[0].id, details: 'found' });
    expect(await storedPeople(sandbox())).toEqual([res.body[3]]);
  });

  it('refuses an email held by another person, lets a person keep its own, and blanks a null name', async () => {
    const created = await bulkCreate(sandbox(), [
      { name: 'Holder One', emails: [notTaken('one@example.com')] },
      { name: 'Holder Two', emails: [notTaken('two@example.com')] },
    ]);
    const [one, two] = created.body;
    const res = await bulkUpdate(sandbox(), [
      { id: one.id, emails: [notTaken('TWO@example.com')] },
      { id: two.id, emails: [notTaken('two@example.com'), notTaken('extra@example.com')] },
      { id: one.id, name: null },
    ]);
    expect(res.body[0]).toEqual({ success: false, message: { emails: [{ error: 'taken' }] }, id: one.id });
    expect(res.body[1].emails).toHaveLength(2);
    expect(res.body[2]).toEqual({ success: false, message: { name: [{ error: 'blank' }] }, id: one.id });
    expect(await storedPeople(sandbox())).toEqual([one, res.body[1]]);
  });

  it('rebuilds the name from parts sent without it, and keeps date_modified when nothing changes', async () => {
    const created = await bulkCreate(sandbox(), [{ name: 'Jane Doe', title: 'CFO' }]);
    const person = created.body[0];
    sandbox().clock.advance(5_000);
    const same = await bulkUpdate(sandbox(), [{ id: person.id, title: 'CFO' }]);
    expect(same.body[0]).toEqual(person);
    const parts = await bulkUpdate(sandbox(), [{ id: person.id, last_name: 'Smith' }]);
    expect(parts.body[0]).toMatchObject({ name: 'Jane Smith', first_name: 'Jane', last_name: 'Smith', date_modified: T0_S + 5 });
  });
});

describe('copper single-record endpoints', () => {
  it('POST /people creates, GET reads back, PUT changes only sent fields, DELETE removes and frees the email', async () => {
    const created = await copper(sandbox(), '/people', { name: 'My Contact', emails: [notTaken('mycontact@example.com')] });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: 1, name: 'My Contact', first_name: 'My', last_name: 'Contact' });
    expect((await getPerson(sandbox(), 1)).body).toEqual(created.body);

    sandbox().clock.advance(1_000);
    const updated = await copper(sandbox(), '/people/1', { details: 'This is an update', id: 555 }, { method: 'PUT' });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...created.body, details: 'This is an update', date_modified: T0_S + 1 });

    const byEmail = await copper(sandbox(), '/people/fetch_by_email', { email: 'MyContact@Example.com' });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toEqual(updated.body);

    const deleted = await copper(sandbox(), '/people/1', undefined, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: 1, is_deleted: true });
    expect(await storedPeople(sandbox())).toEqual([]);
    const again = await copper(sandbox(), '/people', { name: 'Reuse Email', emails: [notTaken('mycontact@example.com')] });
    // Ids are never reused after a delete.
    expect(again.body).toMatchObject({ id: 2 });
  });

  it('honours the configured default contact type', async () => {
    const created = await copper(sandbox(), '/people', { name: 'Typed', contact_type_id: 5 });
    expect(created.body.contact_type_id).toBe(5);
    const cleared = await copper(sandbox(), `/people/${created.body.id}`, { contact_type_id: null }, { method: 'PUT' });
    expect(cleared.body.contact_type_id).toBe(DEFAULT_CONTACT_TYPE_ID);
  });
});

describe('copper search', () => {
  const seedPeople = async () => {
    const res = await bulkCreate(sandbox(), [
      { name: 'Alice Zephyr', tags: ['vip'], emails: [notTaken('alice@example.com')], phone_numbers: [{ number: '(415) 555-0101', category: 'work' }] },
      { name: 'bob Young', tags: ['lead'] },
      { name: 'Carol Xu', tags: ['VIP', 'lead'], address: { city: 'Savannah' } },
      { name: 'Dave Walker' },
      { name: 'Eve Vance', tags: ['vip'] },
    ]);
    expect(res.body.every((p: any) => typeof p.id === 'number')).toBe(true);
    return res.body as any[];
  };

  it('pages through people sorted by first name by default, with the total in X-PW-TOTAL', async () => {
    await seedPeople();
    const first = await search(sandbox(), { page_size: 2 });
    expect(first.status).toBe(200);
    expect(first.headers.get(TOTAL_HEADER)).toBe('5');
    expect(first.body.map((p: any) => p.name)).toEqual(['Alice Zephyr', 'bob Young']);
    const third = await search(sandbox(), { page_size: 2, page_number: 3 });
    expect(third.body.map((p: any) => p.name)).toEqual(['Eve Vance']);
    const beyond = await search(sandbox(), { page_size: 2, page_number: 4 });
    expect(beyond.body).toEqual([]);
    expect(beyond.headers.get(TOTAL_HEADER)).toBe('5');
  });

  it('sorts by the requested field and direction', async () => {
    await seedPeople();
    const res = await search(sandbox(), { sort_by: 'last_name', sort_direction: 'desc' });
    expect(res.body.map((p: any) => p.last_name)).toEqual(['Zephyr', 'Young', 'Xu', 'Walker', 'Vance']);
  });

  it('ANDs the filters: tags (any of, any case) with name, ids, emails and phone digits', async () => {
    const people = await seedPeople();
    const vip = await search(sandbox(), { tags: ['vip'] });
    expect(vip.body.map((p: any) => p.name)).toEqual(['Alice Zephyr', 'Carol Xu', 'Eve Vance']);
    const vipNamed = await search(sandbox(), { tags: ['vip'], name: 'xu' });
    expect(vipNamed.body.map((p: any) => p.name)).toEqual(['Carol Xu']);
    expect(vipNamed.headers.get(TOTAL_HEADER)).toBe('1');
    const byIds = await search(sandbox(), { ids: [people[1].id, people[3].id], tags: ['lead'] });
    expect(byIds.body.map((p: any) => p.name)).toEqual(['bob Young']);
    expect((await search(sandbox(), { emails: ['ALICE@example.com'] })).body.map((p: any) => p.name)).toEqual(['Alice Zephyr']);
    expect((await search(sandbox(), { phone_number: '4155550101' })).body.map((p: any) => p.name)).toEqual(['Alice Zephyr']);
    expect((await search(sandbox(), { city: 'savannah' })).body.map((p: any) => p.name)).toEqual(['Carol Xu']);
  });

  it('treats an empty body as a search for everything', async () => {
    await seedPeople();
    const res = await copper(sandbox(), '/people/search', '');
    expect(res.status).toBe(200);
    expect(res.headers.get(TOTAL_HEADER)).toBe('5');
  });
});

describe('copper accounts are kept apart', () => {
  it('never shows, updates, finds or blocks on another account’s people', async () => {
    const mine = await bulkCreate(sandbox(), [{ name: 'Demo Person', emails: [notTaken('shared@example.com')] }]);
    const id = mine.body[0].id;
    expect((await getPerson(sandbox(), id, { as: OTHER })).status).toBe(404);
    const theirs = await bulkUpdate(sandbox(), [{ id, name: 'Hijacked' }], { as: OTHER });
    expect(theirs.body).toEqual([{ success: false, message: { id: [{ error: 'not_found' }] }, id }]);
    expect((await search(sandbox(), {}, { as: OTHER })).headers.get(TOTAL_HEADER)).toBe('0');
    expect((await copper(sandbox(), '/people/fetch_by_email', { email: 'shared@example.com' }, { as: OTHER })).status).toBe(404);
    // The same email is free in another account, and ids are per account.
    const other = await bulkCreate(sandbox(), [{ name: 'Other Person', emails: [notTaken('shared@example.com')] }], { as: OTHER });
    expect(other.body[0]).toMatchObject({ id: 1, name: 'Other Person' });
    expect((await copper(sandbox(), `/people/${id}`, undefined, { as: OTHER, method: 'DELETE' })).body).toEqual({ id: 1, is_deleted: true });
    expect(await storedPeople(sandbox())).toEqual([mine.body[0]]);
    expect(await storedPeople(sandbox(), 'copper_other')).toEqual([]);
  });

  it('keeps namespaces apart within one account', async () => {
    await bulkCreate(sandbox(), [{ name: 'Default Namespace' }]);
    const ns = await bulkCreate(sandbox(), [{ name: 'Job A' }], { headers: { 'x-sandbox-namespace': 'job-a' } });
    expect(ns.body[0]).toMatchObject({ id: 1, name: 'Job A' });
    expect((await storedPeople(sandbox())).map((p) => p.name)).toEqual(['Default Namespace']);
    expect((await storedPeople(sandbox(), 'copper_demo', 'job-a')).map((p) => p.name)).toEqual(['Job A']);
  });
});
