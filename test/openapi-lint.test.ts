// Every OpenAPI document is lint-clean under Redocly's recommended rules and Spectral's oas ruleset, and every example in it matches its schema.
import { createConfig, lintFromString, type Config } from '@redocly/openapi-core';
import { Document, Spectral } from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject, OperationObject, ResponseObject } from 'openapi3-ts/oas31';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/app.js';
import { buildDocument, EXAMPLE_TIME, serializeDocument } from '../src/core/openapi.js';
import type { RouteDef } from '../src/core/vendor.js';
import { SqliteStore } from '../src/core/sqlite-store.js';
import { useSandbox } from './helpers.js';
import { SUITE_VENDORS } from './kit/vendor-kit.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

// The registered vendors, the control API, and the example vendor built from the kit (test/example-vendor).
const { documents } = await createApp({ store: new SqliteStore(':memory:'), vendors: SUITE_VENDORS });
const names = Object.keys(documents);

/** Every `$ref` in a document. */
function refsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (k === '$ref' && typeof v === 'string') out.push(v);
    else refsOf(v, out);
  }
  return out;
}

describe('the linters run offline', () => {
  // Both linters fetch a `$ref` that is an absolute URL, and nothing else (Redocly's openapi-core has
  // no telemetry of its own: that is its CLI's). With only local references, a lint touches no network.
  it.each(names)('%s: every $ref is local to the document', (name) => {
    const refs = refsOf(documents[name]);
    expect(refs.filter((ref) => !ref.startsWith('#/'))).toEqual([]);
  });
});

