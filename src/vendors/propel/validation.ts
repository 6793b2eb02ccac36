// Schema checks in Propel's words: each zod issue becomes an everit-style message behind a JSON pointer.
import type { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import { MAX_CONTACTS, PROPEL_MESSAGES, propelError } from './errors.js';
import { PropelBulkByIdRequest, PropelBulkBySourceIdRequest, PropelContactPatch, type LookupKey, type PropelContactInput } from './schemas.js';

type Path = readonly PropertyKey[];

/** `#/contacts/0/parent`: RFC 6901 escaping, `#` for the root, as everit prints pointers. */
export function pointer(path: Path): string {
  return ['#', ...path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1'))].join('/');
}

/** everit prints the Java class org.json parsed the value into. */
export function javaTypeName(value: unknown): string {
  if (value === null) return 'Null';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'BigDecimal';
    const magnitude = Math.abs(value);
    return magnitude <= 2147483647 ? 'Integer' : magnitude < 2 ** 63 ? 'Long' : 'BigInteger';
  }
  return Array.isArray(value) ? 'JSONArray' : 'JSONObject';
}

/** A value as Java's `toString` would print it inside a message: an integer with every digit (never `1e+21`). */
function javaString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  return JSON.stringify(value) ?? 'null';
}

/**
 * zod's int also checks the safe-integer range, with an issue of its own (origin `int`) besides
 * the field's bound: beyond both, a JSON schema validator names the field's bound only.
 */
function withoutSafeRangeDuplicates(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const bounded = new Set(issues.filter((i) => (i.code === 'too_big' || i.code === 'too_small') && i.origin !== 'int').map((i) => `${i.code} ${pointer(i.path)}`));
  return issues.filter((i) => !((i.code === 'too_big' || i.code === 'too_small') && i.origin === 'int' && bounded.has(`${i.code} ${pointer(i.path)}`)));
}

const EXPECTED: Record<string, string> = { string: 'String', number: 'Number', boolean: 'Boolean', object: 'JSONObject', array: 'JSONArray' };

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment as string];
  }
  return value;
}

/** `/^a$/u` → `^a$`: everit prints the pattern source. */
const patternSource = (pattern: string | undefined): string => pattern?.replace(/^\/(.*)\/[a-z]*$/s, '$1') ?? '';

/** The everit messages for one zod issue (one per extraneous key, else exactly one). */
export function everitMessages(issue: z.core.$ZodIssue, root: unknown, base: Path = []): string[] {
  const path = [...base, ...issue.path];
  const value = valueAt(root, issue.path);
  const at = (message: string, where: Path = path) => `${pointer(where)}: ${message}`;
  // Parsed JSON has no undefined values: an issue about one is about a key that is not there.
  if (value === undefined && issue.code !== 'unrecognized_keys' && path.length > base.length) {
    return [at(`required key [${String(path.at(-1))}] not found`, path.slice(0, -1))];
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => at(`extraneous key [${key}] is not permitted`));
    case 'invalid_type': {
      // An integer field: a non-number is "expected Number", a fraction "expected Integer".
      const expected = issue.expected === 'int' ? (typeof value === 'number' ? 'Integer' : 'Number') : (EXPECTED[issue.expected] ?? issue.expected);
      return [at(`expected type: ${expected}, found: ${javaTypeName(value)}`)];
    }
    case 'invalid_value':
      return [at(`${javaString(value)} is not a valid enum value`)];
    case 'too_small':
      if (issue.origin === 'string') return [at(`expected minLength: ${String(issue.minimum)}, actual: ${[...String(value)].length}`)];
      if (issue.origin === 'array') return [at(`expected minimum item count: ${String(issue.minimum)}, found: ${(value as unknown[]).length}`)];
      return [at(`${javaString(value)} is not greater or equal to ${String(issue.minimum)}`)];
    case 'too_big':
      if (issue.origin === 'string') return [at(`expected maxLength: ${String(issue.maximum)}, actual: ${[...String(value)].length}`)];
      if (issue.origin === 'array') return [at(`expected maximum item count: ${String(issue.maximum)}, found: ${(value as unknown[]).length}`)];
      return [at(`${javaString(value)} is not less or equal to ${String(issue.maximum)}`)];
    case 'invalid_format':
      if (issue.format === 'email') return [at(`[${javaString(value)}] is not a valid email address`)];
      return [at(`string [${javaString(value)}] does not match pattern ${patternSource(issue.pattern)}`)];
    default:
      return [at(issue.message)];
  }
}

