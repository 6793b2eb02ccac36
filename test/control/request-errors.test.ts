// A request-level error changes nothing in the store: not a row, not a sequence, not SQLite's data_version.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox.js';
import { startSandbox } from '../helpers.js';
import { KIT_ROWS } from '../kit/vendor-kit.js';
import { tempDir } from '../store-inspect.js';

let sandbox: Sandbox;
let observer: Database.Database;
beforeEach(async () => {
  const file = join(tempDir('request-errors-'), 'sandbox.db');
  sandbox = await startSandbox({ db: file, rateLimits: 'off' });
  // A second connection sees data_version move whenever the sandbox's connection commits a change.
  observer = new Database(file, { readonly: true });
});
afterEach(async () => {
  observer.close();
  await sandbox.close();
});
const dataVersion = () => observer.pragma('data_version', { simple: true }) as number;

describe('request-level errors', () => {
  it.each(KIT_ROWS)('%s: malformed body, bad credentials and bad namespace commit nothing', async (_, target) => {
    const before = dataVersion();
    const auth = await target.authHeaders(sandbox);
    const cases: Array<[string, Record<string, string>]> = [
      ['{"oops"', {}],
      ['[]', {}],
      ['{}', Object.fromEntries(Object.keys(auth).map((name) => [name, 'wrong']))],
      ['{}', { 'x-sandbox-namespace': 'bad name' }],
    ];
    for (const [text, headers] of cases) {
      const res = await target.send(sandbox, text, headers);
      expect(res.status, `${text} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(dataVersion()).toBe(before);
  });
});
