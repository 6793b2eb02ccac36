// The control plane on Cora: faults by name and by row, drops, counting, namespaces, journal, snapshots, coverage.
import { describe, expect, it } from 'vitest';
import { CORA_ERRORS, CORA_ROW_ERRORS } from '../src/vendors/cora/errors.js';
import { startSandbox, useSandbox, call, json, T0 } from './helpers.js';
import { bulk, BULK_PATH, DEMO_KEY, getAccount, newAccount } from '../src/vendors/cora/cora.client.js';
import { SandboxClock } from '../src/core/clock.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const NS = { 'x-sandbox-namespace': 'job-a' };

describe('faults', () => {
  it('answers every Cora error the bulk upsert documents, armed by name, exactly as Cora renders it, refuses the others, and writes nothing', async () => {
    const fired: string[] = [];
    for (const [name, entry] of Object.entries(CORA_ERRORS)) {
      const armed = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: 'cora', method: 'POST', path: BULK_PATH, error: name }) });
      if (armed.status === 400) {
        expect(armed.body.error.message, name).toContain(`${name} (${entry.status}) is not documented on POST ${BULK_PATH}`);
        continue;
      }
      expect(armed.status, name).toBe(201);
      fired.push(name);
      const res = await bulk(sandbox(), { accounts: [newAccount('F1')] });
      expect(res.status, name).toBe(entry.status);
      expect(res.body, name).toEqual({ success: false, code: name, message: entry.message });
      if (name === 'RATE_LIMITED') expect(res.headers.get('retry-after')).toBe('20');
    }
    // The route's own errors (the vendor page's list, plus 413), the generic 500 and the answer to a malformed X-Sandbox-Namespace.
    expect(fired.sort()).toEqual(
      [
        'METHOD_NOT_ALLOWED', 'MISSING_AUTH_HEADERS', 'INVALID_API_KEY', 'REQUEST_TIMESTAMP_OUTSIDE_WINDOW', 'INVALID_REQUEST_SIGNATURE', 'RATE_LIMITED',
        'INVALID_REQUEST_BODY', 'ACCOUNTS_REQUIRED', 'ACCOUNTS_LIMIT_EXCEEDED', 'PAYLOAD_TOO_LARGE', 'INTERNAL_ERROR', 'VALIDATION_ERROR',
      ].sort(),
    );
    expect((await getAccount(sandbox(), 'F1')).status).toBe(404);
    expect(await sandbox().admin.faults()).toEqual([]);
  });

  it('refuses errors and row errors the vendor does not have', async () => {
    await expect(sandbox().admin.armFault({ vendor: 'cora', error: 'NOPE' })).rejects.toMatchObject({ status: 400 });
    await expect(sandbox().admin.armFault({ vendor: 'cora', rowErrors: { 0: 'NOPE' } })).rejects.toMatchObject({ status: 400 });
    await expect(sandbox().admin.armFault({ vendor: 'nope', error: 'X' })).rejects.toMatchObject({ status: 400 });
    await expect(sandbox().admin.armFault({ vendor: 'cora', delayMs: 1, error: 'INTERNAL_ERROR' } as never)).rejects.toMatchObject({ status: 400 });
  });

  it('rowErrors fail exactly the chosen rows in the vendor row shape; the others are stored', async () => {
    await sandbox().admin.armFault({ vendor: 'cora', path: BULK_PATH, rowErrors: { 1: 'VALIDATION_ERROR', 3: 'DUPLICATE_EXTERNAL_ID' } });
    const res = await bulk(sandbox(), { accounts: ['R0', 'R1', 'R2', 'R3'].map((id) => newAccount(id)) });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ total: 4, created: 2, updated: 0, unchanged: 0, failed: 2 });
    expect(res.body.results[1]).toEqual({
      index: 1,
      externalId: 'R1',
      status: 'failed',
      code: 'VALIDATION_ERROR',
      message: CORA_ROW_ERRORS.VALIDATION_ERROR.message,
      details: [{ field: '', message: CORA_ROW_ERRORS.VALIDATION_ERROR.message }],
    });
    expect(res.body.results[3]).toMatchObject({ status: 'failed', code: 'DUPLICATE_EXTERNAL_ID' });
    const stored = await Promise.all(['R0', 'R1', 'R2', 'R3'].map(async (id) => (await getAccount(sandbox(), id)).status));
    expect(stored).toEqual([200, 404, 200, 404]);
  });

  it('a drop before commit writes nothing; a drop after commit writes everything', async () => {
    await sandbox().admin.armFault({ vendor: 'cora', path: BULK_PATH, drop: 'beforeCommit' });
    await expect(bulk(sandbox(), { accounts: [newAccount('DB')] })).rejects.toThrow();
    expect((await getAccount(sandbox(), 'DB')).status).toBe(404);

    await sandbox().admin.armFault({ vendor: 'cora', path: BULK_PATH, drop: 'afterCommit' });
    await expect(bulk(sandbox(), { accounts: [newAccount('DA')] })).rejects.toThrow();
    expect((await getAccount(sandbox(), 'DA')).status).toBe(200);

    const journal = await sandbox().admin.requests({ method: 'POST' });
    expect(journal.map((e) => e.status)).toEqual([null, null]);
    expect(journal.every((e) => e.fault !== null)).toBe(true);
  });

  it('counts after and times right, matching method, path patterns and the raw response action', async () => {
    await sandbox().admin.armFault({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', after: 2, times: 2, response: { status: 503, body: { down: true } } });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await getAccount(sandbox(), `G${i}`)).status);
    expect(statuses).toEqual([404, 404, 503, 503, 404, 404]);
    // A request that does not match (another path) does not count.
    await sandbox().admin.armFault({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', after: 1, error: 'INTERNAL_ERROR' });
    await call(sandbox(), '/cora/external-api/accounts?externalIds=A', { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect((await sandbox().admin.faults())[0]).toMatchObject({ seen: 0, remaining: 1 });
    expect((await getAccount(sandbox(), 'H')).body.code).toBe('ACCOUNT_NOT_FOUND');
    expect((await sandbox().admin.faults())[0]).toMatchObject({ seen: 1, remaining: 1 });
    expect((await getAccount(sandbox(), 'H')).body.code).toBe('INTERNAL_ERROR');
    expect(await sandbox().admin.faults()).toEqual([]);
  });

  it('delays a response by delayMs and can be disarmed', async () => {
    const fault = await sandbox().admin.armFault({ vendor: 'cora', delayMs: 5, times: 3 });
    expect((await getAccount(sandbox(), 'X')).status).toBe(404);
    expect((await sandbox().admin.faults())[0]!.remaining).toBe(2);
    expect(await sandbox().admin.disarmFaults({ id: fault.id })).toEqual({ disarmed: 1 });
    expect(await sandbox().admin.faults()).toEqual([]);
  });
});

describe('namespaces', () => {
  it('keep records, journal, faults and rate-limit buckets apart', async () => {
    const limited = await startSandbox();
    try {
      expect((await bulk(limited, { accounts: [newAccount('N1', { bucket: 'a' })] }, { headers: NS })).status).toBe(200);
      // Same key and IP, other namespace: its own bucket and its own records.
      expect((await bulk(limited, { accounts: [newAccount('N1', { bucket: 'default' })] })).status).toBe(200);
      expect((await bulk(limited, { accounts: [newAccount('N2')] }, { headers: NS })).status).toBe(429);
      const inA = await call(limited, '/cora/external-api/accounts/N1', { headers: { authorization: `Bearer ${DEMO_KEY}`, ...NS } });
      expect(inA.body.account.bucket).toBe('a');
      expect((await getAccount(limited, 'N1')).body.account.bucket).toBe('default');
      expect((await limited.admin.records('cora', { namespace: 'job-a' })).records).toHaveLength(1);

      await limited.admin.armFault({ vendor: 'cora', error: 'INTERNAL_ERROR' }, { namespace: 'job-a' });
      expect((await getAccount(limited, 'N1')).status).toBe(200);
      expect((await call(limited, '/cora/external-api/accounts/N1', { headers: { authorization: `Bearer ${DEMO_KEY}`, ...NS } })).body.code).toBe('INTERNAL_ERROR');

      const journalA = await limited.admin.requests({ namespace: 'job-a' });
      expect(journalA.every((e) => e.namespace === 'job-a')).toBe(true);
      expect(journalA).toHaveLength(4);
      expect((await limited.admin.requests({ namespace: '' })).every((e) => e.namespace === '')).toBe(true);

      await limited.admin.reset({ namespace: 'job-a' });
      expect((await limited.admin.records('cora', { namespace: 'job-a' })).records).toEqual([]);
      expect((await limited.admin.records('cora')).records).toHaveLength(1);
      expect((await bulk(limited, { accounts: [newAccount('N3')] }, { headers: NS })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('journal', () => {
  it('records requests newest first with tenant and namespace, filters them, and never shows a secret', async () => {
    await bulk(sandbox(), { accounts: [newAccount('J1')] });
    await getAccount(sandbox(), 'J1');
    await getAccount(sandbox(), 'NOPE');
    await call(sandbox(), '/cora/external-api/accounts/J1', { headers: { authorization: 'Bearer cora_org_demo.wrong_secret_value' } });
    const all = await sandbox().admin.requests();
    expect(all.map((e) => [e.method, e.path, e.status])).toEqual([
      ['GET', '/external-api/accounts/J1', 401],
      ['GET', '/external-api/accounts/NOPE', 404],
      ['GET', '/external-api/accounts/J1', 200],
      ['POST', BULK_PATH, 200],
    ]);
    const post = all[3]!;
    expect(post).toMatchObject({ vendor: 'cora', namespace: '', tenant: 'org_demo', error: null, rowErrors: [] });
    expect(post.requestBody).toEqual({ accounts: [newAccount('J1')] });
    expect(post.responseBody).toMatchObject({ code: 'BULK_UPSERT_PROCESSED' });
    expect(all[0]).toMatchObject({ tenant: null, error: 'INVALID_API_KEY' });
    const text = JSON.stringify(all);
    for (const secret of ['demo_secret', 'wrong_secret_value']) expect(text).not.toContain(secret);
    expect(post.requestHeaders.authorization).toBe('[redacted]');
    expect(post.requestHeaders['x-cora-signature']).toBe('[redacted]');

    expect((await sandbox().admin.requests({ status: 404 })).map((e) => e.path)).toEqual(['/external-api/accounts/NOPE']);
    expect(await sandbox().admin.requests({ method: 'post' })).toHaveLength(1);
    expect(await sandbox().admin.requests({ path: 'NOPE' })).toHaveLength(1);
    expect(await sandbox().admin.requests({ limit: 2 })).toHaveLength(2);
    expect(await sandbox().admin.requests({ since: new Date(T0 + 1).toISOString() })).toHaveLength(0);
    expect(await sandbox().admin.requests({ vendor: 'copper' })).toHaveLength(0);
    expect(await sandbox().admin.clearRequests()).toEqual({ cleared: 4 });
    expect(await sandbox().admin.requests()).toEqual([]);
  });

  it('is bounded: the oldest entries go first', async () => {
    const small = await startSandbox({ journalCapacity: 3 });
    try {
      for (let i = 0; i < 10; i++) await getAccount(small, `B${i}`);
      expect((await small.admin.requests({ limit: 100 })).map((e) => e.path)).toEqual(['B9', 'B8', 'B7'].map((id) => `/external-api/accounts/${id}`));
    } finally {
      await small.close();
    }
  });
});

describe('snapshots', () => {
  it('restored into a fresh sandbox, gives identical GET answers, clock, faults and journal', async () => {
    await bulk(sandbox(), { accounts: [newAccount('S1', { person: { name: { first: 'A' } } }), newAccount('S2')] });
    await bulk(sandbox(), { accounts: [newAccount('S3')] }, { headers: NS });
    await sandbox().admin.createCredential({ vendor: 'cora', tenant: 'org_snap', key: 'cora_org_snap.snap_secret' });
    await sandbox().admin.armFault({ vendor: 'cora', error: 'INTERNAL_ERROR', after: 5 });
    await sandbox().admin.advanceClock(90_000);
    // The fresh sandbox does not hold cora_org_snap: its secret must travel in the file.
    const snapshot = await sandbox().admin.snapshot({ secrets: 'include' });

    const fresh = await startSandbox({ clock: SandboxClock.frozen(0), rateLimits: 'off' });
    try {
      expect(await fresh.admin.restore(snapshot)).toMatchObject({ rows: expect.any(Number) });
      for (const id of ['S1', 'S2', 'NOPE']) {
        const [a, b] = await Promise.all([getAccount(sandbox(), id), getAccount(fresh, id)]);
        expect(b.status).toBe(a.status);
        expect(b.body).toEqual(a.body);
      }
      const nsGet = (sb: typeof fresh) => call(sb, '/cora/external-api/accounts/S3', { headers: { authorization: `Bearer ${DEMO_KEY}`, ...NS } });
      expect((await nsGet(fresh)).body).toEqual((await nsGet(sandbox())).body);
      expect(await fresh.admin.clock()).toEqual(await sandbox().admin.clock());
      expect((await getAccount(fresh, 'S1', 'cora_org_snap.snap_secret')).body.code).toBe('ACCOUNT_NOT_FOUND');
      expect((await fresh.admin.faults()).map((f) => f.after)).toEqual([5]);
      expect(await fresh.admin.snapshot({ secrets: 'include' })).toMatchObject({ tables: snapshot.tables });
    } finally {
      await fresh.close();
    }
  });

  it('refuses a snapshot naming unknown tables or columns, changing nothing', async () => {
    await bulk(sandbox(), { accounts: [newAccount('K1')] });
    const snapshot = await sandbox().admin.snapshot();
    await expect(sandbox().admin.restore({ ...snapshot, tables: { ...snapshot.tables, evil: [] } })).rejects.toMatchObject({ status: 400 });
    const badColumn = { ...snapshot, tables: { ...snapshot.tables, cora_accounts: [{ ...snapshot.tables.cora_accounts![0]!, 'x"); DROP TABLE credentials; --': 1 }] } };
    await expect(sandbox().admin.restore(badColumn)).rejects.toMatchObject({ status: 400 });
    await expect(sandbox().admin.restore({ nope: true } as never)).rejects.toMatchObject({ status: 400 });
    expect((await getAccount(sandbox(), 'K1')).status).toBe(200);
  });
});

describe('seed and records', () => {
  it('loads credentials and records all or nothing, and lists records as the vendor returns them', async () => {
    const seeded = await sandbox().admin.seed({
      cora: { credentials: [{ tenant: 'org_seed', key: 'cora_org_seed.seed_secret' }], records: { org_seed: [newAccount('SEED1'), newAccount('SEED2')] } },
    });
    expect(seeded).toEqual({ credentials: 1, records: 2 });
    const got = await getAccount(sandbox(), 'SEED1', 'cora_org_seed.seed_secret');
    expect(got.body.account).toMatchObject({ externalId: 'SEED1', organizationId: 'org_seed' });

    const page1 = await sandbox().admin.records('cora', { tenant: 'org_seed', limit: 1 });
    expect(page1.records).toEqual([got.body.account]);
    const page2 = await sandbox().admin.records('cora', { tenant: 'org_seed', limit: 1, cursor: page1.nextCursor! });
    expect((page2.records[0] as { externalId: string }).externalId).toBe('SEED2');
    expect(page2.nextCursor).toBeNull();

    await expect(
      sandbox().admin.seed({ cora: { credentials: [{ tenant: 'org_bad', key: 'cora_org_bad.x' }], records: { org_bad: [newAccount('OK'), { externalId: 'BROKEN' }] } } }),
    ).rejects.toMatchObject({ status: 400 });
    expect((await getAccount(sandbox(), 'OK', 'cora_org_bad.x')).body.code).toBe('INVALID_API_KEY');
    await expect(sandbox().admin.records('nope')).rejects.toMatchObject({ status: 400 });
    await expect(sandbox().admin.records('cora', { cursor: 'garbage' })).rejects.toMatchObject({ status: 400 });
  });

  it('seeds at start through createSandbox({ seed })', async () => {
    const seededSandbox = await startSandbox({ seed: { cora: { records: { org_demo: [newAccount('BOOT')] } } } });
    try {
      expect((await getAccount(seededSandbox, 'BOOT')).status).toBe(200);
    } finally {
      await seededSandbox.close();
    }
  });
});

describe('rate-limit control and coverage', () => {
  it('shows buckets and switches limits off and on', async () => {
    const limited = await startSandbox();
    try {
      await bulk(limited, { accounts: [newAccount('L1')] });
      const view = await call(limited, '/_sandbox/rate-limits');
      expect(view.body.mode).toBe('vendor');
      expect(view.body.buckets).toHaveLength(1);
      expect(view.text).not.toContain('demo_secret');
      expect((await bulk(limited, { accounts: [newAccount('L2')] })).status).toBe(429);
      await limited.admin.setRateLimits('off');
      expect((await bulk(limited, { accounts: [newAccount('L2')] })).status).toBe(200);
      await limited.admin.setRateLimits('vendor');
      expect((await bulk(limited, { accounts: [newAccount('L3')] })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('counts every error and row-failure code produced', async () => {
    await bulk(sandbox(), { accounts: [newAccount('C1'), { externalId: 'C2' }, newAccount('D'), newAccount('D')] });
    await getAccount(sandbox(), 'NOPE');
    await getAccount(sandbox(), 'NOPE');
    const cora = (await sandbox().admin.coverage()).find((v) => v.vendor === 'cora')!;
    const count = (rows: Array<{ code: string; count: number }>, code: string) => rows.find((r) => r.code === code)?.count;
    expect(count(cora.errors, 'ACCOUNT_NOT_FOUND')).toBe(2);
    expect(count(cora.errors, 'INVALID_API_KEY')).toBe(0);
    expect(count(cora.rowErrors, 'VALIDATION_ERROR')).toBe(1);
    expect(count(cora.rowErrors, 'DUPLICATE_EXTERNAL_ID')).toBe(2);
    expect(cora.produced).toBe(3);
    expect(cora.total).toBe(Object.keys(CORA_ERRORS).length + Object.keys(CORA_ROW_ERRORS).length);
  });
});
