// The core's bulk runner: forced rows never reach the engine, one transaction, dry runs and failures write nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runBulk, type BulkContext, type BulkEngine } from '../../src/core/bulk.js';
import { defineCatalogue } from '../../src/core/errors.js';
import { createVendorRouter } from '../../src/core/router.js';
import { SqliteStore } from '../../src/core/sqlite-store.js';

type Batch = { rows: readonly string[]; dryRun: boolean };
const scope = { namespace: '', tenant: 't' };
const ctx = (dryRun = false): BulkContext<Batch> => ({ scope, parsed: { rows: [], dryRun }, dryRun, now: 0 });
const rowsOf = (values: string[]) => values.map((row, index) => ({ index, row }));

let store: SqliteStore;
beforeEach(() => {
  store = new SqliteStore(':memory:');
  store.db.exec('CREATE TABLE items (value TEXT PRIMARY KEY); CREATE TABLE reads (n INTEGER)');
});
afterEach(() => store.closeSync());
const stored = () => store.db.prepare('SELECT value FROM items ORDER BY value').pluck().all();

/** Rows fail when they are 'bad'; the others are written. Records what each phase saw. */
function engine(seen: { decided?: string[]; saved?: string[] } = {}, overrides: Partial<BulkEngine<string, Batch, null, string, 'BAD' | 'FORCED', string[]>> = {}) {
  const base: BulkEngine<string, Batch, null, string, 'BAD' | 'FORCED', string[]> = {
    load: async () => null,
    decide(rows) {
      seen.decided = rows.map((r) => r.row);
      const writes: string[] = [];
      const outcomes = rows.map(({ row }) => {
        if (row === 'bad') return { ok: false as const, code: 'BAD' as const, element: `failed ${row}` };
        writes.push(row);
        return { ok: true as const, element: `ok ${row}` };
      });
      return { outcomes, writes };
    },
    async save(writes) {
      seen.saved = writes;
      for (const value of writes) store.statement('INSERT INTO items (value) VALUES (?)').run(value);
    },
    forced: ({ row }, code) => `${code} ${row}`,
  };
  return { ...base, ...overrides };
}

describe('runBulk', () => {
  it('answers forced rows with the fault code before the engine sees them, in request order', async () => {
    const seen: { decided?: string[] } = {};
    const outcomes = await runBulk(store, engine(seen), rowsOf(['a', 'b', 'bad', 'c']), ctx(), new Map([[1, 'FORCED' as const]]));
    expect(seen.decided).toEqual(['a', 'bad', 'c']);
    expect(outcomes).toEqual([
      { ok: true, element: 'ok a' },
      { ok: false, code: 'FORCED', element: 'FORCED b' },
      { ok: false, code: 'BAD', element: 'failed bad' },
      { ok: true, element: 'ok c' },
    ]);
    expect(stored()).toEqual(['a', 'c']);
  });

  it('on a dry run never saves, and rolls back anything the engine wrote', async () => {
    const seen: { saved?: string[] } = {};
    const writingLoad = engine(seen, {
      async load() {
        store.statement('INSERT INTO reads (n) VALUES (1)').run();
        return null;
      },
    });
    const outcomes = await runBulk(store, writingLoad, rowsOf(['a', 'bad']), ctx(true));
    expect(outcomes.map((o) => o.element)).toEqual(['ok a', 'failed bad']);
    expect(seen.saved).toBeUndefined();
    expect(stored()).toEqual([]);
    expect(store.db.prepare('SELECT count(*) FROM reads').pluck().get()).toBe(0);
  });

  it('writes nothing when save fails part way', async () => {
    const failing = engine({}, {
      async save(writes) {
        store.statement('INSERT INTO items (value) VALUES (?)').run(writes[0]);
        throw new Error('disk full');
      },
    });
    await expect(runBulk(store, failing, rowsOf(['a', 'b']), ctx())).rejects.toThrow('disk full');
    expect(stored()).toEqual([]);
  });

  it('refuses an engine that answers a different number of outcomes than rows (a bug, not a partial answer), writing nothing', async () => {
    const short = engine({}, { decide: (rows) => ({ outcomes: rows.slice(1).map(() => ({ ok: true as const, element: 'x' })), writes: ['a'] }) });
    await expect(runBulk(store, short, rowsOf(['a', 'b']), ctx())).rejects.toThrow('1 outcomes for 2 rows');
    expect(stored()).toEqual([]);
  });

  it('runs nested in the transaction its scope is in (a seed\'s): rolled back by its owner', async () => {
    await expect(
      store.transaction(async (tx) => {
        await runBulk(store, engine(), rowsOf(['a']), { ...ctx(), scope: { ...scope, tx } });
        expect(stored()).toEqual(['a']);
        throw new Error('another fixture was bad');
      }),
    ).rejects.toThrow('another fixture was bad');
    expect(stored()).toEqual([]);
  });
});

describe('a route that claims batchField', () => {
  it('is refused at start unless bulkRoute built it: the core could never apply its row faults', () => {
    const errors = defineCatalogue({ errors: { BOOM: { status: 500, message: 'Boom' } }, rowErrors: { BAD: { message: 'Bad' } }, fromCore: { INTERNAL: 'BOOM' }, envelope: () => ({}), envelopeSchema: z.unknown() });
    const handRolled = { method: 'post' as const, path: '/bulk', operationId: 'handRolled', summary: 'A bulk route by hand', description: 'Not built by bulkRoute', tag: 'bulk', responses: { 200: { description: 'ok' } }, errors: [], batchField: 'rows', handler: () => new Response('{}') };
    expect(() => createVendorRouter({ name: 'kit', errors }, [handRolled], '')).toThrow('handRolled declares batchField but was not built by bulkRoute');
  });
});
