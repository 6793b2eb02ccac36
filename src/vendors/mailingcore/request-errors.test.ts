// MailingCore's request-level errors change nothing in the store: not a row, not a sequence, not SQLite's data_version.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox.js';
import { contact, putContact } from './mailingcore.client.js';
import { startSandbox } from '../../../test/helpers.js';
import { tempDir } from '../../../test/store-inspect.js';

let sandbox: Sandbox;
let observer: Database.Database;
beforeEach(async () => {
  const file = join(tempDir('request-errors-'), 'sandbox.db');
  sandbox = await startSandbox({ db: file, rateLimits: 'off' });
  // A second connection sees data_version move whenever the sandbox's connection commits a change.
  observer = new Database(file, { readonly: true });
});
afterEach(async () => {
  observer.close();
  await sandbox.close();
});
const dataVersion = () => observer.pragma('data_version', { simple: true }) as number;

describe('mailingcore request-level errors', () => {
  it('MailingCore PUT /contacts answered 409 takes no sequence number and commits nothing', async () => {
    expect((await putContact(sandbox, contact('E1', { email: 'one@example.com' }))).status).toBe(200);
    expect((await putContact(sandbox, contact('E2', { email: 'two@example.com' }))).status).toBe(200);
    const before = dataVersion();
    const sequences = () => sandbox.app.deps.store.db.prepare('SELECT * FROM mailingcore_sequences').all();
    const seqBefore = sequences();
    const res = await putContact(sandbox, contact('E1', { email: 'two@example.com' }));
    expect(res.status).toBe(409);
    expect(sequences()).toEqual(seqBefore);
    expect(dataVersion()).toBe(before);
  });
});
