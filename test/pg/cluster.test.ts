// The throwaway PostgreSQL cluster the shared-mode tests run on: a database of one's own per file, run by an unprivileged user, gone after.
import { existsSync, statSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { findPgBin, startCluster } from './cluster.js';
import { pgAvailable, usePgDatabase } from './database.js';

describe.skipIf(!pgAvailable)('the test run’s PostgreSQL cluster', () => {
  const database = usePgDatabase();

  it('gives this file a database of its own, on 127.0.0.1, that takes writes', async () => {
    const url = new URL(database());
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toMatch(/^\/t_[0-9a-f]{32}$/);
    const client = new pg.Client({ connectionString: database() });
    await client.connect();
    try {
      await client.query('CREATE TABLE probe (n integer)');
      await client.query('INSERT INTO probe VALUES (1), (2)');
      expect((await client.query('SELECT sum(n)::int AS total FROM probe')).rows).toEqual([{ total: 3 }]);
      expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe(url.pathname.slice(1));
    } finally {
      await client.end();
    }
  });

  it('keeps other databases of the cluster apart from this one', async () => {
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    try {
      await expect(admin.query('SELECT * FROM probe')).rejects.toThrow(/probe/);
    } finally {
      await admin.end();
    }
  });
});

describe.skipIf(!pgAvailable)('startCluster', () => {
  it('runs the server as a user that is not root, and stop removes its folder', async () => {
    const cluster = await startCluster(findPgBin()!);
    const client = new pg.Client({ connectionString: cluster.url('postgres') });
    await client.connect();
    let dataDirectory: string;
    try {
      dataDirectory = (await client.query('SHOW data_directory')).rows[0].data_directory as string;
    } finally {
      await client.end();
    }
    // initdb and the server refuse root: as root, the folder belongs to the user they ran as.
    const owner = statSync(dataDirectory).uid;
    if (process.getuid?.() === 0) expect(owner).not.toBe(0);
    else expect(owner).toBe(process.getuid?.());
    cluster.stop();
    expect(existsSync(dataDirectory)).toBe(false);
  });
});
