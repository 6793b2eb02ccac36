// Property-based fuzzing of every control route: no 5xx, the control envelope, and no state change the answer does not report.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ControlError, controlRoutes } from '../../src/core/control/routes.js';
import type { Snapshot } from '../../src/core/control/state.js';
import type { RouteDef } from '../../src/core/vendor.js';
import { bulk as coraBulk, getAccount, newAccount } from '../../src/vendors/cora/cora.client.js';
import { bulkCreate } from '../../src/vendors/copper/copper.client.js';
import { bulk as mcBulk, contact } from '../../src/vendors/mailingcore/mailingcore.client.js';
import { bulkById } from '../../src/vendors/propel/propel.client.js';
import { call, json, startSandbox, type JsonResponse } from '../helpers.js';
import { contact as exampleContact, upsert as exampleUpsert } from '../example-vendor/example.client.js';
import { KITS, SUITE_VENDORS } from '../kit/vendor-kit.js';
import { hostileQueryValue, pathParam, validBodies, validQueryValues, type Baseline } from './control-fuzz-targets.js';
import { mutate, mutationKey, MUTATIONS, nasty, snapshotPrototype, type Json } from './json-mutations.js';

/** `npm test` runs a fixed seed and few cases per route; `npm run fuzz` sets FUZZ_RUNS (and FUZZ_SEED) for a long run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 424242);

// One sandbox for the file, built before collection so the routes can be listed from the app itself.
const sandbox = await startSandbox({ rateLimits: 'vendor', vendors: SUITE_VENDORS });
afterAll(() => sandbox.close());

/** The control routes as the app serves them: a route added later is fuzzed without touching this file. */
const ROUTES = controlRoutes(sandbox.app);
const label = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
/** `/:vendor/records` as the OpenAPI document spells it. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

// ---- The whole state, as the control API shows it ----------------------------------------------

/** Every part of the state, keyed so a change names its part (`table:cora_accounts`, `clock`, ...). */
type Fingerprint = Record<string, unknown>;

