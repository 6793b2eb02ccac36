// Routes validate what they declare: query and path parameters are parsed by the core, failures answered in the vendor's words.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCatalogue, describeInputFailure } from '../../src/core/errors.js';
import { createVendorRouter, routeInput } from '../../src/core/router.js';
import type { RouteDef } from '../../src/core/vendor.js';

const ERRORS = { BAD: { status: 422, message: 'Bad input' }, BOOM: { status: 500, message: 'Boom' } };
const shape = { errors: ERRORS, rowErrors: {}, fromCore: { INTERNAL: 'BOOM' as const }, envelope: ({ name, error }: { name: string; error: { customMessage?: string | undefined } }) => ({ name, text: error.customMessage }), envelopeSchema: z.unknown() };
/** With its own wording for bad parameters, and without (the core's INVALID_INPUT answers). */
const worded = defineCatalogue({ ...shape, inputError: (failure, error) => error('BAD', { message: `we could not read ${failure.where}: ${failure.issues[0]!.message}` }) });
const plain = defineCatalogue(shape);

const listQuery = z.strictObject({ limit: z.coerce.number().int().max(10).optional(), tag: z.union([z.string(), z.array(z.string())]).optional() });
const itemParams = z.object({ id: z.string().regex(/^\d+$/) });
const routes: RouteDef[] = [
  { method: 'get', path: '/items', operationId: 'list', summary: 'List', description: 'Lists items', tag: 'items', request: { query: listQuery }, responses: {}, errors: [], handler: (c) => c.json(routeInput(c, 'query', listQuery)) },
  { method: 'get', path: '/items/:id', operationId: 'get', summary: 'One', description: 'One item', tag: 'items', request: { params: itemParams }, responses: {}, errors: [], handler: (c) => c.json(routeInput(c, 'params', itemParams)) },
  { method: 'get', path: '/wrong', operationId: 'wrong', summary: 'Asks for a schema it does not declare', description: 'A bug', tag: 'items', request: { query: listQuery }, responses: {}, errors: [], handler: (c) => c.json(routeInput(c, 'query', z.object({}))) },
];
const get = async (catalogue: typeof worded, path: string) => {
  const res = await createVendorRouter({ name: 'kit', errors: catalogue }, routes, '').request(path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('declared query and path parameters', () => {
  it('reach the handler parsed by the route schema: coerced, and a repeated parameter as an array', async () => {
    expect(await get(worded, '/items?limit=5&tag=a&tag=b')).toEqual({ status: 200, body: { limit: 5, tag: ['a', 'b'] } });
    expect(await get(worded, '/items?tag=a')).toEqual({ status: 200, body: { tag: 'a' } });
    expect(await get(worded, '/items/42')).toEqual({ status: 200, body: { id: '42' } });
  });

  it("answer a mismatch in the vendor's own words when it has them", async () => {
    expect(await get(worded, '/items?limit=11')).toMatchObject({ status: 422, body: { name: 'BAD', text: expect.stringMatching(/^we could not read query: /) } });
    expect(await get(worded, '/items/abc')).toMatchObject({ status: 422, body: { name: 'BAD', text: expect.stringMatching(/^we could not read params: /) } });
    // Strict schemas refuse what they do not declare; a repeated single-valued parameter is refused, not silently cut to one.
    expect((await get(worded, '/items?color=red')).status).toBe(422);
    expect((await get(worded, '/items?limit=1&limit=2')).status).toBe(422);
  });

  it('answer the core INVALID_INPUT, naming the parameter, when the vendor has no wording', async () => {
    const res = await get(plain, '/items?limit=eleven');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringMatching(/^query parameter limit: /) } });
    expect((await get(plain, '/items?color=red')).body).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringMatching(/^query parameter color: /) } });
  });

  it('refuse a handler asking for a schema its route does not declare (a bug: the vendor 500)', async () => {
    expect(await get(plain, '/wrong')).toMatchObject({ status: 500, body: { name: 'BOOM' } });
  });

  it('describe a failure by its first issue', () => {
    const failure = itemParams.safeParse({ id: 'x' });
    expect(describeInputFailure({ where: 'params', issues: failure.error!.issues, input: { id: 'x' } })).toMatch(/^path parameter id: /);
  });
});
