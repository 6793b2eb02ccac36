// The stack's own limit: bare Hono + better-sqlite3 doing read-merge-upsert of a bulk body in one transaction, no validation.
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, db: { type: 'string', default: ':memory:' } } });

const db = new Database(values.db!);
// The sandbox's own settings, so the two differ only in what the sandbox does per row.
if (values.db !== ':memory:') db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS records (tbl TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID');
const select = db.prepare('SELECT data FROM records WHERE tbl = ? AND key = ?').pluck();
const upsert = db.prepare(
  'INSERT INTO records (tbl, key, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
);
const countOf = db.prepare('SELECT count(*) FROM records WHERE tbl = ?').pluck();
/** Keyless rows (Copper's creates) get the next integer, as the vendor's sequence would. */
const sequences = new Map<string, number>();

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
function merge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
/** `POST /bulk/:table?array=accounts&key=externalId`: each row of body[array] looked up by row[key]. */
app.post('/bulk/:table', async (c) => {
  const table = c.req.param('table');
  const array = c.req.query('array') ?? 'rows';
  const keyField = c.req.query('key') ?? 'id';
  const body = (await c.req.json()) as Json;
  const rows = body[array] as Json[];
  const now = new Date().toISOString();
  const results = db.transaction(() =>
    rows.map((row, index) => {
      let key = row[keyField] === undefined ? undefined : String(row[keyField]);
      if (key === undefined) {
        const next = (sequences.get(table) ?? (countOf.get(table) as number)) + 1;
        sequences.set(table, next);
        key = String(next);
      }
      const stored = select.get(table, key) as string | undefined;
      if (stored === undefined) {
        upsert.run(table, key, JSON.stringify({ ...row, createdAt: now, updatedAt: now }), now);
        return { index, key, status: 'created' };
      }
      const existing = JSON.parse(stored) as Json;
      const merged = merge(existing, row);
      const data = JSON.stringify(merged);
      if (data === stored) return { index, key, status: 'unchanged' };
      merged.updatedAt = now;
      upsert.run(table, key, JSON.stringify(merged), now);
      return { index, key, status: 'updated' };
    }),
  )();
  return c.json({ total: results.length, results });
});

const server = serve({ fetch: app.fetch, port: Number(values.port), hostname: '127.0.0.1' }, () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
