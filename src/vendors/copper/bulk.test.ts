// The batch engine on its own: fault-forced row failures, sequential email claims within one request, and reads bounded by key.
import { describe, expect, it } from 'vitest';
import { runBulk } from '../../core/bulk.js';
import { SqliteStore } from '../../core/sqlite-store.js';
import { copperBulkEngine, type BatchMode } from './bulk.js';
import type { CopperRowReason } from './errors.js';
import { COPPER_MIGRATIONS, CopperPeople, EMAILS_TABLE } from './store.js';

const scope = { namespace: '', tenant: 't' };

async function engine() {
  const store = new SqliteStore(':memory:');
  await store.migrate('copper', COPPER_MIGRATIONS);
  const people = new CopperPeople(store);
  const bulkEngine = copperBulkEngine(people, { contactTypeId: 1074 });
  const run = (mode: BatchMode, rows: unknown[], options: { forced?: Array<[number, CopperRowReason]>; dryRun?: boolean } = {}) =>
    runBulk(
      store,
      bulkEngine,
      rows.map((row, index) => ({ index, row })),
      { scope, parsed: { mode, rows }, dryRun: options.dryRun ?? false, now: 1_700_000_000_000 },
      new Map(options.forced ?? []),
    );
  return { store, people, run };
}

const work = (email: string) => ({ email, category: 'work' });
const elements = (outcomes: ReadonlyArray<{ element: unknown }>) => outcomes.map((o) => o.element);
const codes = (outcomes: ReadonlyArray<{ ok: boolean; code?: string }>) => outcomes.flatMap((o) => (o.ok ? [] : [o.code]));

describe('copper batch engine', () => {
  it('fails the rows a fault names with the vendor shape, and writes the others', async () => {
    const { people, run } = await engine();
    const outcomes = await run('create', [{ name: 'A' }, { name: 'B' }, { name: 'C' }], { forced: [[1, 'taken']] });
    expect(elements(outcomes)).toEqual([
      expect.objectContaining({ id: 1, name: 'A' }),
      { success: false, message: { emails: [{ error: 'taken' }] } },
      expect.objectContaining({ id: 2, name: 'C' }),
    ]);
    expect(codes(outcomes)).toEqual(['taken']);
    expect((await people.all(scope)).map((p) => p.name)).toEqual(['A', 'C']);
  });

  it('a forced not_found on update carries the id', async () => {
    const { run } = await engine();
    await run('create', [{ name: 'A' }]);
    const outcomes = await run('update', [{ id: 1, title: 'x' }], { forced: [[0, 'not_found']] });
    expect(elements(outcomes)).toEqual([{ success: false, message: { id: [{ error: 'not_found' }] }, id: 1 }]);
  });

  it('an email moved off one person earlier in the request is free for a later object', async () => {
    const { people, run } = await engine();
    await run('create', [{ name: 'A', emails: [work('x@example.com')] }, { name: 'B' }]);
    const outcomes = await run('update', [{ id: 1, emails: [] }, { id: 2, emails: [work('X@example.com')] }]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await people.emailOwner(scope, 'x@example.com')).toBe(2);
  });

  it('a dry run writes nothing and consumes no id', async () => {
    const { people, run } = await engine();
    const outcomes = await run('create', [{ name: 'A' }], { dryRun: true });
    expect(outcomes[0]!.ok).toBe(true);
    expect(await people.count(scope)).toBe(0);
    expect(elements(await run('create', [{ name: 'B' }]))).toEqual([expect.objectContaining({ id: 1, name: 'B' })]);
  });
});

