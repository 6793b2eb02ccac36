// Error names are typed per catalogue: typos fail tsc, unmapped core failures answer a safe default, rendering never loops.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { controlCatalogue } from '../../src/core/control/errors.js';
import { controlRoutes } from '../../src/core/control/routes.js';
import { CORE_ERROR_CODES, CORE_ERROR_DEFAULTS, defineCatalogue, SandboxError, type CoreErrorCode, type ErrorCatalogue } from '../../src/core/errors.js';
import { createVendorRouter, type ErrorOwner } from '../../src/core/router.js';
import type { RouteDef } from '../../src/core/vendor.js';
import { coraError, type CoraErrorName } from '../../src/vendors/cora/errors.js';
import { useSandbox } from '../helpers.js';

/** Never called: tsc checks it, and each `@ts-expect-error` fails `tsc --noEmit` if its typo ever compiles. */
export function typosFailToCompile(): unknown[] {
  // @ts-expect-error a misspelled Cora name
  const viaFactory = coraError('ACOUNT_NOT_FOUND');
  // @ts-expect-error SandboxError takes core codes and catalogue-issued names, not a plain string
  const plain = new SandboxError('ACCOUNT_NOT_FOUND');
  // @ts-expect-error a route documents only its vendor's names
  const routeErrors: RouteDef<CoraErrorName>['errors'] = ['ACCOUNT_NOT_FOUND', 'ACOUNT_NOT_FOUND'];
  const errors = { GONE: { status: 404, message: 'Gone' }, NOT_FOUND: { status: 404, message: 'Not found' }, BOOM: { status: 500, message: 'Boom' } };
  const shape = { rowErrors: {}, envelope: () => ({}), envelopeSchema: z.unknown() };
  const typoInMapping = defineCatalogue({
    errors,
    ...shape,
    fromCore: {
      // @ts-expect-error fromCore maps only to the catalogue's own names
      METHOD_NOT_ALLOWED: 'GONNE',
      INTERNAL: 'BOOM',
    },
  });
  const sameNameElsewhere = defineCatalogue({
    errors,
    ...shape,
    fromCore: {
      // @ts-expect-error an entry named like a core code is that code's answer: NOT_FOUND cannot map elsewhere
      NOT_FOUND: 'GONE',
      INTERNAL: 'BOOM',
    },
  });
  // @ts-expect-error INTERNAL stays required
  const noInternal = defineCatalogue({ errors, ...shape, fromCore: { NOT_FOUND: 'NOT_FOUND' } });
  // @ts-expect-error an envelope compares names against its own catalogue's
  const envelope = defineCatalogue({ errors, ...shape, fromCore: { INTERNAL: 'BOOM' }, envelope: ({ name }) => name === 'GONNE' });
  return [viaFactory, plain, routeErrors, typoInMapping, sameNameElsewhere, noInternal, envelope];
}

/** A vendor that maps only INTERNAL and NOT_FOUND: every other core failure is left to the core's default. */
const SPARSE_ERRORS = {
  MISSING: { status: 404, message: 'Nothing here' },
  TEAPOT: { status: 418, message: 'I am a teapot' },
  OOPS: { status: 500, message: 'Oops' },
};
const sparse = defineCatalogue({
  errors: SPARSE_ERRORS,
  rowErrors: {},
  fromCore: { NOT_FOUND: 'MISSING', INTERNAL: 'OOPS' },
  envelope: ({ name, entry, error }) => ({ kind: 'sparse', name, text: error.customMessage ?? entry.message }),
  envelopeSchema: z.unknown(),
});

const routes: RouteDef[] = [
  { method: 'get', path: '/thing', operationId: 'thing', summary: 'A thing', description: 'A thing', tag: 'things', responses: {}, errors: [], handler: (c) => c.json({ ok: true }) },
  {
    method: 'get',
    path: '/throw/:what',
    operationId: 'throw',
    summary: 'Throws what it is told',
    description: 'Throws what it is told',
    tag: 'things',
    responses: {},
    errors: [],
    handler: (c) => {
      const what = c.req.param('what');
      if (what === 'bug') throw new TypeError('a bug');
      if (what === 'TEAPOT') throw sparse.error('TEAPOT');
      if (what === 'foreign') throw coraError('ACCOUNT_NOT_FOUND');
      throw new SandboxError(what as CoreErrorCode);
    },
  },
];

const routerFor = (errors: ErrorCatalogue) => createVendorRouter({ name: 'kit', errors } satisfies ErrorOwner, routes, '');
const request = (app: ReturnType<typeof routerFor>, path: string, init?: RequestInit) => app.request(path, init);

afterEach(() => vi.restoreAllMocks());

