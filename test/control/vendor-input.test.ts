// Inputs the core reads on every vendor route: X-Sandbox-Namespace and numbers out of range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BODY_MESSAGES } from '../../src/core/body.js';
import { NAMESPACE_RULE } from '../../src/core/router.js';
import { call, useSandbox } from '../helpers.js';
import { KIT_ROWS, SUITE_VENDORS, type VendorTestKit } from '../kit/vendor-kit.js';

const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });
const stored = async (vendor: string, namespace = '') =>
  (await sandbox().app.instances[vendor]!.listRecords({ namespace, limit: 100_000 })).records.length;
/** A body the target accepts, the same for every run. */
const validText = (target: VendorTestKit) => JSON.stringify(fc.sample(target.validBody, { seed: 7, numRuns: 1 })[0]);

describe.each(KIT_ROWS)('%s', (vendor, target) => {
  const catalogue = () => sandbox().app.vendors.find((v) => v.name === vendor)!.errors;

  it('refuses an X-Sandbox-Namespace that is not 1 to 64 of [A-Za-z0-9._:-] with its own 400, naming the header, writing nothing', async () => {
    // Node hands out header bytes as latin1: 'jöb' arrives as 'jÃ¶b' and could never be addressed again.
    const bad = ['', ' ', 'a'.repeat(65), 'job a', 'jöb', 'job/a', 'job?a', 'ns\t1', '日本'];
    for (const namespace of bad) {
      const res = await target.send(sandbox(), validText(target), { 'x-sandbox-namespace': Buffer.from(namespace, 'utf8').toString('latin1') });
      const name = catalogue().fromCore.INVALID_HEADER;
      expect(res.status, namespace).toBe(catalogue().errors[name]!.status);
      expect(res.text, namespace).toContain(`X-Sandbox-Namespace must be ${NAMESPACE_RULE}`);
      expect(catalogue().envelopeSchema.safeParse(res.body).success, res.text).toBe(true);
    }
    expect(await stored(vendor)).toBe(0);
  });

  it('accepts every valid namespace name and keeps its records under exactly that name', async () => {
    const name = `Job-1.a_b:${vendor}`.slice(0, 64);
    const res = await target.send(sandbox(), validText(target).replace('"dryRun":true', '"dryRun":false'), { 'x-sandbox-namespace': name });
    expect(res.status, res.text).toBeLessThan(300);
    expect(await stored(vendor, name)).toBeGreaterThan(0);
    expect(await stored(vendor)).toBe(0);
    const listed = await call(sandbox(), `/_sandbox/${vendor}/records?namespace=${encodeURIComponent(name)}`);
    expect(listed.body.records.length).toBe(await stored(vendor, name));
  });

  it('refuses a number JSON cannot carry back (1e400) as its invalid-body error, naming where, writing nothing', async () => {
    const text = validText(target).replace(/^\{/, '{"n":[1,-1e400],');
    const res = await target.send(sandbox(), text, {});
    const name = catalogue().fromCore.INVALID_BODY;
    expect(res.status).toBe(catalogue().errors[name]!.status);
    // A vendor may word every refused body its own way (its kit says how); the others name the value.
    expect(res.text).toContain((target.numberOutOfRangeSays ?? BODY_MESSAGES.numberOutOfRange)('/n/1'));
    expect(await stored(vendor)).toBe(0);
  });
});

describe('control ?namespace=', () => {
  it.each(['/_sandbox/requests', '/_sandbox/faults', ...SUITE_VENDORS.map((v) => `/_sandbox/${v.name}/records`), '/_sandbox/coverage'])('%s refuses a bad namespace with 400', async (path) => {
    for (const ns of ['a b', 'x'.repeat(65), 'ö']) {
      const res = await call(sandbox(), `${path}?namespace=${encodeURIComponent(ns)}`);
      expect(res.status, `${path} ${ns}`).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(res.body.error.issues.join()).toContain('namespace');
    }
  });
});
