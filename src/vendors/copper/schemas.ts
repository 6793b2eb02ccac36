// Copper's zod schemas: person fields (validated one by one), the stored person, and the request/response bodies.
import { z } from 'zod';
import { MAX_BULK_PEOPLE, MAX_PAGE_SIZE, ROW_REASONS } from './errors.js';

/** Category enums. Emails and phones: spec/copper.md; websites and socials: Copper's people docs (*decision* where silent). */
export const EMAIL_CATEGORIES = ['work', 'personal', 'other'] as const;
export const PHONE_CATEGORIES = ['mobile', 'work', 'home', 'other'] as const;
export const WEBSITE_CATEGORIES = ['work', 'personal', 'other'] as const;
export const SOCIAL_CATEGORIES = ['linkedin', 'twitter', 'googleplus', 'facebook', 'youtube', 'quora', 'foursquare', 'klout', 'gravatar', 'other'] as const;

const nullableText = z.string().nullable();
const nullableInt = z.number().int().nullable();

export const CopperAddress = z
  .object({
    street: nullableText.optional(),
    city: nullableText.optional(),
    state: nullableText.optional(),
    postal_code: nullableText.optional(),
    country: nullableText.optional(),
  })
  .meta({ id: 'CopperAddress', description: 'Replaced whole on update; keys not sent are stored as null.' });

export const CopperEmail = z
  .object({ email: z.email(), category: z.enum(EMAIL_CATEGORIES) })
  .meta({ id: 'CopperEmail', description: 'Unique across the account, compared case-insensitively.' });
export const CopperPhoneNumber = z.object({ number: z.string().trim().min(1), category: z.enum(PHONE_CATEGORIES) }).meta({ id: 'CopperPhoneNumber' });
export const CopperSocial = z.object({ url: z.string().trim().min(1), category: z.enum(SOCIAL_CATEGORIES) }).meta({ id: 'CopperSocial' });
export const CopperWebsite = z.object({ url: z.string().trim().min(1), category: z.enum(WEBSITE_CATEGORIES) }).meta({ id: 'CopperWebsite' });
export const CopperCustomField = z
  .object({ custom_field_definition_id: z.number().int(), value: z.unknown() })
  .meta({ id: 'CopperCustomField', description: 'Stored as sent: custom field definitions are not emulated.' });

/**
 * The fields a client may write, each validated on its own so one bad field names itself in
 * the failure element. `null` clears a field on update (arrays become `[]`).
 */
export const writableFields = {
  name: z.string().describe('Full name; required on create. Split into first, middle and last name.'),
  prefix: nullableText,
  first_name: nullableText.describe('Derived from `name` unless sent.'),
  middle_name: nullableText.describe('Derived from `name` unless sent.'),
  last_name: nullableText.describe('Derived from `name` unless sent.'),
  suffix: nullableText,
  address: CopperAddress.nullable(),
  assignee_id: nullableInt,
  company_id: nullableInt,
  company_name: nullableText,
  contact_type_id: nullableInt.describe('null or absent: the account default contact type.'),
  details: nullableText,
  emails: z.array(CopperEmail).nullable(),
  phone_numbers: z.array(CopperPhoneNumber).nullable(),
  socials: z.array(CopperSocial).nullable(),
  tags: z.array(z.string()).nullable(),
  title: nullableText,
  websites: z.array(CopperWebsite).nullable(),
  custom_fields: z.array(CopperCustomField).nullable(),
} as const;
export type WritableField = keyof typeof writableFields;
export const WRITABLE_FIELDS = Object.keys(writableFields) as WritableField[];

export const CopperPersonInput = z
  .object({
    // Documented, not kept: Copper's own bulk_create example sends ids, and the API assigns its own (spec/copper.md).
    id: z.number().int().optional().describe('Ignored: ids are assigned by the server.'),
    ...(Object.fromEntries(WRITABLE_FIELDS.map((f) => [f, writableFields[f].optional()])) as { [K in WritableField]: z.ZodOptional<(typeof writableFields)[K]> }),
  })
  .meta({
    id: 'CopperPersonInput',
    description: 'A person to create (`name` required) or the fields to change. Read-only fields (`id`, dates, counts) and unknown fields are ignored.',
  });

