// Locks on parts of a tenant (Tx.lockParts, BulkEngine.lockParts): writes of different records of one tenant run side by side on PostgreSQL; writes of the same record, and writes of the whole tenant, take turns.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LOCK_PARTS, PostgresStore } from '../../src/core/postgres-store.js';
import type { Tx } from '../../src/core/store.js';
import { bulkCreate, bulkUpdate, copper, storedPeople } from '../../src/vendors/copper/copper.client.js';
import type { Sandbox } from '../../src/sandbox.js';
import { startSandbox } from '../helpers.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

/** A session of its own on the database: holds locks as another process would, and sees who waits. */
class Observer {
  private readonly client: pg.Client;
  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url });
  }
  connect = () => this.client.connect();
  end = () => this.client.end();
  hold = (key: string) => this.client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
  release = (key: string) => this.client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
  holdShared = (key: string) => this.client.query('SELECT pg_advisory_lock_shared(hashtextextended($1, 0))', [key]);
  releaseShared = (key: string) => this.client.query('SELECT pg_advisory_unlock_shared(hashtextextended($1, 0))', [key]);

  /** How many advisory locks other sessions of this database hold (granted, not waited for). */
  async heldByOthers(): Promise<number> {
    const { rows } = await this.client.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    return rows[0].n;
  }

  /** Resolves once `count` sessions of this database wait for an advisory lock (they sent their lock; the server queued it). */
  async waiters(count: number): Promise<void> {
    for (let tries = 0; tries < 1_000; tries++) {
      const { rows } = await this.client.query(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
      if (rows[0].n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${count} sessions ever waited for a lock`);
  }
}

/** Whether `promise` has settled by now (after the pending callbacks ran). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe.skipIf(!pgAvailable)('Tx.lockParts on PostgreSQL', () => {
  let store: PostgresStore;
  let observer: Observer;
  beforeAll(async () => {
    const url = await freshPgSchemaUrl();
    store = new PostgresStore(url);
    observer = new Observer(url);
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await store?.close();
  });

  /** A transaction that takes `lock`, reads once (the lock travels with it), then holds on until `until` resolves. */
  const holding = (lock: (tx: Tx) => unknown, until: Promise<void> = Promise.resolve()) =>
    store.transaction(async (tx) => {
      await lock(tx);
      await tx.value('SELECT 1');
      await until;
      return 'done';
    });

  it('runs transactions on different parts side by side, and makes one on a held part, or on the whole key, wait until it ends', async () => {
    let end!: () => void;
    const first = holding((tx) => tx.lockParts('tenant', () => ['a', 'b']), new Promise((resolve) => (end = resolve)));
    await observer.waiters(0);
    // Another part of the same key: not held, so it runs now.
    await expect(holding((tx) => tx.lockParts('tenant', () => ['c', 'd']))).resolves.toBe('done');
    // A part the first holds, named among others: waits. So does the whole key.
    const overlapping = holding((tx) => tx.lockParts('tenant', () => ['z', 'b']));
    const whole = holding((tx) => tx.lock('tenant'));
    await observer.waiters(2);
    expect(await settled(overlapping)).toBe(false);
    expect(await settled(whole)).toBe(false);
    end();
    await expect(first).resolves.toBe('done');
    await expect(overlapping).resolves.toBe('done');
    await expect(whole).resolves.toBe('done');
  });

  it('takes overlapping parts in one order, whatever order they are named in: no two transactions wait for each other crosswise', async () => {
    const parts = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const runs = Array.from({ length: 16 }, (_, i) => {
      const named = i % 2 === 0 ? [...parts] : [...parts].reverse();
      return holding(async (tx) => tx.lockParts('crosswise', () => named.slice(i % 3)));
    });
    // A deadlock would fail one of them (PostgreSQL detects it after deadlock_timeout): all commit.
    await expect(Promise.all(runs)).resolves.toEqual(runs.map(() => 'done'));
  });

  it('waits while the whole key is held, and holds it shared: a whole-key lock waits for it, other parts do not', async () => {
    await observer.hold('tenant');
    const parts = holding((tx) => tx.lockParts('tenant', () => ['a', 'b']));
    await observer.waiters(1);
    expect(await settled(parts)).toBe(false);
    // It queued for the key before taking any part: it holds none while it waits.
    expect(await observer.heldByOthers()).toBe(0);
    await observer.release('tenant');
    await expect(parts).resolves.toBe('done');

    await observer.holdShared('tenant');
    await expect(holding((tx) => tx.lockParts('tenant', () => ['a']))).resolves.toBe('done');
    const whole = holding((tx) => tx.lock('tenant'));
    await observer.waiters(1);
    expect(await settled(whole)).toBe(false);
    await observer.releaseShared('tenant');
    await expect(whole).resolves.toBe('done');
  });
});

describe.skipIf(!pgAvailable)('Copper batches lock the people and emails they name', () => {
  let sandbox: Sandbox;
  let observer: Observer;
  /** The key of one part of the demo account's state, as core/bulk.ts names it (default namespace ''). */
  const part = (name: string) => JSON.stringify(['', 'copper_demo', name]);
  const person = (name: string, email = `${name}@example.com`) => ({ name, emails: [{ email, category: 'work' }] });

  beforeAll(async () => {
    const url = await freshPgSchemaUrl();
    sandbox = await startSandbox({ db: url, rateLimits: 'off' });
    observer = new Observer(url);
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await sandbox?.close();
  });

  it('updates one person while a batch holding another person’s email is in flight, and makes a batch sending that email wait for it', async () => {
    const created = await bulkCreate(sandbox, [person('ann'), person('bob')]);
    expect(created.status, created.text).toBe(200);
    const [ann, bob] = created.body as Array<{ id: number }>;

    // Another process's batch holds bob and the address held@example.com.
    await observer.hold(part(`person:${bob!.id}`));
    await observer.hold(part('email:held@example.com'));
    try {
      // Ann's update names neither: it does not wait.
      const updated = await bulkUpdate(sandbox, [{ id: ann!.id, title: 'Lead' }]);
      expect(updated.status, updated.text).toBe(200);
      expect(updated.body[0]).toMatchObject({ id: ann!.id, title: 'Lead' });
      // A create of the held address, and an update of bob, wait.
      const claiming = bulkCreate(sandbox, [person('cat', 'Held@Example.com')]);
      const bobUpdate = bulkUpdate(sandbox, [{ id: bob!.id, title: 'Ops' }]);
      await observer.waiters(2);
      expect(await settled(claiming)).toBe(false);
      expect(await settled(bobUpdate)).toBe(false);
      await observer.release(part('email:held@example.com'));
      await observer.release(part(`person:${bob!.id}`));
      const claimed = await claiming;
      expect(claimed.status, claimed.text).toBe(200);
      expect(claimed.body[0]).toMatchObject({ name: 'cat', emails: [{ email: 'Held@Example.com', category: 'work' }] });
      expect((await bobUpdate).body[0]).toMatchObject({ id: bob!.id, title: 'Ops' });
    } finally {
      await observer.release(part('email:held@example.com')).catch(() => {});
    }
    const stored = await storedPeople(sandbox);
    expect(stored.map((p) => [p.name, p.title ?? null])).toEqual([
      ['ann', 'Lead'],
      ['bob', 'Ops'],
      ['cat', null],
    ]);
  });

  it('takes the whole account’s lock for a batch naming more parts than a transaction may hold (PostgreSQL’s lock table is shared and bounded)', async () => {
    const many = { name: 'eve', emails: Array.from({ length: MAX_LOCK_PARTS }, (_, i) => ({ email: `eve${i}@example.com`, category: 'work' })) };
    // A batch in flight holds the account shared: a batch of few parts goes on beside it, one of too many waits for the whole account.
    await observer.holdShared('tenant::copper_demo');
    expect((await bulkCreate(sandbox, [person('fay')])).status).toBe(200);
    const create = bulkCreate(sandbox, [many]);
    await observer.waiters(1);
    expect(await settled(create)).toBe(false);
    await observer.releaseShared('tenant::copper_demo');
    const created = await create;
    expect(created.status, created.text).toBe(200);
    expect(created.body[0].emails).toHaveLength(MAX_LOCK_PARTS);
  });

  it('makes creates take turns on the account’s id sequence, and a delete of a person (the whole account) wait for a batch in flight', async () => {
    await observer.hold(part('ids'));
    const create = bulkCreate(sandbox, [person('dan')]);
    await observer.waiters(1);
    expect(await settled(create)).toBe(false);
    await observer.release(part('ids'));
    const [dan] = (await create).body as Array<{ id: number }>;

    // A batch in flight holds the account shared; a delete holds it whole, so it waits.
    await observer.holdShared('tenant::copper_demo');
    const deleting = copper(sandbox, `/people/${dan!.id}`, undefined, { method: 'DELETE' });
    await observer.waiters(1);
    expect(await settled(deleting)).toBe(false);
    await observer.releaseShared('tenant::copper_demo');
    expect((await deleting).status).toBe(200);
    expect((await storedPeople(sandbox)).map((p) => p.name)).not.toContain('dan');
  });
});
