// MailingCore's zod schemas: the single source of validation, TypeScript types and OpenAPI components.
import { z } from 'zod';
import { LOCALES, MAX_BULK_CONTACTS, MAX_EXTERNAL_ID, MAX_PAGE_LIMIT, MAX_SHORT_TEXT } from './errors.js';

/** The vendor takes ISO 8601 (*sourced*); we also accept a date alone, and read a time without offset as UTC (*decision*). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Epoch ms of an ISO 8601 string, or undefined when it is not one. */
export function parseIsoDate(value: string): number | undefined {
  if (!ISO_DATE.test(value)) return undefined;
  const hasZone = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  const ms = Date.parse(value.includes('T') && !hasZone ? `${value}Z` : value);
  return Number.isFinite(ms) ? ms : undefined;
}

export const MailingCoreLocale = z.enum(LOCALES).meta({ id: 'MailingCoreLocale', description: 'Contact language' });
const jsonObject = z.record(z.string(), z.unknown());
const shortText = z.string().max(MAX_SHORT_TEXT);
const externalId = z.string().min(1).max(MAX_EXTERNAL_ID).describe('Your identifier; unique per tenant. The upsert key when present.');

/** One contact as the bulk import and `PUT /contacts` take it; unknown fields are refused. */
export const MailingCoreContactInput = z
  .strictObject({
    email: z.email().describe('Required; unique per tenant, compared case-insensitively. The upsert key when externalId is absent.'),
    externalId: externalId.optional(),
    locale: MailingCoreLocale.nullable().optional(),
    optIn: z.boolean().optional().describe('Default false on create'),
    attributes: jsonObject.optional().describe('Free JSON object, default {}; replaced whole on update'),
    consentVersion: shortText.nullable().optional(),
    source: shortText.nullable().optional(),
    projectId: z.string().min(1).nullable().optional(),
  })
  .meta({
    id: 'MailingCoreContactInput',
    description: 'Upserts by externalId when present, else by email. On update, fields sent replace the stored ones; fields not sent are kept.',
  });
export type MailingCoreContactInput = z.infer<typeof MailingCoreContactInput>;

/** `PATCH /contacts/{id}`: any subset of the fields; `null` clears externalId, locale and the short texts. */
export const MailingCoreContactPatch = z
  .strictObject({
    email: z.email().optional(),
    externalId: externalId.nullable().optional(),
    locale: MailingCoreLocale.nullable().optional(),
    optIn: z.boolean().optional(),
    attributes: jsonObject.optional(),
    consentVersion: shortText.nullable().optional(),
    source: shortText.nullable().optional(),
    projectId: z.string().min(1).nullable().optional(),
  })
  .meta({ id: 'MailingCoreContactPatch', description: 'Fields to change on one contact.' });
export type MailingCoreContactPatch = z.infer<typeof MailingCoreContactPatch>;

export const MailingCoreContact = z
  .object({
    id: z.string(),
    email: z.string(),
    externalId: z.string().nullable(),
    locale: MailingCoreLocale.nullable(),
    optIn: z.boolean(),
    attributes: jsonObject,
    consentVersion: z.string().nullable(),
    source: z.string().nullable(),
    projectId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'MailingCoreContact', description: 'A stored contact.' });
export type MailingCoreContact = z.infer<typeof MailingCoreContact>;

export const MailingCoreBulkRequest = z
  .strictObject({ contacts: z.array(MailingCoreContactInput).min(1).max(MAX_BULK_CONTACTS) })
  .meta({ id: 'MailingCoreBulkRequest', description: `1 to ${MAX_BULK_CONTACTS} contacts; one invalid item refuses the whole request.` });

export const MailingCoreBulkRowError = z
  .object({ index: z.number().int().nonnegative(), externalId: z.string().nullable(), email: z.string().nullable(), message: z.string() })
  .meta({ id: 'MailingCoreBulkRowError' });
export type MailingCoreBulkRowError = z.infer<typeof MailingCoreBulkRowError>;

export const MailingCoreBulkResponse = z
  .object({
    total: z.number().int().nonnegative(),
    created: z.number().int().nonnegative(),
    updated: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    errors: z.array(MailingCoreBulkRowError),
  })
  .meta({ id: 'MailingCoreBulkResponse', description: 'Counts of the import; the failed items, by request index.' });
export type MailingCoreBulkResponse = z.infer<typeof MailingCoreBulkResponse>;

/** Query of `GET /contacts` (all strings on the wire; the types below are what they must spell). */
export const MailingCoreContactsQuery = z.strictObject({
  page: z.coerce.number().int().min(1).optional().describe('1-based page (offset paging); not with cursor. Default 1'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).optional().describe(`Page size, at most ${MAX_PAGE_LIMIT}. Default 50`),
  locale: MailingCoreLocale.optional(),
  optIn: z.enum(['true', 'false']).optional(),
  updatedSince: z
    .string()
    .refine((v) => parseIsoDate(v) !== undefined, { message: 'must be a valid ISO 8601 date string' })
    .optional()
    .describe('ISO 8601; contacts with updatedAt >= this'),
  cursor: z.string().min(1).optional().describe('meta.nextCursor of the previous page; carries the walk\'s filters'),
});
export type MailingCoreContactsQuery = z.infer<typeof MailingCoreContactsQuery>;

export const MailingCoreContactsPage = z
  .object({
    data: z.array(MailingCoreContact),
    meta: z.object({
      page: z.number().int().nonnegative(),
      limit: z.number().int().nonnegative(),
      total: z.number().int().nonnegative(),
      totalPages: z.number().int().nonnegative(),
      nextCursor: z.string().nullable(),
    }),
  })
  .meta({ id: 'MailingCoreContactsPage', description: 'Ordered by (updatedAt, id).' });

export const MailingCoreDeleted = z
  .object({ deleted: z.literal(true), externalId: z.string() })
  .meta({ id: 'MailingCoreDeleted' });

export const MailingCoreAudienceFilter = z
  .strictObject({
    locale: MailingCoreLocale.nullable().optional().describe('null: contacts without a locale'),
    optIn: z.boolean().optional(),
    projectId: z.string().min(1).optional(),
    attributes: jsonObject.optional().describe('Every key must equal the contact attribute of the same name'),
  })
  .meta({ id: 'MailingCoreAudienceFilter' });
export type MailingCoreAudienceFilter = z.infer<typeof MailingCoreAudienceFilter>;

export const MailingCoreCampaignInput = z
  .strictObject({
    name: z.string().min(1).max(200),
    audienceFilter: MailingCoreAudienceFilter,
    templateLocales: z.array(MailingCoreLocale).optional(),
  })
  .meta({ id: 'MailingCoreCampaignInput' });
export type MailingCoreCampaignInput = z.infer<typeof MailingCoreCampaignInput>;

export const MailingCoreCampaign = z
  .object({
    id: z.string(),
    name: z.string(),
    audienceFilter: MailingCoreAudienceFilter,
    templateLocales: z.array(MailingCoreLocale),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'MailingCoreCampaign' });
export type MailingCoreCampaign = z.infer<typeof MailingCoreCampaign>;

export const MailingCoreLocaleCoverage = z
  .array(z.object({ locale: MailingCoreLocale.nullable(), count: z.number().int().nonnegative(), hasTemplate: z.boolean() }))
  .meta({
    id: 'MailingCoreLocaleCoverage',
    description: "Counts of the tenant's contacts matching the audience filter, per locale (null: no locale).",
  });
export type MailingCoreLocaleCoverage = z.infer<typeof MailingCoreLocaleCoverage>;
