// The stack's own limit: bare Hono doing read-merge-upsert of a bulk body in one transaction, no validation, on
// better-sqlite3 (a file or :memory:) or, with `--db postgres://...`, on PostgreSQL through `pg`, the sandbox's way.
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, db: { type: 'string', default: ':memory:' } } });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
function merge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

interface Result {
  index: number;
  key: string;
  status: 'created' | 'updated' | 'unchanged';
}

/** One row against its stored JSON text (undefined: none): its outcome, and the JSON text to store unless unchanged. */
function decide(row: Json, stored: string | undefined, now: string): { status: Result['status']; data?: string } {
  if (stored === undefined) return { status: 'created', data: JSON.stringify({ ...row, createdAt: now, updatedAt: now }) };
  const merged = merge(JSON.parse(stored) as Json, row);
  if (JSON.stringify(merged) === stored) return { status: 'unchanged' };
  merged.updatedAt = now;
  return { status: 'updated', data: JSON.stringify(merged) };
}

/** Keyless rows (Copper's creates) get the next integer, as the vendor's sequence would; `count` seeds it once per table. */
const sequences = new Map<string, number>();
const nextKey = (table: string, count: () => number) => {
  const next = (sequences.get(table) ?? count()) + 1;
  sequences.set(table, next);
  return String(next);
};
const keyOf = (row: Json, keyField: string) => (row[keyField] === undefined ? undefined : String(row[keyField]));

/** Stores a request's rows of `table` in one transaction, each looked up by `row[keyField]`. */
type Bulk = (table: string, rows: Json[], keyField: string, now: string) => Result[] | Promise<Result[]>;

/** SQLite: one cached statement per row lookup and per row write, in one transaction (no round trip to save). */
function sqliteBulk(path: string): Bulk {
  const db = new Database(path);
  // The sandbox's own settings, so the two differ only in what the sandbox does per row.
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS records (tbl TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID');
  const select = db.prepare('SELECT data FROM records WHERE tbl = ? AND key = ?').pluck();
  const upsert = db.prepare(
    'INSERT INTO records (tbl, key, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
  );
  const countOf = db.prepare('SELECT count(*) FROM records WHERE tbl = ?').pluck();
  return (table, rows, keyField, now) =>
    db.transaction(() =>
      rows.map((row, index) => {
        const key = keyOf(row, keyField) ?? nextKey(table, () => countOf.get(table) as number);
        const { status, data } = decide(row, select.get(table, key) as string | undefined, now);
        if (data !== undefined) upsert.run(table, key, data, now);
        return { index, key, status };
      }),
    )();
}

/**
 * PostgreSQL, as the sandbox's store sends a bulk request: BEGIN and the tenant's advisory lock in
 * one simple query, the stored rows of every key in one statement (the keys as one JSON array),
 * every changed row in one upsert (each column one JSON array, zipped by ROWS FROM; the rows' JSON
 * texts as JSON values), COMMIT: four round trips, named statements prepared once per connection,
 * a pool of 10 as the sandbox's.
 */
async function postgresBulk(url: string): Promise<Bulk> {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.Pool({ connectionString: url, types, max: 10 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS records (tbl TEXT COLLATE "C" NOT NULL, key TEXT COLLATE "C" NOT NULL, data TEXT COLLATE "C" NOT NULL, ' +
      'updated_at TEXT COLLATE "C" NOT NULL, PRIMARY KEY (tbl, key))',
  );
  // The keys as an array the primary key is probed with: the sandbox's `IN (SELECT ...)` let the
  // planner join a 1,000-key batch against a scan of the whole table here (0.5 s of PostgreSQL CPU
  // a request, measured), which is no ceiling.
  const read = { name: 'read', text: 'SELECT key, data FROM records WHERE tbl = $1 AND key = ANY (ARRAY(SELECT json_array_elements_text($2::json)))' };
  const write = {
    name: 'write',
    text:
      'INSERT INTO records (tbl, key, data, updated_at) SELECT v0::text, v1::text, v2::text, v3::text ' +
      'FROM ROWS FROM (json_array_elements_text($1::json), json_array_elements_text($2::json), json_array_elements($3::json), json_array_elements_text($4::json)) ' +
      'AS t(v0, v1, v2, v3) ON CONFLICT (tbl, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
  };
  const counts = new Map<string, number>();
  // Statistics kept up with the load as the sandbox's store keeps them (see PostgresStore.noteWrites),
  // counted per vendor: the vendors share one table here, and a vendor the statistics have not seen
  // yet is guessed to hold a row or two, so its key lookup reads all of its rows (0.2 s of
  // PostgreSQL CPU a Propel request by the end of a full run, measured).
  const written = new Map<string, { rows: number; analyzeAt: number }>();
  return async (table, rows, keyField, now) => {
    if (rows.some((row) => row[keyField] === undefined) && !counts.has(table)) {
      counts.set(table, (await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM records WHERE tbl = $1', [table])).rows[0]!.n);
    }
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(`tenant:${table}`)}, 0))`);
      const keys = rows.map((row) => keyOf(row, keyField) ?? nextKey(table, () => counts.get(table)!));
      const stored = new Map((await client.query<{ key: string; data: string }>({ ...read, values: [table, JSON.stringify(keys)] })).rows.map((r) => [r.key, r.data]));
      // Keys in write order, the last row of a key winning (one statement cannot update a row twice).
      const changed = new Map<string, string>();
      const results = rows.map((row, index) => {
        const key = keys[index]!;
        const { status, data } = decide(row, stored.get(key), now);
        if (data !== undefined) {
          stored.set(key, data);
          changed.delete(key);
          changed.set(key, data);
        }
        return { index, key, status };
      });
      if (changed.size > 0) {
        const n = changed.size;
        // The rows' JSON texts go in as JSON values, not escaped into strings (as the sandbox sends a json column).
        const values = [JSON.stringify(Array(n).fill(table)), JSON.stringify([...changed.keys()]), `[${[...changed.values()].join(',')}]`, JSON.stringify(Array(n).fill(now))];
        await client.query({ ...write, values });
      }
      await client.query('COMMIT');
      const seen = written.get(table) ?? { rows: 0, analyzeAt: 1_000 };
      written.set(table, seen);
      seen.rows += changed.size;
      if (seen.rows >= seen.analyzeAt) {
        seen.analyzeAt = seen.rows * 2;
        pool.query('ANALYZE records').catch(() => {});
      }
      return results;
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.release(broken);
    }
  };
}

const bulk: Bulk = /^postgres(ql)?:\/\//i.test(values.db!) ? await postgresBulk(values.db!) : sqliteBulk(values.db!);

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
/** `POST /bulk/:table?array=accounts&key=externalId`: each row of body[array] looked up by row[key]. */
app.post('/bulk/:table', async (c) => {
  const table = c.req.param('table');
  const array = c.req.query('array') ?? 'rows';
  const keyField = c.req.query('key') ?? 'id';
  const body = (await c.req.json()) as Json;
  const results = await bulk(table, body[array] as Json[], keyField, new Date().toISOString());
  return c.json({ total: results.length, results });
});

const server = serve({ fetch: app.fetch, port: Number(values.port), hostname: '127.0.0.1' }, () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
