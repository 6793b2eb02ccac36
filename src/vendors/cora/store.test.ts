// Cora's store below HTTP: a version-1 file database migrates to the rowid table with its unique key index, accounts intact.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexNames, integrity, migrationVersions, tempDir } from '../../../test/store-inspect.js';
import { Store } from '../../core/store.js';
import type { CoraAccount } from './schemas.js';
import { CORA_MIGRATIONS, CORA_TABLE, CoraAccounts } from './store.js';
import { newAccount } from './validation.js';

const dir = tempDir('cora-store-');

const T0 = '2026-01-15T10:00:00.000Z';
const T1 = '2026-01-15T10:01:00.000Z';
const scope = { namespace: '', tenant: 'org_a' };
const account = (externalId: string, id: string, now = T0): CoraAccount =>
  newAccount({ externalId, portfolioId: 'P', phoneNumber: '+15555550111' } as never, { id, organizationId: scope.tenant, now });

const tableSql = (store: Store): string => store.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(CORA_TABLE) as string;

describe('cora migrations', () => {
  it('moves a version-1 database to a rowid table with a unique key index, keeping every account', () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new Store(path);
    v1.migrate('cora', CORA_MIGRATIONS.filter((m) => m.version === 1));
    expect(tableSql(v1)).toContain('WITHOUT ROWID');
    new CoraAccounts(v1).write(scope, [account('A', 'acc_1'), account('B', 'acc_2')]);
    new CoraAccounts(v1).write({ ...scope, tenant: 'org_b' }, [account('A', 'acc_3')]);
    v1.close();

    const store = new Store(path);
    store.migrate('cora', CORA_MIGRATIONS);
    expect(tableSql(store)).not.toContain('WITHOUT ROWID');
    expect(indexNames(store, CORA_TABLE)).toEqual([`${CORA_TABLE}_key`]);
    const accounts = new CoraAccounts(store);
    expect(accounts.get(scope, 'A')).toEqual(account('A', 'acc_1'));
    expect(accounts.get(scope, 'B')).toEqual(account('B', 'acc_2'));
    expect(accounts.get({ ...scope, tenant: 'org_b' }, 'A')).toEqual(account('A', 'acc_3'));

    // The upsert's ON CONFLICT now resolves on the unique index: an update, not a second row.
    accounts.write(scope, [{ ...account('A', 'acc_1'), currentBalance: 5, updatedAt: T1 }]);
    expect(accounts.get(scope, 'A')).toMatchObject({ currentBalance: 5, updatedAt: T1, id: 'acc_1' });
    expect(store.db.prepare(`SELECT count(*) FROM ${CORA_TABLE}`).pluck().get()).toBe(3);
    expect(() => store.db.prepare(`INSERT INTO ${CORA_TABLE} VALUES ('', 'org_a', 'B', 'x', '{}', ?, ?)`).run(T0, T0)).toThrow(/UNIQUE/);
    // The key lookup uses the index, not a scan.
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN SELECT data FROM ${CORA_TABLE} WHERE namespace = ? AND tenant = ? AND external_id = ?`).all('', 'org_a', 'A');
    expect(JSON.stringify(plan)).toContain(`USING INDEX ${CORA_TABLE}_key`);
    expect(integrity(store)).toEqual(['ok']);

    store.migrate('cora', CORA_MIGRATIONS);
    expect(migrationVersions(store, 'cora')).toEqual([1, 2]);
    store.close();
  });
});