export const CopperPersonUpdateInput = CopperPersonInput.extend({ id: z.number().int().describe('The person to update') }).meta({
  id: 'CopperPersonUpdateInput',
  description: 'One object of a bulk update: the person id and the fields to change.',
});

export const CopperStoredAddress = z
  .object({ street: nullableText, city: nullableText, state: nullableText, postal_code: nullableText, country: nullableText })
  .meta({ id: 'CopperStoredAddress' });

/** A person exactly as `GET /people/{id}` returns it, keys in Copper's order. */
export const CopperPerson = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: nullableText,
    first_name: nullableText,
    middle_name: nullableText,
    last_name: nullableText,
    suffix: nullableText,
    address: CopperStoredAddress.nullable(),
    assignee_id: nullableInt,
    company_id: nullableInt,
    company_name: nullableText,
    contact_type_id: nullableInt,
    details: nullableText,
    emails: z.array(CopperEmail),
    phone_numbers: z.array(CopperPhoneNumber),
    socials: z.array(CopperSocial),
    tags: z.array(z.string()),
    title: nullableText,
    websites: z.array(CopperWebsite),
    custom_fields: z.array(CopperCustomField),
    date_created: z.number().int().describe('Unix seconds'),
    date_modified: z.number().int().describe('Unix seconds'),
    date_last_contacted: z.number().int().nullable(),
    interaction_count: z.number().int(),
    leads_converted_from: z.array(z.unknown()),
    date_lead_created: z.number().int().nullable(),
  })
  .meta({ id: 'CopperPerson', description: 'A stored person.' });
export type CopperPerson = z.infer<typeof CopperPerson>;

/** `{"<field>": [{"error": "<reason>"}]}` (*sourced* shape, reasons *decided*). */
export const CopperFieldErrors = z
  .record(z.string(), z.array(z.object({ error: z.enum(ROW_REASONS) })))
  .meta({ id: 'CopperFieldErrors' });
export type CopperFieldErrors = z.infer<typeof CopperFieldErrors>;

export const CopperBulkFailure = z
  .object({
    success: z.literal(false),
    message: CopperFieldErrors,
    id: z.unknown().optional().describe('bulk_update only: the id as sent (null when missing)'),
  })
  .meta({ id: 'CopperBulkFailure', description: 'One object that failed; the others of the request are unaffected.' });
export type CopperBulkFailure = z.infer<typeof CopperBulkFailure>;

export const CopperBulkResponse = z
  .array(z.union([CopperPerson, CopperBulkFailure]))
  .meta({ id: 'CopperBulkResponse', description: 'One element per request object, in request order.' });

export const CopperBulkCreateRequest = z
  .object({ people: z.array(CopperPersonInput).max(MAX_BULK_PEOPLE) })
  .meta({ id: 'CopperBulkCreateRequest', description: '`id` in an object is ignored: ids are assigned by the server.' });
export const CopperBulkUpdateRequest = z
  .object({ people: z.array(CopperPersonUpdateInput).max(MAX_BULK_PEOPLE) })
  .meta({ id: 'CopperBulkUpdateRequest' });

export const CopperDeleted = z.object({ id: z.number().int(), is_deleted: z.literal(true) }).meta({ id: 'CopperDeleted' });
export const CopperFetchByEmail = z.object({ email: z.string() }).meta({ id: 'CopperFetchByEmailRequest' });

/**
 * Sort keys Copper's people search documents (*sourced*: its footnote and public clients). The
 * ones the sandbox cannot order by a real value sort as the README says (*decision*).
 */
export const SORT_FIELDS = [
  'name',
  'first_name',
  'last_name',
  'title',
  'email',
  'phone',
  'date_modified',
  'date_created',
  'city',
  'state',
  'country',
  'zip',
  'socials',
  'interaction_count',
  'last_interaction',
  'assignee',
  'company_name',
  'contact_group',
  'inactive_days',
] as const;

