// The clock through the control API: every change in range or refused whole, and back to real time.
import { describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/core/clock.js';
import { bulk, newAccount } from '../../src/vendors/cora/cora.client.js';
import { call, json, T0, T0_ISO, useSandbox } from '../helpers.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const setClock = (body: unknown) => call(sandbox(), '/_sandbox/clock', { method: 'POST', ...json(body) });

describe('POST /_sandbox/clock', () => {
  it.each([
    [{ set: 1e20 }, 'set'],
    [{ set: -1e16 }, 'set'],
    [{ set: '+275760-09-13T00:00:00.001Z' }, 'set'],
    [{ set: '10000-01-01T00:00:00Z' }, 'set'],
    [{ advanceMs: 1e300 }, 'advanceMs'],
    [{ advanceMs: -1e300 }, 'advanceMs'],
    [{ set: '9999-12-31T23:59:59Z', advanceMs: 1000 }, 'advanceMs'],
    [{ set: T0 + 1, advanceMs: 1e16, freeze: false }, 'advanceMs'],
  ])('refuses %j with 400 naming the problem, and changes nothing', async (body, word) => {
    const res = await setClock(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.message).toContain(word);
    expect((await call(sandbox(), '/_sandbox/clock')).body).toEqual({ now: T0_ISO, frozen: true });
    // Vendor calls still work on the unchanged clock.
    expect((await bulk(sandbox(), { accounts: [newAccount('C1')] })).status).toBe(200);
  });

  it('refuses non-numbers, non-finite JSON and unknown keys as 400 with the field named', async () => {
    for (const body of ['{"advanceMs": 1e400}', '{"advanceMs": "5"}', '{"set": true}', '{"sett": 1}']) {
      const res = await call(sandbox(), '/_sandbox/clock', { method: 'POST', ...json(body) });
      expect(res.status, body).toBe(400);
      expect(res.body.error.code, body).toBe('INVALID_REQUEST');
    }
    expect((await call(sandbox(), '/_sandbox/clock')).body).toEqual({ now: T0_ISO, frozen: true });
  });

  it('accepts the last instant of year 9999 and the first of year 0001', async () => {
    expect((await setClock({ set: '9999-12-31T23:59:59.999Z' })).body).toEqual({ now: '9999-12-31T23:59:59.999Z', frozen: true });
    expect((await setClock({ set: '0001-01-01T00:00:00.000Z' })).body).toEqual({ now: '0001-01-01T00:00:00.000Z', frozen: true });
  });
});

describe('DELETE /_sandbox/clock', () => {
  it('puts the clock back on the system clock: no offset, not frozen', async () => {
    await setClock({ set: '2030-01-01T00:00:00Z', freeze: true });
    const before = Date.now();
    const res = await call(sandbox(), '/_sandbox/clock', { method: 'DELETE' });
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.frozen).toBe(false);
    const now = Date.parse(res.body.now);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
    expect(sandbox().clock.isFrozen).toBe(false);
  });
});

describe('SandboxClock', () => {
  it('set and frozen in one update stands exactly where it was set, however system time ticks meanwhile', () => {
    let system = 1_000;
    // Every read of system time is a millisecond later: the worst case of a clock read twice.
    const clock = new SandboxClock(() => system++);
    clock.update({ set: '2031-05-01T12:00:00.000Z', advanceMs: 250, freeze: true });
    expect(clock.state()).toEqual({ now: '2031-05-01T12:00:00.250Z', frozen: true });
    expect(clock.settings()).toEqual({ offsetMs: 0, frozenAt: Date.parse('2031-05-01T12:00:00.250Z') });
    // Unfrozen in one update with a set: it runs on from exactly there.
    clock.update({ set: '2031-05-01T13:00:00.000Z', freeze: false });
    expect(clock.isFrozen).toBe(false);
    expect(clock.now() - Date.parse('2031-05-01T13:00:00.000Z')).toBe(1);
  });

  it('a running clock set at the last instant stops there instead of leaving the range', () => {
    let system = 0;
    const clock = new SandboxClock(() => system);
    clock.set('9999-12-31T23:59:59.999Z');
    system += 60_000;
    expect(new Date(clock.now()).toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });
});
