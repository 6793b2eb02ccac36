// Property-based fuzzing of every vendor's bulk endpoint: no 5xx, the vendor's envelope, no unreported writes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { startSandbox } from '../helpers.js';
import { FUZZ_TARGETS, type FuzzTarget } from './fuzz-targets.js';

/** `npm test` runs a fixed seed; `npm run fuzz` sets FUZZ_RUNS (and FUZZ_SEED) for a long run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 424242);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `value` (the root included). */
function pathsOf(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  const out = [path];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...path, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...path, k]));
  return out;
}

function setAt(root: Json, path: Array<string | number>, value: Json | undefined): Json {
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

const nasty = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom<Json>('\u0000', '\uD800', '𝕏'.repeat(1000), 'x'.repeat(100_000), '1e309', '-0', '', ' ', '12', 'true', 'null'),
  fc.constantFrom<Json>(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, 0.1),
);

/** A mutated request: JSON text, plus header overrides. */
const request = (target: FuzzTarget) =>
  fc
    .record({
      body: target.validBody as fc.Arbitrary<Json>,
      pick: fc.nat(),
      mutation: fc.constantFrom('none', 'set', 'delete', 'addKey', 'numberAsString', 'proto', 'constructor', 'duplicateKey', 'deep', 'truncate', 'garbage', 'contentType'),
      value: nasty,
      key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'organizationId', 'id')),
      depth: fc.integer({ min: 30, max: 3000 }),
      header: fc.option(fc.tuple(fc.nat(), fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.constant('Bearer x'))), { nil: undefined }),
    })
    .map(({ body, pick, mutation, value, key, depth, header }) => {
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
      return { text, headers, header, mutation };
    });

const snapshotPrototype = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

describe.each(FUZZ_TARGETS.map((t) => [t.vendor, t] as const))('fuzzing %s', (_, target) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: 'off' });
  });
  afterAll(() => sandbox.close());

  it('never answers 5xx, always in the vendor envelope, and writes only what it reports', async () => {
    const vendor = sandbox.app.vendors.find((v) => v.name === target.vendor)!;
    const route = sandbox.app.instances[target.vendor]!.routes.find((r) => r.method.toUpperCase() === target.method && `${r.path}` === target.routePath)!;
    expect(route, `route ${target.routePath}`).toBeDefined();
    const prototypeBefore = snapshotPrototype();
    const count = () => sandbox.app.instances[target.vendor]!.listRecords({ namespace: '', tenant: target.tenant, limit: 100_000 }).records.length;
    const auth = await target.authHeaders(sandbox);
    const authNames = Object.keys(auth);

    await fc.assert(
      fc.asyncProperty(request(target), async ({ text, headers, header }) => {
        const overrides = { ...headers };
        if (header) overrides[authNames[header[0] % authNames.length]!] = header[1];
        const before = count();
        const res = await target.send(sandbox, text, overrides);
        const context = `${res.status} ${res.text.slice(0, 300)} for ${text.slice(0, 200)} ${JSON.stringify(overrides)}`;
        expect(res.status, context).toBeLessThan(500);
        expect(typeof res.body === 'object' && res.body !== null, context).toBe(true);
        if (res.status >= 400) {
          expect(vendor.errors.envelopeSchema.safeParse(res.body).success, `error envelope: ${context}`).toBe(true);
        } else {
          const schema = route.responses[res.status]?.schema;
          expect(schema, `documented status: ${context}`).toBeDefined();
          const parsed = schema!.safeParse(res.body);
          expect(parsed.success, `response schema: ${context} ${parsed.error?.message ?? ''}`).toBe(true);
        }
        expect(count() - before, `store change: ${context}`).toBe(target.created(res));
        expect(({} as Record<string, unknown>).polluted, context).toBeUndefined();
        expect(snapshotPrototype()).toBe(prototypeBefore);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 120_000);
});
