// A request body the document calls required is refused when missing, in the vendor's own documented error; one it calls optional is answered without one.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject, OperationObject, RequestBodyObject, ResponseObject } from 'openapi3-ts/oas31';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/sandbox.js';
import { useSandbox } from './helpers.js';
import { kitFor, SUITE_VENDORS } from './kit/vendor-kit.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

interface Answer {
  status: number;
  text: string;
}
interface BodyOperation {
  method: string;
  template: string;
  op: OperationObject;
  required: boolean;
}

/** Every operation of a document that documents a request body. */
const withBodies = (doc: OpenAPIObject): BodyOperation[] =>
  Object.entries(doc.paths ?? {}).flatMap(([template, item]) =>
    Object.entries(item as Record<string, OperationObject>).flatMap(([method, op]) =>
      op.requestBody ? [{ method, template, op, required: (op.requestBody as RequestBodyObject).required === true }] : [],
    ),
  );

/** Fails unless the answer's status is one the operation documents and its JSON body matches that response's schema. */
function expectDocumented(doc: OpenAPIObject, { method, template, op }: BodyOperation, res: Answer): void {
  const label = `${method.toUpperCase()} ${template} without a body answered ${res.status}: ${res.text.slice(0, 300)}`;
  const response = op.responses?.[String(res.status)] as ResponseObject | undefined;
  expect(response, `${label}: status not documented`).toBeDefined();
  const media = response!.content?.['application/json'];
  expect(media, `${label}: no JSON body documented`).toBeDefined();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...structuredClone(doc), $id: 'https://bulk-sandbox.invalid/doc.json' } as object);
  const path = ['paths', template, method, 'responses', String(res.status), 'content', 'application/json', 'schema'];
  const validate: ValidateFunction = ajv.compile({ $ref: `https://bulk-sandbox.invalid/doc.json#/${path.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}` });
  expect(validate(JSON.parse(res.text)), `${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

describe('request bodies: what the document says is what the server does', () => {
  const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

  /** A vendor call as its real client sends it (demo credentials, signed where the vendor signs), with `body` or none at all. */
  async function send(s: Sandbox, vendor: string, method: string, path: string, body?: string): Promise<Answer> {
    const server = { fetch: (p: string, init?: RequestInit) => s.fetch(p, init), now: () => s.clock.now() };
    const headers: Record<string, string> = { ...(await kitFor(vendor).clientAuth(server, { method, path, body: body ?? '' })) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const prefix = SUITE_VENDORS.find((v) => v.name === vendor)!.prefix;
    const res = await s.fetch(`${prefix}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, text: await res.text() };
  }

  for (const vendor of SUITE_VENDORS) {
    it(`${vendor.name}: a required body is refused when missing, in the vendor's documented error; an optional one is not needed`, async () => {
      const s = sandbox();
      const kit = kitFor(vendor.name);
      const doc = s.app.documents[vendor.name]!;
      // One stored record, so that a path naming it reaches the body check.
      const write = kit.crash.batch(['body-check-1']);
      expect((await send(s, vendor.name, write.method, write.path, write.body)).status).toBeLessThan(300);
      const { records } = await s.admin.records(vendor.name, { tenant: kit.tenant });
      const values = kit.pathValues(records[0] as Record<string, unknown>);
      const ops = withBodies(doc);
      let checked = 0;
      for (const entry of ops) {
        const { method, template, required } = entry;
        // A parameter naming something other than a stored record gets a value that exists nowhere: such a route is left to its own tests.
        let known = true;
        const path = template.replace(/\{([^}]+)\}/g, (_, p: string) => encodeURIComponent(values[p] ?? ((known = false), 'missing')));
        if (!known) continue;
        const res = await send(s, vendor.name, method.toUpperCase(), path);
        if (required) expect(res.status, `${method} ${template} without a body: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        else expect(res.status, `${method} ${template} without a body: ${res.text.slice(0, 300)}`).toBeLessThan(300);
        expect(res.status, `${method} ${template}`).toBeLessThan(500);
        expectDocumented(doc, entry, res);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it('copper: searching people without a body is the empty filter: every person, as with `{}`', async () => {
    const s = sandbox();
    const write = kitFor('copper').crash.batch(['body-check-1', 'body-check-2']);
    await send(s, 'copper', write.method, write.path, write.body);
    const none = await send(s, 'copper', 'POST', '/developer_api/v1/people/search');
    const empty = await send(s, 'copper', 'POST', '/developer_api/v1/people/search', '{}');
    expect(none.status).toBe(200);
    expect(JSON.parse(none.text)).toHaveLength(2);
    expect(JSON.parse(none.text)).toEqual(JSON.parse(empty.text));
  });

  it('sandbox: reset, seed and the clock take no body as `{}`; the other control writes refuse it with 400 INVALID_REQUEST', async () => {
    const s = sandbox();
    const doc = s.app.documents.sandbox!;
    const ops = withBodies(doc);
    expect(ops.filter((o) => !o.required).map((o) => `${o.method} ${o.template}`).sort()).toEqual(['post /clock', 'post /reset', 'post /seed']);
    // Something to reset: a stored record, which a bodiless reset deletes as `{}` does.
    const write = kitFor('cora').crash.batch(['body-check-1']);
    expect((await send(s, 'cora', write.method, write.path, write.body)).status).toBeLessThan(300);
    for (const entry of ops) {
      const res = await s.fetch(`/_sandbox${entry.template}`, { method: entry.method.toUpperCase() });
      const answer = { status: res.status, text: await res.text() };
      if (entry.required) {
        expect(answer.status, `${entry.method} ${entry.template}: ${answer.text}`).toBe(400);
        expect(JSON.parse(answer.text).error.code).toBe('INVALID_REQUEST');
      } else {
        expect(answer.status, `${entry.method} ${entry.template}: ${answer.text}`).toBe(200);
      }
      expectDocumented(doc, entry, answer);
      if (entry.template === '/reset') expect(JSON.parse(answer.text)).toEqual({ deleted: 1 });
      if (entry.template === '/seed') expect(JSON.parse(answer.text)).toEqual({ credentials: 0, records: 0 });
    }
    expect((await s.admin.records('cora', {})).records).toEqual([]);
  });
});
