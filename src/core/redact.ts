// Redaction for every output (journal, logs, control views): secrets are found by what they are (known credential values) and by the name they travel under.
import { MAX_JSON_DEPTH } from './body.js';

export const REDACTED = '[redacted]';

/**
 * Shorter secrets are not replaced by value: a two-letter secret would shred every text it
 * happens to occur in, and says nothing the name-based rules do not already hide.
 */
export const MIN_SECRET_LENGTH = 6;

/**
 * The credential secrets the sandbox knows, as one pattern. Built once per change of the
 * credentials table (see Credentials.secrets), so a read or a debug line costs one regex pass.
 */
export class SecretSet {
  static readonly EMPTY = new SecretSet([]);
  private readonly pattern: RegExp | null;
  /** No secret holds a character JSON text must write escaped (`"`, `\`, controls): each shows in JSON text as it is. */
  private readonly plainInJson: boolean;

  constructor(values: Iterable<string>) {
    const usable = [...new Set(values)].filter((s) => s.length >= MIN_SECRET_LENGTH);
    // Longest first, so a secret that contains another is replaced whole.
    usable.sort((a, b) => b.length - a.length);
    this.pattern = usable.length === 0 ? null : new RegExp(usable.map(escapeRegExp).join('|'), 'g');
    this.plainInJson = usable.every((secret) => !/["\\\u0000-\u001f]/.test(secret));
  }

  /** True when no known secret occurs in `text`, read as it is or as JSON text (false when that cannot be told). */
  absentFrom(text: string): boolean {
    if (this.pattern === null) return true;
    if (!this.plainInJson) return false;
    this.pattern.lastIndex = 0;
    return !this.pattern.test(text);
  }

  /** `text` with every known secret in it replaced. */
  redact(text: string): string {
    if (this.pattern === null) return text;
    this.pattern.lastIndex = 0;
    return this.pattern.test(text) ? text.replace(this.pattern, REDACTED) : text;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Header names that carry credentials in some vendor or browser (X-PW-AccessToken, X-Cora-Signature, Cookie). */
const SECRET_HEADER = /key|secret|token|password|passwd|signature|auth|session/;
const SECRET_HEADER_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADER_NAMES.has(lower) || SECRET_HEADER.test(lower);
}

/**
 * Words that name a credential. Matched against whole words so `monkey` or `keyboard` stay
 * readable; compounds written as one word (`accesstoken`, `clientsecret`) match by their ending.
 */
const SECRET_WORD = /^(?:key|keys|\w*(?:apikey|secret|token|password|passwd|signature|credential)s?)$/;
const nameVerdicts = new Map<string, boolean>();

/** True when a field or query parameter name, split into words (camelCase, snake_case, kebab-case), names a credential. */
export function isSecretName(name: string): boolean {
  let verdict = nameVerdicts.get(name);
  if (verdict === undefined) {
    const words = name
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/);
    verdict = words.some((w) => SECRET_WORD.test(w));
    // Names come from clients: cap the memo so it cannot grow without bound.
    if (nameVerdicts.size < 10_000) nameVerdicts.set(name, verdict);
  }
  return verdict;
}

/** Headers by name (credential-carrying ones replaced whole), then every value by the known secrets. */
export function redactHeaders(headers: Headers | Record<string, string>, secrets: SecretSet = SecretSet.EMPTY): Record<string, string> {
  const out: Record<string, string> = {};
  const each = (value: string, name: string) => {
    out[secrets.redact(name)] = isSecretHeader(name) ? REDACTED : secrets.redact(value);
  };
  if (headers instanceof Headers) headers.forEach(each);
  else for (const name in headers) each(headers[name]!, name);
  return out;
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/**
 * A request target (`/path?query`) with credential-named query values replaced, and any path
 * segment or query part holding a known secret (as sent or percent-decoded) replaced whole.
 * Kept otherwise exactly as sent.
 */
export function redactTarget(target: string, secrets: SecretSet = SecretSet.EMPTY): string {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const redactPart = (part: string) => (secrets.redact(part) !== part || secrets.redact(safeDecode(part)) !== safeDecode(part) ? REDACTED : part);
  const segments = path.split('/').map(redactPart).join('/');
  if (q < 0) return segments;
  const query = target
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return redactPart(pair);
      const name = pair.slice(0, eq);
      const safeName = redactPart(name);
      if (safeName !== name) return REDACTED;
      return `${name}=${isSecretName(safeDecode(name)) ? REDACTED : redactPart(pair.slice(eq + 1))}`;
    })
    .join('&');
  return `${segments}?${query}`;
}

/**
 * Field names shown as they are although they read like a credential's: a vendor's own answer
 * fields that hold none (Propel's `key`, a contact's lookup value). Matched exactly, case included.
 */
export type ShownNames = ReadonlySet<string>;
const NONE_SHOWN: ShownNames = new Set();

/**
 * A copy of a JSON-like value with credential-named fields (at any depth; arrays take the name
 * of their field; `shown` names aside) and known secrets replaced. Walks with an explicit stack,
 * so no input can overflow the call stack.
 */
export function redactValue(root: unknown, secrets: SecretSet = SecretSet.EMPTY, shown: ShownNames = NONE_SHOWN): unknown {
  const holder: { value?: unknown } = {};
  // [value, the container to write the copy into, the key to write it under, whether its name is a secret one]
  const stack: Array<[unknown, Record<string, unknown> | unknown[], string | number, boolean]> = [[root, holder, 'value', false]];
  while (stack.length > 0) {
    const [value, target, key, secretName] = stack.pop()!;
    const put = (v: unknown) => ((target as Record<string | number, unknown>)[key] = v);
    if (Array.isArray(value)) {
      const copy: unknown[] = new Array(value.length);
      put(copy);
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], copy, i, secretName]);
    } else if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      put(copy);
      for (const [k, v] of Object.entries(value).reverse()) stack.push([v, copy, secrets.redact(k), isSecretName(k) && !shown.has(k)]);
    } else if (secretName && value !== null && value !== undefined) {
      put(REDACTED);
    } else {
      put(typeof value === 'string' ? secrets.redact(value) : value);
    }
  }
  return holder.value;
}

