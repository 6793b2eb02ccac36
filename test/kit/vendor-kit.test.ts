// Every registered vendor declares its test kit, so no vendor silently misses the cross-cutting suites; the example vendor joins them unregistered.
import { describe, expect, it } from 'vitest';
import { VENDORS } from '../../src/vendors/registry.js';
import { KIT_FILES, KITS, kitFor, PRODUCT_KITS, SUITE_VENDORS } from './vendor-kit.js';

describe('vendor test kits', () => {
  it('every registered vendor has exactly one kit, and every kit belongs to a registered vendor', () => {
    const registered = VENDORS.map((v) => v.name);
    const named = KIT_FILES.map(({ file, kit }) => kit?.name ?? `(no testKit export in ${file})`);
    for (const name of registered) expect(named.filter((n) => n === name), `kits for vendor ${name}`).toHaveLength(1);
    expect(named.filter((n) => !registered.includes(n)), 'kits for no registered vendor').toEqual([]);
    expect(PRODUCT_KITS.map((k) => k.name)).toEqual(registered);
  });

  it('each kit sits in its vendor\'s own folder', () => {
    for (const { file, folder, kit } of KIT_FILES) expect(kit?.name, file).toBe(folder);
  });

  it('kitFor names the vendor that has no kit', () => {
    for (const v of SUITE_VENDORS) expect(kitFor(v.name).name).toBe(v.name);
    expect(() => kitFor('nobody')).toThrow(/vendor nobody has no test kit/);
  });

  it('the suites mount and iterate the registered vendors plus the example vendor, which the product does not register', () => {
    expect(SUITE_VENDORS.map((v) => v.name)).toEqual([...VENDORS.map((v) => v.name), 'example']);
    expect(KITS.map((k) => k.name)).toEqual(SUITE_VENDORS.map((v) => v.name));
    expect(VENDORS.map((v) => v.name)).not.toContain('example');
  });
});
