// Every OpenAPI document passes a third-party validator, and every documented example, replayed through the server, gets a response its own document describes.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject, OperationObject } from 'openapi3-ts/oas31';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { SqliteStore } from '../src/core/sqlite-store.js';
import type { Sandbox } from '../src/sandbox.js';
import { useSandbox } from './helpers.js';
import { kitFor, SUITE_VENDORS } from './kit/vendor-kit.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

const store = new SqliteStore(':memory:');
// The registered vendors and the example vendor built from the kit (test/example-vendor).
const { documents, vendors } = await createApp({ store, vendors: SUITE_VENDORS });
const prefixOf = (name: string) => (name === 'sandbox' ? '/_sandbox' : vendors.find((v) => v.name === name)!.prefix);

describe('every document is valid OpenAPI 3.x (swagger-parser)', () => {
  for (const [name, doc] of Object.entries(documents)) {
    it(`${name}: validates, and every $ref resolves`, async () => {
      // validate() dereferences in place: give it a copy.
      const api = (await SwaggerParser.validate(structuredClone(doc) as never)) as unknown as OpenAPIObject;
      expect(api.openapi).toMatch(/^3\.1\./);
      expect(JSON.stringify(api)).not.toContain('"$ref"');
    });
  }
});

// ---- response validation against the documents, with a standard JSON-schema validator

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const docId = (name: string) => `https://bulk-sandbox.invalid/${name}.openapi.json`;
// OpenAPI 3.1 schemas are JSON Schema 2020-12: the whole document is added once, and each
// response schema is compiled as a reference into it, so `#/components/...` resolve as written.
for (const [name, doc] of Object.entries(documents)) ajv.addSchema({ ...structuredClone(doc), $id: docId(name) } as object);
const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
const compiled = new Map<string, ValidateFunction>();

interface Sent {
  status: number;
  contentType: string | null;
  text: string;
}

/** Fails unless the document lists the status for the operation and the body matches that response's schema. */
function expectDocumented(name: string, method: string, template: string, res: Sent): void {
  const op = (documents[name]!.paths![template] as Record<string, OperationObject>)[method]!;
  const label = `${name} ${method.toUpperCase()} ${template} answered ${res.status}`;
  const response = op.responses?.[String(res.status)] as { content?: Record<string, unknown> } | undefined;
  expect(response, `${label}: status not in the document (${Object.keys(op.responses ?? {}).join(', ')}); body ${res.text.slice(0, 300)}`).toBeDefined();
  if (!response!.content) {
    expect(res.text, `${label}: the document describes no body`).toBe('');
    return;
  }
  const type = res.contentType?.split(';')[0]!.trim() ?? '';
  const mediaKey = Object.keys(response!.content).find((k) => k.split(';')[0]!.trim() === type);
  expect(mediaKey, `${label}: content type ${type} not in the document (${Object.keys(response!.content).join(', ')})`).toBeDefined();
  const ref = `${docId(name)}#/${pointer('paths', template, method, 'responses', String(res.status), 'content', mediaKey!, 'schema')}`;
  let validate = compiled.get(ref);
  if (!validate) compiled.set(ref, (validate = ajv.compile({ $ref: ref })));
  const body = type.endsWith('json') ? JSON.parse(res.text) : res.text;
  const ok = validate(body);
  expect(ok, `${label}: body does not match its schema: ${ajv.errorsText(validate.errors)}\n${res.text.slice(0, 500)}`).toBe(true);
}

interface Operation {
  method: string;
  template: string;
  op: OperationObject;
  example?: unknown;
}
function operationsOf(doc: OpenAPIObject): Operation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([template, item]) =>
    Object.entries(item as Record<string, OperationObject>).map(([method, op]) => {
      const example = (op.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)?.content?.['application/json']?.example;
      return { method, template, op, ...(example !== undefined ? { example } : {}) };
    }),
  );
}

