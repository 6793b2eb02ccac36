// Counts what reaches a store's engine while some work runs: the round trips of a request on PostgreSQL.
import type { Store } from '../src/core/store.js';

export interface StoreCall {
  method: 'all' | 'column' | 'value' | 'run' | 'runDeferred' | 'writeRows';
  /** The statement (for `writeRows`, `INSERT INTO <table>`). */
  sql: string;
}

const METHODS = ['all', 'column', 'value', 'run', 'runDeferred', 'writeRows'] as const;
type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Every call that reaches the store's engine while `fn` runs, on either engine: one round trip each
 * on PostgreSQL. A call one of these makes through another (PostgreSQL's `value` asks `column`) is
 * counted once. Transaction control (BEGIN, COMMIT, locks) is not counted.
 */
export async function storeCallsDuring(store: Store, fn: () => Promise<unknown>): Promise<StoreCall[]> {
  const target = store as unknown as Record<(typeof METHODS)[number], Method>;
  const own = METHODS.map((method) => Object.getOwnPropertyDescriptor(target, method));
  const calls: StoreCall[] = [];
  let inside = false;
  for (const method of METHODS) {
    const original = target[method];
    target[method] = function (this: unknown, ...args: unknown[]) {
      if (inside) return original.apply(this, args);
      calls.push({ method, sql: method === 'writeRows' ? `INSERT INTO ${String(args[0])}` : String(args[0]) });
      inside = true;
      try {
        return original.apply(this, args);
      } finally {
        inside = false;
      }
    };
  }
  try {
    await fn();
  } finally {
    // Back to the store's own methods (its class's, unless the store had them set on itself).
    METHODS.forEach((method, i) => (own[i] ? Object.defineProperty(target, method, own[i]) : delete target[method]));
  }
  return calls;
}

/** How many of `calls` are SELECTs. */
export const selectsIn = (calls: readonly StoreCall[]): number => calls.filter((call) => /^\s*SELECT\b/i.test(call.sql)).length;
