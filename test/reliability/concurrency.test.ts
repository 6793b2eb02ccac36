// Concurrency: parallel clients on overlapping keys lose nothing; the result equals a sequential replay.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../store-inspect.js';
import type { Sandbox } from '../../src/sandbox.js';
import { DEMO_KEY, OTHER_KEY, bulk } from '../../src/vendors/cora/cora.client.js';
import { startSandbox } from '../helpers.js';

const dir = tempDir('bulk-sandbox-concurrency-');

interface Sent {
  seq: number;
  key: string;
  namespace: string;
  body: { accounts: Array<Record<string, unknown>> };
}

const SCOPES = [
  { key: DEMO_KEY, tenant: 'org_demo', namespace: '' },
  { key: OTHER_KEY, tenant: 'org_other', namespace: '' },
  { key: DEMO_KEY, tenant: 'org_demo', namespace: 'job-b' },
  { key: OTHER_KEY, tenant: 'org_other', namespace: 'job-b' },
];

/** Requests over a small pool of keys, so that many of them hit the same accounts. */
function workload(seed: number, requests: number): Sent[] {
  const row = fc.record({
    id: fc.integer({ min: 0, max: 11 }),
    balance: fc.integer({ min: 0, max: 3 }),
    bucket: fc.constantFrom('A', 'B', null),
    tag: fc.constantFrom('x', 'y'),
  });
  const request = fc.record({ scope: fc.integer({ min: 0, max: SCOPES.length - 1 }), rows: fc.uniqueArray(row, { minLength: 1, maxLength: 8, selector: (r) => r.id }) });
  const drawn = fc.sample(fc.array(request, { minLength: requests, maxLength: requests }), { seed, numRuns: 1 })[0]!;
  return drawn.map((r, seq) => ({
    seq,
    key: SCOPES[r.scope]!.key,
    namespace: SCOPES[r.scope]!.namespace,
    body: {
      accounts: r.rows.map(({ id, balance, bucket, tag }) => ({
        externalId: `K${id}`,
        phoneNumber: '+15555550111',
        portfolioId: 'P',
        metadata: { filenumber: `K${id}`, [`tag_${tag}`]: seq },
        currentBalance: balance,
        bucket,
      })),
    },
  }));
}

const send = (sandbox: Sandbox, r: Sent) =>
  // The default namespace is the one without the header (an empty name is refused).
  bulk(sandbox, r.body, { key: r.key, headers: { ...(r.namespace ? { 'x-sandbox-namespace': r.namespace } : {}), 'x-test-seq': String(r.seq) } });

async function allRecords(sandbox: Sandbox) {
  const out: Record<string, unknown[]> = {};
  for (const { tenant, namespace } of SCOPES) out[`${namespace}/${tenant}`] = (await sandbox.admin.records('cora', { tenant, namespace, limit: 1000 })).records;
  return out;
}

describe('concurrency', () => {
  it('parallel clients on overlapping keys, tenants and namespaces end as a sequential replay of what was acknowledged', async () => {
    const requests = workload(20261123, 120);
    const parallel = await startSandbox({ db: join(dir, 'parallel.db'), rateLimits: 'off', idSeed: 7 });
    const serial = await startSandbox({ db: join(dir, 'serial.db'), rateLimits: 'off', idSeed: 7 });
    try {
      // 12 clients at once, each sending its share back to back.
      const clients = Array.from({ length: 12 }, (_, c) => requests.filter((r) => r.seq % 12 === c));
      const results = await Promise.all(clients.map(async (mine) => Promise.all(mine.map((r) => send(parallel, r)))));
      for (const res of results.flat()) {
        expect(res.status, res.text).toBe(200);
        expect(res.body.summary.failed).toBe(0);
      }

      // The journal lists requests in the order the server processed them.
      const journal = (await parallel.admin.requests({ limit: 10_000 })).reverse();
      expect(journal).toHaveLength(requests.length);
      const order = journal.map((e) => Number(e.requestHeaders['x-test-seq']));
      for (const seq of order) {
        const res = await send(serial, requests[seq]!);
        expect(res.status).toBe(200);
      }
      expect(await allRecords(parallel)).toEqual(await allRecords(serial));
      const stored = Object.values(await allRecords(parallel)).flat();
      expect(stored.length).toBeGreaterThan(12);
    } finally {
      await parallel.close();
      await serial.close();
    }
  }, 60_000);
});
