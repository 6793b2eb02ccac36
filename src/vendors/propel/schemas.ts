// Propel's zod schemas: the single source of request validation, TypeScript types and OpenAPI components.
import { z } from 'zod';
import { MAX_CONTACTS } from './errors.js';

/** Propel ids are Java ints. */
export const MAX_ID = 2147483647;
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** ISO 639-1: two letters; either case is accepted and stored upper case (*decision*). */
export const LANGUAGE_PATTERN = /^[A-Za-z]{2}$/;
export const ATTRIBUTE_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;
export const ATTRIBUTE_TYPES = ['text', 'integer', 'decimal', 'date', 'enum'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];
export const LOOKUP_KEYS = ['id', 'sourceId'] as const;
export type LookupKey = (typeof LOOKUP_KEYS)[number];

const contactId = z.int().min(1).max(MAX_ID);
/**
 * Both vendor pages type `sourceId` (on the contact and on `parent`) as a number. An identifier, so
 * an integer from 1 (*decision*, as `id`), up to 2^53 - 1 (zod's int bound): the largest integer a
 * JSON parser that reads numbers as doubles keeps exactly, so the sourceId stored and echoed as
 * `key` is the one sent.
 */
const sourceId = z.int().min(1);
const text = z.string();
const language = z.string().regex(LANGUAGE_PATTERN);

export const PropelParentRef = z
  .strictObject({
    id: contactId.optional(),
    sourceId: sourceId.optional(),
    source: z.string().min(1).optional().describe('Required with `sourceId`.'),
  })
  .meta({ id: 'PropelParentRef', description: 'The parent contact: `{"id"}` or `{"sourceId", "source"}`. When both are sent, `id` wins.' });

export const PropelAttributeInput = z
  .strictObject({
    class: z.enum(['user']),
    name: z.string().regex(ATTRIBUTE_NAME_PATTERN).describe('UPPER_SNAKE_CASE attribute name'),
    type: z.enum(ATTRIBUTE_TYPES),
    value: z
      .unknown()
      .optional()
      .describe('Checked against `type` per contact (a mismatch fails that contact only). Leave out to delete the attribute.'),
  })
  .meta({ id: 'PropelAttributeInput', description: 'Sets one attribute by name; without `value` it deletes it.' });

/** Fields both bulk endpoints take (the union of each page's field table and body schema, minus `company`). */
const contactFields = {
  debtorId: contactId.optional().describe('Deprecated'),
  firstName: text.optional(),
  middleName: text.optional(),
  lastName: text.optional(),
  abbreviation: text.optional(),
  title: text.optional(),
  dateOfBirth: z.string().regex(DATE_PATTERN).optional().describe('YYYY-MM-DD'),
  gender: z.enum(['M', 'F', 'U']).optional(),
  ssn: text.optional(),
  phone: text.optional(),
  mobile: text.optional(),
  email: z.email().optional(),
  parent: PropelParentRef.optional(),
  primaryLanguage: language.optional().describe('ISO 639-1'),
  language: language.optional().describe('ISO 639-1; part of the (sourceId, source, language) identity'),
  sourceId: sourceId.optional().describe('Your identifier, a number (as the vendor pages type it); needs `source`'),
  source: z.string().min(1).optional().describe('The system `sourceId` belongs to; required when `sourceId` is given'),
};

export const PropelContactById = z
  .strictObject({ id: contactId.optional().describe('Required: the lookup key (10016 when missing)'), ...contactFields })
  .meta({ id: 'PropelContactById', description: 'One contact for bulk/id: created with this id when unknown, updated otherwise.' });
export type PropelContactById = z.infer<typeof PropelContactById>;

export const PropelContactBySourceId = z
  .strictObject({ ...contactFields, attributes: z.array(PropelAttributeInput).optional() })
  .meta({
    id: 'PropelContactBySourceId',
    description: 'One contact for bulk/sourceId, identified by (sourceId, source, language); `sourceId` and `source` are required (10016 without sourceId).',
  });
