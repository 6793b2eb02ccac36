// The committed OpenAPI documents match the code, and the server serves the same documents.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { serializeDocument } from '../src/core/openapi.js';
import { SqliteStore } from '../src/core/sqlite-store.js';
import { call, useSandbox } from './helpers.js';

const specsDir = join(import.meta.dirname, '..', 'specs');
const store = new SqliteStore(':memory:');
const { documents } = await createApp({ store });

describe('specs/ drift', () => {
  for (const [name, doc] of Object.entries(documents)) {
    it(`specs/${name}.openapi.json is what the code generates (run npm run specs)`, () => {
      const file = join(specsDir, `${name}.openapi.json`);
      expect(existsSync(file), `${file} is missing: run npm run specs`).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(serializeDocument(doc));
    });
  }
});

/** Every `$ref` string inside `value`. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsIn(v)));
}

describe('document integrity', () => {
  for (const [name, doc] of Object.entries(documents)) {
    it(`${name}: every reference resolves and no component is only a reference`, () => {
      const schemas = doc.components?.schemas ?? {};
      for (const ref of refsIn(doc)) {
        expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
        expect(schemas, ref).toHaveProperty([ref.slice('#/components/schemas/'.length)]);
      }
      for (const [id, schema] of Object.entries(schemas)) expect(Object.keys(schema), id).not.toEqual(['$ref']);
    });
  }
});

describe('served documents', () => {
  const sandbox = useSandbox();
  it('serves each vendor document at /<vendor>/openapi.json and the control API at /_sandbox/openapi.json', async () => {
    for (const [name, doc] of Object.entries(documents)) {
      const path = name === 'sandbox' ? '/_sandbox/openapi.json' : `/${name}/openapi.json`;
      const res = await call(sandbox(), path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(JSON.parse(JSON.stringify(doc)));
    }
  });

  it('documents every status each Cora route can return', () => {
    const bulk = documents.cora!.paths!['/external-api/accounts/bulk-upsert']!.post!;
    expect(Object.keys(bulk.responses!).sort()).toEqual(['200', '400', '401', '405', '413', '429', '500']);
    expect(bulk.responses!['429'].headers).toHaveProperty('Retry-After');
    const get = documents.cora!.paths!['/external-api/accounts/{externalId}']!;
    expect(Object.keys(get.get!.responses!).sort()).toEqual(['200', '400', '401', '404', '405', '500']);
    expect(Object.keys(get.patch!.responses!).sort()).toEqual(['200', '400', '401', '404', '405', '413', '500']);
  });
});
