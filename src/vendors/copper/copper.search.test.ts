// Copper people search through HTTP: every field Copper documents is accepted and filters as the README says, and every documented sort key sorts.
import { describe, expect, it } from 'vitest';
import { T0, useSandbox } from '../../../test/helpers.js';
import { copper, search } from './copper.client.js';
import { COPPER_MESSAGES } from './errors.js';
import { TOTAL_HEADER } from './routes.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const T0_S = Math.floor(T0 / 1000);
const [ZOE, YAN, XIA] = ['Zoe Archer', 'Yan Baker', 'Xia Cole'];

/**
 * Three people, ids 1 to 3, whose names sort the other way round (so id order and name order
 * differ): Zoe created at T0, Yan 100 s later, Xia 200 s later and changed at T0 + 300 s, now.
 */
async function seed(): Promise<void> {
  const create = async (person: Record<string, unknown>) => {
    const res = await copper(sandbox(), '/people', person);
    expect(res.status, res.text).toBe(200);
  };
  await create({
    name: ZOE,
    emails: [{ email: 'zoe@example.com', category: 'work' }],
    phone_numbers: [{ number: '+1 912 555 0100', category: 'work' }],
    tags: ['vip'],
    address: { street: '1 Bay St', city: 'Savannah', state: 'Georgia', postal_code: '31410', country: 'United States' },
    company_id: 10,
    company_name: 'Beta Corp',
    assignee_id: 3,
    socials: [{ url: 'https://twitter.com/zoe', category: 'twitter' }],
    custom_fields: [
      { custom_field_definition_id: 1, value: 5 },
      { custom_field_definition_id: 2, value: 1_500_000_000 },
      { custom_field_definition_id: 3, value: [7, 8] },
      { custom_field_definition_id: 4, value: true },
    ],
  });
  sandbox().clock.advance(100_000);
  await create({
    name: YAN,
    address: { city: 'Portland', state: 'Oregon', postal_code: '97201', country: 'US' },
    company_name: 'alpha inc',
    assignee_id: 1,
    contact_type_id: 5,
    socials: [{ url: 'https://linkedin.com/in/yan', category: 'linkedin' }],
    custom_fields: [
      { custom_field_definition_id: 1, value: 6 },
      { custom_field_definition_id: 2, value: 1_700_000_000 },
      { custom_field_definition_id: 3, value: [8] },
      { custom_field_definition_id: 4, value: false },
    ],
  });
  sandbox().clock.advance(100_000);
  await create({ name: XIA, company_id: 20, contact_type_id: 2000, custom_fields: [{ custom_field_definition_id: 3, value: [] }] });
  sandbox().clock.advance(100_000);
  expect((await copper(sandbox(), '/people/3', { title: 'CTO' }, { method: 'PUT' })).body).toMatchObject({ date_created: T0_S + 200, date_modified: T0_S + 300 });
}

/** The names a search finds, in order; it must answer 200 with X-PW-TOTAL counting them (every search here fits one page). */
async function found(body: unknown): Promise<string[]> {
  const res = await search(sandbox(), body);
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get(TOTAL_HEADER)).toBe(String(res.body.length));
  return res.body.map((p: { name: string }) => p.name);
}

