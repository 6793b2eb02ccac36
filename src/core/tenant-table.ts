// A vendor table of tenant records: every query scoped to (namespace, tenant), statements cached, reads batched by key.
import { pageTenantRecords, parseDataColumn, parseStored } from './records.js';
import { quoteIdent, type Store } from './store.js';
import type { RecordFilter, RecordPage, TenantScope } from './vendor.js';

export interface TenantTableDef {
  /** The table; it has `namespace` and `tenant` columns, and `data` holding the record as JSON. */
  table: string;
  /** The column that orders records within a tenant (unique per namespace and tenant): listings page by it. */
  key: string;
  /** The key before the first one (sorts below every real key): '' for text keys, 0 for integers. */
  start: string | number;
}

type Key = string | number;

/** A tenant table's declaration for its migration: the columns after `namespace` and `tenant`. */
export interface TenantTableSchema {
  table: string;
  /** Column name → its SQL type and constraints, e.g. `{ id: 'INTEGER NOT NULL', data: 'TEXT NOT NULL' }`. */
  columns: Record<string, string>;
  /** The primary key after (namespace, tenant), for a clustered (WITHOUT ROWID) table; none for a rowid table. */
  primaryKey?: readonly string[];
}

/** The `CREATE TABLE` of a tenant table: `namespace` and `tenant` first, as every tenant query scopes by them. */
export function createTenantTable(schema: TenantTableSchema): string {
  const columns = ['namespace TEXT NOT NULL', 'tenant TEXT NOT NULL', ...Object.entries(schema.columns).map(([name, type]) => `${name} ${type}`)];
  if (schema.primaryKey) columns.push(`PRIMARY KEY (${['namespace', 'tenant', ...schema.primaryKey].join(', ')})`);
  return `CREATE TABLE ${schema.table} (\n  ${columns.join(',\n  ')}\n)${schema.primaryKey ? ' WITHOUT ROWID' : ''}`;
}

/**
 * The store seam a vendor's tables sit on. Each method binds the request's namespace and tenant
 * first, so no query can reach another tenant's rows; `readByKeys` answers a whole batch's
 * lookups in one query, so a bulk request's reads stay bounded however many rows it has.
 * Transactions are the core's (the bulk route, seed, restore): a vendor table opens none.
 */
export class TenantTable {
  private readonly byKeysSql = new Map<string, string>();
  private readonly countSql: string;
  private readonly recordSql: string;

  constructor(
    readonly store: Store,
    readonly def: TenantTableDef,
  ) {
    this.countSql = `SELECT count(*) FROM ${quoteIdent(def.table)} WHERE namespace = ? AND tenant = ?`;
    this.recordSql = `SELECT data FROM ${quoteIdent(def.table)} WHERE namespace = ? AND tenant = ? AND ${quoteIdent(def.key)} = ?`;
  }

  /** One value (e.g. `SELECT data ... WHERE namespace = ? AND tenant = ? AND id = ?`); the scope binds the first two parameters. */
  value(scope: TenantScope, sql: string, ...params: unknown[]): unknown {
    // pluck() sets a mode on the cached statement: `rows` switches it back for the same SQL.
    return this.store.statement(sql).pluck(true).get(scope.namespace, scope.tenant, ...params);
  }

  /** Every row of a scoped query. */
  rows<Row>(scope: TenantScope, sql: string, ...params: unknown[]): Row[] {
    return this.store.statement(sql).pluck(false).all(scope.namespace, scope.tenant, ...params) as Row[];
  }

  /** Runs a scoped write; answers how many rows it changed. */
  run(scope: TenantScope, sql: string, ...params: unknown[]): number {
    return this.store.statement(sql).run(scope.namespace, scope.tenant, ...params).changes;
  }

  /**
   * The rows whose `columns` (default: the table's key) equal one of `keys`, in one query: each
   * row with `columns` read as `k0`, `k1`, ... and the `select`ed columns. A key of several
   * columns is given as an array of their values.
   */
  readByKeys<Row>(scope: TenantScope, keys: readonly (Key | readonly Key[])[], options: { columns?: readonly string[]; select?: string } = {}): Array<Row & Record<string, Key>> {
    if (keys.length === 0) return [];
    const columns = options.columns ?? [this.def.key];
    const select = options.select ?? 'data';
    const cacheKey = `${columns.join(',')}|${select}`;
    let sql = this.byKeysSql.get(cacheKey);
    if (!sql) {
      const named = columns.map((c, i) => `${quoteIdent(c)} AS k${i}`).join(', ');
      // The keys travel as one JSON array: one statement text (cached) for any batch size.
      const match =
        columns.length === 1
          ? `${quoteIdent(columns[0]!)} IN (SELECT value FROM json_each(?))`
          : `(${columns.map(quoteIdent).join(', ')}) IN (SELECT ${columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')} FROM json_each(?))`;
      sql = `SELECT ${named}, ${select} FROM ${quoteIdent(this.def.table)} WHERE namespace = ? AND tenant = ? AND ${match}`;
      this.byKeysSql.set(cacheKey, sql);
    }
    return this.rows(scope, sql, JSON.stringify(keys));
  }

  /** The stored record (its `data`) with this key, or undefined. */
  record<T>(scope: TenantScope, key: Key): T | undefined {
    return parseStored<T>(this.value(scope, this.recordSql, key));
  }

  /** The stored records (their `data`) among `keys`, by key, in one query. */
  recordsByKey<K extends Key, T>(scope: TenantScope, keys: readonly K[]): Map<K, T> {
    const rows = this.readByKeys<{ data: string }>(scope, keys);
    return new Map(rows.map((row) => [row.k0 as K, JSON.parse(row.data) as T]));
  }

  /** Records in (tenant, key) order for the control API's listing. */
  list(filter: RecordFilter, toRecord: (row: Record<string, unknown>) => unknown = parseDataColumn): RecordPage {
    return pageTenantRecords(this.store, filter, { table: this.def.table, key: this.def.key, start: this.def.start, columns: 'data', toRecord });
  }

  count(scope: TenantScope): number {
    return this.value(scope, this.countSql) as number;
  }
}
