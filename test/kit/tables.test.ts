// Reset and snapshot agree on what a vendor's tables are: every table in the store is the core's or exactly one vendor's.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { Store } from '../../src/core/store.js';
import { SUITE_VENDORS } from './vendor-kit.js';

/** Tables the core owns (credentials); everything else must be declared by the vendor whose migrations made it. */
const CORE_TABLES = ['credentials'];

describe('vendor tables', () => {
  it('every table a snapshot exports is reset by exactly one vendor, or is the core’s', () => {
    const store = new Store(':memory:');
    try {
      createApp({ store, vendors: SUITE_VENDORS });
      const owners = new Map<string, string[]>();
      for (const vendor of SUITE_VENDORS) for (const table of vendor.tables) owners.set(table, [...(owners.get(table) ?? []), vendor.name]);
      for (const table of store.tableNames()) {
        if (CORE_TABLES.includes(table)) continue;
        expect(owners.get(table), `table ${table}: declare it in its vendor's \`tables\``).toHaveLength(1);
      }
      for (const table of owners.keys()) expect(store.tableNames(), `declared table ${table} exists`).toContain(table);
    } finally {
      store.close();
    }
  });

  it('every vendor table has the namespace and tenant columns reset scopes by', () => {
    const store = new Store(':memory:');
    try {
      createApp({ store, vendors: SUITE_VENDORS });
      for (const vendor of SUITE_VENDORS) {
        for (const table of vendor.tables) expect(store.columnsOf(table), table).toEqual(expect.arrayContaining(['namespace', 'tenant']));
      }
    } finally {
      store.close();
    }
  });
});
