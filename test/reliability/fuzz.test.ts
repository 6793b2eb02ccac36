// Property-based fuzzing of every vendor's bulk endpoint: no 5xx, the vendor's envelope, no unreported writes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { startSandbox } from '../helpers.js';
import { SUITE_VENDORS } from '../kit/vendor-kit.js';
import { FUZZ_TARGETS, type FuzzTarget } from './fuzz-targets.js';
import { mutate, mutationKey, MUTATIONS, nasty, snapshotPrototype, type Json } from './json-mutations.js';

/** `npm test` runs a fixed seed; `npm run fuzz` sets FUZZ_RUNS (and FUZZ_SEED) for a long run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 424242);

/** A mutated request: JSON text, plus header overrides. */
const request = (target: FuzzTarget) =>
  fc
    .record({
      body: target.validBody as fc.Arbitrary<Json>,
      pick: fc.nat(),
      mutation: fc.constantFrom(...MUTATIONS),
      value: nasty,
      key: mutationKey,
      depth: fc.integer({ min: 30, max: 3000 }),
      header: fc.option(fc.tuple(fc.nat(), fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.constant('Bearer x'))), { nil: undefined }),
    })
    .map(({ header, ...input }) => ({ ...mutate(input), header, mutation: input.mutation }));

describe.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('fuzzing %s', (_, target) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });
  });
  afterAll(() => sandbox.close());

  it('never answers 5xx, always in the vendor envelope, and writes only what it reports', async () => {
    const vendor = sandbox.app.vendors.find((v) => v.name === target.name)!;
    const route = sandbox.app.instances[target.name]!.routes.find((r) => r.method.toUpperCase() === target.method && `${r.path}` === target.routePath)!;
    expect(route, `route ${target.routePath}`).toBeDefined();
    const prototypeBefore = snapshotPrototype();
    const count = async () => (await sandbox.app.instances[target.name]!.listRecords({ namespace: '', tenant: target.tenant, limit: 100_000 })).records.length;
    const auth = await target.authHeaders(sandbox);
    const authNames = Object.keys(auth);

    await fc.assert(
      fc.asyncProperty(request(target), async ({ text, headers, header }) => {
        const overrides = { ...headers };
        if (header) overrides[authNames[header[0] % authNames.length]!] = header[1];
        const before = await count();
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
        expect((await count()) - before, `store change: ${context}`).toBe(target.created(res));
        expect(({} as Record<string, unknown>).polluted, context).toBeUndefined();
        expect(snapshotPrototype()).toBe(prototypeBefore);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 120_000);
});