async function send(sandbox: Sandbox, name: string, method: string, vendorPath: string, body: unknown, auth: boolean): Promise<Sent> {
  const text = body === undefined ? '' : JSON.stringify(body);
  // How a real client of the vendor authenticates (the demo credentials), from its kit.
  const server = { fetch: (path: string, init?: RequestInit) => sandbox.fetch(path, init), now: () => sandbox.clock.now() };
  const headers: Record<string, string> = auth ? { ...(await kitFor(name).clientAuth(server, { method: method.toUpperCase(), path: vendorPath, body: text })) } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await sandbox.fetch(`${prefixOf(name)}${vendorPath}`, { method: method.toUpperCase(), headers, ...(body === undefined ? {} : { body: text }) });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe('documented examples replayed through the server', () => {
  const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

  for (const vendor of vendors) {
    it(`${vendor.name}: every example and every read of a stored record answers as its document says`, async () => {
      const doc = documents[vendor.name]!;
      const ops = operationsOf(doc);
      const examples = ops.filter((o) => o.example !== undefined);
      expect(examples.length, `${vendor.name} documents no request example`).toBeGreaterThan(0);

      // Writes first (they create what the reads then find); operations on one record use a record the examples stored.
      const replayed: string[] = [];
      const { records } = await sandbox().admin.records(vendor.name, { tenant: kitFor(vendor.name).tenant });
      expect(records).toEqual([]);
      // An example may legitimately answer an error (a lookup example naming a record the others did
      // not create): what must hold is that its document describes the answer.
      let succeeded = 0;
      for (const { method, template, example } of examples.filter((o) => !o.template.includes('{'))) {
        const res = await send(sandbox(), vendor.name, method, template, example, true);
        if (res.status < 300) succeeded++;
        expectDocumented(vendor.name, method, template, res);
        replayed.push(`${method} ${template}`);
      }
      expect(succeeded, `${vendor.name}: no example succeeded`).toBeGreaterThan(0);
      const stored = (await sandbox().admin.records(vendor.name, { tenant: kitFor(vendor.name).tenant })).records as Array<Record<string, unknown>>;
      expect(stored.length, `${vendor.name}: the examples stored nothing`).toBeGreaterThan(0);
      // Path parameters naming one stored record, from its kit.
      const values = kitFor(vendor.name).pathValues(stored[0]!);
      const withParams = ops.filter((o) => o.template.includes('{') && (o.example !== undefined || o.method === 'get'));
      for (const { method, template, example } of withParams) {
        // A parameter naming something other than a stored record (a campaign id) gets a value that exists nowhere: its 404 must be documented too.
        let known = true;
        const path = template.replace(/\{([^}]+)\}/g, (_, p: string) => encodeURIComponent(values[p] ?? ((known = false), 'missing')));
        const res = await send(sandbox(), vendor.name, method, path, example, true);
        if (known) expect(res.status, `${method} ${path} on a stored record: ${res.text.slice(0, 300)}`).toBeLessThan(300);
        expectDocumented(vendor.name, method, template, res);
        replayed.push(`${method} ${template}`);
      }

      // The same examples without credentials: the documented auth error, in the documented shape.
      for (const { method, template, example } of examples.filter((o) => !o.template.includes('{'))) {
        const res = await send(sandbox(), vendor.name, method, template, example, false);
        expect(res.status, `${method} ${template} without credentials`).toBeGreaterThanOrEqual(400);
        expectDocumented(vendor.name, method, template, res);
      }
      // An unknown path under the vendor's own route and a wrong method are answered in the documented shapes too.
      const first = examples.find((o) => !o.template.includes('{'))!;
      const wrong = await send(sandbox(), vendor.name, 'delete', first.template, undefined, true);
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expect(replayed.length).toBeGreaterThanOrEqual(examples.length);
    });
  }

  it('sandbox: the control API answers as its document says (what the dashboard reads)', async () => {
    const s = sandbox();
    // Some traffic first, so the journal, coverage and metrics have content to validate.
    await send(s, 'cora', 'post', '/external-api/accounts/bulk-upsert', operationsOf(documents.cora!).find((o) => o.example)!.example, true);
    await send(s, 'cora', 'get', '/external-api/accounts/NOPE', undefined, false);
    const calls: Array<[string, string, string, unknown?]> = [
      ['get', '/health', '/health'],
      ['get', '/openapi.json', '/openapi.json'],
      ['post', '/faults', '/faults', { vendor: 'cora', path: '/external-api/accounts/bulk-upsert', rowErrors: { 0: 'VALIDATION_ERROR' } }],
      ['post', '/faults', '/faults', { vendor: 'nope', error: 'X' }],
      ['get', '/faults', '/faults'],
      ['delete', '/faults', '/faults'],
      ['get', '/requests', '/requests?vendor=cora'],
      ['get', '/requests', '/requests?since=yesterday'],
      ['get', '/requests/count', '/requests/count?vendor=cora&operationId=coraBulkUpsertAccounts'],
      ['get', '/requests/count', '/requests/count?status=abc'],
      ['get', '/coverage', '/coverage'],
      ['get', '/metrics', '/metrics'],
      ['get', '/clock', '/clock'],
      ['post', '/clock', '/clock', { advanceMs: 1000 }],
      ['get', '/credentials', '/credentials'],
      ['get', '/rate-limits', '/rate-limits'],
      ['get', '/snapshot', '/snapshot'],
      ...vendors.map((v): [string, string, string] => ['get', '/{vendor}/records', `/${v.name}/records`]),
      ['post', '/reset', '/reset', {}],
      ['delete', '/requests', '/requests'],
    ];
    for (const [method, template, path, body] of calls) {
      const res = await sandbox().fetch(`/_sandbox${path}`, {
        method: method.toUpperCase(),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      expectDocumented('sandbox', method, template, { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() });
    }
  });
});

describe('the validator itself', () => {
  it('rejects a response the document does not describe', () => {
    expect(() => expectDocumented('cora', 'get', '/external-api/accounts/{externalId}', { status: 200, contentType: 'application/json', text: '{"success":"yes"}' })).toThrow(
      /does not match its schema/,
    );
    expect(() => expectDocumented('cora', 'get', '/external-api/accounts/{externalId}', { status: 418, contentType: 'application/json', text: '{}' })).toThrow(
      /status not in the document/,
    );
  });
});