export type PropelContactBySourceId = z.infer<typeof PropelContactBySourceId>;

/** What one bulk row may carry, whichever endpoint it came through. */
export type PropelContactInput = PropelContactBySourceId & { id?: number };

export const PropelContactPatch = PropelContactBySourceId.meta({
  id: 'PropelContactPatch',
  description: 'The fields to change on one contact (same rules as a bulk update; fields not sent keep their value).',
});

export const PropelBulkByIdRequest = z
  .strictObject({ contacts: z.array(PropelContactById).min(1).max(MAX_CONTACTS) })
  .meta({ id: 'PropelBulkByIdRequest' });
export const PropelBulkBySourceIdRequest = z
  .strictObject({ contacts: z.array(PropelContactBySourceId).min(1).max(MAX_CONTACTS) })
  .meta({ id: 'PropelBulkBySourceIdRequest' });

/** Keys in the vendor's order (alphabetical, as its example and schema list them); `error` where that order puts it. */
export const PropelBulkResult = z
  .object({
    action: z.enum(['create', 'update']),
    error: z.string().optional().describe('Why the row failed'),
    id: z.number().int().optional().describe('Absent on failed rows'),
    key: z.number().int().describe('The row\'s lookup value: its id, or its sourceId (both numbers)'),
    lookupKey: z.enum(LOOKUP_KEYS),
    success: z.boolean(),
  })
  .meta({ id: 'PropelBulkResult' });
export type PropelBulkResult = z.infer<typeof PropelBulkResult>;

export const PropelBulkResponse = z
  .object({ data: z.array(PropelBulkResult), messages: z.array(z.string()), total: z.number().int().nonnegative() })
  .meta({ id: 'PropelBulkResponse', description: 'One result per contact, in request order; `total` counts rows.' });

export const PropelAttribute = z
  .object({ class: z.string(), name: z.string(), type: z.enum(ATTRIBUTE_TYPES), value: z.union([z.string(), z.number()]) })
  .meta({ id: 'PropelAttribute' });
export type PropelAttribute = z.infer<typeof PropelAttribute>;

const nullableText = z.string().nullable();
/**
 * Keys in alphabetical order: the order of the vendor's contact schema (and of every example and
 * schema on its pages). The read endpoints answer in this order whatever order a contact was stored in.
 */
export const PropelContact = z
  .object({
    abbreviation: nullableText,
    attributes: z.array(PropelAttribute),
    createdAt: z.string(),
    dateOfBirth: nullableText,
    debtorId: z.number().int().nullable(),
    email: nullableText,
    firstName: nullableText,
    gender: z.enum(['M', 'F', 'U']).nullable(),
    id: z.number().int(),
    language: nullableText,
    lastName: nullableText,
    middleName: nullableText,
    mobile: nullableText,
    parent: z.object({ id: z.number().int() }).nullable(),
    phone: nullableText,
    primaryLanguage: nullableText,
    source: nullableText,
    sourceId: z.number().int().nullable(),
    ssn: nullableText,
    title: nullableText,
    updatedAt: z.string(),
  })
  .meta({ id: 'PropelContact', description: 'A stored contact as the read endpoints return it; fields never set are null.' });
export type PropelContact = z.infer<typeof PropelContact>;

export const PropelContactResponse = z.object({ data: PropelContact }).meta({ id: 'PropelContactResponse' });
export const PropelContactUpdatedResponse = z
  .object({ data: PropelContact, messages: z.array(z.string()), total: z.number().int().nonnegative() })
  .meta({ id: 'PropelContactUpdatedResponse' });
export const PropelContactDeletedResponse = z
  .object({ data: z.object({}), messages: z.array(z.string()) })
  .meta({ id: 'PropelContactDeletedResponse' });

export const PropelTokenResponse = z
  .object({ access_token: z.string(), expires_in: z.number().int().positive(), token_type: z.literal('Bearer'), scope: z.string() })
  .meta({ id: 'PropelTokenResponse' });
