// MailingCore under the control plane: armed faults (errors and row errors), coverage of its catalogue, seed and records.
import { describe, expect, it } from 'vitest';
import { call, json, T0_ISO, useSandbox } from '../../../test/helpers.js';
import { bulk, contact, DEMO_TENANT, listContacts, storedContacts } from './mailingcore.client.js';
import { MC_ERRORS, MC_MESSAGES, MC_ROW_ERRORS } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const arm = (body: Record<string, unknown>) => call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'mailingcore', ...body }) });
const coverage = async () => (await call(sandbox(), '/_sandbox/coverage')).body.vendors.find((v: any) => v.vendor === 'mailingcore');

describe('mailingcore faults', () => {
  it('fails the rows a fault names with the row error, writes the others, and counts them in coverage', async () => {
    const armed = await arm({ method: 'POST', path: '/contacts/bulk', rowErrors: { '1': 'CONTACT_CONFLICT', '2': 'DUPLICATE_KEY' } });
    expect(armed.status).toBe(201);
    const res = await bulk(sandbox(), { contacts: [contact('r-0'), contact('r-1'), contact('r-2'), contact('r-3')] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 4,
      created: 2,
      updated: 0,
      failed: 2,
      errors: [
        { index: 1, externalId: 'r-1', email: 'r-1@example.com', message: MC_ROW_ERRORS.CONTACT_CONFLICT.message },
        { index: 2, externalId: 'r-2', email: 'r-2@example.com', message: MC_ROW_ERRORS.DUPLICATE_KEY.message },
      ],
    });
    expect((await storedContacts(sandbox())).map((c) => c.externalId).sort()).toEqual(['r-0', 'r-3']);
    const rows = (await coverage()).rowErrors;
    expect(rows).toEqual([
      { code: 'CONTACT_CONFLICT', count: 1 },
      { code: 'DUPLICATE_KEY', count: 1 },
    ]);
  });

  it('counts real row failures in coverage too', async () => {
    await bulk(sandbox(), { contacts: [contact('a'), contact('a')] });
    expect((await coverage()).rowErrors).toContainEqual({ code: 'DUPLICATE_KEY', count: 1 });
  });

  it('renders an armed error in the envelope, with its status and default headers', async () => {
    await arm({ path: '/contacts', method: 'GET', error: 'RATE_LIMITED' });
    const res = await listContacts(sandbox());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(res.body).toEqual({ statusCode: 429, message: MC_MESSAGES.rateLimited(60), path: '/contacts', timestamp: T0_ISO });
    await arm({ path: '/contacts/bulk', error: 'UNAUTHORIZED_TENANT' });
    const denied = await bulk(sandbox(), { contacts: [contact('x')] });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(MC_MESSAGES.unauthorizedTenant);
    expect(await storedContacts(sandbox())).toEqual([]);
    // Fired once each: the next requests pass.
    expect((await listContacts(sandbox())).status).toBe(200);
  });

  it('refuses a row error that is not in the catalogue', async () => {
    const res = await arm({ rowErrors: { '0': 'VALIDATION_ERROR' } });
    expect(res.status).toBe(400);
  });

  it('counts every request-level error it answers with, by catalogue name', async () => {
    await bulk(sandbox(), { contacts: [] });
    await bulk(sandbox(), { contacts: [] }, { tenant: 'tenant_other' });
    await bulk(sandbox(), { contacts: [] }, { key: null });
    await call(sandbox(), '/mailingcore/nowhere');
    const { errors, total } = await coverage();
    const count = (code: string) => errors.find((e: any) => e.code === code).count;
    expect(count('CONTACTS_REQUIRED')).toBe(1);
    expect(count('UNAUTHORIZED_TENANT')).toBe(1);
    expect(count('MISSING_API_KEY')).toBe(1);
    expect(count('NOT_FOUND')).toBe(1);
    expect(total).toBe(Object.keys(MC_ERRORS).length + Object.keys(MC_ROW_ERRORS).length);
  });
});

describe('mailingcore seed and records through the control API', () => {
  it('seeds contacts per tenant all or nothing, and lists them as GET returns them', async () => {
    const bad = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({ mailingcore: { records: { [DEMO_TENANT]: [contact('s-1'), { email: 'nope' }] } } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([`mailingcore.records.tenant_demo: ${MC_MESSAGES.email('contacts.1.email')}`]);
    expect(await storedContacts(sandbox())).toEqual([]);

    const ok = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({
        mailingcore: {
          credentials: [{ tenant: 'tenant_seed', key: 'mc_test_seed', scopes: ['contacts:read'] }],
          records: { tenant_seed: [contact('s-1', { locale: 'it' })] },
        },
      }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ credentials: 1, records: 1 });
    const records = await call(sandbox(), '/_sandbox/mailingcore/records?tenant=tenant_seed');
    expect(records.status).toBe(200);
    const listed = await listContacts(sandbox(), {}, { key: 'mc_test_seed', tenant: 'tenant_seed' });
    expect(listed.status).toBe(200);
    expect(records.body).toEqual({ records: listed.body.data, nextCursor: null });
    expect(listed.body.data[0]).toMatchObject({ externalId: 's-1', locale: 'it', createdAt: T0_ISO });
  });
});
