// Cora's zod schemas: the single source of validation, TypeScript types and OpenAPI components.
import { z } from 'zod';
import { CORA_MESSAGES, CoraDetail, MAX_ACCOUNTS } from './errors.js';

export const E164 = /^\+[1-9]\d{1,14}$/;

const text = z.string();
const nullableText = text.nullable().optional();
const jsonObject = z.record(z.string(), z.unknown());

export const CoraPersonName = z
  .strictObject({ first: nullableText, last: nullableText })
  .meta({ id: 'CoraPersonName' });

export const CoraPerson = z
  .strictObject({
    name: CoraPersonName.nullable().optional(),
    birthdate: nullableText.describe('Birth date, commonly YYYY-MM-DD'),
    ssn: nullableText,
    last4SSN: nullableText,
  })
  .meta({ id: 'CoraPerson', description: 'Deep-merged into the stored person on update.' });

export const CoraAddress = z
  .strictObject({
    street: nullableText,
    additionalStreet: nullableText,
    city: nullableText,
    state: nullableText,
    zip: nullableText,
    country: nullableText,
  })
  .meta({ id: 'CoraAddress', description: 'Deep-merged into the stored address on update.' });

/** The fields a client may send for one account; anything else fails the row. */
export const accountFields = {
  externalId: z.string().min(1).max(255).describe('Your identifier; matched within the API key organization.'),
  portfolioId: z.string().min(1).describe('Used when the account is created; ignored on existing accounts.').optional(),
  bucket: text.nullable().optional(),
  status: z.string().min(1).optional(),
  clientStatus: nullableText,
  phoneNumber: z.string().regex(E164, { error: CORA_MESSAGES.phone }).nullable().optional(),
  metadata: jsonObject.describe('Arbitrary key/value payload; deep-merged on update. `filenumber` is required on create.').optional(),
  person: CoraPerson.nullable().optional(),
  emailAddress: z.email({ error: 'emailAddress must be a valid email address' }).nullable().optional(),
  address: CoraAddress.nullable().optional(),
  history: jsonObject.nullable().optional(),
  typeOfDebt: nullableText,
  compliance: jsonObject.nullable().optional(),
  paymentRules: jsonObject.nullable().optional(),
  bank: nullableText,
  client: nullableText,
  originalCreditor: z.union([text, jsonObject], { error: 'originalCreditor must be a string or an object' }).nullable().optional(),
  currentBalance: z.union([z.number(), text], { error: 'currentBalance must be a number or a string' }).nullable().optional(),
  tags: z.array(text).optional(),
  contactInfo: jsonObject.nullable().optional(),
  smsOptOut: jsonObject.nullable().optional(),
};

export const CoraAccountUpsert = z.strictObject(accountFields).meta({
  id: 'CoraAccountUpsert',
  description:
    'One account to create or update. New accounts also need phoneNumber, portfolioId and metadata.filenumber. Scalars and arrays replace; metadata, person and address are deep-merged.',
});
export type CoraAccountUpsert = z.infer<typeof CoraAccountUpsert>;

/** PATCH takes the same fields; externalId comes from the path. */
export const CoraAccountPatch = CoraAccountUpsert.partial({ externalId: true }).meta({
  id: 'CoraAccountPatch',
  description: 'Fields to change on one account (the same rules as an update through bulk upsert).',
});

