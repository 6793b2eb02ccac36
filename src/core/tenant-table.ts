// A vendor table of tenant records: every query scoped to (namespace, tenant), reads batched by key, writes batched.
import { pageTenantRecords, parseDataColumn, parseStored } from './records.js';
import { jsonParam, quoteIdent, thenDo, wellFormed, type Awaitable, type Column, type ColumnKind, type Statements, type Store, type Upsert } from './store.js';
import type { RecordFilter, RecordPage, TenantScope } from './vendor.js';

/** A tenant table's declaration for its migration: the columns after `namespace` and `tenant`. */
export interface TenantTableSchema {
  table: string;
  /** Column name → its SQL type and constraints, e.g. `{ id: 'INTEGER NOT NULL', data: 'TEXT NOT NULL' }`. */
  columns: Record<string, string>;
  /** The primary key after (namespace, tenant), for a clustered (WITHOUT ROWID) table; none for a rowid table. */
  primaryKey?: readonly string[];
}

export interface TenantTableDef {
  /**
   * The table as its migration declares it; it has `namespace` and `tenant` columns, and `data`
   * holding the record as JSON text (a `json` column: PostgreSQL's batch writes carry it unescaped).
   */
  schema: TenantTableSchema;
  /** The column that orders records within a tenant (unique per namespace and tenant): listings page by it. */
  key: string;
  /** The key before the first one (sorts below every real key): '' for text keys, 0 for integers. */
  start: string | number;
}

type Key = string | number;

/** The `CREATE TABLE` of a tenant table: `namespace` and `tenant` first, as every tenant query scopes by them. */
export function createTenantTable(schema: TenantTableSchema): string {
  const columns = ['namespace TEXT NOT NULL', 'tenant TEXT NOT NULL', ...Object.entries(schema.columns).map(([name, type]) => `${name} ${type}`)];
  if (schema.primaryKey) columns.push(`PRIMARY KEY (${['namespace', 'tenant', ...schema.primaryKey].join(', ')})`);
  return `CREATE TABLE ${schema.table} (\n  ${columns.join(',\n  ')}\n)${schema.primaryKey ? ' WITHOUT ROWID' : ''}`;
}

/** What a batch write does on a key conflict: overwrite `update` (none: keep the stored row). */
export interface OnConflict {
  /** The conflicting key after (namespace, tenant): a primary key or unique index. */
  keys: readonly string[];
  update: readonly string[];
}

/**
 * The store seam a vendor's tables sit on. Each method binds the request's namespace and tenant
 * first, so no query can reach another tenant's rows, and runs in the scope's transaction when it
 * has one (`TenantScope.tx`), else on the store; `readByKeys` answers a whole batch's
 * lookups in one query and `write` stores a whole batch in one statement, so a bulk request's
 * round trips stay bounded however many rows it has. Queries are written once, with `?`
 * parameters; what the engines spell differently comes from `store.sql`.
 * Transactions are the core's (the bulk route, seed, restore): a vendor table opens none.
 */
export class TenantTable {
  readonly table: string;
  private readonly byKeysSql = new Map<string, string>();
  private readonly deleteSql = new Map<string, string>();
  private readonly writeSpecs = new Map<string, { columns: Column[]; upsert: Upsert | undefined }>();
  private readonly countSql: string;
  private readonly recordSql: string;

  constructor(
    readonly store: Store,
    readonly def: TenantTableDef,
  ) {
    this.table = def.schema.table;
    this.countSql = `SELECT count(*) FROM ${quoteIdent(this.table)} WHERE namespace = ? AND tenant = ?`;
    this.recordSql = `SELECT data FROM ${quoteIdent(this.table)} WHERE namespace = ? AND tenant = ? AND ${quoteIdent(def.key)} = ?`;
  }

  /** A column's kind, from its declared type; `data` holds the record as JSON text (see TenantTableDef). */
  kind(column: string): ColumnKind {
    if (column === 'data') return 'json';
    return /INT/i.test(this.def.schema.columns[column] ?? '') ? 'integer' : 'text';
  }

  /** What runs the scope's statements: its transaction, else the store. */
  on(scope: TenantScope): Statements {
    return scope.tx ?? this.store;
  }

  /** One value (e.g. `SELECT data ... WHERE namespace = ? AND tenant = ? AND id = ?`); the scope binds the first two parameters. */
  value<T = unknown>(scope: TenantScope, sql: string, ...params: unknown[]): Awaitable<T | undefined> {
    return this.on(scope).value<T>(sql, [scope.namespace, scope.tenant, ...params]);
  }

  /** Every row of a scoped query. */
  rows<Row>(scope: TenantScope, sql: string, ...params: unknown[]): Awaitable<Row[]> {
    return this.on(scope).all<Row>(sql, [scope.namespace, scope.tenant, ...params]);
  }

  /** The first column of every row of a scoped query. */
  column<T>(scope: TenantScope, sql: string, ...params: unknown[]): Awaitable<T[]> {
    return this.on(scope).column<T>(sql, [scope.namespace, scope.tenant, ...params]);
  }

  /** Runs a scoped write; answers how many rows it changed. */
  run(scope: TenantScope, sql: string, ...params: unknown[]): Awaitable<number> {
    return this.on(scope).run(sql, [scope.namespace, scope.tenant, ...params]);
  }

