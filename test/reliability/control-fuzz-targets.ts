// What the control fuzzer knows of each control route: valid bodies, valid and hostile query values and path params.
import fc from 'fast-check';
import { WITHHELD_SECRET, type Snapshot } from '../../src/core/control/state.js';
import type { Sandbox } from '../../src/sandbox.js';
import { KITS } from '../kit/vendor-kit.js';
import type { Json } from './json-mutations.js';

/** What the baseline holds, so valid values name things that exist (ids, cursors, namespaces). */
export interface Baseline {
  vendors: string[];
  tenants: string[];
  namespaces: string[];
  credentialIds: Record<string, string[]>;
  faultIds: string[];
  cursors: string[];
  /** Exports of the baseline: secrets included, and withheld. */
  snapshots: Snapshot[];
}

const word = fc.stringMatching(/^[a-z0-9_]{1,10}$/);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

const kitOf = (vendor: string) => KITS.find((kit) => kit.name === vendor);

/** The bulk route of each vendor (its kit's): every fault action, row errors included, may target it. */
const bulkRoute = (vendor: string): string | undefined => kitOf(vendor)?.routePath;

/** A credential of `vendor`'s kind, from its kit (a name no kit has gets a shape no vendor takes). */
const credentialFor = (vendor: string): fc.Arbitrary<Record<string, Json>> =>
  (kitOf(vendor)?.control.credential as fc.Arbitrary<Record<string, Json>> | undefined) ?? fc.constant({ tenant: 'x' });

/** Seedable records of `vendor`, by tenant, from its kit. */
const recordsFor = (vendor: string): fc.Arbitrary<Record<string, Json[]>> =>
  (kitOf(vendor)?.control.records as fc.Arbitrary<Record<string, Json[]>> | undefined) ?? fc.constant({});

/** One valid fault action for `vendor` (its own catalogue names). */
const faultAction = (sandbox: Sandbox, vendor: string): fc.Arbitrary<Record<string, Json>> => {
  const module = sandbox.app.vendors.find((v) => v.name === vendor)!;
  return fc.oneof(
    fc.constantFrom(...Object.keys(module.errors.errors)).map((error) => ({ error })),
    fc.record({ response: fc.record({ status: fc.constantFrom(200, 201, 400, 429, 500, 503), body: fc.jsonValue() as fc.Arbitrary<Json> }, { requiredKeys: ['status'] }) }),
    fc.record({ delayMs: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2000 }).map((fixed) => ({ fixed }))) }),
    fc.record({ drop: fc.constantFrom<Json>(true, 'beforeCommit', 'afterCommit') }),
    ...(Object.keys(module.errors.rowErrors).length > 0 ? [fc.constantFrom(...Object.keys(module.errors.rowErrors)).map((code) => ({ rowErrors: { '0': code } }))] : []),
  );
};

/** Every vendor route path, of every vendor: a fault naming another vendor's path reaches none of its routes. */
const allRoutePaths = (sandbox: Sandbox) => Object.values(sandbox.app.instances).flatMap((instance) => instance.routes.map((r) => r.path));

const SNAPSHOT_FLAWS = ['none', 'none', 'none', 'none', 'duplicateRow', 'unknownColumn', 'unknownTable', 'withheldUnknown', 'duplicateFault', 'journalOrder', 'clockRange', 'badData'] as const;

