// Shared mode's cost per request, counted at the PostgreSQL driver: every statement sent is one network round trip.
import { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxOptions } from '../../src/sandbox.js';
import { bulk, newAccount } from '../../src/vendors/cora/cora.client.js';
import { bulkCreate, bulkUpdate } from '../../src/vendors/copper/copper.client.js';
import { bulk as mcBulk } from '../../src/vendors/mailingcore/mailingcore.client.js';
import { bulkById } from '../../src/vendors/propel/propel.client.js';
import type { JsonResponse } from '../helpers.js';
import { advanceClock, call, json, startSandbox } from '../helpers.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

/** How every journal write starts: one statement for a group of entries (core/shared-state.ts SharedJournal). */
const JOURNAL_INSERT = 'INSERT INTO "sandbox_journal"';
const JOURNAL_COLUMNS = 15;

/** A request's first statement: the shared state, with the journal id it takes. */
const STATE = 'SELECT name, value, version FROM sandbox';
/** A request's last: its journal entry. */
const JOURNAL = 'INSERT INTO "sandbox_journal" ("id", "ti';

/** BEGIN and a transaction's lock on a key, sent ahead of the statement the transaction waits for. */
const BEGIN = 'BEGIN';
const LOCK = 'SELECT pg_advisory_xact_lock(hashtextext';
/** The key's shared lock, then its parts': one statement. */
const LOCK_PARTS = 'SELECT count(CASE WHEN o = 0 THEN pg_adv';

/** Runs `test` against a sandbox on a database of its own, with a client of that database; closes both. */
async function onOwnDatabase(options: SandboxOptions, test: (own: Sandbox, database: pg.Client) => Promise<void>): Promise<void> {
  const db = await freshPgSchemaUrl();
  const own = await startSandbox({ db, ...options });
  const database = new pg.Client({ connectionString: db });
  try {
    await database.connect();
    await test(own, database);
  } finally {
    await database.end();
    await own.close();
  }
}