describe('copper batch engine: a forced row is absent from the batch', () => {
  it('create: a later object may take the email a forced object sent, and the forced one takes no id', async () => {
    const { people, run } = await engine();
    const outcomes = await run('create', [{ name: 'First', emails: [work('x@example.com')] }, { name: 'Second', emails: [work('X@example.com')] }], {
      forced: [[0, 'invalid']],
    });
    expect(elements(outcomes)).toEqual([{ success: false, message: { name: [{ error: 'invalid' }] } }, expect.objectContaining({ id: 1, name: 'Second' })]);
    expect(await people.emailOwner(scope, 'x@example.com')).toBe(1);
  });

  it('create: without the fault, the same later object is refused the email', async () => {
    const { run } = await engine();
    const outcomes = await run('create', [{ name: 'First', emails: [work('x@example.com')] }, { name: 'Second', emails: [work('X@example.com')] }]);
    expect(codes(outcomes)).toEqual(['taken']);
  });

  it('update: an email a forced object would have freed stays taken for a later object', async () => {
    const { people, run } = await engine();
    await run('create', [{ name: 'A', emails: [work('x@example.com')] }, { name: 'B' }]);
    const outcomes = await run('update', [{ id: 1, emails: [] }, { id: 2, emails: [work('x@example.com')] }], { forced: [[0, 'blank']] });
    expect(elements(outcomes)).toEqual([
      { success: false, message: { name: [{ error: 'blank' }] }, id: 1 },
      { success: false, message: { emails: [{ error: 'taken' }] }, id: 2 },
    ]);
    expect(await people.emailOwner(scope, 'x@example.com')).toBe(1);
  });

  it('update: a later update of the same person starts from the stored person, not the forced change', async () => {
    const { people, run } = await engine();
    await run('create', [{ name: 'A' }]);
    const outcomes = await run('update', [{ id: 1, title: 'Forced' }, { id: 1, details: 'Kept' }], { forced: [[0, 'not_found']] });
    expect(outcomes[1]).toMatchObject({ ok: true, element: { id: 1, title: null, details: 'Kept' } });
    expect(await people.get(scope, 1)).toMatchObject({ title: null, details: 'Kept' });
  });
});

describe('copper batch engine: reads', () => {
  /** How many SELECTs one batch runs, counted at `SqliteStore.statement`. */
  async function selectsFor(mode: BatchMode, size: number): Promise<number> {
    const { store, run } = await engine();
    await run('create', Array.from({ length: 60 }, (_, i) => ({ name: `P ${i}`, emails: [work(`p${i}@example.com`)] })));
    const statement = store.statement.bind(store);
    let selects = 0;
    store.statement = (sql: string) => {
      if (/^\s*SELECT/i.test(sql)) selects += 1;
      return statement(sql);
    };
    const rows = Array.from({ length: size }, (_, i) =>
      mode === 'create'
        ? { name: `N ${i}`, emails: [work(`n${i}@example.com`), work(`p${i}@example.com`)] }
        : { id: i + 1, title: `T ${i}`, emails: [work(`p${(i + 1) % size}@example.com`), work(`m${i}@example.com`)] },
    );
    const outcomes = await run(mode, rows);
    expect(outcomes).toHaveLength(size);
    return selects;
  }

  it.each(['create', 'update'] as const)('%s: as many SELECTs for 50 objects as for 1', async (mode) => {
    const one = await selectsFor(mode, 1);
    expect(one).toBeGreaterThan(0);
    expect(await selectsFor(mode, 50)).toBe(one);
  });
});

