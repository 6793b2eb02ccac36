// The store seam's contract, run on both engines: the same calls answer the same on SQLite and PostgreSQL.
import { describe, expect, it } from 'vitest';
import { CHECK_TRANSACTIONS_ENV, numberPlaceholders, postgresDdl, PostgresStore } from '../../src/core/postgres-store.js';
import { SqliteStore } from '../../src/core/sqlite-store.js';
import { isConnectionLost, isConstraintViolation, type Store, type Tx } from '../../src/core/store.js';
import { createTenantTable, TenantTable } from '../../src/core/tenant-table.js';
import type { TenantScope } from '../../src/core/vendor.js';
import { pgAvailable, usePgDatabase } from './database.js';

const pgUrl = usePgDatabase();
let schemas = 0;

/** A fresh store on `engine`: an in-memory SQLite database, or a new schema of this file's PostgreSQL database. */
async function open(engine: 'sqlite' | 'postgres'): Promise<Store> {
  if (engine === 'sqlite') return new SqliteStore(':memory:');
  const schema = `c${++schemas}`;
  const setup = new PostgresStore(pgUrl());
  await setup.run(`CREATE SCHEMA ${schema}`);
  await setup.close();
  const url = new URL(pgUrl());
  url.searchParams.set('options', `-c search_path=${schema}`);
  return new PostgresStore(url.toString());
}

const SCHEMA = { table: 'items', columns: { id: 'INTEGER NOT NULL', name: 'TEXT NOT NULL', data: 'TEXT NOT NULL' }, primaryKey: ['id'] } as const;
const MIGRATIONS = [{ version: 1, sql: `${createTenantTable(SCHEMA)}; CREATE INDEX items_name ON items (namespace, tenant, name)` }];
const scope = { namespace: '', tenant: 't1' };
/** The scope in transaction `tx`: a table's statements through it run there. */
const on = (tx: Tx): TenantScope => ({ ...scope, tx });

const constraint = (error: unknown) => isConstraintViolation(error);

/**
 * `attempt`, a statement nobody reads the answer of (held, or sent ahead) that breaks a constraint,
 * fails its transaction with its own error wherever the transaction goes next: to COMMIT, to a
 * read (never answered), or to another error (the statement's comes out, as when sent at once).
 */
async function failsWherever(store: Store, table: TenantTable, attempt: (scope: TenantScope) => unknown): Promise<void> {
  await expect(store.transaction(async (tx) => (await tx.lock('k'), await attempt(on(tx)), 'done')).catch(constraint)).resolves.toBe(true);
  let read = false;
  const failedRead = store.transaction(async (tx) => {
    await attempt(on(tx));
    await table.count(on(tx));
    read = true;
  });
  await expect(failedRead.catch(constraint)).resolves.toBe(true);
  expect(read).toBe(false);
  await expect(store.transaction(async (tx) => (await attempt(on(tx)), Promise.reject(new Error('later')))).catch(constraint)).resolves.toBe(true);
}

