// Crash safety: SIGKILL the server mid-load; every acknowledged row survives, no batch is half-written.
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/core/postgres-store.js';
import { SQLITE_DIALECT } from '../../src/core/sqlite-store.js';
import { isPostgresUrl } from '../../src/core/store.js';
import { VENDORS } from '../../src/vendors/registry.js';
import { freshPgSchemaUrl, TEST_ENGINE } from '../pg/database.js';
import { tempDir } from '../store-inspect.js';
import { spawnServer, type ServerProcess } from '../process.js';
import { kitFor, type Server, type VendorRequest, type VendorTestKit } from '../kit/vendor-kit.js';

const CLIENTS = 4;
/** Server processes on one database: one on SQLite (its file is the process's), three on PostgreSQL (one is killed, two keep serving). */
const PROCESSES = TEST_ENGINE === 'postgres' ? 3 : 1;

const startServer = (db: string) => spawnServer(['--db', db, '--rate-limits', 'off']);

/** A server process reached over HTTP, on the wall clock: what a real client of the vendor talks to. */
const serverAt = (url: string): Server => ({ fetch: (path, init) => fetch(`${url}${path}`, init), now: () => Date.now() });

/** Sends `request` as the vendor's client would; resolves to the status and parsed body. */
async function sendAs(kit: VendorTestKit, prefix: string, url: string, request: VendorRequest): Promise<{ status: number; body: any }> {
  const server = serverAt(url);
  const headers = { ...(await kit.clientAuth(server, request)), ...(request.body === '' ? {} : { 'content-type': 'application/json' }) };
  const res = await server.fetch(`${prefix}${request.path}`, { method: request.method, headers, ...(request.body === '' ? {} : { body: request.body }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const dir = tempDir('bulk-sandbox-crash-');

// Every registered vendor's bulk write, through its kit (src/vendors/<v>/<v>.testkit.ts).
describe.each(VENDORS.map((v) => [v.name, v.prefix] as const))('crash safety: %s', (name, prefix) => {
  const kit = kitFor(name);
  const BATCH = kit.crash.batchSize;
  const batchIds = (client: number, batch: number) => Array.from({ length: BATCH }, (_, row) => `C${client}-B${batch}-R${row}`);
  const send = async (url: string, ids: string[]) => kit.created(await sendAs(kit, prefix, url, kit.crash.batch(ids))) === BATCH;

  it('keeps every acknowledged row and no half batch after SIGKILL mid-load, and restarts clean', async () => {
    const db = TEST_ENGINE === 'postgres' ? await freshPgSchemaUrl() : join(dir, `crash-${name}.db`);
    const servers = await Promise.all(Array.from({ length: PROCESSES }, () => startServer(db)));
    const [victim, ...survivors] = servers as [ServerProcess, ...ServerProcess[]];
    const acknowledged = new Set<string>();
    const attempted: Array<{ client: number; batch: number }> = [];
    let killed = false;
    let afterKill = 0;

    const client = async (id: number) => {
      for (let batch = 0; (survivors.length > 0 ? afterKill < 20 : !killed) && batch < 2_000; batch++) {
        // Round-robin over the processes; once one is dead, its requests fail and the others' go on.
        const target = servers[(id + batch) % servers.length]!;
        if (killed && target === victim) continue;
        attempted.push({ client: id, batch });
        try {
          if (await send(target.url, batchIds(id, batch))) {
            acknowledged.add(`${id}/${batch}`);
            if (killed) afterKill += 1;
          }
        } catch {
          if (survivors.length === 0) return; // the connection died with the server
          continue;
        }
        // Kill while the other clients still have requests in flight.
        if (!killed && acknowledged.size >= 40) {
          killed = true;
          victim.child.kill('SIGKILL');
        }
      }
    };
    const exited = victim.child.exitCode !== null || victim.child.signalCode !== null ? Promise.resolve() : once(victim.child, 'exit');
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    await exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(40);
    if (survivors.length > 0) expect(afterKill, 'batches the surviving processes acknowledged after the kill').toBeGreaterThanOrEqual(20);

    const rows = await storedIds(db, kit);
    const perBatch = new Map<string, number>();
    for (const id of rows) {
      const [, c, b] = /^C(\d+)-B(\d+)-R\d+$/.exec(id)!;
      perBatch.set(`${c}/${b}`, (perBatch.get(`${c}/${b}`) ?? 0) + 1);
    }
    for (const key of acknowledged) expect(perBatch.get(key), `acknowledged batch ${key}`).toBe(BATCH);
    // Unacknowledged batches are all or nothing: the server died before or after their commit.
    for (const { client: c, batch: b } of attempted) expect([0, BATCH]).toContain(perBatch.get(`${c}/${b}`) ?? 0);

    await Promise.all(survivors.map((s) => s.stop()));
    const restarted = await startServer(db);
    try {
      const read = kit.crash.read('C0-B0-R0');
      const res = await sendAs(kit, prefix, restarted.url, read);
      expect(res.status).toBe(200);
      expect(read.idOf(res.body)).toBe('C0-B0-R0');
    } finally {
      await restarted.stop();
    }
  }, 60_000);
});

/** The ids every stored row carries, read from the database after the crash (a SQLite file is checked for integrity first). */
async function storedIds(db: string, kit: VendorTestKit): Promise<string[]> {
  if (isPostgresUrl(db)) {
    const store = new PostgresStore(db);
    try {
      return (await store.column<unknown>(kit.crash.storedIds(store.sql))).map(String);
    } finally {
      await store.close();
    }
  }
  const store = new Database(db);
  try {
    expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
    return store.prepare(kit.crash.storedIds(SQLITE_DIALECT)).pluck().all() as string[];
  } finally {
    store.close();
  }
}
