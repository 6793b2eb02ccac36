// The journal survives any request: a JSON body nested thousands deep is kept as text, and the journal and snapshot still answer.
import { describe, expect, it } from 'vitest';
import { call, useSandbox } from '../helpers.js';

const sandbox = useSandbox();

/** Objects nested `depth` deep around a password and a known secret. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}{"password":"deep-pass-123456","note":"demo_secret"}${'}'.repeat(depth)}`;

describe('deeply nested bodies', () => {
  for (const depth of [2000, 8000]) {
    it(`at depth ${depth}, sent without credentials to every vendor, leave the journal and snapshot readable`, async () => {
      const vendors = sandbox().app.vendors;
      for (const vendor of vendors) {
        // The vendor's first write route, its path parameters filled in.
        const route = sandbox().app.instances[vendor.name]!.routes.find((r) => r.method !== 'get')!;
        const path = route.path.replace(/:[A-Za-z]+/g, 'x');
        const res = await call(sandbox(), `${vendor.prefix}${path}`, { method: route.method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: nested(depth) });
        expect(res.status, vendor.name).toBeGreaterThanOrEqual(400);
      }
      const list = await call(sandbox(), '/_sandbox/requests?limit=10000');
      expect(list.status).toBe(200);
      const snapshot = await call(sandbox(), '/_sandbox/snapshot');
      expect(snapshot.status).toBe(200);
      expect(list.body.requests).toHaveLength(vendors.length);
      for (const entry of [...list.body.requests, ...snapshot.body.journal]) {
        // Kept as its text, never parsed into a structure, and still redacted.
        expect(typeof entry.requestBody, entry.vendor).toBe('string');
        expect(entry.requestBody).toContain('"password":"[redacted]"');
        expect(entry.requestBody).not.toContain('deep-pass-123456');
        expect(entry.requestBody).not.toContain('demo_secret');
      }
    });
  }

  it('a body within the parser depth is still shown parsed', async () => {
    await call(sandbox(), '/cora/external-api/accounts/bulk-upsert', { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested(10) });
    const [entry] = (await call(sandbox(), '/_sandbox/requests?limit=1')).body.requests;
    expect(typeof entry.requestBody).toBe('object');
  });
});
