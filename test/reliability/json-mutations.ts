// The JSON mutations both fuzzers apply to a valid body: one kind per case, chosen by fast-check.
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `value` (the root included). */
export function pathsOf(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  const out = [path];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...path, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...path, k]));
  return out;
}

export function setAt(root: Json, path: Array<string | number>, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node: Record<string | number, Json> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

export const nasty = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom<Json>('\u0000', '\uD800', '𝕏'.repeat(1000), 'x'.repeat(100_000), '1e309', '-0', '', ' ', '12', 'true', 'null'),
  fc.constantFrom<Json>(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, 0.1),
);

export const MUTATIONS = ['none', 'set', 'delete', 'addKey', 'numberAsString', 'proto', 'constructor', 'duplicateKey', 'deep', 'truncate', 'garbage', 'contentType'] as const;
export type Mutation = (typeof MUTATIONS)[number];

export const mutationKey = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'organizationId', 'id'));

export interface MutationInput {
  body: Json;
  pick: number;
  mutation: Mutation;
  value: Json;
  key: string;
  depth: number;
}

/** The body as JSON text with one mutation applied, plus the header overrides it needs (a content type). */
export function mutate({ body, pick, mutation, value, key, depth }: MutationInput): { text: string; headers: Record<string, string> } {
  const paths = pathsOf(body);
  const path = paths[pick % paths.length]!;
  let text = JSON.stringify(body);
  const headers: Record<string, string> = {};
  switch (mutation) {
    case 'set':
      text = JSON.stringify(setAt(body, path, value));
      break;
    case 'delete':
      text = JSON.stringify(setAt(body, path, undefined));
      break;
    case 'addKey': {
      const objects = paths.filter((p) => {
        let node: Json = body;
        for (const k of p) node = (node as Record<string, Json>)[k]!;
        return node !== null && typeof node === 'object' && !Array.isArray(node);
      });
      const target = objects[pick % objects.length] ?? [];
      // Built as text: an object literal would turn "__proto__" into a prototype, not a key.
      const inner = JSON.stringify(setAt(body, target, '\u0001MARK\u0001'));
      let node: Json = body;
      for (const k of target) node = (node as Record<string, Json>)[k]!;
      const original = JSON.stringify(node);
      const extended = `{${JSON.stringify(key)}:${JSON.stringify(value)}${original.length > 2 ? `,${original.slice(1)}` : '}'}`;
      text = inner.replace('"\\u0001MARK\\u0001"', extended);
      break;
    }
    case 'numberAsString':
      text = text.replace(/:(-?\d+(\.\d+)?)([,}])/, ':"$1"$3');
      break;
    case 'proto':
      text = text.replace('{', '{"__proto__":{"polluted":true},');
      break;
    case 'constructor':
      text = text.replace(/\{(?=[^{]*$)/, '{"constructor":{"prototype":{"polluted":true}},');
      break;
    case 'duplicateKey':
      text = text.replace(/^\{("[^"]+"):/, '{$1:[],$1:');
      break;
    case 'deep':
      text = `{"x":${'['.repeat(depth)}${']'.repeat(depth)},${text.slice(1)}`;
      break;
    case 'truncate':
      text = text.slice(0, pick % Math.max(1, text.length));
      break;
    case 'garbage':
      text = typeof value === 'string' ? value : String(value);
      break;
    case 'contentType':
      headers['content-type'] = ['text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=latin1', 'multipart/form-data'][pick % 5]!;
      break;
  }
  return { text, headers };
}

/** Own property names of Object.prototype: a polluted prototype gains one. */
export const snapshotPrototype = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');
