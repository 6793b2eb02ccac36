// Isolation matrix: every vendor endpoint, called as another tenant or from another namespace, never reaches the data.
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../helpers.js';
import { KIT_ROWS, SUITE_VENDORS, type Stranger } from '../kit/vendor-kit.js';

const MARKER = 'isolation-marker-7f3a';
const OTHER_NS = { 'x-sandbox-namespace': 'someone-else' };

/** Who probes: another tenant in the owner's namespace, or the owner's own credentials in another namespace. */
const STRANGERS: Record<'otherTenant' | 'otherNamespace', Stranger> = {
  otherTenant: { credentials: 'other', headers: {} },
  otherNamespace: { credentials: 'owner', headers: OTHER_NS },
};

const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });

// Each vendor's kit (src/vendors/<v>/<v>.testkit.ts) stores the owner's record and lists every endpoint that could reach it.
describe.each(KIT_ROWS)('%s isolation', (_, kit) => {
  it.each(['otherTenant', 'otherNamespace'] as const)('as %s: every endpoint answers not-found or forbidden, and the data stays', async (who) => {
    const { readOwn, probes } = await kit.isolation(sandbox(), MARKER);
    const before = await readOwn();
    expect(before.text).toContain(MARKER);
    for (const probe of probes) {
      const res = await probe.run(sandbox(), STRANGERS[who]);
      expect(probe.denied, `${probe.name}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
      expect(res.text, probe.name).not.toContain(MARKER);
    }
    const after = await readOwn();
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
  });
});