  /**
   * The rows whose `columns` (default: the table's key) equal one of `keys`, in one query: each
   * row with `columns` read as `k0`, `k1`, ... and the `select`ed columns. A key of several
   * columns is given as an array of their values.
   */
  readByKeys<Row>(
    scope: TenantScope,
    keys: readonly (Key | readonly Key[])[],
    options: { columns?: readonly string[]; select?: string } = {},
  ): Awaitable<Array<Row & Record<string, Key>>> {
    if (keys.length === 0) return [];
    const columns = options.columns ?? [this.def.key];
    const select = options.select ?? 'data';
    const cacheKey = `${columns.join(',')}|${select}`;
    let sql = this.byKeysSql.get(cacheKey);
    if (!sql) {
      const named = columns.map((c, i) => `${quoteIdent(c)} AS k${i}`).join(', ');
      // The keys travel as one JSON array: one statement text (cached) for any batch size.
      const match = columns.length === 1 ? this.store.sql.inKeys(columns[0]!, this.kind(columns[0]!)) : this.store.sql.inKeyTuples(columns.map((c) => [c, this.kind(c)] as const));
      sql = `SELECT ${named}, ${select} FROM ${quoteIdent(this.table)} WHERE namespace = ? AND tenant = ? AND ${match}`;
      this.byKeysSql.set(cacheKey, sql);
    }
    return this.rows(scope, sql, jsonParam(keys));
  }

  /** Deletes the rows whose `column` (default: the table's key) is one of `keys`, in one statement; answers how many went. */
  deleteByKeys(scope: TenantScope, keys: readonly Key[], column: string = this.def.key): Awaitable<number> {
    if (keys.length === 0) return 0;
    return this.run(scope, this.deleteByKeysSql(column), jsonParam(keys));
  }

  /**
   * `deleteByKeys` for a caller that does not need the count: on PostgreSQL, inside a transaction,
   * the DELETE goes without waiting and travels with the transaction's next statement or its COMMIT (no round
   * trip of its own), and a failure fails the transaction with its own error (`Store.runDeferred`).
   */
  deleteByKeysUncounted(scope: TenantScope, keys: readonly Key[], column: string = this.def.key): Awaitable<void> {
    if (keys.length === 0) return;
    return this.on(scope).runDeferred(this.deleteByKeysSql(column), [scope.namespace, scope.tenant, jsonParam(keys)]);
  }

  private deleteByKeysSql(column: string): string {
    let sql = this.deleteSql.get(column);
    if (!sql) {
      sql = `DELETE FROM ${quoteIdent(this.table)} WHERE namespace = ? AND tenant = ? AND ${this.store.sql.inKeys(column, this.kind(column))}`;
      this.deleteSql.set(column, sql);
    }
    return sql;
  }

  /**
   * Writes a batch of rows (values in `columns` order, after namespace and tenant), in one
   * statement on PostgreSQL. A conflict on `onConflict.keys` overwrites its `update` columns
   * (the last row of the batch wins); without `onConflict`, a conflict throws.
   */
  write(scope: TenantScope, columns: readonly string[], rows: readonly (readonly unknown[])[], onConflict?: OnConflict): Awaitable<void> {
    if (rows.length === 0) return;
    const spec = this.writeSpec(columns, onConflict);
    return this.on(scope).writeRows(
      this.table,
      spec.columns,
      // Lone surrogates become U+FFFD here, as PostgreSQL's driver stores them (SQLite's would keep
      // three bytes that read back as three), so keys compare the same on both engines.
      rows.map((row) => {
        const out: unknown[] = [scope.namespace, scope.tenant];
        for (const v of row) out.push(wellFormed(v));
        return out;
      }),
      spec.upsert,
    );
  }

  /** A write's columns and conflict clause, built once per shape (the store caches its statement by them). */
  private writeSpec(columns: readonly string[], onConflict: OnConflict | undefined): { columns: Column[]; upsert: Upsert | undefined } {
    const key = `${columns.join(',')}|${onConflict ? `${onConflict.keys.join(',')}|${onConflict.update.join(',')}` : ''}`;
    let spec = this.writeSpecs.get(key);
    if (!spec) {
      spec = {
        columns: [{ name: 'namespace', kind: 'text' }, { name: 'tenant', kind: 'text' }, ...columns.map((name) => ({ name, kind: this.kind(name) }))],
        upsert: onConflict && { keys: ['namespace', 'tenant', ...onConflict.keys], update: onConflict.update },
      };
      this.writeSpecs.set(key, spec);
    }
    return spec;
  }

  /** The stored record (its `data`) with this key, or undefined. */
  record<T>(scope: TenantScope, key: Key): Awaitable<T | undefined> {
    return thenDo(this.value(scope, this.recordSql, key), (data) => parseStored<T>(data));
  }

  /** The stored records (their `data`) among `keys`, by key, in one query. */
  recordsByKey<K extends Key, T>(scope: TenantScope, keys: readonly K[]): Awaitable<Map<K, T>> {
    return thenDo(this.readByKeys<{ data: string }>(scope, keys), (rows) => new Map(rows.map((row) => [row.k0 as K, JSON.parse(row.data) as T])));
  }

  /** Records in (tenant, key) order for the control API's listing. */
  list(filter: RecordFilter, toRecord: (row: Record<string, unknown>) => unknown = parseDataColumn): Promise<RecordPage> {
    return pageTenantRecords(this.store, filter, { table: this.table, key: this.def.key, start: this.def.start, columns: 'data', toRecord });
  }

  count(scope: TenantScope): Awaitable<number> {
    return thenDo(this.value<number>(scope, this.countSql), (n) => n ?? 0);
  }
}
