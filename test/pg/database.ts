// A PostgreSQL database of its own for one test file, in the run's throwaway cluster (test/pg/global-setup.ts).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, inject } from 'vitest';

/** False when PostgreSQL is not installed here: the file's PostgreSQL suites skip (the global setup warned, and CI refuses to). */
export const pgAvailable = inject('pgAdminUrl') !== '';

/** Creates a database of a new name starting with `prefix` in the run's cluster; answers its URL. */
async function createDatabase(prefix: string): Promise<URL> {
  const adminUrl = inject('pgAdminUrl');
  if (adminUrl === '') throw new Error('PostgreSQL is not installed (see test/pg/global-setup.ts)');
  const maintenance = new pg.Client({ connectionString: adminUrl });
  await maintenance.connect();
  const name = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  try {
    await maintenance.query(`CREATE DATABASE ${name}`);
  } finally {
    await maintenance.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url;
}

/** Creates a fresh database before the file's tests; read its URL inside a test. */
export function usePgDatabase(): () => string {
  let url: string | undefined;
  beforeAll(async () => {
    if (pgAvailable) url = (await createDatabase('t')).toString();
  });
  return () => {
    if (!url) throw new Error('usePgDatabase: no database outside a test (or PostgreSQL is not installed)');
    return url;
  };
}

/** The engine this run's sandboxes use: `postgres` in the vitest project that runs the suites on PostgreSQL. */
export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.SANDBOX_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

let workerDatabase: Promise<{ admin: pg.Client; url: URL }> | undefined;
let schemas = 0;

/** One database per test worker, made on first use, and an open connection to it that makes schemas. */
async function ownDatabase(): Promise<{ admin: pg.Client; url: URL }> {
  const url = await createDatabase('w');
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  // The worker may exit with it open: the cluster is thrown away after the run.
  (admin as unknown as { connection: { stream: { unref(): void } } }).connection.stream.unref();
  return { admin, url };
}

/**
 * The URL of a new, empty schema in this worker's database: a sandbox started on it sees only its
 * own tables (its connections' `search_path`), as a fresh SQLite database would.
 */
export async function freshPgSchemaUrl(): Promise<string> {
  workerDatabase ??= ownDatabase();
  const { admin, url } = await workerDatabase;
  const schema = `s${process.pid}_${++schemas}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return withSchema.toString();
}