export const CoraAccount = z
  .object({
    id: z.string(),
    externalId: z.string(),
    organizationId: z.string(),
    portfolioId: z.string().nullable(),
    bucket: z.string().nullable(),
    status: z.string(),
    status_category: z.string(),
    clientStatus: z.string().nullable(),
    phoneNumber: z.string().nullable(),
    metadata: jsonObject,
    person: CoraPerson.nullable(),
    emailAddress: z.string().nullable(),
    currentEmailAddressId: z.string().nullable(),
    emailAddressIds: z.array(z.string()),
    address: CoraAddress.nullable(),
    history: jsonObject.nullable(),
    typeOfDebt: z.string().nullable(),
    compliance: jsonObject.nullable(),
    paymentRules: jsonObject.nullable(),
    bank: z.string().nullable(),
    client: z.string().nullable(),
    originalCreditor: z.union([z.string(), jsonObject]).nullable(),
    currentBalance: z.union([z.number(), z.string()]).nullable(),
    tags: z.array(z.string()),
    contactInfo: jsonObject.nullable(),
    smsOptOut: jsonObject.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CoraAccount', description: 'A stored account, as GET returns it.' });
export type CoraAccount = z.infer<typeof CoraAccount>;

/** Fields the client may never send (read-only on the account object). */
export const READ_ONLY_FIELDS = new Set(['id', 'status_category', 'createdAt', 'updatedAt', 'currentEmailAddressId', 'emailAddressIds']);

/** Request-level shape only: rows are validated one by one so that a bad row fails alone. */
export const CoraBulkUpsertEnvelope = z.object({
  accounts: z.array(z.unknown()),
  dryRun: z.boolean().optional(),
  includeChanges: z.boolean().optional(),
});

export const CoraBulkUpsertRequest = z
  .strictObject({
    accounts: z.array(CoraAccountUpsert).min(1).max(MAX_ACCOUNTS),
    dryRun: z.boolean().default(false).describe('Validate and report without writing.'),
    includeChanges: z.boolean().default(false).describe('Add a changes array to updated rows.'),
  })
  .meta({ id: 'CoraBulkUpsertRequest' });

export const CoraChange = z
  .object({ field: z.string().describe('Dot path of the changed leaf'), from: z.unknown(), to: z.unknown() })
  .meta({ id: 'CoraChange' });

export const CoraBulkUpsertResult = z
  .object({
    index: z.number().int().nonnegative(),
    externalId: z.string().optional(),
    status: z.enum(['created', 'updated', 'unchanged', 'failed']),
    accountId: z.string().optional(),
    updatedAt: z.string().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    details: z.array(CoraDetail).optional(),
    changes: z.array(CoraChange).optional(),
  })
  .meta({ id: 'CoraBulkUpsertResult' });
export type CoraBulkUpsertResult = z.infer<typeof CoraBulkUpsertResult>;

export const CoraBulkUpsertResponse = z
  .object({
    success: z.literal(true),
    code: z.literal('BULK_UPSERT_PROCESSED'),
    message: z.string(),
    dryRun: z.boolean(),
    summary: z.object({
      total: z.number().int().nonnegative(),
      created: z.number().int().nonnegative(),
      updated: z.number().int().nonnegative(),
      unchanged: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
    }),
    results: z.array(CoraBulkUpsertResult),
  })
  .meta({ id: 'CoraBulkUpsertResponse' });

export const CoraAccountResponse = z
  .object({ success: z.literal(true), code: z.literal('ACCOUNT_FETCHED'), message: z.string(), account: CoraAccount })
  .meta({ id: 'CoraAccountResponse' });

export const CoraAccountsResponse = z
  .object({
    success: z.literal(true),
    code: z.literal('ACCOUNTS_FETCHED'),
    message: z.string(),
    accounts: z.array(CoraAccount),
    notFoundExternalIds: z.array(z.string()),
    count: z.number().int().nonnegative(),
  })
  .meta({ id: 'CoraAccountsResponse' });

export const CoraAccountUpdatedResponse = z
  .object({
    success: z.literal(true),
    code: z.literal('ACCOUNT_UPDATED'),
    message: z.string(),
    account: z.object({ id: z.string(), externalId: z.string(), organizationId: z.string(), updatedAt: z.string() }),
  })
  .meta({ id: 'CoraAccountUpdatedResponse' });

export const CORA_SUCCESS = {
  bulk: { code: 'BULK_UPSERT_PROCESSED', message: 'Bulk upsert processed' },
  fetched: { code: 'ACCOUNT_FETCHED', message: 'Account fetched successfully' },
  fetchedMany: { code: 'ACCOUNTS_FETCHED', message: 'Accounts fetched successfully' },
  updated: { code: 'ACCOUNT_UPDATED', message: 'Account updated successfully' },
} as const;
