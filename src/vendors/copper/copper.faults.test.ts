// Copper under armed faults through HTTP: forced row failures in the vendor's shape, faked 429s, and coverage of both.
import { describe, expect, it } from 'vitest';
import { call, json, useSandbox } from '../../../test/helpers.js';
import { bulkCreate, bulkUpdate, storedPeople } from './copper.client.js';
import { COPPER_ERRORS, COPPER_MESSAGES } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });

const arm = async (fault: Record<string, unknown>) => {
  const res = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'copper', ...fault }) });
  expect(res.status).toBe(201);
};

describe('copper faults', () => {
  it('fails exactly the rows a rowErrors fault names, writes the others, and counts the codes', async () => {
    await arm({ method: 'POST', path: '/developer_api/v1/people/bulk_create', rowErrors: { '1': 'taken' } });
    const res = await bulkCreate(sandbox(), [{ name: 'Row Zero' }, { name: 'Row One' }, { name: 'Row Two' }]);
    expect(res.status).toBe(200);
    expect(res.body[1]).toEqual({ success: false, message: { emails: [{ error: 'taken' }] } });
    expect([res.body[0].name, res.body[2].name]).toEqual(['Row Zero', 'Row Two']);
    expect((await storedPeople(sandbox())).map((p) => p.name)).toEqual(['Row Zero', 'Row Two']);

    // A real failure is counted too.
    await bulkUpdate(sandbox(), [{ id: 404 }]);
    const coverage = await call(sandbox(), '/_sandbox/coverage');
    const copper = coverage.body.vendors.find((v: any) => v.vendor === 'copper');
    const counts = Object.fromEntries(copper.rowErrors.map((r: any) => [r.code, r.count]));
    expect(counts).toEqual({ blank: 0, invalid: 0, taken: 1, not_found: 1 });
  });

  it('a forced row is absent from the batch: what it would have freed stays taken, and a later create may take what it sent', async () => {
    const work = (email: string) => ({ email, category: 'work' });
    expect((await bulkCreate(sandbox(), [{ name: 'Holder', emails: [work('x@example.com')] }, { name: 'Taker' }])).status).toBe(200);
    await arm({ method: 'POST', path: '/developer_api/v1/people/bulk_update', rowErrors: { '0': 'blank' } });
    const update = await bulkUpdate(sandbox(), [{ id: 1, emails: [] }, { id: 2, emails: [work('x@example.com')] }]);
    expect(update.body).toEqual([
      { success: false, message: { name: [{ error: 'blank' }] }, id: 1 },
      { success: false, message: { emails: [{ error: 'taken' }] }, id: 2 },
    ]);

    await arm({ method: 'POST', path: '/developer_api/v1/people/bulk_create', rowErrors: { '0': 'invalid' } });
    const create = await bulkCreate(sandbox(), [{ name: 'Forced', emails: [work('y@example.com')] }, { name: 'Later', emails: [work('Y@example.com')] }]);
    expect(create.body).toEqual([{ success: false, message: { name: [{ error: 'invalid' }] } }, expect.objectContaining({ id: 3, name: 'Later' })]);
    expect((await storedPeople(sandbox())).map((p) => [p.id, p.emails.map((e: { email: string }) => e.email)])).toEqual([
      [1, ['x@example.com']],
      [2, []],
      [3, ['Y@example.com']],
    ]);
  });

  it('renders a faked RATE_LIMITED in Copper\'s envelope with a Retry-After, and writes nothing', async () => {
    await arm({ path: '/developer_api/v1/people/bulk_create', error: 'RATE_LIMITED' });
    const res = await bulkCreate(sandbox(), [{ name: 'Never Written' }]);
    expect(res.status).toBe(COPPER_ERRORS.RATE_LIMITED.status);
    expect(res.body).toEqual({ success: false, status: 429, message: COPPER_MESSAGES.rateLimited });
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await storedPeople(sandbox())).toEqual([]);
    expect((await bulkCreate(sandbox(), [{ name: 'Written' }])).status).toBe(200);
  });

  it('renders a faked REQUEST_SIZE_TOO_LARGE with the vendor\'s exact body', async () => {
    await arm({ path: '/developer_api/v1/people/bulk_update', error: 'REQUEST_SIZE_TOO_LARGE' });
    const res = await bulkUpdate(sandbox(), []);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: COPPER_MESSAGES.requestTooLarge });
  });
});