/** `option` of a multi-select custom field search (*sourced*): any, all or none of the values. */
export const CUSTOM_FIELD_OPTIONS = ['ANY', 'ALL', 'NONE'] as const;

/**
 * One custom field criterion (*sourced* keys: Copper's "Search Entity by Custom Field"). Custom
 * field definitions are not emulated, so the shape of the criterion and of the stored value say
 * how they compare (*decision*, see the README).
 */
export const CopperCustomFieldSearch = z
  .strictObject({
    custom_field_definition_id: z.number().int(),
    value: z
      .union([z.array(z.number()), z.number(), z.boolean(), z.string()])
      .optional()
      .describe('An array of option ids (dropdown, multi-select), or the exact value (checkbox, number)'),
    minimum_value: z.number().optional().describe('Date, number, percentage or currency: the smallest value (inclusive)'),
    maximum_value: z.number().optional().describe('Date, number, percentage or currency: the largest value (inclusive)'),
    option: z.enum(CUSTOM_FIELD_OPTIONS).optional().describe('With an array `value`: the person holds any (default), all or none of the values'),
    allow_empty: z.boolean().optional().describe('People without a value for the field match too'),
  })
  .refine((c) => c.value !== undefined || c.minimum_value !== undefined || c.maximum_value !== undefined || c.allow_empty === true, {
    message: 'a custom field criterion needs value, minimum_value, maximum_value or allow_empty: true',
  })
  .meta({ id: 'CopperCustomFieldSearch', description: 'One custom field criterion: `value`, `minimum_value`, `maximum_value` or `allow_empty: true` (at least one).' });
export type CopperCustomFieldSearch = z.infer<typeof CopperCustomFieldSearch>;

const ints = z.array(z.number().int());
const unixSeconds = z.number().int();
export const CopperSearchRequest = z
  .strictObject({
    page_number: z.number().int().min(1).optional().describe('Default 1'),
    page_size: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe(`Default 20, at most ${MAX_PAGE_SIZE}`),
    sort_by: z.enum(SORT_FIELDS).optional().describe('Default first_name'),
    sort_direction: z.enum(['asc', 'desc']).optional().describe('Default asc'),
    name: z.string().optional().describe('Case-insensitive substring of the full name'),
    emails: z.array(z.string()).optional().describe('People holding any of these emails (case-insensitive)'),
    phone_number: z.string().optional().describe('People with a phone number whose digits contain these digits'),
    ids: ints.optional(),
    tags: z.array(z.string()).optional().describe('People with at least one of these tags'),
    contact_type_ids: ints.optional(),
    assignee_ids: ints.optional().describe('-2 matches people with no assignee'),
    company_ids: ints.optional().describe('-2 matches people with no company'),
    opportunity_ids: ints
      .optional()
      .describe('Opportunities are not emulated, so no person has one: -2 (none) matches every person, any other id none'),
    city: z.string().optional(),
    state: z.string().optional(),
    postal_code: z.string().optional(),
    country: z.string().optional(),
    followed: z
      .union([z.literal(1), z.literal(2)])
      .optional()
      .describe('1: people the user follows, 2: people the user does not follow. No person is followed in the sandbox: 1 matches none, 2 every person'),
    age: z.number().int().min(0).optional().describe('Seconds: people created at most this long ago'),
    minimum_interaction_count: z.number().int().optional(),
    maximum_interaction_count: z.number().int().optional(),
    minimum_interaction_date: unixSeconds.optional().describe('Last interaction (`date_last_contacted`) at or after; people never contacted do not match'),
    maximum_interaction_date: unixSeconds.optional().describe('Last interaction (`date_last_contacted`) at or before; people never contacted do not match'),
    minimum_created_date: unixSeconds.optional(),
    maximum_created_date: unixSeconds.optional(),
    minimum_modified_date: unixSeconds.optional(),
    maximum_modified_date: unixSeconds.optional(),
    custom_fields: z.array(CopperCustomFieldSearch).optional().describe('Every criterion must match'),
  })
  .meta({ id: 'CopperSearchRequest', description: 'Every filter sent must match (AND). An empty body searches everything.' });
