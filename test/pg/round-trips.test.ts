// Shared mode's cost per request, counted at the PostgreSQL driver: every statement sent is one network round trip.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { bulk, newAccount } from '../../src/vendors/cora/cora.client.js';
import { advanceClock, call, json, startSandbox } from '../helpers.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

describe.skipIf(!pgAvailable)('round trips of a Cora bulk upsert on PostgreSQL', () => {
  let sandbox: Sandbox;
  let sent: string[] = [];
  const query = pg.Client.prototype.query;
  beforeAll(async () => {
    sandbox = await startSandbox({ db: await freshPgSchemaUrl() });
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text: string };
      const sql = typeof first === 'string' ? first : first.text;
      // Not the request's: the store analyzes a table in the background once enough rows went in.
      if (!sql.startsWith('ANALYZE ')) sent.push(sql);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    await sandbox?.close();
  });

  /** The statements one bulk upsert of `n` new accounts sends, its rate-limit window passed first. */
  async function statementsOf(n: number, tag: string): Promise<string[]> {
    await advanceClock(sandbox, 21_000);
    sent = [];
    const res = await bulk(sandbox, { accounts: Array.from({ length: n }, (_, i) => newAccount(`${tag}-${i}`)) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.summary.created).toBe(n);
    return [...sent];
  }

  it('is the same 11 statements for 1 account as for 500 after a control call, as docs/shared-mode.md says', async () => {
    await statementsOf(1, 'warm');
    const one = await statementsOf(1, 'one');
    const full = await statementsOf(500, 'full');
    expect(full.map((s) => s.slice(0, 60)), one.map((s) => s.slice(0, 60)).join('\n')).toEqual(one.map((s) => s.slice(0, 60)));
    // The shared state with the journal id; the API key (the clock's control call made the process
    // forget its lookups); the rate-limit bucket (BEGIN and its lock in one, read, write, COMMIT);
    // the accounts (BEGIN and the tenant lock in one, read, write, COMMIT); the journal entry.
    expect(one.length).toBe(11);
    expect(one[0]).toMatch(/FROM sandbox_state UNION ALL .*nextval/);
    expect(one[1]).toMatch(/FROM credentials/);
    expect(one.filter((sql) => /^BEGIN; SELECT pg_advisory_xact_lock/.test(sql))).toHaveLength(2);
    expect(one.filter((sql) => sql === 'COMMIT')).toHaveLength(2);
  });

  it('is 6 statements, for 1 account as for 500, from the second request on with rate limits off', async () => {
    expect((await call(sandbox, '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) })).status).toBe(200);
    const send = async (n: number, tag: string) => {
      sent = [];
      const res = await bulk(sandbox, { accounts: Array.from({ length: n }, (_, i) => newAccount(`${tag}-${i}`)) });
      expect(res.status, res.text).toBe(200);
      return [...sent];
    };
    await send(1, 'off-warm');
    const counted = async () => Number(/^bulk_sandbox_store_round_trips_total (\d+)$/m.exec((await call(sandbox, '/_sandbox/metrics')).text)![1]);
    const before = await counted();
    const one = await send(1, 'off-one');
    // The process counts them too (the metrics read's own shared-state query is the one more).
    expect((await counted()) - before - 1).toBe(one.length);
    const full = await send(500, 'off-full');
    expect(one.map((s) => s.slice(0, 60)).join('\n')).toBe(full.map((s) => s.slice(0, 60)).join('\n'));
    expect(one.map((s) => s.slice(0, 40))).toEqual([
      'SELECT name, value, version FROM sandbox',
      'BEGIN; SELECT pg_advisory_xact_lock(hash',
      'SELECT "external_id" AS k0, data FROM "c',
      'INSERT INTO "cora_accounts" ("namespace"',
      'COMMIT',
      'INSERT INTO sandbox_journal (id, time, v',
    ]);
  });
});
