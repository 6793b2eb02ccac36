// A request-level error changes nothing in the store: not a row, not a sequence, not SQLite's data_version.
import { describe, expect, it } from 'vitest';
import { KIT_ROWS, SUITE_VENDORS } from '../kit/vendor-kit.js';
import { useFileSandboxWithDataVersion } from '../store-inspect.js';

const { sandbox, dataVersion } = useFileSandboxWithDataVersion({ vendors: SUITE_VENDORS });

describe('request-level errors', () => {
  it.each(KIT_ROWS)('%s: malformed body, bad credentials and bad namespace commit nothing', async (_, target) => {
    const before = dataVersion();
    const auth = await target.authHeaders(sandbox());
    const cases: Array<[string, Record<string, string>]> = [
      ['{"oops"', {}],
      ['[]', {}],
      ['{}', Object.fromEntries(Object.keys(auth).map((name) => [name, 'wrong']))],
      ['{}', { 'x-sandbox-namespace': 'bad name' }],
    ];
    for (const [text, headers] of cases) {
      const res = await target.send(sandbox(), text, headers);
      expect(res.status, `${text} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(dataVersion()).toBe(before);
  });
});
