// Cora's store below HTTP: a version-1 file database migrates to the rowid table with its unique key index, accounts intact.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexNames, integrity, migrationVersions, tempDir } from '../../../test/store-inspect.js';
import { SqliteStore } from '../../core/sqlite-store.js';
import type { CoraAccount } from './schemas.js';
import { CORA_MIGRATIONS, CORA_TABLE, CoraAccounts } from './store.js';
import { newAccount } from './validation.js';

const dir = tempDir('cora-store-');

const T0 = '2026-01-15T10:00:00.000Z';
const T1 = '2026-01-15T10:01:00.000Z';
const scope = { namespace: '', tenant: 'org_a' };
const account = (externalId: string, id: string, now = T0): CoraAccount =>
  newAccount({ externalId, portfolioId: 'P', phoneNumber: '+15555550111' } as never, { id, organizationId: scope.tenant, now });

const tableSql = (store: SqliteStore): string => store.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(CORA_TABLE) as string;

describe('cora migrations', () => {
  it('moves a version-1 database to a rowid table with a unique key index, keeping every account', async () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new SqliteStore(path);
    await v1.migrate('cora', CORA_MIGRATIONS.filter((m) => m.version === 1));
    expect(tableSql(v1)).toContain('WITHOUT ROWID');
    await new CoraAccounts(v1).write(scope, [account('A', 'acc_1'), account('B', 'acc_2')]);
    await new CoraAccounts(v1).write({ ...scope, tenant: 'org_b' }, [account('A', 'acc_3')]);
    await v1.close();

    const store = new SqliteStore(path);
    await store.migrate('cora', CORA_MIGRATIONS);
    expect(tableSql(store)).not.toContain('WITHOUT ROWID');
    expect(indexNames(store, CORA_TABLE)).toEqual([`${CORA_TABLE}_key`]);
    const accounts = new CoraAccounts(store);
    expect(await accounts.get(scope, 'A')).toEqual(account('A', 'acc_1'));
    expect(await accounts.get(scope, 'B')).toEqual(account('B', 'acc_2'));
    expect(await accounts.get({ ...scope, tenant: 'org_b' }, 'A')).toEqual(account('A', 'acc_3'));

    // The upsert's ON CONFLICT now resolves on the unique index: an update, not a second row.
    await accounts.write(scope, [{ ...account('A', 'acc_1'), currentBalance: 5, updatedAt: T1 }]);
    expect(await accounts.get(scope, 'A')).toMatchObject({ currentBalance: 5, updatedAt: T1, id: 'acc_1' });
    expect(store.db.prepare(`SELECT count(*) FROM ${CORA_TABLE}`).pluck().get()).toBe(3);
    expect(() => store.db.prepare(`INSERT INTO ${CORA_TABLE} VALUES ('', 'org_a', 'B', 'x', '{}', ?, ?)`).run(T0, T0)).toThrow(/UNIQUE/);
    // The key lookup uses the index, not a scan.
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN SELECT data FROM ${CORA_TABLE} WHERE namespace = ? AND tenant = ? AND external_id = ?`).all('', 'org_a', 'A');
    expect(JSON.stringify(plan)).toContain(`USING INDEX ${CORA_TABLE}_key`);
    expect(integrity(store)).toEqual(['ok']);

    await store.migrate('cora', CORA_MIGRATIONS);
    expect(migrationVersions(store, 'cora')).toEqual([1, 2, 3]);
    await store.close();
  });
});
