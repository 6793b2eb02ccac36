// Shared mode's cost per request, counted at the PostgreSQL driver: every statement sent is one network round trip.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { bulk, newAccount } from '../../src/vendors/cora/cora.client.js';
import { advanceClock, startSandbox } from '../helpers.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

describe.skipIf(!pgAvailable)('round trips of a Cora bulk upsert on PostgreSQL', () => {
  let sandbox: Sandbox;
  let sent: string[] = [];
  const query = pg.Client.prototype.query;
  beforeAll(async () => {
    sandbox = await startSandbox({ db: await freshPgSchemaUrl() });
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text: string };
      sent.push(typeof first === 'string' ? first : first.text);
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

  it('is the same 14 statements for 1 account as for 500, as docs/shared-mode.md says', async () => {
    await statementsOf(1, 'warm');
    const one = await statementsOf(1, 'one');
    const full = await statementsOf(500, 'full');
    expect(full.map((s) => s.slice(0, 60)), one.map((s) => s.slice(0, 60)).join('\n')).toEqual(one.map((s) => s.slice(0, 60)));
    expect(one.length).toBe(14);
    expect(one.filter((sql) => sql === 'BEGIN')).toHaveLength(2);
    expect(one.filter((sql) => sql === 'COMMIT')).toHaveLength(2);
  });
});
