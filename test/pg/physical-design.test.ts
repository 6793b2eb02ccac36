// What shared mode's tables look like on PostgreSQL where the engines differ (Migration.engines): room
// for updates in place, and no index on a column every write changes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { startSandbox } from '../helpers.js';
import { freshPgSchemaUrl, pgAvailable } from './database.js';

describe.skipIf(!pgAvailable)('tables on PostgreSQL', () => {
  let sandbox: Sandbox;
  let client: pg.Client;
  beforeAll(async () => {
    const url = await freshPgSchemaUrl();
    sandbox = await startSandbox({ db: url });
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await sandbox?.close();
  });

  const tablesWith = async (option: string): Promise<string[]> =>
    (
      await client.query<{ relname: string }>(
        `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND $1 = ANY (reloptions) ORDER BY relname COLLATE "C"`,
        [option],
      )
    ).rows.map((r) => r.relname);
  const indexes = async (table: string): Promise<string[]> =>
    (await client.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname COLLATE "C"', [table])).rows.map(
      (r) => r.indexname,
    );

  it('leaves a fifth of each page free in the tables whose rows bulk requests update', async () => {
    expect(await tablesWith('fillfactor=80')).toEqual(['copper_people', 'cora_accounts', 'mailingcore_contacts', 'propel_contacts']);
  });

  it('keeps MailingCore contacts without the listing index SQLite has: updatedAt changes on every write', async () => {
    expect(await indexes('mailingcore_contacts')).toEqual(['mailingcore_contacts_email', 'mailingcore_contacts_external_id', 'mailingcore_contacts_pkey']);
  });
});
