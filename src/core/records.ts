// Keyset paging over a tenant table: the control API's record listing, shared by every vendor store.
import { CURSOR_INVALID, decodeCursor, encodeCursor } from './cursor.js';
import { controlError } from './control/errors.js';
import { quoteIdent, type Store } from './store.js';
import type { RecordFilter, RecordPage } from './vendor.js';

export interface TenantPageQuery<Row> {
  table: string;
  /** The column that orders records within a tenant (unique per namespace and tenant). */
  key: string;
  /** The key before the first one (sorts below every real key). */
  start: string | number;
  /** Columns to read besides `tenant` and the key, e.g. `data`. */
  columns: string;
  toRecord(row: Row): unknown;
}

/** One page of records in (tenant, key) order, filtered by namespace and optionally tenant. */
export async function pageTenantRecords<Row extends Record<string, unknown>>(store: Store, filter: RecordFilter, query: TenantPageQuery<Row>): Promise<RecordPage> {
  const [afterTenant, afterKey] = filter.cursor ? decodePageCursor(filter.cursor, typeof query.start === 'number' ? 'number' : 'string') : ['', query.start];
  const key = quoteIdent(query.key);
  const byTenant = filter.tenant === undefined ? '' : 'AND tenant = ?';
  const rows = await store.all<Row & { tenant: string; page_key: string | number }>(
    `SELECT tenant, ${key} AS page_key, ${query.columns} FROM ${quoteIdent(query.table)}
     WHERE namespace = ? ${byTenant} AND (tenant, ${key}) > (?, ?)
     ORDER BY tenant, ${key} LIMIT ?`,
    [filter.namespace, ...(filter.tenant === undefined ? [] : [filter.tenant]), afterTenant, afterKey, filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    records: page.map((row) => query.toRecord(row)),
    nextCursor: rows.length > filter.limit && last ? encodeCursor([last.tenant, last.page_key]) : null,
  };
}

/** A cursor `pageTenantRecords` handed out: a tenant and a key of the table's key type, else INVALID_REQUEST. */
function decodePageCursor(cursor: string, keyType: 'string' | 'number'): [string, string | number] {
  const [tenant, key] = decodeCursor(cursor, 2);
  const keyOk = keyType === 'number' ? Number.isSafeInteger(key) : typeof key === 'string';
  if (typeof tenant !== 'string' || !keyOk) throw controlError('INVALID_REQUEST', { message: CURSOR_INVALID });
  return [tenant, key as string | number];
}

export const parseDataColumn = (row: { data?: unknown }): unknown => JSON.parse(row.data as string);

/** A `data` column read with `pluck().get()`: the stored record parsed, or undefined when no row matched. */
export const parseStored = <T>(data: unknown): T | undefined => (data === undefined ? undefined : (JSON.parse(data as string) as T));
