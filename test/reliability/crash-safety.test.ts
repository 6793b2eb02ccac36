// Crash safety: SIGKILL the server mid-load; every acknowledged row survives, no batch is half-written.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../store-inspect.js';
import { signCoraRequest } from '../../src/vendors/cora/auth.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KEY = 'cora_org_demo.demo_secret';
const PATH = '/external-api/accounts/bulk-upsert';
const BATCH = 25;
const CLIENTS = 4;

async function startServer(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--db', db, '--rate-limits', 'off'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, url: line.replace('listening on ', '') };
}

function batchBody(client: number, batch: number): string {
  const accounts = Array.from({ length: BATCH }, (_, row) => {
    const externalId = `C${client}-B${batch}-R${row}`;
    return { externalId, phoneNumber: '+15555550111', portfolioId: 'P', metadata: { filenumber: externalId, client, batch } };
  });
  return JSON.stringify({ accounts });
}

async function send(url: string, body: string): Promise<boolean> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = signCoraRequest({ apiKey: KEY, timestamp, method: 'POST', pathWithQuery: PATH, body });
  const res = await fetch(`${url}/cora${PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'x-cora-timestamp': timestamp, 'x-cora-signature': signature, 'content-type': 'application/json' },
    body,
  });
  const json = (await res.json()) as { summary?: { created: number } };
  return res.status === 200 && json.summary?.created === BATCH;
}

const dir = tempDir('bulk-sandbox-crash-');

describe('crash safety', () => {
  it('keeps every acknowledged row and no half batch after SIGKILL mid-load, and restarts clean', async () => {
    const db = join(dir, 'crash.db');
    const { child, url } = await startServer(db);
    const acknowledged = new Set<string>();
    const attempted: Array<{ client: number; batch: number }> = [];
    let killed = false;

    const client = async (id: number) => {
      for (let batch = 0; !killed; batch++) {
        attempted.push({ client: id, batch });
        try {
          if (await send(url, batchBody(id, batch))) acknowledged.add(`${id}/${batch}`);
        } catch {
          return; // the connection died with the server
        }
        // Kill while the other clients still have requests in flight.
        if (!killed && acknowledged.size >= 40) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    await exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(40);

    const store = new Database(db);
    try {
      expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = store.prepare('SELECT external_id FROM cora_accounts').pluck().all() as string[];
      const perBatch = new Map<string, number>();
      for (const id of rows) {
        const [, c, b] = /^C(\d+)-B(\d+)-R\d+$/.exec(id)!;
        perBatch.set(`${c}/${b}`, (perBatch.get(`${c}/${b}`) ?? 0) + 1);
      }
      for (const key of acknowledged) expect(perBatch.get(key), `acknowledged batch ${key}`).toBe(BATCH);
      // Unacknowledged batches are all or nothing: the server died before or after their commit.
      for (const { client: c, batch: b } of attempted) expect([0, BATCH]).toContain(perBatch.get(`${c}/${b}`) ?? 0);
    } finally {
      store.close();
    }

    const restarted = await startServer(db);
    try {
      const res = await fetch(`${restarted.url}/cora/external-api/accounts/C0-B0-R0`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { account: { externalId: string } }).account.externalId).toBe('C0-B0-R0');
    } finally {
      restarted.child.kill('SIGTERM');
      await once(restarted.child, 'exit');
    }
  }, 60_000);
});