/** Breaks a valid snapshot in one way schema parsing alone does not catch. */
function flawSnapshot(snapshot: Snapshot, flaw: (typeof SNAPSHOT_FLAWS)[number], pick: number): void {
  const tables = Object.values(snapshot.tables).filter((rows) => rows.length > 0);
  const rows = tables[pick % Math.max(1, tables.length)] ?? [];
  const row = rows[pick % Math.max(1, rows.length)];
  switch (flaw) {
    case 'duplicateRow':
      // A primary key twice: only the INSERT, after the DELETEs of the same transaction, finds it.
      if (row) rows.push({ ...row });
      break;
    case 'unknownColumn':
      if (row) rows.push({ ...row, no_such_column: 1 });
      break;
    case 'unknownTable':
      snapshot.tables.no_such_table = [{ a: 1 }];
      break;
    case 'withheldUnknown':
      snapshot.tables.credentials = [...(snapshot.tables.credentials ?? []), { vendor: 'cora', id: 'cora_org_ghost', tenant: 'ghost', secret: WITHHELD_SECRET, data: '{}', revoked: 0 }];
      break;
    case 'duplicateFault':
      if (snapshot.faults[0]) snapshot.faults.push(snapshot.faults[0]);
      break;
    case 'journalOrder':
      snapshot.journal.reverse();
      if (snapshot.journal.length < 2 && snapshot.journal[0]) snapshot.journal.push(snapshot.journal[0]);
      break;
    case 'clockRange':
      snapshot.clock.now = ['10000-01-01T00:00:00.000Z', '0000-12-31T23:59:59.999Z', 'yesterday'][pick % 3]!;
      break;
    case 'badData':
      if (row && 'data' in row) rows.push({ ...row, data: ['[]', 'not json', '{"unexpected":true}', '1'][pick % 4]! });
      break;
  }
}

/**
 * A body each route accepts, by operationId. A route without an entry (one added later) is
 * fuzzed from `{}`: its mutations still reach the guard, the body reader and the schema.
 */