describe('copper batch engine: writes', () => {
  /**
   * How many statements (reads and writes) one successful batch runs, counted at
   * `SqliteStore.statement`: each is one round trip on PostgreSQL, where a batch write is one statement.
   */
  async function statementsFor(mode: BatchMode, size: number): Promise<number> {
    const { store, people, run } = await engine();
    await run('create', Array.from({ length: 60 }, (_, i) => ({ name: `P ${i}`, emails: [work(`p${i}@example.com`)] })));
    const statement = store.statement.bind(store);
    let statements = 0;
    store.statement = (sql: string) => {
      statements += 1;
      return statement(sql);
    };
    // Creates claim new emails; updates keep their stored email and claim another.
    const rows = Array.from({ length: size }, (_, i) =>
      mode === 'create' ? { name: `N ${i}`, emails: [work(`n${i}@example.com`)] } : { id: i + 1, title: `T ${i}`, emails: [work(`p${i}@example.com`), work(`m${i}@example.com`)] },
    );
    const outcomes = await run(mode, rows);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    store.statement = statement;
    const last = size - 1;
    if (mode === 'create') {
      expect(await people.emailOwner(scope, `n${last}@example.com`)).toBe(60 + size);
    } else {
      expect(await people.emailOwner(scope, `p${last}@example.com`)).toBe(size);
      expect(await people.emailOwner(scope, `m${last}@example.com`)).toBe(size);
      expect(await people.get(scope, size)).toMatchObject({ title: `T ${last}` });
    }
    return statements;
  }

  it.each(['create', 'update'] as const)('%s: as many statements for 50 objects as for 1', async (mode) => {
    const one = await statementsFor(mode, 1);
    expect(one).toBeGreaterThan(0);
    expect(await statementsFor(mode, 50)).toBe(one);
  });

  /** The email index as stored: each lowercased address with its holder, in address order. */
  const indexOf = (store: SqliteStore) => store.all<{ email: string; person_id: number }>(`SELECT email, person_id FROM ${EMAILS_TABLE} ORDER BY email`);

  it('an update that keeps its emails (case and order aside) leaves their index rows alone', async () => {
    const { store, people, run } = await engine();
    await run('create', [{ name: 'A', emails: [work('a1@example.com'), work('a2@example.com')] }, { name: 'B', emails: [work('b@example.com')] }]);
    const statement = store.statement.bind(store);
    const sent: string[] = [];
    store.statement = (sql: string) => {
      sent.push(sql);
      return statement(sql);
    };
    const outcomes = await run('update', [
      { id: 1, title: 'T', emails: [work('A2@Example.com'), { email: 'a1@example.com', category: 'personal' }] },
      { id: 2, details: 'D' },
    ]);
    store.statement = statement;
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(sent.filter((sql) => sql.includes(EMAILS_TABLE) && !/^\s*SELECT/i.test(sql))).toEqual([]);
    expect(await people.get(scope, 1)).toMatchObject({ title: 'T', emails: [{ email: 'A2@Example.com', category: 'work' }, { email: 'a1@example.com', category: 'personal' }] });
    expect(await people.get(scope, 2)).toMatchObject({ details: 'D' });
    expect(await indexOf(store)).toEqual([
      { email: 'a1@example.com', person_id: 1 },
      { email: 'a2@example.com', person_id: 1 },
      { email: 'b@example.com', person_id: 2 },
    ]);
  });

  it('the index follows the updates that change emails, beside one that keeps them and one that changes them back', async () => {
    const { store, run } = await engine();
    await run('create', [
      { name: 'A', emails: [work('x@example.com')] },
      { name: 'B', emails: [work('b@example.com')] },
      { name: 'C', emails: [work('c@example.com')] },
      { name: 'D', emails: [work('d@example.com')] },
    ]);
    const outcomes = await run('update', [
      // A gives x to B and takes a new address; C keeps its own; D drops its address, then takes it back.
      { id: 1, emails: [work('y@example.com')] },
      { id: 2, emails: [work('b@example.com'), work('X@example.com')] },
      { id: 3, title: 'kept' },
      { id: 4, emails: [] },
      { id: 4, emails: [work('d@example.com')] },
    ]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await indexOf(store)).toEqual([
      { email: 'b@example.com', person_id: 2 },
      { email: 'c@example.com', person_id: 3 },
      { email: 'd@example.com', person_id: 4 },
      { email: 'x@example.com', person_id: 2 },
      { email: 'y@example.com', person_id: 1 },
    ]);
    // The index refuses what it holds: x is B's now, y is A's.
    const refused = await run('create', [{ name: 'E', emails: [work('x@example.com')] }, { name: 'F', emails: [work('Y@example.com')] }]);
    expect(codes(refused)).toEqual(['taken', 'taken']);
  });
});
