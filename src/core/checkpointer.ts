// WAL checkpoints on a worker thread: the request thread commits, another core copies the WAL into the database.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold: every few
 * bulk requests, one commit also copies ~4 MB of WAL into the database file and fsyncs it,
 * on the one thread that serves requests (a 500-row Cora batch went from ~10 ms to ~40 ms when
 * it did). Here a second connection on a worker thread runs PASSIVE checkpoints, which never
 * block the writer, shortly after writes; the request thread keeps a high automatic threshold
 * only as a safety net should the worker fall behind.
 */
export interface Checkpointer {
  /** Tells the worker a write was committed (cheap: one atomic add and a notify). */
  nudge(): void;
  /** Stops the worker and waits (synchronously, bounded) until its connection is closed. */
  stop(): void;
}

/** Slots of the shared Int32Array. */
const WRITES = 0;
const STOP = 1;
const DONE = 2;

/** At most one checkpoint per this many ms: one copy of a hot page per interval, not one per commit. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** The request thread's own automatic checkpoint threshold (pages) while the worker runs. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// CommonJS on purpose: an eval'd worker needs no file of its own, so it runs the same from
// src (vitest, tsx), from tsc's dist and from a bundle.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { sqlitePath, dbPath, state: buffer, intervalMs } = workerData;
const state = new Int32Array(buffer);
let db;
try {
  if (Atomics.load(state, ${STOP}) === 0) {
    const Database = require(sqlitePath);
    db = new Database(dbPath, { fileMustExist: true });
    let seen = 0;
    while (Atomics.load(state, ${STOP}) === 0) {
      Atomics.wait(state, ${WRITES}, seen, 1000);
      if (Atomics.load(state, ${STOP}) !== 0) break;
      const writes = Atomics.load(state, ${WRITES});
      if (writes === seen) continue;
      seen = writes;
      db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.wait(state, ${STOP}, 0, intervalMs);
    }
  }
} finally {
  try { if (db) db.close(); } finally {
    Atomics.store(state, ${DONE}, 1);
    Atomics.notify(state, ${DONE});
  }
}
`;

/** Starts the checkpoint worker for the WAL-mode database file at `dbPath`. */
export function startCheckpointer(dbPath: string, onError: (error: Error) => void): Checkpointer {
  const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { sqlitePath, dbPath, state: state.buffer, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  let failed = false;
  worker.on('error', (error) => {
    failed = true;
    onError(error);
  });
  return {
    nudge() {
      Atomics.add(state, WRITES, 1);
      Atomics.notify(state, WRITES);
    },
    stop() {
      Atomics.store(state, STOP, 1);
      Atomics.notify(state, WRITES);
      Atomics.notify(state, STOP);
      // A worker that died never sets DONE; one that is alive closes its connection within a checkpoint.
      if (!failed) Atomics.wait(state, DONE, 0, 5_000);
      void worker.terminate();
    },
  };
}