export type CopperSearchRequest = z.infer<typeof CopperSearchRequest>;

/** Activity type categories (*sourced*): `user` activities are entered by people, `system` ones (property changes) by Copper. */
export const ACTIVITY_CATEGORIES = ['user', 'system'] as const;

export const CopperActivityType = z
  .object({ category: z.enum(ACTIVITY_CATEGORIES), id: z.number().int().min(0) })
  .meta({ id: 'CopperActivityType', description: 'Notes are `{"category": "user", "id": 0}` (*sourced*); other ids are activity types of the account.' });

/** An activity's parent: Copper documents leads, people, companies, opportunities, projects and tasks; the sandbox keeps people only. */
export const CopperActivityParent = z
  .object({ id: z.number().int(), type: z.literal('person') })
  .meta({ id: 'CopperActivityParent', description: 'The person the activity belongs to (the only parent type the sandbox emulates).' });

/** An activity as Copper returns it, keys in Copper's order (*sourced* fields). */
export const CopperActivity = z
  .object({
    id: z.number().int(),
    parent: CopperActivityParent,
    type: CopperActivityType,
    user_id: z.number().int().nullable().describe('The sandbox keeps no users: always null'),
    details: z.string(),
    activity_date: z.number().int().describe('Unix seconds'),
    old_value: z.null().describe('System activities only: null for the user activities the sandbox keeps'),
    new_value: z.null().describe('System activities only: null for the user activities the sandbox keeps'),
    date_created: z.number().int().describe('Unix seconds'),
    date_modified: z.number().int().describe('Unix seconds'),
  })
  .meta({ id: 'CopperActivity', description: 'A stored activity.' });
export type CopperActivity = z.infer<typeof CopperActivity>;

/**
 * The fields of `POST /activities`, each checked on its own so the 422 names every failing one.
 * Only user activities can be created (*sourced*); `id`, `user_id`, the dates and the values are read-only.
 */
export const activityFields = {
  parent: CopperActivityParent,
  type: z.object({ category: z.literal('user'), id: z.number().int().min(0) }),
  details: z.string(),
  activity_date: z.number().int().min(0).nullable(),
} as const;
export type ActivityField = keyof typeof activityFields;
export const ACTIVITY_FIELDS = Object.keys(activityFields) as ActivityField[];
/** Required on create: missing, null (or blank details) is `can't be blank`. */
export const REQUIRED_ACTIVITY_FIELDS: readonly ActivityField[] = ['parent', 'type', 'details'];

export const CopperActivityInput = z
  .object({
    parent: activityFields.parent,
    type: activityFields.type.describe('A user activity type: `{"category": "user", "id": 0}` is a note'),
    details: activityFields.details.describe('The text of the activity; required, not blank'),
    activity_date: activityFields.activity_date.optional().describe('Unix seconds; absent or null: now'),
  })
  .meta({ id: 'CopperActivityInput', description: 'A user activity to log on a person. Read-only and unknown fields are ignored.' });

export const CopperActivityListRequest = z
  .strictObject({
    page_number: z.number().int().min(1).optional().describe('Default 1'),
    page_size: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe(`Default 20, at most ${MAX_PAGE_SIZE}`),
    activity_types: z
      .array(z.object({ category: z.enum(ACTIVITY_CATEGORIES), id: z.number().int().min(0).optional() }))
      .optional()
      .describe('Activities of any of these types; a type without `id` matches its whole category'),
    minimum_activity_date: z.number().int().optional().describe('Unix seconds, inclusive'),
    maximum_activity_date: z.number().int().optional().describe('Unix seconds, inclusive'),
    full_result: z.boolean().optional().describe('Accepted and without effect: the sandbox never returns an activity twice'),
  })
  .meta({ id: 'CopperActivityListRequest', description: "Every filter sent must match (AND). An empty body lists the first page of all the person's activities." });
export type CopperActivityListRequest = z.infer<typeof CopperActivityListRequest>;