describe.skipIf(!pgAvailable)('round trips of a bulk request on PostgreSQL', () => {
  let sandbox: Sandbox;
  let sent: string[] = [];
  /** Answers the driver had received when each statement of `sent` went out. */
  let answeredAtSend: number[] = [];
  let answered = 0;
  /** Whether each statement of `sent` went to a connection in pipeline mode (else the driver holds it until the answer before). */
  let pipelineAtSend: boolean[] = [];
  /** The connection each statement of `sent` went to. */
  let clients: pg.Client[] = [];
  /** The driver's sockets, and the writes made to them (each a system call: statements sent together share one). */
  const sockets = new WeakSet<object>();
  let socketWrites = 0;
  const query = pg.Client.prototype.query;
  const socketWrite = Socket.prototype._write;
  const socketWritev = Socket.prototype._writev!;
  const count = () => {
    answered += 1;
  };
  /**
   * Whether a write to a socket is none of the request's: a new connection's startup message
   * (protocol 3.0), or the ANALYZE the store runs in the background once enough rows went in.
   */
  const background = (data: Buffer) => data.readUInt32BE(4) === 0x30000 || (data[0] === 0x51 && data.subarray(5, 13).toString() === 'ANALYZE ');
  beforeAll(async () => {
    sandbox = await startSandbox({ db: await freshPgSchemaUrl() });
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text: string };
      const sql = typeof first === 'string' ? first : first.text;
      sockets.add((this as unknown as { connection: { stream: object } }).connection.stream);
      // Not the request's: the store analyzes a table in the background once enough rows went in.
      if (!sql.startsWith('ANALYZE ')) (sent.push(sql), answeredAtSend.push(answered), pipelineAtSend.push(this.pipeline), clients.push(this));
      // The pool passes a callback; the store's own calls take the promise.
      const callback = args.at(-1);
      if (typeof callback === 'function') args[args.length - 1] = (...answer: unknown[]) => (count(), callback(...answer));
      const result = (query as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) void result.then(count, count);
      return result;
    } as typeof query;
    Socket.prototype._write = function (this: Socket, ...args: Parameters<typeof socketWrite>) {
      if (sockets.has(this) && !background(Buffer.from(args[0] as Uint8Array))) socketWrites += 1;
      return socketWrite.apply(this, args);
    };
    Socket.prototype._writev = function (this: Socket, ...args: Parameters<typeof socketWritev>) {
      if (sockets.has(this) && !background(Buffer.concat(args[0].map(({ chunk }) => Buffer.from(chunk as Uint8Array))))) socketWrites += 1;
      return socketWritev.apply(this, args);
    };
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    Socket.prototype._write = socketWrite;
    Socket.prototype._writev = socketWritev;
    await sandbox?.close();
  });

  /**
   * One request's statements, each its first `width` characters, in round trips: a statement sent
   * to the same connection as the one before, pipelined, before any answer came back, travels with it.
   */
  interface Sent {
    statements: string[];
    trips: string[][];
    /** Writes to the driver's sockets. */
    writes: number;
  }
  /** The statements one request sends (its answer checked by `check`). */
  async function statementsOf(request: () => Promise<JsonResponse>, check: (res: JsonResponse) => void, width = 40): Promise<Sent> {
    sent = [];
    answeredAtSend = [];
    pipelineAtSend = [];
    clients = [];
    socketWrites = 0;
    const res = await request();
    expect(res.status, res.text).toBe(200);
    check(res);
    // The journal entry: the observer awaits it before answering, so it is there; waited for all the same.
    for (let i = 0; i < 50 && !sent.some((sql) => sql.startsWith(JOURNAL_INSERT)); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const statements = sent.map((sql) => sql.slice(0, width));
    const trips: string[][] = [];
    statements.forEach((sql, i) => {
      const together = i > 0 && clients[i] === clients[i - 1] && pipelineAtSend[i] === true && answeredAtSend[i] === answeredAtSend[i - 1];
      if (together) trips.at(-1)!.push(sql);
      else trips.push([sql]);
    });
    return { statements, trips, writes: socketWrites };
  }
  /** A request's round trips, each statement as its first 40 characters: enough to tell them apart. */
  const heads = (request: Sent): string[][] => request.trips.map((trip) => trip.map((sql) => sql.slice(0, 40)));
  /** The round trips the process counted so far (the metrics read's own shared-state query among them). */
  const counted = async () => Number(/^bulk_sandbox_store_round_trips_total (\d+)$/m.exec((await call(sandbox, '/_sandbox/metrics')).text)![1]);
  const accounts = (n: number, tag: string) => () => bulk(sandbox, { accounts: Array.from({ length: n }, (_, i) => newAccount(`${tag}-${i}`)) });
  const created = (n: number) => (res: JsonResponse) => expect(res.body.summary.created).toBe(n);

  it('is 7 round trips for 1 Cora account after a control call, and for 500, as docs/shared-mode.md says', async () => {
    await advanceClock(sandbox, 21_000);
    await statementsOf(accounts(1, 'warm'), created(1));
    await advanceClock(sandbox, 21_000);
    const one = await statementsOf(accounts(1, 'one'), created(1), Infinity);
    expect(heads(one)).toEqual([
      // The shared state, with the journal id this request takes.
      [STATE],
      // The API key (the clock's control call made the process forget its lookups).
      ['SELECT * FROM credentials WHERE vendor ='],
      // The rate-limit bucket: BEGIN, its lock and its read; its write and COMMIT.
      [BEGIN, LOCK, 'SELECT log FROM sandbox_rate_buckets WHE'],
      ['INSERT INTO "sandbox_rate_buckets" ("lim', 'COMMIT'],
      // The accounts: BEGIN, the tenant's lock and the read of the batch's keys; the write and COMMIT.
      [BEGIN, LOCK, 'SELECT "external_id" AS k0, data FROM "c'],
      ['INSERT INTO "cora_accounts" ("namespace"', 'COMMIT'],
      // The journal entry, after the answer.
      [JOURNAL],
    ]);
    // Each round trip is one write to the socket.
    expect(one.writes).toBe(7);
    await advanceClock(sandbox, 21_000);
    const full = await statementsOf(accounts(500, 'full'), created(500));
    expect(full.trips).toEqual(heads(one));
    expect(full.writes).toBe(7);
  });

  it('is 4 round trips for 1 Cora account and for 500, from the second request on with rate limits off', async () => {
    expect((await call(sandbox, '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) })).status).toBe(200);
    await statementsOf(accounts(1, 'off-warm'), created(1));
    const before = await counted();
    const one = await statementsOf(accounts(1, 'off-one'), created(1), Infinity);
    // The process counts them too (the metrics read's own shared-state query is the one more).
    expect((await counted()) - before - 1).toBe(one.trips.length);
    expect(heads(one)).toEqual([
      [STATE],
      // BEGIN, the tenant's lock and the read of the batch's keys.
      [BEGIN, LOCK, 'SELECT "external_id" AS k0, data FROM "c'],
      // The write and COMMIT.
      ['INSERT INTO "cora_accounts" ("namespace"', 'COMMIT'],
      [JOURNAL],
    ]);
    expect(one.writes).toBe(4);
    const full = await statementsOf(accounts(500, 'off-full'), created(500), Infinity);
    expect(heads(full)).toEqual(heads(one));
    expect(full.writes).toBe(4);
    // Every statement with parameters is a prepared one ($n placeholders): planned once per connection, never written in.
    const write = full.statements.find((sql) => sql.startsWith('INSERT INTO "cora_accounts"'))!;
    expect(write).toMatch(/^INSERT INTO "cora_accounts" .* FROM ROWS FROM \(json_array_elements_text\(\$1::json\)/);
    // The accounts' JSON (the data column, kind json) travels as JSON values, each stored as the text sent: never escaped into a string.
    expect(write).toContain(`CASE json_typeof(v4) WHEN 'null' THEN NULL WHEN 'string' THEN v4 #>> '{}' ELSE v4::text END`);
    expect(write).toContain(', json_array_elements($5::json), ');
    expect(full.statements.find((sql) => sql.startsWith(LOCK))).toBe('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))');
  });

  it('is 4 round trips for a Copper bulk create and for a bulk update, with rate limits off', async () => {
    expect((await call(sandbox, '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) })).status).toBe(200);
    const person = (n: number) => ({ name: `Person ${n}`, emails: [{ email: `rt${n}@example.com`, category: 'work' }] });
    const ok = (n: number) => (res: JsonResponse) => expect((res.body as unknown[]).filter((r: any) => r.success !== false)).toHaveLength(n);
    await statementsOf(() => bulkCreate(sandbox, [person(0)]), ok(1));
    const create = await statementsOf(() => bulkCreate(sandbox, Array.from({ length: 10 }, (_, i) => person(i + 1))), ok(10), Infinity);
    expect(heads(create)).toEqual([
      [STATE],
      // BEGIN, the account's lock (shared) and its parts' (the id sequence and the emails sent) in one statement, and one read: who holds the batch's emails and the account's last id.
      [BEGIN, LOCK_PARTS, "SELECT 'email' AS source, person_id AS n"],
      // The id sequence moved past the new people, the people, their emails, and COMMIT.
      ['INSERT INTO "copper_id_sequences" ("name', 'INSERT INTO "copper_people" ("namespace"', 'INSERT INTO "copper_person_emails" ("nam', 'COMMIT'],
      [JOURNAL],
    ]);
    expect(create.writes).toBe(4);
    expect(create.statements[3]).toMatch(/^SELECT 'email' AS source, person_id AS n, email AS t FROM copper_person_emails WHERE .*\nUNION ALL\nSELECT 'last_id' AS source, last_id AS n, NULL AS t FROM copper_id_sequences WHERE .*\$\d+.*$/s);
    const ids = (await bulkCreate(sandbox, [person(20), person(21)])).body.map((p: { id: number }) => p.id);
    // The first person takes a new email; the second keeps its own.
    const changes = ids.map((id: number, i: number) => ({ id, title: 'Buyer', emails: [{ email: `rt${20 + i}${i === 0 ? 'b' : ''}@example.com`, category: 'work' }] }));
    const update = await statementsOf(() => bulkUpdate(sandbox, changes), ok(2), Infinity);
    expect(heads(update)).toEqual([
      [STATE],
      // BEGIN, the account's lock (shared) and its parts' (the people named and the emails sent) in one statement, and one read: the people named and who holds the batch's emails.
      [BEGIN, LOCK_PARTS, "SELECT 'person' AS source, id AS n, data"],
      // The first person's old emails out of the index (nobody reads the count), the people, the first one's emails, and COMMIT.
      ['DELETE FROM "copper_person_emails" WHERE', 'INSERT INTO "copper_people" ("namespace"', 'INSERT INTO "copper_person_emails" ("nam', 'COMMIT'],
      [JOURNAL],
    ]);
    expect(update.writes).toBe(4);
    // An update that keeps every email leaves the index alone: the people and COMMIT.
    const kept = await statementsOf(() => bulkUpdate(sandbox, changes.map((change: { id: number }) => ({ id: change.id, details: 'kept' }))), ok(2), Infinity);
    expect(heads(kept)).toEqual([[STATE], [BEGIN, LOCK_PARTS, "SELECT 'person' AS source, id AS n, data"], ['INSERT INTO "copper_people" ("namespace"', 'COMMIT'], [JOURNAL]]);
    expect(update.statements[3]).toMatch(/^SELECT 'person' AS source, id AS n, data AS t FROM copper_people WHERE .*\nUNION ALL\nSELECT 'email' AS source, person_id AS n, email AS t FROM copper_person_emails WHERE .*$/s);
  });

  it('is 5 round trips for a MailingCore bulk import of 20 contacts and of 1000, with rate limits off', async () => {
    expect((await call(sandbox, '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) })).status).toBe(200);
    const contact = (n: number) => ({ email: `mc${n}@example.com`, externalId: `mc-${n}` });
    const done = (n: number) => (res: JsonResponse) => expect(res.body.created + res.body.updated).toBe(n);
    await statementsOf(() => mcBulk(sandbox, { contacts: [contact(0)] }), done(1));
    const imported = await statementsOf(() => mcBulk(sandbox, { contacts: Array.from({ length: 20 }, (_, i) => contact(i)) }), done(20), Infinity);
    const expected = [
      [STATE],
      // BEGIN, the tenant's lock, the contacts holding the batch's externalIds and the tenant's change sequence.
      [BEGIN, LOCK, 'SELECT data, CAST(NULL AS BIGINT) AS seq'],
      // The contacts holding the emails those do not answer.
      ['SELECT data, CAST(NULL AS BIGINT) AS seq'],
      // The change sequence moved on, the contacts stamped with it, and COMMIT.
      ['INSERT INTO mailingcore_sequences (names', 'INSERT INTO "mailingcore_contacts" ("nam', 'COMMIT'],
      [JOURNAL],
    ];
    expect(heads(imported)).toEqual(expected);
    expect(imported.writes).toBe(5);
    expect(imported.statements[3]).toMatch(/^SELECT data, CAST\(NULL AS BIGINT\) AS seq FROM mailingcore_contacts .*UNION ALL SELECT NULL, value FROM mailingcore_sequences WHERE .*$/s);
    const full = await statementsOf(() => mcBulk(sandbox, { contacts: Array.from({ length: 1000 }, (_, i) => contact(i)) }), done(1000));
    expect(full.trips).toEqual(expected);
    expect(full.writes).toBe(5);
  });
});

describe.skipIf(!pgAvailable)("the shared journal's writes on PostgreSQL", () => {
  let sandbox: Sandbox;
  /** The ids each journal INSERT carried, in the order they were sent. */
  let groups: number[][] = [];
  /** Set while a test holds the next journal INSERT back: it goes once this resolves. */
  let hold: Promise<void> | undefined;
  /** Bulk writes of Cora accounts the database has answered. */
  let accountWrites = 0;
  const query = pg.Client.prototype.query;
  beforeAll(async () => {
    sandbox = await startSandbox({ db: await freshPgSchemaUrl() });
    expect((await call(sandbox, '/_sandbox/rate-limits', { method: 'PUT', ...json({ mode: 'off' }) })).status).toBe(200);
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text: string; values?: unknown[] };
      const sql = typeof first === 'string' ? first : first.text;
      const send = () => (query as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      if (sql.startsWith(JOURNAL_INSERT)) {
        // A row of 15 parameters per entry, its id first (core/shared-state.ts JOURNAL_COLUMNS).
        groups.push((first as { values: number[] }).values.filter((_, i) => i % JOURNAL_COLUMNS === 0));
        const held = hold;
        hold = undefined;
        if (held) return held.then(send);
      }
      const answer = send();
      if (sql.includes('INSERT INTO "cora_accounts"')) void answer.then(() => accountWrites++, () => {});
      return answer;
    } as typeof query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    await sandbox?.close();
  });

  /**
   * Sends `n` Cora bulk requests of one account each at once. The first journal INSERT is held
   * until every request has written its account (and so reaches the journal soon after): the
   * entries added meanwhile must wait and go together.
   */
  async function concurrentBulks(target: Sandbox, n: number, tag: string) {
    groups = [];
    accountWrites = 0;
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    const wait = setInterval(() => {
      if (accountWrites < n) return;
      clearInterval(wait);
      setTimeout(release, 50);
    }, 5);
    const sent = Array.from({ length: n }, (_, i) => ({ accounts: [newAccount(`${tag}-${i}`)] }));
    const responses = await Promise.all(sent.map((body) => bulk(target, body)));
    for (const res of responses) expect(res.status, res.text).toBe(200);
    return { sent, responses };
  }

  it('writes the entries of 40 concurrent requests in fewer statements than requests, each entry whole, newest first by id', async () => {
    const n = 40;
    const { sent, responses } = await concurrentBulks(sandbox, n, 'group');
    // Every request's answer waited for its own entry: all of them are there now.
    const entries = (await call(sandbox, '/_sandbox/requests?vendor=cora&limit=100')).body.requests as Array<{ id: number; requestBody: unknown; responseBody: unknown }>;
    expect(entries).toHaveLength(n);
    const ids = entries.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const byId = new Map(responses.map((res, i) => [Number(res.headers.get('x-sandbox-request-id')), { request: sent[i], response: res.body }]));
    for (const entry of entries) {
      expect(byId.has(entry.id), `entry ${entry.id}`).toBe(true);
      expect(entry.requestBody).toEqual(byId.get(entry.id)!.request);
      expect(entry.responseBody).toEqual(byId.get(entry.id)!.response);
    }
    // Each entry went in exactly one statement, the first alone (nothing waited for it), and far
    // fewer statements than requests.
    expect(groups.flat().sort((a, b) => a - b)).toEqual([...ids].reverse());
    expect(groups[0]).toHaveLength(1);
    expect(groups.length).toBeLessThanOrEqual(3);
  });

  it('writes a lone entry at once, in one INSERT of its own, before the request is answered', async () => {
    groups = [];
    const res = await bulk(sandbox, { accounts: [newAccount('alone')] });
    expect(res.status, res.text).toBe(200);
    const id = Number(res.headers.get('x-sandbox-request-id'));
    // No waiting loop: the answer comes once the entry is stored.
    expect(groups).toEqual([[id]]);
    const [entry] = (await call(sandbox, '/_sandbox/requests?vendor=cora&limit=1')).body.requests;
    expect(entry.id).toBe(id);
    expect(entry.requestBody).toEqual({ accounts: [newAccount('alone')] });
  });

  it('writes at most 64 entries a statement, and trims every 64 entries however they were grouped', async () => {
    await onOwnDatabase({ journalCapacity: 10, rateLimits: 'off' }, async (small, database) => {
      await concurrentBulks(small, 70, 'trim');
      const sizes = groups.map((g) => g.length);
      expect(sizes.reduce((a, b) => a + b)).toBe(70);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
      expect(sizes.length).toBeLessThan(70);
      // The statement that took the count of entries written past 64 trimmed the table to the
      // newest 10 (the capacity); the entries written after it stay until the next trim.
      let kept = 0;
      let written = 0;
      for (const size of sizes) {
        kept += size;
        if (Math.floor((written + size) / 64) > Math.floor(written / 64)) kept = Math.min(kept, 10);
        written += size;
      }
      expect(kept).toBeLessThan(70);
      const { rows } = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM sandbox_journal');
      expect(rows[0]!.n).toBe(kept);
      expect((await call(small, '/_sandbox/requests/count')).body.count).toBe(10);
    });
  });

  it("stores a body redaction leaves as it is as it came (Propel's answers, whose key fields it shows), and describes the others", async () => {
    await onOwnDatabase({}, async (own, database) => {
      const answer = await bulkById(own, { contacts: [{ id: 7 }, { id: 8, firstName: 'Eight' }] });
      expect(answer.status).toBe(200);
      const { rows } = await database.query<{ operation: string; request_raw: string | null; response_raw: string | null; entry: string }>(
        'SELECT operation_id AS operation, request_raw, response_raw, entry FROM sandbox_journal ORDER BY id',
      );
      const byOperation = Object.fromEntries(rows.map((row) => [row.operation, row]));
      // The token's answer holds a credential: stored described, redacted.
      expect(byOperation.propelIssueToken!.response_raw).toBeNull();
      expect(JSON.parse(byOperation.propelIssueToken!.entry).responseBody).toMatchObject({ access_token: '[redacted]', token_type: 'Bearer' });
      // The bulk request and answer: as they came, byte for byte, the answer's key fields included.
      expect(byOperation.propelBulkContactsById!.request_raw).toBe(JSON.stringify({ contacts: [{ id: 7 }, { id: 8, firstName: 'Eight' }] }));
      expect(byOperation.propelBulkContactsById!.response_raw).toBe(JSON.stringify(answer.body));
      expect((await own.admin.requests({ operationId: 'propelBulkContactsById' }))[0]!.responseBody).toEqual(answer.body);
    });
  });

  it('keeps the entries and bodies compressed with LZ4 where the server has it (Debian’s has)', async () => {
    await onOwnDatabase({}, async (_own, database) => {
      const { rows: settings } = await database.query<{ lz4: boolean }>("SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'");
      expect(settings[0]!.lz4).toBe(true);
      const { rows } = await database.query<{ name: string; compression: string }>(
        `SELECT attname AS name, attcompression AS compression FROM pg_attribute
         WHERE attrelid = 'sandbox_journal'::regclass AND attname IN ('entry', 'request_raw', 'response_raw') ORDER BY attname`,
      );
      expect(rows).toEqual([
        { name: 'entry', compression: 'l' },
        { name: 'request_raw', compression: 'l' },
        { name: 'response_raw', compression: 'l' },
      ]);
    });
  });
});
