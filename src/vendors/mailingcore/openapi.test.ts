// MailingCore's OpenAPI document and error catalogue: every route, every status it can answer, names prefixed, served as built.
import { describe, expect, it } from 'vitest';
import { call, useSandbox } from '../../../test/helpers.js';
import { CORE_ERROR_CODES } from '../../core/errors.js';
import { MC_ERRORS, MC_ROW_ERRORS, mailingcoreCatalogue } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const statuses = (doc: any, path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();

describe('mailingcore OpenAPI document', () => {
  it('describes every route with its success and error statuses, the generic 429 and 500 included, and no 405', () => {
    const doc: any = sandbox().app.documents.mailingcore;
    expect(Object.keys(doc.paths).sort()).toEqual(['/campaigns', '/campaigns/{id}/locale-coverage', '/contacts', '/contacts/bulk', '/contacts/{idOrExternalId}']);
    expect(statuses(doc, '/contacts/bulk', 'post')).toEqual(['200', '400', '401', '403', '413', '429', '500']);
    expect(statuses(doc, '/contacts', 'put')).toEqual(['200', '400', '401', '403', '409', '413', '429', '500']);
    expect(statuses(doc, '/contacts', 'get')).toEqual(['200', '400', '401', '403', '429', '500']);
    expect(statuses(doc, '/contacts/{idOrExternalId}', 'get')).toEqual(['200', '400', '401', '403', '404', '429', '500']);
    expect(statuses(doc, '/contacts/{idOrExternalId}', 'patch')).toEqual(['200', '400', '401', '403', '404', '409', '413', '429', '500']);
    expect(statuses(doc, '/contacts/{idOrExternalId}', 'delete')).toEqual(['200', '400', '401', '403', '404', '429', '500']);
    expect(statuses(doc, '/campaigns', 'post')).toEqual(['201', '400', '401', '403', '413', '429', '500']);
    expect(statuses(doc, '/campaigns/{id}/locale-coverage', 'get')).toEqual(['200', '400', '401', '403', '404', '429', '500']);
    expect(JSON.stringify(doc)).not.toContain('"405"');
    const bulk = doc.paths['/contacts/bulk'].post;
    expect(bulk.responses['200'].headers).toHaveProperty('X-RateLimit-Remaining');
    expect(bulk.responses['429'].headers).toHaveProperty('Retry-After');
    expect(bulk.parameters.map((p: any) => p.name)).toEqual(['Authorization', 'X-Tenant-Id']);
    expect(bulk.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MailingCoreBulkRequest' });
    const query = doc.paths['/contacts'].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name);
    expect(query).toEqual(['page', 'limit', 'locale', 'optIn', 'updatedSince', 'cursor']);
  });

  it('prefixes every component with MailingCore', () => {
    const names = Object.keys((sandbox().app.documents.mailingcore as any).components.schemas);
    expect(names).toContain('MailingCoreError');
    expect(names).toContain('MailingCoreContact');
    for (const name of names) expect(name).toMatch(/^MailingCore[A-Z]/);
  });

  it('is served at /mailingcore/openapi.json as built', async () => {
    const res = await call(sandbox(), '/mailingcore/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(sandbox().app.documents.mailingcore)));
  });
});

describe('mailingcore error catalogue', () => {
  it('maps every core failure to an entry, wrong methods to its 404', () => {
    for (const code of CORE_ERROR_CODES) expect(MC_ERRORS).toHaveProperty(mailingcoreCatalogue.fromCore[code]);
    expect(MC_ERRORS[mailingcoreCatalogue.fromCore.METHOD_NOT_ALLOWED as keyof typeof MC_ERRORS].status).toBe(404);
    expect(Object.values(MC_ERRORS).map((e) => e.status)).not.toContain(405);
  });

  it('declares the two row-failure kinds the bulk import reports', () => {
    expect(Object.keys(MC_ROW_ERRORS).sort()).toEqual(['CONTACT_CONFLICT', 'DUPLICATE_KEY']);
    expect(mailingcoreCatalogue.rowErrors).toBe(MC_ROW_ERRORS);
  });
});