export function validBodies(sandbox: Sandbox, baseline: Baseline): Record<string, fc.Arbitrary<Json>> {
  const { vendors, tenants, namespaces } = baseline;
  return {
    sandboxReset: fc.record({ vendor: fc.constantFrom(...vendors, 'nope'), tenant: fc.constantFrom(...tenants), namespace: fc.constantFrom(...namespaces) }, { requiredKeys: [] }),
    sandboxSeed: fc
      .subarray(vendors, { minLength: 1 })
      .chain((names) =>
        fc.tuple(
          ...names.map((name) =>
            // Now and then another vendor's shapes under this vendor's name: one bad fixture must roll back the whole seed.
            fc
              .tuple(fc.oneof({ weight: 4, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.constantFrom(...vendors) }), fc.constantFrom(name, name, name, ...vendors))
              .chain(([credentialShape, recordShape]) =>
                fc.record({ credentials: fc.array(credentialFor(credentialShape), { maxLength: 2 }), records: recordsFor(recordShape) }, { requiredKeys: [] }),
              )
              .map((fixtures) => [name, fixtures] as const),
          ),
        ),
      )
      .map((entries) => Object.fromEntries(entries) as Json),
    sandboxCreateCredential: fc
      .tuple(fc.constantFrom(...vendors), fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...vendors) }))
      .chain(([vendor, shape]) => credentialFor(shape ?? vendor).map((fields) => ({ vendor, ...fields }))),
    sandboxSetClock: fc.record(
      {
        set: fc.oneof(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()), fc.integer({ min: 0, max: 4e12 })),
        advanceMs: fc.integer({ min: -1e9, max: 1e9 }),
        freeze: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    sandboxArmFault: fc.constantFrom(...vendors).chain((vendor) =>
      fc
        .tuple(
          fc.record(
            {
              // Mostly the vendor's bulk route; otherwise any vendor's route, which may reach none of this vendor's.
              method: fc.oneof({ weight: 3, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PATCH', 'DELETE', 'put') }),
              path: fc.oneof({ weight: 3, arbitrary: fc.constant(bulkRoute(vendor) ?? '/') }, { weight: 1, arbitrary: fc.constantFrom(...allRoutePaths(sandbox)) }),
              times: fc.integer({ min: 1, max: 5 }),
              after: fc.integer({ min: 0, max: 5 }),
              tenant: fc.constantFrom(...tenants),
              requestHeaders: fc.constant({ 'X-Fuzz': 'yes' }),
              requestBody: fc.constant({ '/dryRun': true }),
              probability: fc.double({ min: 0.01, max: 1, noNaN: true }),
              seed: fc.integer(),
            },
            { requiredKeys: ['method', 'path'] },
          ),
          // Sometimes another vendor's catalogue: its names are not this vendor's.
          fc.constantFrom(vendor, vendor, vendor, ...vendors).chain((catalogue) => faultAction(sandbox, catalogue)),
        )
        .map(([match, action]) => ({ vendor, ...match, ...action }) as Json),
    ),
    sandboxSetRateLimits: fc.record({ mode: fc.constantFrom('vendor', 'off') }),
    sandboxRestoreSnapshot: fc.tuple(fc.constantFrom(...baseline.snapshots), fc.boolean(), fc.boolean(), fc.constantFrom(...SNAPSHOT_FLAWS), fc.nat()).map(([snapshot, off, noFaults, flaw, pick]) => {
      // Variations that stay valid, so restores that succeed change something the oracle can check.
      const copy = structuredClone(snapshot);
      if (off) copy.rateLimits = copy.rateLimits === 'off' ? 'vendor' : 'off';
      if (noFaults) copy.faults = [];
      // Now and then one flaw only the deep checks (or the database) see: nothing may change.
      flawSnapshot(copy, flaw, pick);
      return copy as unknown as Json;
    }),
  };
}

/** Query values a route accepts, by parameter name; a parameter not named here gets any short string. */
export function validQueryValues(baseline: Baseline): Record<string, fc.Arbitrary<string>> {
  const { vendors, tenants, namespaces } = baseline;
  const credentialIds = Object.values(baseline.credentialIds).flat();
  return {
    namespace: fc.constantFrom(...namespaces),
    vendor: fc.constantFrom(...vendors),
    tenant: fc.constantFrom(...tenants),
    limit: fc.integer({ min: 1, max: 1000 }).map(String),
    cursor: fc.constantFrom(...baseline.cursors),
    id: fc.constantFrom(...credentialIds, ...baseline.faultIds),
    secrets: fc.constant('include'),
    method: fc.constantFrom('GET', 'POST', 'post'),
    path: fc.constantFrom('/external-api', '/contacts/bulk', ''),
    status: fc.constantFrom('200', '400', '404'),
    since: fc.constantFrom('2026-01-15T09:00:00.000Z', '2026-01-15T11:00:00+01:00', '0001-01-01T00:00:00Z'),
    operationId: fc.constantFrom('coraBulkUpsert', 'nothing'),
  };
}

/** Query values a route must refuse or survive: numbers out of range, forged cursors, bad namespaces and times. */
export const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '-1', '0', '-0', '1e400', '1e3', '0x10', '1.5', 'NaN', 'Infinity', '-Infinity', '99999999999999999999', String(2 ** 53 + 1), ' 5', '5 ', 'abc', 'true', 'null'),
  // Forged cursors: base64url of arbitrary JSON, arrays of every length and type most of all.
  fc.array(fc.jsonValue(), { maxLength: 4 }).map(b64),
  fc.jsonValue().map(b64),
  fc.constantFrom('!!!', '====', 'W10', 'WyJhIl0', 'WzEsMiwzXQ'),
  // Namespaces the header would refuse.
  fc.constantFrom('a b', '../x', 'x'.repeat(300), '\u0000', 'ns/1', 'ÄÖ', '__proto__', 'constructor', 'toString'),
  // Times that are no ISO instant, or one outside the clock's range.
  fc.constantFrom('2026-13-01T00:00:00Z', '2026-01-15', '2026-01-15T10:00:00', '+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:60Z', 'T', '2026-01-15T10:00:00.000+25:00'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  // Long, but under Node's 16 KiB header limit: past it (a repeated parameter doubles it) Node answers 431 before the app sees the request.
  fc.constant('x'.repeat(6_000)),
);

/** A path parameter: usually valid, otherwise unknown names and encoded garbage. */
export function pathParam(name: string, baseline: Baseline): fc.Arbitrary<string> {
  const valid = name === 'vendor' ? fc.constantFrom(...baseline.vendors).map(encodeURIComponent) : word;
  const hostile = fc.oneof(
    fc.constantFrom('nope', 'CORA', ' cora', 'cora ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'credentials', 'requests', '..', '.', 'x'.repeat(5000)),
    fc.constantFrom('%00', '%2F', '%2e%2e', '%E0%A4%A', '%', '%zz', '%C0%AF', '%F0%9F%92%A9', 'cora%00', '%63ora'),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
  );
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: hostile });
}
