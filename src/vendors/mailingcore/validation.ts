// Turns zod's findings into MailingCore's one-line 400 messages, naming the offending item and field.
import type { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import { MAX_BULK_CONTACTS, MC_MESSAGES, mailingcoreError } from './errors.js';

/** class-validator wording for one zod issue; `path` is dotted (`contacts.3.email`). */
export function issueMessage(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return MC_MESSAGES.unknownProperty(path ? `${path}.${issue.keys[0]!}` : issue.keys[0]!);
    case 'invalid_format':
      return issue.format === 'email' ? MC_MESSAGES.email(path) : MC_MESSAGES.invalid(path);
    case 'invalid_value':
      // Query booleans arrive as text: 'true' | 'false' is a boolean to the client.
      if (issue.values.length === 2 && issue.values.includes('true') && issue.values.includes('false')) return MC_MESSAGES.boolean(path);
      return MC_MESSAGES.oneOf(path, issue.values);
    case 'too_big':
      if (issue.origin === 'string') return MC_MESSAGES.maxLength(path, Number(issue.maximum));
      return MC_MESSAGES.max(path, Number(issue.maximum));
    case 'too_small':
      if (issue.origin === 'string') return MC_MESSAGES.notEmpty(path);
      return MC_MESSAGES.min(path, Number(issue.minimum));
    case 'invalid_type':
      switch (issue.expected) {
        case 'string':
          return issue.input === undefined ? MC_MESSAGES.notEmpty(path) : MC_MESSAGES.string(path);
        case 'boolean':
          return MC_MESSAGES.boolean(path);
        case 'number':
        case 'int':
          return MC_MESSAGES.integer(path);
        case 'array':
          return MC_MESSAGES.notAnArray(path);
        default:
          return MC_MESSAGES.mustBeObject(path);
      }
    case 'custom':
      // Refinements carry their message without the field, so it reads the same at any depth.
      return `${path} ${issue.message}`;
    default:
      return MC_MESSAGES.invalid(path);
  }
}

/** Parses `value` with `schema` or throws VALIDATION_FAILED with the first problem, in the vendor's words. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  if (!isPlainObject(value)) throw mailingcoreError('VALIDATION_FAILED', { message: MC_MESSAGES.notAnObject });
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw mailingcoreError('VALIDATION_FAILED', { message: issueMessage(parsed.error.issues[0]!) });
  return parsed.data;
}

/**
 * The bulk body's request-level checks, in the order a client meets them: an object, a
 * `contacts` array, its size, then every item. Any failure refuses the whole request.
 */
export function checkBulkShape(body: unknown): unknown[] {
  if (!isPlainObject(body)) throw mailingcoreError('VALIDATION_FAILED', { message: MC_MESSAGES.notAnObject });
  if (!Array.isArray(body.contacts)) throw mailingcoreError('VALIDATION_FAILED', { message: MC_MESSAGES.notAnArray('contacts') });
  if (body.contacts.length === 0) throw mailingcoreError('CONTACTS_REQUIRED');
  if (body.contacts.length > MAX_BULK_CONTACTS) throw mailingcoreError('CONTACTS_LIMIT_EXCEEDED');
  return body.contacts;
}