async function getJson(path: string): Promise<any> {
  const res = await call(sandbox, path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.text}`);
  return res.body;
}

async function fingerprint(): Promise<Fingerprint> {
  const { tables, journal, ...rest } = (await getJson('/_sandbox/snapshot?secrets=include')) as Snapshot;
  const parts: Fingerprint = {
    journal,
    'snapshot:clock': rest.clock,
    'snapshot:rateLimits': rest.rateLimits,
    'snapshot:faults': rest.faults,
    clock: await getJson('/_sandbox/clock'),
    faults: await getJson('/_sandbox/faults'),
    rateLimits: await getJson('/_sandbox/rate-limits'),
    coverage: await getJson('/_sandbox/coverage'),
    credentials: await getJson('/_sandbox/credentials'),
  };
  for (const [name, rows] of Object.entries(tables)) parts[`table:${name}`] = rows;
  return parts;
}

const changedParts = (before: Fingerprint, after: Fingerprint) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));

/** Each vendor's records table (its first): what a reset's `deleted` counts. */
const recordTables = () => sandbox.app.vendors.map((v) => `table:${v.tables[0]}`);
const rowCount = (fp: Fingerprint, parts: string[]) => parts.reduce((n, p) => n + ((fp[p] as unknown[] | undefined)?.length ?? 0), 0);

/**
 * What a 2xx write may change, by operationId, and what its answer says about the change. A write
 * route with no entry (added later) may change anything: the fuzzer still checks it answers no
 * 5xx and that its refusals change nothing.
 */
interface ReportedChange {
  parts: (part: string) => boolean;
  check?(before: Fingerprint, after: Fingerprint, body: any, sent: unknown): void;
}

const only =
  (...names: string[]) =>
  (part: string) =>
    names.includes(part);

const REPORTED: Record<string, ReportedChange> = {
  sandboxReset: {
    // Credentials stay; records, journal, faults, buckets and coverage of the scope go.
    parts: (p) => (p.startsWith('table:') && p !== 'table:credentials') || ['journal', 'faults', 'snapshot:faults', 'rateLimits', 'coverage'].includes(p),
    check(before, after, body) {
      expect(rowCount(before, recordTables()) - rowCount(after, recordTables()), 'records deleted as reported').toBe(body.deleted);
      expect((after.rateLimits as any).mode).toBe((before.rateLimits as any).mode);
    },
  },
  sandboxSeed: {
    parts: (p) => p.startsWith('table:') || p === 'credentials',
    check(before, after, body) {
      if (body.credentials === 0 && body.records === 0) expect(changedParts(before, after), 'seeded nothing').toEqual([]);
    },
  },
  sandboxCreateCredential: {
    parts: only('table:credentials', 'credentials'),
    check(_, after, body) {
      expect((after.credentials as any).credentials, 'the created credential is listed').toContainEqual(body);
    },
  },
  sandboxRevokeCredential: {
    parts: only('table:credentials', 'credentials'),
  },
  sandboxSetClock: {
    // Rate-limit windows are measured on the sandbox clock: moving it may expire buckets.
    parts: only('clock', 'snapshot:clock', 'rateLimits'),
    check(_, after, body) {
      if (body.frozen) expect(after.clock, 'the clock as reported').toEqual(body);
      else expect((after.clock as any).frozen).toBe(false);
    },
  },
  sandboxResetClock: {
    parts: only('clock', 'snapshot:clock', 'rateLimits'),
    check(_, after) {
      expect((after.clock as any).frozen).toBe(false);
    },
  },
  sandboxClearRequests: {
    parts: only('journal'),
    check(before, after, body) {
      expect((before.journal as unknown[]).length - (after.journal as unknown[]).length, 'entries cleared as reported').toBe(body.cleared);
    },
  },
  sandboxArmFault: {
    parts: only('faults', 'snapshot:faults'),
    check(before, after, body) {
      const faults = (after.faults as any).faults as unknown[];
      expect(faults.length, 'one fault armed').toBe((before.faults as any).faults.length + 1);
      expect(faults, 'the armed fault is listed').toContainEqual(body);
    },
  },
  sandboxDisarmFaults: {
    parts: only('faults', 'snapshot:faults'),
    check(before, after, body) {
      expect((before.faults as any).faults.length - (after.faults as any).faults.length, 'faults disarmed as reported').toBe(body.disarmed);
    },
  },
  sandboxSetRateLimits: {
    parts: only('rateLimits', 'snapshot:rateLimits'),
    check(_, after, body) {
      expect((after.rateLimits as any).mode).toBe(body.mode);
    },
  },
  sandboxRestoreSnapshot: {
    // Everything a snapshot holds; coverage counts are not part of one.
    parts: (p) => p !== 'coverage',
    check(_, after, body, sent) {
      const doc = sent as Snapshot;
      expect(after['snapshot:rateLimits']).toBe(doc.rateLimits);
      expect((after['snapshot:faults'] as Array<{ id: string }>).map((f) => f.id)).toEqual(doc.faults.map((f) => f.id));
      expect((after.journal as unknown[]).length).toBe(doc.journal.length);
      if (doc.clock.frozen) expect(after['snapshot:clock']).toEqual({ now: new Date(Date.parse(doc.clock.now)).toISOString(), frozen: true });
      expect(body.rows, 'rows restored as reported').toBe(Object.values(doc.tables).reduce((n, rows) => n + rows.length, 0));
    },
  },
};

// ---- The baseline every case starts from -------------------------------------------------------

let baseline: Baseline;
/** The baseline export with secrets: restored after every 2xx write so later cases start equal. */
let baselineDoc: Snapshot;
let current: Fingerprint;
let baselineFingerprint: Fingerprint;

async function ok(what: string, p: Promise<JsonResponse>): Promise<JsonResponse> {
  const res = await p;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
}

beforeAll(async () => {
  // Records in two namespaces for every vendor, an error counted in coverage, live rate-limit
  // buckets, a seeded credential and two armed faults that never fire: state a bad call could hurt.
  await ok('cora', coraBulk(sandbox, { accounts: [newAccount('B1'), newAccount('B2'), newAccount('B3')] }));
  await ok('cora ns', coraBulk(sandbox, { accounts: [newAccount('N1')] }, { headers: { 'x-sandbox-namespace': 'job-a' } }));
  expect((await getAccount(sandbox, 'NOPE')).status).toBe(404);
  await ok('propel', bulkById(sandbox, { contacts: [{ id: 1, firstName: 'P', email: 'p@example.com', gender: 'F' }] }));
  await ok('copper', bulkCreate(sandbox, [{ name: 'Grace', emails: [{ email: 'grace@example.com', category: 'work' }] }]));
  await ok('mailingcore', mcBulk(sandbox, { contacts: [contact('M1'), contact('M2')] }));
  await ok('example', exampleUpsert(sandbox, { contacts: [exampleContact('E1'), exampleContact('E2')] }));
  await ok('seed', call(sandbox, '/_sandbox/seed', { method: 'POST', ...json({ cora: { credentials: [{ tenant: 'org_seed', key: 'cora_org_seed.seed_secret' }] } }) }));
  await ok('fault', call(sandbox, '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'cora', error: 'INTERNAL_ERROR', after: 100 }) }));
  await ok('fault ns', call(sandbox, '/_sandbox/faults?namespace=job-a', { method: 'POST', ...json({ vendor: 'mailingcore', response: { status: 503 }, after: 100 }) }));

  const vendors = sandbox.app.vendors.map((v) => v.name);
  const credentials = (await getJson('/_sandbox/credentials')).credentials as Array<{ vendor: string; id: string }>;
  const cursors: string[] = [];
  for (const vendor of vendors) {
    const page = await getJson(`/_sandbox/${vendor}/records?limit=1`);
    if (page.nextCursor) cursors.push(page.nextCursor);
  }
  baselineDoc = await getJson('/_sandbox/snapshot?secrets=include');
  baseline = {
    vendors,
    tenants: [...KITS.map((kit) => kit.tenant), 'org_seed', 'nobody'],
    namespaces: ['', 'job-a', 'job-b'],
    credentialIds: Object.fromEntries(vendors.map((v) => [v, credentials.filter((c) => c.vendor === v).map((c) => c.id)])),
    faultIds: ((await getJson('/_sandbox/faults')).faults as Array<{ id: string }>).map((f) => f.id),
    cursors,
    snapshots: [baselineDoc, await getJson('/_sandbox/snapshot')],
  };
  expect(sandbox.clock.isFrozen, 'a frozen clock: time must not move between two fingerprints').toBe(true);
  current = baselineFingerprint = await fingerprint();
});

/** Back to the baseline after a write that changed something; the restore itself must succeed. */
async function restoreBaseline(): Promise<void> {
  await ok('restore baseline', call(sandbox, '/_sandbox/snapshot', { method: 'POST', ...json(baselineDoc) }));
  current = await fingerprint();
  // A restore clears rate-limit buckets and leaves coverage counts alone: neither is in a snapshot.
  const lost = changedParts(baselineFingerprint, current).filter((p) => p !== 'rateLimits' && p !== 'coverage');
  expect(lost, 'the baseline restores exactly').toEqual([]);
  // A dry-run bulk call brings back a live rate-limit bucket (Cora limits its bulk route) for the next cases to keep.
  await ok('cora dry run', coraBulk(sandbox, { dryRun: true, accounts: [newAccount('DRY')] }));
  current = await fingerprint();
  expect((current.rateLimits as { buckets: unknown[] }).buckets.length, 'live rate-limit buckets').toBeGreaterThan(0);
}

// ---- Requests ----------------------------------------------------------------------------------

interface Case {
  method: string;
  path: string;
  query: string;
  /** undefined: no body at all. */
  text: string | undefined;
  headers: Record<string, string>;
  mutation: string;
}

const QUERY_MUTATIONS = ['none', 'unknownParam', 'repeat', 'hostileValue', 'rawGarbage', 'emptyValue', 'noEquals'] as const;
const RAW_QUERY_GARBAGE = ['%', '%zz', '%00', '&&', '=', '==x', ';x=1', '%E0%A4%A', '+', '#frag', '?', '[]=1', 'a[b]=c'];
const BODY_EXTRAS = ['bigNumber', 'noBody', 'nonObject'] as const;

/** Number literals JSON.parse reads as something else: Infinity, -0, a rounded integer. */
const BIG_NUMBERS = ['1e400', '-1e400', '-0', '123456789012345678901234567890', '1e-400', '9007199254740993', '0.30000000000000004'];

function requestFor(route: RouteDef, bodies: Record<string, fc.Arbitrary<Json>>): fc.Arbitrary<Case> {
  const method = route.method.toUpperCase();
  const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const queryShape = (route.request?.query as z.ZodObject | undefined)?.shape ?? {};
  const queryNames = Object.keys(queryShape);
  const values = validQueryValues(baseline);
  const valid = bodies[route.operationId] ?? (fc.constant({}) as fc.Arbitrary<Json>);
  const hasBody = route.request?.body !== undefined;

  const path = fc.tuple(...params.map((p) => pathParam(p, baseline)), fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/x', '%2F', '/.') })).map((parts) => {
    let i = 0;
    return route.path.replace(/:(\w+)/g, () => parts[i++]!) + parts.at(-1)!;
  });

  const query = fc
    .record({
      given: fc.subarray(queryNames),
      validValues: fc.tuple(...queryNames.map((n) => values[n] ?? fc.string({ maxLength: 10 }))),
      // Half the queries as the route takes them, so the body and the handler get reached.
      mutation: fc.oneof(fc.constant('none' as const), fc.constantFrom(...QUERY_MUTATIONS)),
      pick: fc.nat(),
      name: fc.oneof(fc.constantFrom(...queryNames, 'limit', 'namespace', 'vendor', 'namspace', '__proto__', 'constructor', 'toString', 'secrets', 'cursor'), fc.string({ maxLength: 8 })),
      hostile: hostileQueryValue,
    })
    .map(({ given, validValues, mutation, pick, name, hostile }) => {
      const pairs: Array<[string, string]> = given.map((n) => [n, validValues[queryNames.indexOf(n)]!]);
      const raw: string[] = [];
      switch (mutation) {
        case 'unknownParam':
          pairs.push([name, hostile]);
          break;
        case 'repeat':
          if (pairs.length > 0) pairs.push(pairs[pick % pairs.length]!);
          else pairs.push([name, hostile], [name, hostile]);
          break;
        case 'hostileValue':
          // A declared parameter with a value it must refuse or survive.
          pairs.push([queryNames[pick % Math.max(1, queryNames.length)] ?? name, hostile]);
          break;
        case 'rawGarbage':
          raw.push(RAW_QUERY_GARBAGE[pick % RAW_QUERY_GARBAGE.length]!);
          break;
        case 'emptyValue':
          pairs.push([queryNames[pick % Math.max(1, queryNames.length)] ?? name, '']);
          break;
        case 'noEquals':
          raw.push(encodeURIComponent(queryNames[pick % Math.max(1, queryNames.length)] ?? name));
          break;
      }
      const parts = [...pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`), ...raw];
      return { query: parts.length > 0 ? `?${parts.join('&')}` : '', queryMutation: mutation };
    });

  const body = fc
    .record({
      body: valid,
      pick: fc.nat(),
      // A third of the bodies valid, so successful writes get their reported change checked.
      mutation: fc.oneof({ weight: 1, arbitrary: fc.constant('none') }, { weight: 2, arbitrary: fc.constantFrom<string>(...MUTATIONS, ...BODY_EXTRAS) }),
      value: nasty,
      key: mutationKey,
      depth: fc.integer({ min: 30, max: 3000 }),
    })
    .map(({ mutation, ...input }): { text: string | undefined; headers: Record<string, string>; mutation: string } => {
      if (mutation === 'noBody') return { text: undefined, headers: {}, mutation };
      if (mutation === 'nonObject') return { text: JSON.stringify([input.body, input.value, null, 1, 'x'][input.pick % 5]), headers: {}, mutation };
      if (mutation === 'bigNumber') {
        // A number literal of the valid body swapped for one JSON.parse cannot keep exactly; or added.
        const text = JSON.stringify(input.body);
        const literal = BIG_NUMBERS[input.pick % BIG_NUMBERS.length]!;
        const swapped = text.replace(/(:|\[|,)(-?\d+(\.\d+)?([eE][-+]?\d+)?)(?=[,}\]])/, `$1${literal}`);
        return { text: swapped !== text ? swapped : text.replace(/^\{/, `{${JSON.stringify(input.key)}:${literal},`), headers: {}, mutation };
      }
      return { ...mutate({ ...input, mutation: mutation as (typeof MUTATIONS)[number] }), mutation };
    });

  // Body-less writes mostly go without one; a body must not change what they do.
  const bodyOrNone = hasBody
    ? body
    : fc.oneof({ weight: 3, arbitrary: fc.constant({ text: undefined, headers: {}, mutation: 'noBody' }) }, { weight: 1, arbitrary: body });

  const headers = fc.record(
    {
      origin: fc.constantFrom(sandbox.url, `${sandbox.url}/`, 'http://evil.example', 'null', sandbox.url.replace('127.0.0.1', 'localhost'), ''),
      'sec-fetch-site': fc.constantFrom('same-origin', 'none', 'cross-site', 'same-site'),
    },
    { requiredKeys: [] },
  );

  return fc
    .record({
      // Mostly the route's own method; sometimes another, which may reach another route of the path.
      method: fc.oneof({ weight: 8, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') }),
      path,
      query,
      body: bodyOrNone,
      headers: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headers }),
    })
    .map(({ method, path, query, body, headers }) => {
      const all: Record<string, string> = { ...(body.text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers, ...body.headers };
      const shown = (s: string | undefined) => (s === undefined ? '(none)' : s.length > 300 ? `${s.slice(0, 300)}... (${s.length} chars)` : s);
      return {
        // A counterexample prints short: bodies and queries run to 100,000 characters.
        [fc.toStringMethod]: () => `${method} ${shown(path)}${shown(query.query)} headers ${JSON.stringify(all)} body ${shown(SAFE.has(method) && method !== 'OPTIONS' ? undefined : body.text)}`,
        method,
        path,
        query: query.query,
        text: SAFE.has(method) && method !== 'OPTIONS' ? undefined : body.text,
        headers: all,
        mutation: `query:${query.queryMutation} body:${body.mutation}${headers ? ` headers:${JSON.stringify(headers)}` : ''}`,
      };
    });
}

