// What store tests read straight from SQLite: a temp folder for file databases, indexes, migration versions, integrity.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { SqliteStore } from '../src/core/sqlite-store.js';
import type { Store } from '../src/core/store.js';
import type { Sandbox, SandboxOptions } from '../src/sandbox.js';
import { startSandbox } from './helpers.js';

/** A new temp folder, removed after the test file's tests. Call it where suites are collected (a file's or describe's top level): vitest never runs an afterAll registered from inside a hook or a test. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The SQLite connection under `store`: these inspections are SQLite's own (the PostgreSQL suites check behaviour, not pages). */
export function sqliteDb(store: Store): Database.Database {
  if (!(store instanceof SqliteStore)) throw new Error(`a SQLite inspection on a ${store.engine} store`);
  return store.db;
}

/** A table's own indexes (not a primary key's automatic one), by name, with their definitions. */
export const indexesOf = (store: Store, table: string): Array<{ name: string; sql: string }> =>
  sqliteDb(store)
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name")
    .all(table) as Array<{ name: string; sql: string }>;

export const indexNames = (store: Store, table: string): string[] => indexesOf(store, table).map((index) => index.name);

/** The migration versions applied for `owner`, in order. */
export const migrationVersions = (store: Store, owner: string): number[] =>
  sqliteDb(store).prepare('SELECT version FROM schema_migrations WHERE owner = ? ORDER BY version').pluck().all(owner) as number[];

export const integrity = (store: Store): string[] => sqliteDb(store).prepare('PRAGMA integrity_check').pluck().all() as string[];

/**
 * A fresh sandbox on a file database for each test, and SQLite's `data_version` as a second
 * connection sees it: it moves whenever the sandbox's connection commits a change, so a test can
 * prove a request committed nothing at all.
 */
export function useFileSandboxWithDataVersion(options: SandboxOptions = {}): { sandbox: () => Sandbox; dataVersion: () => number } {
  let sandbox: Sandbox | undefined;
  let observer: Database.Database | undefined;
  let dir: string | undefined;
  // A folder per test, removed after it (tempDir called from this hook left every folder behind).
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'data-version-'));
    const file = join(dir, 'sandbox.db');
    sandbox = await startSandbox({ ...options, db: file, rateLimits: 'off' });
    observer = new Database(file, { readonly: true });
  });
  afterEach(async () => {
    observer?.close();
    await sandbox?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    sandbox: () => sandbox!,
    dataVersion: () => observer!.pragma('data_version', { simple: true }) as number,
  };
}