/**
 * True when a JSON text nests objects and arrays deeper than `max`: one pass over the text,
 * without parsing it, so a hostile body is never built into a structure.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

/**
 * A body as outputs show it: form fields or JSON (no deeper than the core parser accepts)
 * redacted by name (`shown` names aside) and value, anything else as text redacted by value and
 * by the names it holds.
 */
export function describeBody(text: string, contentType: string | undefined, secrets: SecretSet = SecretSet.EMPTY, shown: ShownNames = NONE_SHOWN): unknown {
  if (text === '') return null;
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    return redactValue(Object.fromEntries(new URLSearchParams(text)), secrets, shown);
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return redactText(text, secrets, shown);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return redactText(text, secrets, shown);
  }
  return redactValue(parsed, secrets, shown);
}

/**
 * Found in every name `isSecretName` accepts (case aside), or an escape that could spell one or a
 * secret differently in JSON text (`\u0074oken`, `\/`).
 */
const SECRET_HINT = /key|secret|token|passw|signature|credential|\\(?:u|\/)/i;

/**
 * True when `describeBody` would show `text` as it is (parsed, when it is JSON): no name in it
 * could be a credential's (but the `shown` ones) and no known secret occurs in it. A few passes
 * over the text, where describing it parses, copies and serialises it: shared mode keeps such
 * bodies as they came. Conservative: false whenever it cannot tell (a form body, a hint of a
 * secret name).
 *
 * A shown name counts only written exactly as `"name":`. In JSON text that spells a member's name
 * and nothing else (a `"` inside a string is written `\"`); written any other way, the name still
 * hints.
 */
export function describesUnchanged(text: string, contentType: string | undefined, secrets: SecretSet = SecretSet.EMPTY, shown: ShownNames = NONE_SHOWN): boolean {
  if (contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded') return false;
  if (!secrets.absentFrom(text)) return false;
  if (shown.size === 0) return !SECRET_HINT.test(text);
  const hints = hintsBeside(shown);
  hints.lastIndex = 0;
  for (let found = hints.exec(text); found !== null; found = hints.exec(text)) {
    // The pattern matches a shown name in any case: only its exact spelling is shown.
    if (!(found[0].startsWith('"') && shown.has(found[0].slice(1, -2)))) return false;
  }
  return true;
}

const hintPatterns = new WeakMap<ShownNames, RegExp>();

/** SECRET_HINT, after `"name":` for each shown name, matched first where one starts (no hint holds `"` or `:`, so none overlaps one). */
function hintsBeside(shown: ShownNames): RegExp {
  let pattern = hintPatterns.get(shown);
  if (pattern === undefined) {
    pattern = new RegExp(`"(?:${[...shown].map(escapeRegExp).join('|')})":|${SECRET_HINT.source}`, 'gi');
    hintPatterns.set(shown, pattern);
  }
  return pattern;
}

/** `name=value` or `"name": "value"` pairs in text; the name is bounded so no input makes the scan quadratic. */
const NAMED_VALUE = /([A-Za-z0-9_.-]{1,64})("?[ \t]*[=:][ \t]*"?)([^&\s"',;}\]]+)/g;

/**
 * Text that is neither a form nor parseable JSON (a truncated body, a wrong content type, a body
 * too deep to parse): known secrets, and values written after a credential-like name, replaced.
 */
export function redactText(text: string, secrets: SecretSet = SecretSet.EMPTY, shown: ShownNames = NONE_SHOWN): string {
  return secrets
    .redact(text)
    .replace(NAMED_VALUE, (match, name: string, sep: string) => (isSecretName(name) && !shown.has(name) ? `${name}${sep}${REDACTED}` : match));
}