/** The route a request reached: same method (HEAD answers as GET) and a path matching its pattern. */
function reached(method: string, path: string): RouteDef | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTES.find((r) => r.method.toUpperCase() === m && new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}$`).test(path));
}

// ---- The properties ----------------------------------------------------------------------------

describe('control routes to fuzz', () => {
  it('come from the app, match its OpenAPI document, and include every documented area', () => {
    expect(ROUTES.length).toBeGreaterThan(0);
    const documented = Object.entries((sandbox.app.documents.sandbox as { paths: Record<string, object> }).paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(ROUTES.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort()).toEqual(documented.sort());
    const paths = new Set(ROUTES.map((r) => r.path));
    for (const p of ['/reset', '/seed', '/snapshot', '/faults', '/clock', '/credentials', '/requests', '/requests/count', '/:vendor/records', '/coverage', '/rate-limits']) {
      expect(paths, p).toContain(p);
    }
  });
});

describe.each(ROUTES.map((r) => [label(r), r] as const))('fuzzing %s', (_, route) => {
  it('never answers 5xx, answers in the control envelope or its documented schema, and changes only what it reports', async () => {
    const prototypeBefore = snapshotPrototype();
    const bodies = validBodies(sandbox, baseline);

    await fc.assert(
      fc.asyncProperty(requestFor(route, bodies), async (c) => {
        const before = current;
        const res = await call(sandbox, `/_sandbox${c.path}${c.query}`, { method: c.method, headers: c.headers, ...(c.text !== undefined ? { body: c.text } : {}) });
        const context = `${c.method} ${c.path.slice(0, 200)}${c.query.slice(0, 200)} [${c.mutation}] body ${c.text?.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, context).toBeLessThan(500);
        // FUZZ_STATS=1 prints one line per case, to check the generators still reach handlers (grep STAT | sort | uniq -c).
        if (process.env.FUZZ_STATS) console.log(`STAT ${label(route)} ${c.method} ${res.status} ${res.status >= 400 ? res.body?.error?.code : ''} ${res.status >= 400 ? String(res.body?.error?.message).slice(0, 60) : ''}`);
        const target = reached(c.method, c.path);

        if (c.method !== 'HEAD') {
          if (res.status >= 400) {
            const parsed = ControlError.safeParse(res.body);
            expect(parsed.success, `control envelope: ${context}`).toBe(true);
          } else {
            expect(target, `a 2xx from a declared route: ${context}`).toBeDefined();
            const doc = target!.responses[res.status];
            expect(doc, `documented status: ${context}`).toBeDefined();
            // Validated with the route's declared schema where it has one (the OpenAPI document is built from it).
            const parsed = doc!.schema?.safeParse(doc!.contentType?.startsWith('text/') ? res.text : res.body);
            if (parsed) expect(parsed.success, `response schema: ${context} ${parsed.error?.message ?? ''}`).toBe(true);
          }
        }

        const after = await fingerprint();
        if (res.status >= 400 || SAFE.has(c.method)) {
          expect(changedParts(before, after), `refusals and reads change nothing: ${context}`).toEqual([]);
          current = after;
        } else {
          const reported = target && REPORTED[target.operationId];
          if (reported) {
            expect(changedParts(before, after).filter((p) => !reported.parts(p)), `changed beyond what ${target.operationId} reports: ${context}`).toEqual([]);
            let sent: unknown;
            try {
              sent = c.text === undefined ? undefined : JSON.parse(c.text);
            } catch {
              sent = undefined;
            }
            reported.check?.(before, after, res.body, sent);
          }
          await restoreBaseline();
        }
        expect(({} as Record<string, unknown>).polluted, context).toBeUndefined();
        expect(snapshotPrototype(), context).toBe(prototypeBefore);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 120_000);
});
