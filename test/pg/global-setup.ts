// Vitest global setup: one throwaway PostgreSQL cluster per test run, shared by the files that ask for a database.
import type { TestProject } from 'vitest/node';
import { findPgBin, startCluster } from './cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cluster's maintenance database URL, or '' when PostgreSQL is not installed. */
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const bin = findPgBin();
  if (!bin) {
    if (process.env.CI) throw new Error('PostgreSQL is not installed: .ci/run installs it (apt-get install postgresql), and CI must run the shared-mode tests');
    console.warn('\n*** WARNING: PostgreSQL server programs not found (apt-get install postgresql, or set PG_BIN): the PostgreSQL tests are SKIPPED ***\n');
    project.provide('pgAdminUrl', '');
    return undefined;
  }
  const cluster = await startCluster(bin);
  project.provide('pgAdminUrl', cluster.url('postgres'));
  return () => cluster.stop();
}