describe('Redocly (recommended rules): no error, no warning', () => {
  let config: Config;
  beforeAll(async () => {
    // No rule turned off: the documents are fixed instead.
    config = await createConfig({ extends: ['recommended'] });
  });
  it.each(names)('%s', async (name) => {
    const problems = await lintFromString({ source: serializeDocument(documents[name]!), absoluteRef: `${name}.openapi.json`, config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`)).toEqual([]);
  });
});

describe('Spectral (spectral:oas): no error, no warning, no hint', () => {
  const spectral = new Spectral();
  // `spectral:oas` as a .spectral.yaml extends it: its recommended rules.
  spectral.setRuleset({ extends: [oas as never] });
  it.each(names)('%s', async (name) => {
    const results = await spectral.run(new Document(serializeDocument(documents[name]!), Json, `${name}.openapi.json`));
    expect(results.map((r) => `${r.severity} ${String(r.code)}: ${r.message} at ${r.path.join('.')}`)).toEqual([]);
  });
});

interface Operation {
  name: string;
  method: string;
  template: string;
  op: OperationObject;
}
const operations: Operation[] = names.flatMap((name) =>
  Object.entries(documents[name]!.paths ?? {}).flatMap(([template, item]) =>
    Object.entries(item as Record<string, OperationObject>).map(([method, op]) => ({ name, method, template, op })),
  ),
);

describe('every operation is grouped and explained', () => {
  it.each(names)('%s: every operation has one declared tag and a description; every declared tag is used and described', (name) => {
    const doc: OpenAPIObject = documents[name]!;
    const declared = (doc.tags ?? []).map((t) => t.name);
    const ops = operations.filter((o) => o.name === name);
    expect(ops.length).toBeGreaterThan(0);
    for (const { method, template, op } of ops) {
      expect(op.tags, `${method} ${template}`).toHaveLength(1);
      expect(declared, `${method} ${template}`).toContain(op.tags![0]);
      expect(op.description?.trim().length ?? 0, `${method} ${template} has no description`).toBeGreaterThan(10);
    }
    expect(new Set(ops.map((o) => o.op.tags![0]))).toEqual(new Set(declared));
    for (const tag of doc.tags ?? []) expect(tag.description, tag.name).toBeTruthy();
    expect(doc.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    expect(doc.info.contact?.name).toBeTruthy();
  });

  it('the control API declares how the admin token is sent, and says which operations need none', () => {
    const doc = documents.sandbox!;
    expect(doc.components?.securitySchemes).toMatchObject({
      adminBearer: { type: 'http', scheme: 'bearer' },
      adminHeader: { type: 'apiKey', in: 'header', name: 'X-Sandbox-Admin-Token' },
      adminBasic: { type: 'http', scheme: 'basic' },
    });
    expect(doc.security).toEqual([{ adminBearer: [] }, { adminHeader: [] }, { adminBasic: [] }]);
    const open = operations.filter((o) => o.name === 'sandbox' && o.op.security !== undefined);
    expect(open.map((o) => `${o.method} ${o.template}`)).toEqual(['get /health']);
    expect(open[0]!.op.security).toEqual([]);
    // Every other operation documents the 401 its token check answers; health cannot answer one.
    for (const { method, template, op } of operations.filter((o) => o.name === 'sandbox' && o.op.security === undefined)) {
      expect(Object.keys(op.responses ?? {}), `${method} ${template}`).toContain('401');
    }
    expect(Object.keys(open[0]!.op.responses ?? {})).not.toContain('401');
  });
});

// ---- examples against their schemas, with a standard JSON-schema validator

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const docId = (name: string) => `https://bulk-sandbox.invalid/${name}.openapi.json`;
for (const name of names) ajv.addSchema({ ...structuredClone(documents[name]), $id: docId(name) } as object);
const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

interface Media {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
/** Every example of a media type object, with where it sits. */
const examplesOf = (media: Media): Array<[string, unknown]> => [
  ...(media.example !== undefined ? ([['example', media.example]] as Array<[string, unknown]>) : []),
  ...Object.entries(media.examples ?? {}).map(([key, ex]): [string, unknown] => [`examples.${key}`, ex.value]),
];

describe('every example matches its schema', () => {
  it.each(names)('%s: request and response examples', (name) => {
    let checked = 0;
    for (const { method, template, op } of operations.filter((o) => o.name === name)) {
      const media: Array<[string[], Media]> = [
        ...Object.entries((op.requestBody as { content?: Record<string, Media> } | undefined)?.content ?? {}).map(
          ([type, m]): [string[], Media] => [['requestBody', 'content', type], m],
        ),
        ...Object.entries(op.responses ?? {}).flatMap(([status, response]) =>
          Object.entries((response as ResponseObject).content ?? {}).map(([type, m]): [string[], Media] => [['responses', status, 'content', type], m as Media]),
        ),
      ];
      for (const [at, m] of media) {
        for (const [label, value] of examplesOf(m)) {
          const validate = ajv.compile({ $ref: `${docId(name)}#/${pointer('paths', template, method, ...at, 'schema')}` });
          expect(validate(value), `${name} ${method} ${template} ${at.join(' ')} ${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it.each(names)('%s: every error response shows one example per error it lists, in its own envelope', (name) => {
    for (const { method, template, op } of operations.filter((o) => o.name === name)) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const { description, content } = response as ResponseObject;
        // Error responses list their catalogue names: "- `NAME`: text", one line each.
        const listed = [...description.matchAll(/^- `([^`]+)`:/gm)].map((m) => m[1]!);
        if (listed.length === 0) continue;
        const examples = (content?.['application/json'] as Media | undefined)?.examples ?? {};
        expect(Object.keys(examples), `${name} ${method} ${template} ${status}`).toEqual(listed);
      }
    }
  });
});

describe('error examples are what the server answers', () => {
  const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

  // Each listed error armed as a fault on its route (before auth): the body sent is the example,
  // at the examples' sandbox time, with the concrete path the request used standing for the template.
  it.each(SUITE_VENDORS.map((v) => [v.name, v.prefix]))('%s', async (name, prefix) => {
    const s = sandbox();
    await s.admin.setClock({ set: EXAMPLE_TIME, freeze: true });
    let compared = 0;
    for (const { method, template, op } of operations.filter((o) => o.name === name)) {
      const concrete = template.replace(/\{([^}]+)\}/g, (_, p: string) => `${p}-1`);
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const examples = ((response as ResponseObject).content?.['application/json'] as Media | undefined)?.examples ?? {};
        if (Number(status) < 400) continue;
        for (const [error, example] of Object.entries(examples)) {
          await s.admin.armFault({ vendor: name, method: method.toUpperCase(), path: template.replace(/\{([^}]+)\}/g, ':$1'), times: 1, error });
          const res = await s.fetch(`${prefix}${concrete}`, { method: method.toUpperCase() });
          expect(res.status, `${method} ${template} ${error}`).toBe(Number(status));
          const sent = JSON.parse((await res.text()).split(JSON.stringify(concrete).slice(1, -1)).join(JSON.stringify(template).slice(1, -1)));
          expect(sent, `${method} ${template} ${error}`).toEqual(example.value);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('buildDocument', () => {
  const route = (over: Partial<RouteDef> = {}): RouteDef => ({
    method: 'post',
    path: '/things',
    operationId: 'createThing',
    summary: 'Create a thing',
    description: 'Creates a thing',
    tag: 'things',
    request: { body: { schema: z.object({ name: z.string() }) } },
    responses: { 201: { description: 'Created.' } },
    errors: [],
    handler: () => new Response(),
    ...over,
  });
  const build = (routes: RouteDef[], tags: Record<string, string> = { things: 'Things' }, security?: RouteDef['security']) =>
    buildDocument({ title: 't', version: '1', description: 'd', serverUrl: '/', securitySchemes: {}, tags, routes, ...(security ? { security } : {}) });
  const op = (doc: OpenAPIObject) => (doc.paths!['/things'] as Record<string, OperationObject>).post!;

  it('refuses a route whose tag the document does not declare, and a declared tag no route uses', () => {
    expect(() => build([route({ tag: 'thngs' })])).toThrow(/createThing has tag thngs/);
    expect(() => build([route()], { things: 'Things', others: 'Others' })).toThrow(/tags no route uses: others/);
  });

  it('marks a body required unless the route says the handler takes none', () => {
    expect((op(build([route()])).requestBody as { required: boolean }).required).toBe(true);
    const optional = route({ request: { body: { schema: z.object({}), optional: true } } });
    expect((op(build([optional])).requestBody as { required: boolean }).required).toBe(false);
  });

  it('writes one scheme list as one requirement, several as alternatives, and [] only against a document default', () => {
    expect(op(build([route({ security: ['a', 'b'] })])).security).toEqual([{ a: [], b: [] }]);
    expect(op(build([route({ security: [['a'], []] })])).security).toEqual([{ a: [] }, {}]);
    expect(op(build([route({ security: [] })])).security).toBeUndefined();
    const locked = build([route({ security: [] })], undefined, [['a'], ['b']]);
    expect(locked.security).toEqual([{ a: [] }, { b: [] }]);
    expect(op(locked).security).toEqual([]);
  });
});

describe('the validator itself', () => {
  it('rejects an example that does not match its schema', () => {
    const validate = ajv.compile({ $ref: `${docId('sandbox')}#/${pointer('paths', '/clock', 'get', 'responses', '200', 'content', 'application/json', 'schema')}` });
    expect(validate({ now: 1, frozen: 'no' })).toBe(false);
  });
});