describe.each(['sqlite', 'postgres'] as const)('store contract on %s', (engine) => {
  const run = engine === 'postgres' && !pgAvailable ? it.skip : it;
  async function withStore(fn: (store: Store, table: TenantTable) => Promise<void>): Promise<void> {
    const store = await open(engine);
    try {
      await store.migrate('test', MIGRATIONS);
      await fn(store, new TenantTable(store, { schema: SCHEMA, key: 'id', start: 0 }));
    } finally {
      await store.close();
    }
  }

  run('migrates once, and reports tables and columns in SQLite’s words on both engines', () =>
    withStore(async (store) => {
      await store.migrate('test', MIGRATIONS);
      expect(await store.tableNames()).toEqual(['items']);
      expect(await store.columnInfo('items')).toEqual([
        { name: 'namespace', type: 'TEXT', notNull: true, hasDefault: false, primaryKey: true },
        { name: 'tenant', type: 'TEXT', notNull: true, hasDefault: false, primaryKey: true },
        { name: 'id', type: 'INTEGER', notNull: true, hasDefault: false, primaryKey: true },
        { name: 'name', type: 'TEXT', notNull: true, hasDefault: false, primaryKey: false },
        { name: 'data', type: 'TEXT', notNull: true, hasDefault: false, primaryKey: false },
      ]);
    }));

  run('runs a migration only on the engines it names, and records it as applied on every engine', () =>
    withStore(async (store) => {
      const onPostgres = { version: 2, engines: ['postgres'] as const, sql: 'CREATE TABLE only_postgres (id INTEGER NOT NULL PRIMARY KEY)' };
      const onSqlite = { version: 3, engines: ['sqlite'] as const, sql: 'CREATE TABLE only_sqlite (id INTEGER NOT NULL PRIMARY KEY)' };
      await store.migrate('test', [...MIGRATIONS, onPostgres, onSqlite]);
      expect(await store.tableNames()).toEqual(['items', engine === 'postgres' ? 'only_postgres' : 'only_sqlite']);
      expect(await store.column('SELECT version FROM schema_migrations WHERE owner = ? ORDER BY version', ['test'])).toEqual([1, 2, 3]);
      // Applied once: the engine that skipped it does not run it later either.
      await store.migrate('test', [...MIGRATIONS, onPostgres, onSqlite]);
      expect(await store.tableNames()).toEqual(['items', engine === 'postgres' ? 'only_postgres' : 'only_sqlite']);
    }));

  run('stores and finds text with a lone surrogate (a client can send "\\ud800") as U+FFFD, as the drivers encode it, on both engines', () =>
    withStore(async (store, table) => {
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], [[7, 'x\ud800y', '{"v":7}']]));
      expect(await store.column('SELECT name FROM items')).toEqual(['x\ufffdy']);
      // Found by the sent text and by what was stored: the key compares the same either way.
      const named = new TenantTable(store, { schema: SCHEMA, key: 'name', start: 0 });
      expect([...(await named.recordsByKey(scope, ['x\ud800y'])).keys()]).toEqual(['x\ufffdy']);
      expect([...(await named.recordsByKey(scope, ['x\ufffdy'])).keys()]).toEqual(['x\ufffdy']);
      expect(await named.deleteByKeys(scope, ['x\udc00y', 'x\ud800y'])).toBe(1);
    }));

  run('stores a record’s JSON text byte for byte as given (small writes sent with COMMIT, large ones prepared, upserts), as a text column stores it', () =>
    withStore(async (store, table) => {
      // What JSON.stringify writes for awkward records, then JSON texts it never writes (the text
      // must come back as sent, not as PostgreSQL would rewrite it), then texts that are no object
      // or array (they travel as strings).
      const records = [
        { name: 'é漢字 Ωmega', note: `O'Brien said "hi" \\ back\\slash /`, nul: 'a\u0000b', ctl: '\u0001\n\t\r\b\f\u001f\u007f' },
        { emoji: '🙂👩‍👩‍👧 🏳️‍🌈', lone: 'x\ud800y\udc00z', escaped: '\\u0000 \\ud800 \\n', bom: '\ufeff\u2028\u2029' },
        { big: 12345678901234567890, huge: 1e300, tiny: 5e-324, neg: -0, max: Number.MAX_SAFE_INTEGER + 2, frac: 0.1 + 0.2 },
        { nested: { a: [1, [2, [3, { b: null, c: true, d: false, e: '' }]]], 'key "quoted"': { '': 'empty key', 'é': ['ü'] } } },
        ['top', 'level', { array: [] }, {}],
        {},
      ];
      const texts = [
        ...records.map((record) => JSON.stringify(record)),
        '{ "spaced" : [ 1 , 2 ] ,\n\t"b" : {} }',
        '{"escapes":"\\u00e9\\uD83D\\uDE00\\/\\"","number":1.50E+3,"zero":-0.0}',
        '{"dup":1,"dup":2}',
        'plain text, not JSON',
        '"a JSON string"',
        'null',
        '42',
        '',
      ];
      // Every text in the data column (kind json) and in the name column (kind text, the way every text travelled before).
      const rows = (offset: number) => texts.map((text, i) => [offset + i, text, text]);
      const stored = async (from: number, to: number) =>
        store.all<{ name: string; data: string }>('SELECT name, data FROM items WHERE id >= ? AND id < ? ORDER BY id', [from, to]);
      // A small write, a large one (40 kB of parameters), then an upsert of the first.
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], rows(0)));
      const many = Array.from({ length: 40 }, (_, n) => rows(100 + n * 100)).flat();
      expect(JSON.stringify(many).length).toBeGreaterThan(40_000);
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], many));
      const swapped = texts.map((_, i) => [i, texts[texts.length - 1 - i], texts[texts.length - 1 - i]]);
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], swapped, { keys: ['id'], update: ['name', 'data'] }));
      expect((await stored(0, 100)).map((row) => row.data)).toEqual([...texts].reverse());
      for (let n = 0; n < 40; n++) expect((await stored(100 + n * 100, 200 + n * 100)).map((row) => row.data)).toEqual(texts);
      // The engine compares them bytewise (COLLATE "C" on PostgreSQL): not one differs from its text-column twin.
      expect(await store.value('SELECT count(*) FROM items')).toBe(texts.length * 41);
      expect(await store.value('SELECT count(*) FROM items WHERE name <> data')).toBe(0);
    }));

  run('keeps a json column’s null apart from the text "null"', () =>
    withStore(async (store) => {
      await store.migrate('notes', [{ version: 1, sql: 'CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body TEXT)' }]);
      const columns = [{ name: 'id', kind: 'integer' }, { name: 'body', kind: 'json' }] as const;
      await store.transaction((tx) => tx.writeRows('notes', columns, [[1, null], [2, 'null'], [3, '{"a":null}']]));
      expect(await store.all('SELECT id, body FROM notes ORDER BY id')).toEqual([
        { id: 1, body: null },
        { id: 2, body: 'null' },
        { id: 3, body: '{"a":null}' },
      ]);
    }));

  run('refuses a JSON text holding a raw NUL character on PostgreSQL as an invalid body, writing nothing (SQLite stores it)', () =>
    withStore(async (store, table) => {
      const write = () => store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], [[1, 'fine', '{"a":"b"}'], [2, 'raw', '{"a":"\u0000"}']]));
      if (engine === 'sqlite') {
        await write();
        expect(await store.column('SELECT data FROM items ORDER BY id')).toEqual(['{"a":"b"}', '{"a":"\u0000"}']);
        return;
      }
      await expect(write()).rejects.toMatchObject({ name: 'SandboxError', code: 'INVALID_BODY', message: 'Text containing the NUL character (U+0000) cannot be stored on PostgreSQL' });
      expect(await table.count(scope)).toBe(0);
    }));

  run('writes a batch in one call, upserting by key with the last row winning, and reads it back by keys', () =>
    withStore(async (store, table) => {
      await store.transaction((tx) =>
        table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{"v":1}'], [2, 'b', '{"v":2}'], [1, 'a2', '{"v":3}']], { keys: ['id'], update: ['name', 'data'] }),
      );
      expect(await table.count(scope)).toBe(2);
      expect(await table.record(scope, 1)).toEqual({ v: 3 });
      const byKey = await table.recordsByKey(scope, [2, 1, 99]);
      expect([...byKey.entries()].sort()).toEqual([[1, { v: 3 }], [2, { v: 2 }]]);
      const tuples = await table.readByKeys<{ data: string }>(scope, [[1, 'a2'], [2, 'x']], { columns: ['id', 'name'] });
      expect(tuples.map((r) => [r.k0, r.k1])).toEqual([[1, 'a2']]);
      expect(await table.deleteByKeys(scope, [1, 2, 3])).toBe(2);
      expect(await table.count({ namespace: '', tenant: 't1' })).toBe(0);
    }));

  run('a write without onConflict refuses a duplicate key, and the transaction writes nothing', () =>
    withStore(async (store, table) => {
      await expect(store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{}'], [1, 'b', '{}']]))).rejects.toMatchObject({});
      expect(await table.count(scope)).toBe(0);
    }));

  run('rolls back a failed transaction, and a dry run always; a savepoint undoes only its own writes', () =>
    withStore(async (store, table) => {
      await expect(
        store.transaction(async (tx) => {
          await table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{}']]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const dry = await store.rolledBack(async (tx) => {
        await table.write(on(tx), ['id', 'name', 'data'], [[2, 'b', '{}']]);
        return table.count(on(tx));
      });
      expect(dry).toBe(1);
      await store.transaction(async (tx) => {
        await tx.savepoint(() => table.write(on(tx), ['id', 'name', 'data'], [[3, 'c', '{}']]));
        // A savepoint that is not kept (a dry run inside a transaction), and one that throws, undo only their own writes.
        await tx.savepoint(() => table.write(on(tx), ['id', 'name', 'data'], [[4, 'd', '{}']]), false);
        await expect(
          tx.savepoint(async () => {
            await table.write(on(tx), ['id', 'name', 'data'], [[5, 'e', '{}']]);
            throw new Error('row 5');
          }),
        ).rejects.toThrow('row 5');
      });
      expect(await table.column(scope, 'SELECT id FROM items WHERE namespace = ? AND tenant = ? ORDER BY id')).toEqual([3]);
    }));

  run('scopes every tenant query: another tenant sees nothing', () =>
    withStore(async (store, table) => {
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{}']]));
      const other = { namespace: '', tenant: 't2' };
      expect(await table.count(other)).toBe(0);
      expect(await table.record(other, 1)).toBeUndefined();
      expect((await table.list({ namespace: '', limit: 10 })).records).toEqual([{}]);
    }));

  run('sorts text bytewise on both engines (keyset pages agree)', () =>
    withStore(async (store, table) => {
      const names = ['b', 'B', 'a', '_', 'Z', 'é'];
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], names.map((name, i) => [i, name, '{}'])));
      expect(await table.column(scope, 'SELECT name FROM items WHERE namespace = ? AND tenant = ? ORDER BY name')).toEqual(['B', 'Z', '_', 'a', 'b', 'é']);
    }));

  run('withLock() runs one holder at a time, its session reading and writing', () =>
    withStore(async (store, table) => {
      const order: string[] = [];
      const first = store.withLock('w', async (session) => {
        order.push('first in');
        await new Promise((resolve) => setTimeout(resolve, 50));
        await session.run('INSERT INTO items (namespace, tenant, id, name, data) VALUES (?, ?, ?, ?, ?)', ['', 't1', 9, 'w', '{}']);
        order.push('first out');
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      const second = store.withLock('w', async (session) => {
        order.push(`second in, sees ${await session.value('SELECT count(*) FROM items')}`);
      });
      await Promise.all([first, second]);
      expect(order).toEqual(['first in', 'first out', 'second in, sees 1']);
      expect(await table.count(scope)).toBe(1);
    }));

  run('lock() makes two transactions on one key take turns, from the first statement after it on', () =>
    withStore(async (store, table) => {
      const order: string[] = [];
      const row = (id: number) => [id, `n${id}`, '{}'];
      const slow = store.transaction(async (tx) => {
        await tx.lock('k');
        await table.write(on(tx), ['id', 'name', 'data'], [row(1)]);
        // The lock is held once a statement has run (on PostgreSQL it travels with the first one).
        await table.count(on(tx));
        order.push('first in');
        await new Promise((resolve) => setTimeout(resolve, 50));
        await table.write(on(tx), ['id', 'name', 'data'], [row(2)]);
        order.push('first out');
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      const second = store.transaction(async (tx) => {
        await tx.lock('k');
        order.push(`second in, sees ${await table.count(on(tx))}`);
      });
      await Promise.all([slow, second]);
      expect(order).toEqual(['first in', 'first out', 'second in, sees 2']);
    }));

  // On PostgreSQL a write is sent ahead, pipelined, without waiting for its answer: small or large,
  // it must behave as a write sent and awaited.
  const sizes = { small: '{}', large: JSON.stringify({ pad: 'x'.repeat(40_000) }) };
  for (const [size, pad] of Object.entries(sizes)) {
    run(`a ${size} write is seen by the transaction’s next read, and a later throw rolls it back`, () =>
      withStore(async (store, table) => {
        const seen = await store.transaction(async (tx) => {
          await tx.lock('k');
          await table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', pad]]);
          await table.write(on(tx), ['id', 'name', 'data'], [[2, 'b', '{"v":2}']]);
          return table.column(on(tx), 'SELECT id FROM items WHERE namespace = ? AND tenant = ? ORDER BY id');
        });
        expect(seen).toEqual([1, 2]);
        await expect(
          store.transaction(async (tx) => {
            await table.write(on(tx), ['id', 'name', 'data'], [[3, 'c', pad]]);
            await table.count(on(tx));
            await table.write(on(tx), ['id', 'name', 'data'], [[4, 'd', pad]]);
            throw new Error('after the writes');
          }),
        ).rejects.toThrow('after the writes');
        expect(await table.column(scope, 'SELECT id FROM items WHERE namespace = ? AND tenant = ? ORDER BY id')).toEqual([1, 2]);
      }));

    run(`a failing ${size} write fails its transaction with its own error, wherever the transaction goes next, and nothing of it is kept`, () =>
      withStore(async (store, table) => {
        await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{}']]));
        const duplicate = (s: TenantScope) => table.write(s, ['id', 'name', 'data'], [[7, 'x', pad], [1, 'again', '{}']]);
        await failsWherever(store, table, duplicate);
        // The write, then a savepoint: it fails before the savepoint starts.
        let entered = false;
        const beforeSavepoint = store.transaction(async (tx) => {
          await duplicate(on(tx));
          await tx.savepoint(async () => {
            entered = true;
          });
        });
        await expect(beforeSavepoint.catch(constraint)).resolves.toBe(true);
        expect(entered).toBe(false);
        expect(await table.column(scope, 'SELECT id FROM items WHERE namespace = ? AND tenant = ? ORDER BY id')).toEqual([1]);
        // The store still serves, on the same connections.
        await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], [[8, 'h', '{}']]));
        expect(await table.count(scope)).toBe(2);
      }));
  }

  run('deleteByKeysUncounted() deletes by keys, in order with the transaction’s other statements, and without a round trip of its own on PostgreSQL', () =>
    withStore(async (store, table) => {
      const rows = [1, 2, 3, 4, 5].map((id) => [id, `n${id}`, '{}']);
      await store.transaction((tx) => table.write(on(tx), ['id', 'name', 'data'], rows));
      const ids = (s: TenantScope = scope) => table.column(s, 'SELECT id FROM items WHERE namespace = ? AND tenant = ? ORDER BY id');
      const before = store.roundTrips ?? 0;
      const seen = await store.transaction(async (tx) => {
        await tx.lock('k');
        await table.deleteByKeysUncounted(on(tx), [2, 4, 99]);
        // The next read sees the rows gone: the DELETE went first.
        return ids(on(tx));
      });
      expect(seen).toEqual([1, 3, 5]);
      // BEGIN, the lock, the DELETE and the read in one round trip, then COMMIT (deleteByKeys would take one more).
      if (store.engine === 'postgres') expect((store.roundTrips ?? 0) - before).toBe(2);
      expect(await ids()).toEqual([1, 3, 5]);
      // By another column, outside any transaction (at once), in a savepoint (at once, undone with it), and with no keys.
      await table.deleteByKeysUncounted(scope, ['n5'], 'name');
      expect(await ids()).toEqual([1, 3]);
      await store.transaction(async (tx) => {
        await expect(
          tx.savepoint(async () => {
            await table.deleteByKeysUncounted(on(tx), [1]);
            expect(await ids(on(tx))).toEqual([3]);
            throw new Error('undone');
          }),
        ).rejects.toThrow('undone');
        await table.deleteByKeysUncounted(on(tx), []);
      });
      expect(await ids()).toEqual([1, 3]);
      // Another tenant's rows are out of its reach.
      await table.deleteByKeysUncounted({ namespace: '', tenant: 't2' }, [1, 3]);
      expect(await ids()).toEqual([1, 3]);
    }));

  run('a failing deleteByKeysUncounted() fails its transaction with its own error, wherever the transaction goes next, and nothing of it is kept', () =>
    withStore(async (store, table) => {
      // A row another table refers to: deleting it breaks the foreign key, on both engines.
      await store.migrate('refs', [
        { version: 1, sql: 'CREATE TABLE refs (namespace TEXT NOT NULL, tenant TEXT NOT NULL, id INTEGER NOT NULL, FOREIGN KEY (namespace, tenant, id) REFERENCES items (namespace, tenant, id))' },
      ]);
      await store.transaction(async (tx) => {
        await table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{}'], [2, 'b', '{}']]);
        await tx.run('INSERT INTO refs (namespace, tenant, id) VALUES (?, ?, ?)', ['', 't1', 2]);
      });
      const ids = () => table.column(scope, 'SELECT id FROM items WHERE namespace = ? AND tenant = ? ORDER BY id');
      // With a write before it, and (below) alone.
      await failsWherever(store, table, async (s) => {
        await table.write(s, ['id', 'name', 'data'], [[3, 'c', '{}']]);
        await table.deleteByKeysUncounted(s, [1, 2]);
      });
      const alone = store.transaction(async (tx) => (await table.deleteByKeysUncounted(on(tx), [2]), Promise.reject(new Error('later'))));
      await expect(alone.catch(constraint)).resolves.toBe(true);
      // Nothing of it is kept, neither the write before it nor its deletes.
      expect(await ids()).toEqual([1, 2]);
      // The store still serves, on the same connections.
      await store.transaction((tx) => table.deleteByKeysUncounted(on(tx), [1]));
      expect(await ids()).toEqual([2]);
    }));

  run('a statement a transaction’s work sends to the store instead of to the transaction is refused (SANDBOX_CHECK_TRANSACTIONS, set for the tests), and so is a transaction inside it', () =>
    withStore(async (store, table) => {
      expect(process.env[CHECK_TRANSACTIONS_ENV]).toBe('1');
      const bypass = store.transaction(async (tx) => {
        await table.write(on(tx), ['id', 'name', 'data'], [[1, 'a', '{}']]);
        // The scope without its transaction: on PostgreSQL this would read on another connection, and see nothing.
        return table.count(scope);
      });
      if (engine === 'sqlite') {
        // One connection: the store is the transaction, nothing can bypass it.
        expect(await bypass).toBe(1);
        return;
      }
      await expect(bypass).rejects.toThrow("a statement sent to the store inside a transaction's work would run outside the transaction");
      await expect(store.transaction(() => store.transaction(() => 'inner'))).rejects.toThrow('a transaction inside a transaction: use tx.savepoint()');
      expect(await table.count(scope)).toBe(0);
      // Work a transaction started that runs after it ended is the store's own again.
      let late: Promise<number> | undefined;
      await store.transaction(() => {
        late = new Promise((resolve) => setTimeout(() => resolve(table.count(scope)), 20));
      });
      expect(await late).toBe(0);
      // A transaction kept past its end is refused: its connection is back in the pool.
      let kept: Tx | undefined;
      await store.transaction((tx) => {
        kept = tx;
      });
      await expect((async () => kept!.value('SELECT 1'))()).rejects.toThrow('a statement on a transaction that has ended');
      await expect((async () => kept!.writeRows('items', [{ name: 'id', kind: 'integer' }], [[1]]))()).rejects.toThrow('a statement on a transaction that has ended');
    }));

  run('a transaction that takes a lock and does nothing else commits nothing and ends', () =>
    withStore(async (store, table) => {
      expect(await store.transaction(async (tx) => (await tx.lock('k'), 'locked'))).toBe('locked');
      await expect(store.transaction(async (tx) => (await tx.lock('k'), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await table.count(scope)).toBe(0);
    }));
});

describe('PostgreSQL spelling', () => {
  it('numbers placeholders outside quotes', () => {
    expect(numberPlaceholders(`SELECT '?', "a?" FROM t WHERE a = ? AND b = ?`)).toBe(`SELECT '?', "a?" FROM t WHERE a = $1 AND b = $2`);
  });

  it('reads a migration written in SQLite’s spelling', () => {
    expect(postgresDdl('CREATE TABLE t (\n  a TEXT NOT NULL,\n  n INTEGER,\n  PRIMARY KEY (a)\n) WITHOUT ROWID')).toBe(
      'CREATE TABLE t (\n  a TEXT COLLATE "C" NOT NULL,\n  n BIGINT,\n  PRIMARY KEY (a)\n)',
    );
  });

  it.skipIf(!pgAvailable)('migrations from several processes at once apply each version exactly once', async () => {
    const url = new URL(pgUrl());
    const setup = new PostgresStore(pgUrl());
    await setup.run('CREATE SCHEMA racing');
    await setup.close();
    url.searchParams.set('options', '-c search_path=racing');
    const stores = Array.from({ length: 4 }, () => new PostgresStore(url.toString()));
    try {
      await Promise.all(stores.map((store) => store.migrate('test', MIGRATIONS)));
      expect(await stores[0]!.column('SELECT version FROM schema_migrations WHERE owner = ?', ['test'])).toEqual([1]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

describe.skipIf(!pgAvailable)('a PostgreSQL connection the server ends while checked out', () => {
  it('fails the transaction with an error isConnectionLost names, ends nothing else, and the next transaction runs on a new connection', async () => {
    const store = await open('postgres');
    try {
      await store.run('CREATE TABLE kept (n INTEGER NOT NULL)');
      // The server ends the transaction's own connection, as pg_terminate_backend from an operator would.
      const ended = await store
        .transaction(async (tx) => {
          await tx.run('INSERT INTO kept (n) VALUES (1)');
          await tx.value('SELECT pg_terminate_backend(pg_backend_pid())');
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isConnectionLost(ended)).toBe(true);
      // Still this process (Node would have ended on an unheard 'error' event) and the store serves; the insert was never committed.
      expect(await store.transaction((tx) => tx.value('SELECT count(*) FROM kept'))).toBe(0);
      const refused = await Promise.resolve(store.run('INSERT INTO kept (n) VALUES (NULL)')).catch((error: unknown) => error);
      expect(isConstraintViolation(refused)).toBe(true);
      expect(isConnectionLost(refused)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
