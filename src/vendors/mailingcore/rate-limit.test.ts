// MailingCore's rate limit through HTTP: 300 a minute per key, X-RateLimit-* on every answer after the key check, 429 and reset on the sandbox clock.
import { describe, expect, it } from 'vitest';
import { T0, useSandbox } from '../../../test/helpers.js';
import { bulk, contact, DEMO_KEY, listContacts, OTHER_KEY, READONLY_KEY, storedContacts } from './mailingcore.client.js';
import { MC_MESSAGES, RATE_LIMIT } from './errors.js';

const sandbox = useSandbox();
const T0_S = T0 / 1000;
const limitHeaders = (res: { headers: Headers }) => ({
  limit: res.headers.get('x-ratelimit-limit'),
  remaining: res.headers.get('x-ratelimit-remaining'),
  reset: res.headers.get('x-ratelimit-reset'),
});

describe('mailingcore rate limit', () => {
  it('counts down on successes and on errors after the key check', async () => {
    const first = await listContacts(sandbox());
    expect(first.status).toBe(200);
    expect(limitHeaders(first)).toEqual({ limit: '300', remaining: '299', reset: String(T0_S + 60) });
    const forbidden = await listContacts(sandbox(), {}, { tenant: 'tenant_other' });
    expect(forbidden.status).toBe(403);
    expect(limitHeaders(forbidden)).toEqual({ limit: '300', remaining: '298', reset: String(T0_S + 60) });
    const invalid = await bulk(sandbox(), { contacts: [] });
    expect(invalid.status).toBe(400);
    expect(limitHeaders(invalid).remaining).toBe('297');
    // A request with no valid key is not counted against anyone and carries no headers.
    const anonymous = await listContacts(sandbox(), {}, { key: null });
    expect(anonymous.status).toBe(401);
    expect(limitHeaders(anonymous)).toEqual({ limit: null, remaining: null, reset: null });

    // The window slides on the sandbox clock: the reset is when the oldest counted request leaves it.
    sandbox().clock.advance(10_000);
    const later = await listContacts(sandbox());
    expect(limitHeaders(later)).toEqual({ limit: '300', remaining: '296', reset: String(T0_S + 60) });
    // Each key has its own bucket, even within one tenant.
    expect(limitHeaders(await listContacts(sandbox(), {}, { key: READONLY_KEY })).remaining).toBe('299');
  });

  it('answers the 301st request in a minute with 429 and Retry-After, writes nothing, and lets requests through once the window has passed', async () => {
    for (let i = 0; i < RATE_LIMIT.limit - 1; i++) {
      const res = await listContacts(sandbox(), { limit: 1 });
      expect(res.status).toBe(200);
    }
    sandbox().clock.advance(15_000);
    const last = await bulk(sandbox(), { contacts: [contact('ok')] });
    expect(last.status).toBe(200);
    expect(limitHeaders(last).remaining).toBe('0');

    const limited = await bulk(sandbox(), { contacts: [contact('too-many')] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('45');
    expect(limitHeaders(limited)).toEqual({ limit: '300', remaining: '0', reset: String(T0_S + 60) });
    expect(limited.body).toEqual({
      statusCode: 429,
      message: MC_MESSAGES.rateLimited(45),
      path: '/contacts/bulk',
      timestamp: new Date(T0 + 15_000).toISOString(),
    });
    expect((await storedContacts(sandbox())).map((c) => c.externalId)).toEqual(['ok']);
    // Other keys are not held back.
    expect((await listContacts(sandbox(), {}, { key: OTHER_KEY })).status).toBe(200);

    // 45 s later the 299 requests made at T0 leave the window; the one made at T0+15s is still in it.
    sandbox().clock.advance(45_000);
    const again = await listContacts(sandbox());
    expect(again.status).toBe(200);
    expect(limitHeaders(again)).toEqual({ limit: '300', remaining: '298', reset: String(T0_S + 75) });
    expect(again.body.meta.total).toBe(1);
  });

  it('reports a full bucket on every answer while the limit is off', async () => {
    const { deps } = sandbox().app;
    deps.rateLimits.mode = 'off';
    for (let i = 0; i < 3; i++) {
      const res = await listContacts(sandbox(), {}, { key: DEMO_KEY });
      expect(limitHeaders(res)).toEqual({ limit: '300', remaining: '300', reset: String(T0_S) });
    }
  });
});