describe('copper search filters every field Copper documents', () => {
  it('filters by the address: city, state, postal_code and country, without case', async () => {
    await seed();
    expect(await found({ city: 'SAVANNAH' })).toEqual([ZOE]);
    expect(await found({ state: 'oregon' })).toEqual([YAN]);
    expect(await found({ postal_code: '31410' })).toEqual([ZOE]);
    expect(await found({ country: 'us' })).toEqual([YAN]);
    expect(await found({ city: 'Savannah', state: 'Oregon' })).toEqual([]);
  });

  it('filters company_ids by the stored company_id, -2 for people without one', async () => {
    await seed();
    expect(await found({ company_ids: [10] })).toEqual([ZOE]);
    expect(await found({ company_ids: [10, 20] })).toEqual([XIA, ZOE]);
    expect(await found({ company_ids: [-2] })).toEqual([YAN]);
    expect(await found({ company_ids: [99] })).toEqual([]);
  });

  it('filters the created and modified date ranges, bounds included, and age back from now', async () => {
    await seed();
    expect(await found({ minimum_created_date: T0_S + 100 })).toEqual([XIA, YAN]);
    expect(await found({ maximum_created_date: T0_S + 100 })).toEqual([YAN, ZOE]);
    expect(await found({ minimum_created_date: T0_S + 1, maximum_created_date: T0_S + 199 })).toEqual([YAN]);
    expect(await found({ minimum_modified_date: T0_S + 300 })).toEqual([XIA]);
    expect(await found({ maximum_modified_date: T0_S + 299 })).toEqual([YAN, ZOE]);
    // Now is T0 + 300 s: created at most 100 s ago is Xia alone, at most 200 s ago Yan too.
    expect(await found({ age: 100 })).toEqual([XIA]);
    expect(await found({ age: 200 })).toEqual([XIA, YAN]);
    expect(await found({ age: 0 })).toEqual([]);
  });

  it('filters interaction counts and dates by what a person holds: no interaction, never contacted', async () => {
    await seed();
    expect(await found({ minimum_interaction_count: 0, maximum_interaction_count: 0 })).toEqual([XIA, YAN, ZOE]);
    expect(await found({ minimum_interaction_count: 1 })).toEqual([]);
    expect(await found({ minimum_interaction_date: 0 })).toEqual([]);
    expect(await found({ maximum_interaction_date: T0_S + 300 })).toEqual([]);
  });

  it('answers followed and opportunity_ids as the sandbox knows them: nobody is followed, nobody has an opportunity', async () => {
    await seed();
    expect(await found({ followed: 1 })).toEqual([]);
    expect(await found({ followed: 2 })).toEqual([XIA, YAN, ZOE]);
    expect(await found({ opportunity_ids: [42] })).toEqual([]);
    expect(await found({ opportunity_ids: [-2] })).toEqual([XIA, YAN, ZOE]);
    expect(await found({ opportunity_ids: [42, -2], followed: 2, city: 'Portland' })).toEqual([YAN]);
  });

  it('filters custom fields by the stored values: dropdown, date range, multi-select options, checkbox, empty', async () => {
    await seed();
    const field = (id: number, criterion: Record<string, unknown>) => ({ custom_fields: [{ custom_field_definition_id: id, ...criterion }] });
    // A dropdown: the stored option id is one of the values; allow_empty adds the people without one.
    expect(await found(field(1, { value: [5] }))).toEqual([ZOE]);
    expect(await found(field(1, { value: [5, 6] }))).toEqual([YAN, ZOE]);
    expect(await found(field(1, { value: [6], allow_empty: true }))).toEqual([XIA, YAN]);
    expect(await found(field(1, { allow_empty: true }))).toEqual([XIA]);
    // A date (or number, currency, percentage): a range, bounds included.
    expect(await found(field(2, { minimum_value: 1_500_000_000, maximum_value: 1_600_000_000 }))).toEqual([ZOE]);
    expect(await found(field(2, { minimum_value: 1_500_000_001 }))).toEqual([YAN]);
    // A multi-select: any (default), all or none of the values; an empty array is no value.
    expect(await found(field(3, { value: [8] }))).toEqual([YAN, ZOE]);
    expect(await found(field(3, { value: [7, 8], option: 'ALL' }))).toEqual([ZOE]);
    expect(await found(field(3, { value: [7], option: 'NONE' }))).toEqual([YAN]);
    expect(await found(field(3, { value: [7, 9], option: 'NONE' }))).toEqual([YAN]);
    expect(await found(field(3, { value: [7], option: 'NONE', allow_empty: true }))).toEqual([XIA, YAN]);
    // A checkbox: the value itself.
    expect(await found(field(4, { value: false }))).toEqual([YAN]);
    expect(await found(field(4, { value: true }))).toEqual([ZOE]);
    // Every criterion must match.
    expect(await found({ custom_fields: [{ custom_field_definition_id: 1, value: [5, 6] }, { custom_field_definition_id: 4, value: true }] })).toEqual([ZOE]);
    expect(await found(field(99, { value: [1] }))).toEqual([]);
  });

  it('takes the search a real client sends, every documented field at once, and ANDs them', async () => {
    await seed();
    const everything = {
      page_number: 1,
      page_size: 200,
      sort_by: 'date_modified',
      sort_direction: 'desc',
      name: 'zoe',
      emails: ['ZOE@example.com'],
      phone_number: '912',
      ids: [1, 2, 3],
      tags: ['VIP'],
      contact_type_ids: [1074],
      assignee_ids: [3],
      company_ids: [10],
      opportunity_ids: [-2],
      city: 'savannah',
      state: 'georgia',
      postal_code: '31410',
      country: 'united states',
      followed: 2,
      age: 3600,
      minimum_interaction_count: 0,
      maximum_interaction_count: 0,
      minimum_created_date: T0_S,
      maximum_created_date: T0_S,
      minimum_modified_date: T0_S,
      maximum_modified_date: T0_S + 300,
      custom_fields: [{ custom_field_definition_id: 1, value: [5] }],
    };
    expect(await found(everything)).toEqual([ZOE]);
    // The interaction dates too: a person never contacted has no interaction date to fall in the range.
    expect(await found({ ...everything, minimum_interaction_date: 0, maximum_interaction_date: T0_S + 300 })).toEqual([]);
  });
});

