// Test helpers: a fresh sandbox per test on an ephemeral port, a frozen clock, JSON calls.
import { afterEach, beforeEach } from 'vitest';
import { SandboxClock } from '../src/core/clock.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox.js';
import { freshPgSchemaUrl, TEST_ENGINE } from './pg/database.js';

/** The instant every test starts at; tests move the clock, never sleep. */
export const T0 = Date.parse('2026-01-15T10:00:00.000Z');
export const T0_ISO = new Date(T0).toISOString();

/**
 * A sandbox on a frozen clock and seeded ids. Its store is a fresh in-memory SQLite database, or,
 * when the suite runs on PostgreSQL (`SANDBOX_TEST_ENGINE=postgres`, the `postgres` project in
 * vitest.config.ts), a fresh schema of the run's throwaway cluster, unless `options.db` names one.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const db = options.db ?? (TEST_ENGINE === 'postgres' ? await freshPgSchemaUrl() : undefined);
  return createSandbox({ clock: SandboxClock.frozen(T0), idSeed: 42, ...options, ...(db !== undefined ? { db } : {}) });
}

/** Registers a fresh sandbox for each test of the file; read it inside the test. */
export function useSandbox(options: SandboxOptions = {}): () => Sandbox {
  let sandbox: Sandbox | undefined;
  beforeEach(async () => {
    sandbox = await startSandbox(options);
  });
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });
  return () => {
    if (!sandbox) throw new Error('useSandbox: no sandbox outside a test');
    return sandbox;
  };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Calls the sandbox and parses the body as JSON (text kept for exact comparisons). */
export async function call<T = any>(sandbox: Sandbox, path: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await sandbox.fetch(path, init);
  const text = await res.text();
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** Keeps every response awaited through `keep`, for checks over all of them afterwards. */
export function recordResponses(): { responses: JsonResponse[]; keep: (pending: Promise<JsonResponse>) => Promise<JsonResponse> } {
  const responses: JsonResponse[] = [];
  const keep = async (pending: Promise<JsonResponse>) => {
    const res = await pending;
    responses.push(res);
    return res;
  };
  return { responses, keep };
}

/** Moves the sandbox clock through the control API, as a user would. */
export async function advanceClock(sandbox: Sandbox, ms: number): Promise<void> {
  const res = await call(sandbox, '/_sandbox/clock', { method: 'POST', ...json({ advanceMs: ms }) });
  if (res.status !== 200) throw new Error(`clock advance failed: ${res.text}`);
}
