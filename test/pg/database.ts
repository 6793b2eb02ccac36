// A PostgreSQL database of its own for one test file, in the run's throwaway cluster (test/pg/global-setup.ts).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, inject } from 'vitest';

/** False when PostgreSQL is not installed here: the file's PostgreSQL suites skip (the global setup warned, and CI refuses to). */
export const pgAvailable = inject('pgAdminUrl') !== '';

/** Creates a fresh database before the file's tests; read its URL inside a test. */
export function usePgDatabase(): () => string {
  let url: string | undefined;
  beforeAll(async () => {
    if (!pgAvailable) return;
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    const name = `t_${randomUUID().replaceAll('-', '')}`;
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const parsed = new URL(inject('pgAdminUrl'));
    parsed.pathname = `/${name}`;
    url = parsed.toString();
  });
  return () => {
    if (!url) throw new Error('usePgDatabase: no database outside a test (or PostgreSQL is not installed)');
    return url;
  };
}
