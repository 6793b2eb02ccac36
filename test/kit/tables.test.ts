// Reset and snapshot agree on what a vendor's tables are: every table in the store is the core's or exactly one vendor's.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { SqliteStore } from '../../src/core/sqlite-store.js';
import { SUITE_VENDORS } from './vendor-kit.js';

/** Tables the core owns (credentials); everything else must be declared by the vendor whose migrations made it. */
const CORE_TABLES = ['credentials'];

describe('vendor tables', () => {
  it('every table a snapshot exports is reset by exactly one vendor, or is the core’s', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await createApp({ store, vendors: SUITE_VENDORS });
      const owners = new Map<string, string[]>();
      for (const vendor of SUITE_VENDORS) for (const table of vendor.tables) owners.set(table, [...(owners.get(table) ?? []), vendor.name]);
      const tables = await store.tableNames();
      for (const table of tables) {
        if (CORE_TABLES.includes(table)) continue;
        expect(owners.get(table), `table ${table}: declare it in its vendor's \`tables\``).toHaveLength(1);
      }
      for (const table of owners.keys()) expect(tables, `declared table ${table} exists`).toContain(table);
    } finally {
      await store.close();
    }
  });

  it('every vendor table has the namespace and tenant columns reset scopes by', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await createApp({ store, vendors: SUITE_VENDORS });
      for (const vendor of SUITE_VENDORS) {
        for (const table of vendor.tables) expect((await store.columnInfo(table)).map((c) => c.name), table).toEqual(expect.arrayContaining(['namespace', 'tenant']));
      }
    } finally {
      await store.close();
    }
  });
});
