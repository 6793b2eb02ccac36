// GET /_sandbox/{vendor}/records: a cursor the sandbox did not hand out is a 400, never a 500.
import { describe, expect, it } from 'vitest';
import { VENDORS } from '../../src/vendors/registry.js';
import { call, useSandbox } from '../helpers.js';

const sandbox = useSandbox();
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('record listing cursors', () => {
  const forged = [[{}, 1], [1, 'a'], ['t', {}], ['t', null], [null, null], ['t', [1]], ['t', true], 'x', [['a'], 'b']];
  it.each(VENDORS.map((v) => v.name))('%s: every forged cursor gets 400 INVALID_REQUEST', async (vendor) => {
    for (const key of [...forged.map(b64), '!!!', '']) {
      const res = await call(sandbox(), `/_sandbox/${vendor}/records?cursor=${encodeURIComponent(key)}`);
      if (key === '') {
        expect(res.status).toBe(200);
        continue;
      }
      expect(res.status, `${vendor} ${key}`).toBe(400);
      expect(res.body, key).toEqual({ error: { code: 'INVALID_REQUEST', message: 'cursor is not valid' } });
    }
  });
});
