// WAL checkpoints run on a worker thread: a commit reaches the database file with no more work on the request thread, and close() leaves no WAL.
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './store-inspect.js';
import { SqliteStore } from '../src/core/sqlite-store.js';

const dir = tempDir('bulk-sandbox-ckpt-');

/** The page count in the database file's own header (bytes 28–31): it moves only when a checkpoint copies the WAL in. */
function pagesInFile(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    return header.readUInt32BE(28);
  } finally {
    closeSync(fd);
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('checkpoints off the request thread', () => {
  it('copies a committed write into the database file without another write or a checkpoint on this thread', async () => {
    const path = join(dir, 'a.sqlite');
    const store = new SqliteStore(path);
    store.db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const before = pagesInFile(path);
    const insert = store.db.prepare('INSERT INTO t (v) VALUES (?)');
    // ~400 KB: far below the request thread's own automatic threshold (10,000 pages).
    await store.transaction(async () => {
      for (let i = 0; i < 100; i++) insert.run('x'.repeat(4000));
    });
    expect(pagesInFile(path)).toBe(before);
    await until(() => pagesInFile(path) > before + 90, 'the worker to checkpoint');
    expect(store.db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(100);
    store.closeSync();
  });

  it('close() stops the worker and closes its connection, so the last close removes the WAL', async () => {
    const path = join(dir, 'b.sqlite');
    const store = new SqliteStore(path);
    store.db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await store.transaction(async () => void store.db.prepare('INSERT INTO t (v) VALUES (?)').run('one'));
    expect(existsSync(`${path}-wal`)).toBe(true);
    store.closeSync();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new SqliteStore(path);
    expect(reopened.db.prepare('SELECT v FROM t').pluck().all()).toEqual(['one']);
    reopened.closeSync();
  });

  it('close() right after the first write, before the worker has started, still returns promptly', async () => {
    const path = join(dir, 'c.sqlite');
    const store = new SqliteStore(path);
    store.db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY)');
    await store.transaction(async () => void store.db.prepare('INSERT INTO t DEFAULT VALUES').run());
    store.closeSync();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