describe('a vendor that maps only some core failures', () => {
  const app = routerFor(sparse);

  it('answers each unmapped core failure with the core default: its status, the neutral body, nothing logged', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const unmapped = CORE_ERROR_CODES.filter((code) => code !== 'NOT_FOUND' && code !== 'INTERNAL');
    for (const code of unmapped) {
      const res = await request(app, `/throw/${code}`);
      expect(res.status, code).toBe(CORE_ERROR_DEFAULTS[code].status);
      expect(res.status, code).not.toBe(500);
      expect(await res.json(), code).toEqual({ error: { code, message: CORE_ERROR_DEFAULTS[code].message } });
    }
    expect(logged).not.toHaveBeenCalled();
  });

  it('answers what the core itself detects: a wrong method 405 with Allow, a bad namespace 400, a throttled request 429 with Retry-After', async () => {
    const wrongMethod = await request(app, '/thing', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(await wrongMethod.json()).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' } });

    const badNamespace = await request(app, '/thing', { headers: { 'x-sandbox-namespace': 'a b' } });
    expect(badNamespace.status).toBe(400);
    expect(((await badNamespace.json()) as { error: { message: string } }).error.message).toMatch(/^X-Sandbox-Namespace must be/);

    const throttled = await request(app, '/throw/RATE_LIMITED');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
  });

  it('answers the failures it maps, and its own names, in its own envelope', async () => {
    const missing = await request(app, '/nowhere');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ kind: 'sparse', name: 'MISSING', text: 'Nothing here' });
    const teapot = await request(app, '/throw/TEAPOT');
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ kind: 'sparse', name: 'TEAPOT', text: 'I am a teapot' });
  });

  it('resolves unmapped core codes to themselves in fromCore, so readers (the journal) need no default', () => {
    expect(sparse.fromCore).toEqual({ ...Object.fromEntries(CORE_ERROR_CODES.map((c) => [c, c])), NOT_FOUND: 'MISSING', INTERNAL: 'OOPS' });
  });
});

describe('a catalogue broken at run time', () => {
  const FIXED_500 = { error: { code: 'INTERNAL', message: CORE_ERROR_DEFAULTS.INTERNAL.message } };

  it('whose envelope throws: the fixed 500, the cause logged once', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const cause = new Error('envelope exploded');
    const app = routerFor({ ...sparse, envelope: () => { throw cause; } });
    const res = await request(app, '/nowhere');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual(FIXED_500);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]).toContain(cause);
  });

  it('whose body cannot be serialised: the fixed 500, logged once', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await request(routerFor({ ...sparse, envelope: () => ({ n: 1n }) }), '/throw/TEAPOT');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual(FIXED_500);
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('whose INTERNAL maps to no entry (the old stack overflow): one neutral 500 per request, the mapping and the bug each logged once', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken = { ...sparse, fromCore: { ...sparse.fromCore, INTERNAL: 'NOPE' } } as unknown as ErrorCatalogue;
    const res = await request(routerFor(broken), '/throw/bug');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual(FIXED_500);
    expect(logged).toHaveBeenCalledTimes(2);
    expect(logged.mock.calls[0]![1]).toBeInstanceOf(TypeError);
    expect(String(logged.mock.calls[1]![0])).toContain('fromCore.INTERNAL names NOPE');
  });

  it('whose NOT_FOUND maps to no entry: still a 404 (the core default), logged once', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken = { ...sparse, fromCore: { ...sparse.fromCore, NOT_FOUND: 'GONE' } } as unknown as ErrorCatalogue;
    const res = await request(routerFor(broken), '/nowhere');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: CORE_ERROR_DEFAULTS.NOT_FOUND.message } });
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('thrown a name from another catalogue: the vendor INTERNAL, logged once', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await request(routerFor(sparse), '/throw/foreign');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ kind: 'sparse', name: 'OOPS', text: 'Oops' });
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]![0])).toContain('ACCOUNT_NOT_FOUND is not in its catalogue');
  });
});

describe('every registered catalogue', () => {
  const sandbox = useSandbox();

  it('maps each core failure to one of its own entries or to the core default, and names only its own entries on routes', () => {
    const owners = [...sandbox().app.vendors.map((v) => ({ name: v.name, errors: v.errors, routes: sandbox().app.instances[v.name]!.routes }))];
    const { deps, clock, vendors, instances, plane, documents } = sandbox().app;
    owners.push({ name: 'sandbox', errors: controlCatalogue, routes: controlRoutes({ deps, clock, vendors, instances, plane, documents }) });
    for (const { name, errors, routes: vendorRoutes } of owners) {
      expect(Object.keys(errors.fromCore).sort(), name).toEqual([...CORE_ERROR_CODES].sort());
      for (const code of CORE_ERROR_CODES) {
        const mapped = errors.fromCore[code];
        expect(Object.hasOwn(errors.errors, mapped) || mapped === code, `${name} fromCore.${code} = ${mapped}`).toBe(true);
        // A name that is also a core code is that code's answer: at run time the two are one string.
        if (Object.hasOwn(errors.errors, code)) expect(mapped, `${name} ${code}`).toBe(code);
      }
      expect(Object.hasOwn(errors.errors, errors.fromCore.INTERNAL), `${name} INTERNAL`).toBe(true);
      for (const route of vendorRoutes) {
        for (const error of route.errors) expect(Object.hasOwn(errors.errors, error), `${name} ${route.operationId} names ${error}`).toBe(true);
      }
    }
    // The vendors map every core failure; the control API and Propel alone leave RATE_LIMITED to the default (neither has a
    // rate limit, and Propel documents no 429).
    const unmapped = sandbox().app.vendors.flatMap((v) => CORE_ERROR_CODES.filter((code) => !Object.hasOwn(v.errors.errors, v.errors.fromCore[code])).map((code) => `${v.name} ${code}`));
    expect(unmapped).toEqual(['propel RATE_LIMITED']);
    for (const catalogue of [controlCatalogue, sandbox().app.vendors.find((v) => v.name === 'propel')!.errors]) {
      expect(catalogue.fromCore.RATE_LIMITED).toBe('RATE_LIMITED');
      expect(Object.hasOwn(catalogue.errors, 'RATE_LIMITED')).toBe(false);
    }
    // A vendor's 500 can answer any call (an unexpected failure): it is generic, so every route documents it.
    for (const v of sandbox().app.vendors) expect(v.errors.generic, v.name).toContain(v.errors.fromCore.INTERNAL);
  });
});