/**
 * Rules a JSON schema states with `dependencies` and that zod cannot check while other issues
 * exist: `source` is required with `sourceId` (on the contact and on its parent), and a parent
 * needs one of its two keys.
 */
function dependencyMessages(contact: unknown, path: Path): string[] {
  if (!isPlainObject(contact)) return [];
  const messages: string[] = [];
  if (Object.hasOwn(contact, 'sourceId') && !Object.hasOwn(contact, 'source')) messages.push(`${pointer(path)}: property [source] is required`);
  const parent = contact.parent;
  if (isPlainObject(parent)) {
    const parentPath = [...path, 'parent'];
    if (!Object.hasOwn(parent, 'id') && !Object.hasOwn(parent, 'sourceId')) messages.push(`${pointer(parentPath)}: required key [id] not found`);
    if (Object.hasOwn(parent, 'sourceId') && !Object.hasOwn(parent, 'source')) messages.push(`${pointer(parentPath)}: property [source] is required`);
  }
  return messages;
}

const rowOf = (path: Path): number => (path[0] === 'contacts' && typeof path[1] === 'number' ? path[1] : -1);

/** A bulk request as its request-level checks left it: the contacts, and the endpoint's lookup key. */
export interface PropelBatch {
  rows: readonly PropelContactInput[];
  lookupKey: LookupKey;
}

/**
 * Checks a parsed bulk body in Propel's order: more than 1000 contacts (10017), then the schema
 * (10007, every violation), then the lookup key of every contact (10016). Throws on the first
 * failing stage, so a request-level error never reaches the store.
 */
export function checkBulkBody(body: unknown, lookupKey: LookupKey): PropelBatch {
  if (isPlainObject(body) && Array.isArray(body.contacts) && body.contacts.length > MAX_CONTACTS) {
    throw propelError('PayloadValidationError', { message: PROPEL_MESSAGES.tooManyContacts });
  }
  const schema = lookupKey === 'id' ? PropelBulkByIdRequest : PropelBulkBySourceIdRequest;
  const parsed = schema.safeParse(body);
  const found: Array<{ row: number; message: string }> = [];
  for (const issue of parsed.success ? [] : withoutSafeRangeDuplicates(parsed.error.issues)) {
    for (const message of everitMessages(issue, body)) found.push({ row: rowOf(issue.path), message });
  }
  if (isPlainObject(body) && Array.isArray(body.contacts)) {
    body.contacts.forEach((contact, row) => {
      for (const message of dependencyMessages(contact, ['contacts', row])) found.push({ row, message });
    });
  }
  if (found.length > 0) {
    // Row by row, as the validator walks the array; Array#sort is stable, so zod's order stays within a row.
    found.sort((a, b) => a.row - b.row);
    throw propelError('SchemaValidationException', { extra: { messages: found.map((f) => f.message) } });
  }
  const contacts = (parsed.data as { contacts: PropelContactInput[] }).contacts;
  const missing = contacts.flatMap((contact, index) => (contact[lookupKey] === undefined ? [PROPEL_MESSAGES.lookupKeyMissing(index, lookupKey)] : []));
  if (missing.length > 0) throw propelError('LookupKeyNotFound', { extra: { messages: missing } });
  return { rows: contacts, lookupKey };
}

/** A PATCH body: the same field rules as a bulk/sourceId contact, pointers from `#`. */
export function checkPatchBody(body: unknown): PropelContactInput {
  const parsed = PropelContactPatch.safeParse(body);
  const messages = parsed.success ? [] : withoutSafeRangeDuplicates(parsed.error.issues).flatMap((issue) => everitMessages(issue, body));
  // A PATCH may change sourceId alone (source is kept), so only the parent's dependencies apply.
  if (isPlainObject(body)) messages.push(...dependencyMessages({ parent: body.parent }, []));
  if (messages.length > 0) throw propelError('SchemaValidationException', { extra: { messages } });
  return parsed.data as PropelContactInput;
}