describe('copper search sorts by every key Copper documents', () => {
  it.each([
    ['socials', 'asc', [YAN, ZOE, XIA]],
    ['socials', 'desc', [ZOE, YAN, XIA]],
    ['company_name', 'asc', [YAN, ZOE, XIA]],
    ['assignee', 'asc', [YAN, ZOE, XIA]],
    ['assignee', 'desc', [ZOE, YAN, XIA]],
    ['contact_group', 'asc', [YAN, ZOE, XIA]],
    ['contact_group', 'desc', [XIA, ZOE, YAN]],
    ['date_created', 'asc', [ZOE, YAN, XIA]],
    ['date_modified', 'desc', [XIA, YAN, ZOE]],
    ['city', 'asc', [YAN, ZOE, XIA]],
    ['state', 'asc', [ZOE, YAN, XIA]],
    ['country', 'asc', [ZOE, YAN, XIA]],
    ['zip', 'desc', [YAN, ZOE, XIA]],
    // Every person has 0 interactions and none was ever contacted: ties, in id order.
    ['interaction_count', 'asc', [ZOE, YAN, XIA]],
    ['last_interaction', 'asc', [ZOE, YAN, XIA]],
    ['inactive_days', 'asc', [ZOE, YAN, XIA]],
  ])('sort_by %s %s', async (sortBy, direction, expected) => {
    await seed();
    expect(await found({ sort_by: sortBy, sort_direction: direction })).toEqual(expected);
  });

  it('pages through a sort on a new key, the total counting every match', async () => {
    await seed();
    const res = await search(sandbox(), { sort_by: 'socials', page_size: 1, page_number: 2 });
    expect(res.status).toBe(200);
    expect(res.body.map((p: { name: string }) => p.name)).toEqual([ZOE]);
    expect(res.headers.get(TOTAL_HEADER)).toBe('3');
  });
});

describe('copper search refuses a documented field of the wrong type', () => {
  const cf = (criterion: Record<string, unknown>) => ({ custom_fields: [{ custom_field_definition_id: 1, ...criterion }] });
  it.each<[string, Record<string, unknown>]>([
    ['followed', { followed: 3 }],
    ['followed', { followed: true }],
    ['age', { age: -1 }],
    ['age', { age: 1.5 }],
    ['opportunity_ids', { opportunity_ids: ['x'] }],
    ['minimum_modified_date', { minimum_modified_date: '2024-01-01' }],
    ['maximum_interaction_date', { maximum_interaction_date: 'today' }],
    ['sort_by', { sort_by: 'shoe_size' }],
    ['custom_fields', { custom_fields: { custom_field_definition_id: 1, value: [1] } }],
    ['custom_fields', { custom_fields: [{ value: [1] }] }],
    ['custom_fields', cf({})],
    ['custom_fields', cf({ allow_empty: false })],
    ['custom_fields', cf({ value: [1], option: 'SOME' })],
    ['custom_fields', cf({ value: { id: 1 } })],
    ['custom_fields', cf({ minimum_value: '1' })],
    // An unknown key inside a criterion names the criterion, not the key.
    ['custom_fields', cf({ value: [1], colour: 'red' })],
  ])('%s: %j is 422 naming the field', async (field, body) => {
    await seed();
    const res = await search(sandbox(), body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ success: false, status: 422, message: COPPER_MESSAGES.invalidSearchField(field) });
    expect(res.body.message).toBe(`Invalid input: ${field} is invalid`);
  });
});
