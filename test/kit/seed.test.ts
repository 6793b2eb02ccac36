// One seed path: every vendor's bad fixtures are reported together, and any one of them rolls back every vendor's writes.
import { describe, expect, it } from 'vitest';
import { call, json, useSandbox } from '../helpers.js';

const sandbox = useSandbox();
const count = async (vendor: string) => (await sandbox().app.instances[vendor]!.listRecords({ namespace: '', limit: 1000 })).records.length;

describe('POST /_sandbox/seed', () => {
  it('collects the issues of every vendor and credential, and writes nothing at all', async () => {
    const res = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({
        cora: {
          credentials: [{ tenant: 'org_s', key: 'no-dot-key' }],
          records: { org_demo: [{ externalId: 'OK1', phoneNumber: '+15555550111', portfolioId: 'P', metadata: { filenumber: '1' } }] },
        },
        copper: { records: { copper_demo: [{ name: 'Fine' }, { name: '' }] } },
        mailingcore: { records: { tenant_demo: [{ email: 'fine@example.com' }] } },
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    const issues: string[] = res.body.error.issues;
    expect(issues.some((i) => i.startsWith('cora.credentials.0'))).toBe(true);
    expect(issues.some((i) => i.startsWith('copper.records.copper_demo: people.1'))).toBe(true);
    expect(issues).toHaveLength(2);
    for (const vendor of ['cora', 'copper', 'mailingcore']) expect(await count(vendor), vendor).toBe(0);
    expect((await call(sandbox(), '/_sandbox/credentials?vendor=cora')).body.credentials.map((c: { tenant: string }) => c.tenant)).not.toContain('org_s');
  });

  it('loads every vendor when all fixtures are good', async () => {
    const res = await call(sandbox(), '/_sandbox/seed', {
      method: 'POST',
      ...json({ copper: { records: { copper_demo: [{ name: 'Fine' }] } }, mailingcore: { records: { tenant_demo: [{ email: 'fine@example.com' }] } } }),
    });
    expect(res.body).toEqual({ credentials: 0, records: 2 });
    expect((await count('copper')) + (await count('mailingcore'))).toBe(2);
  });
});
