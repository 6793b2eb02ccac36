// Copper rate limits through HTTP with the vendor's own limits: 3 bulk requests per second and 180 per rolling minute, per token.
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../../../test/helpers.js';
import { bulkCreate, DEMO, getPerson, OTHER, storedPeople } from './copper.client.js';
import { COPPER_MESSAGES } from './errors.js';
import { BULK_RATE_LIMIT, MINUTE_RATE_LIMIT } from './routes.js';

const sandbox = useSandbox();
const LIMITED = { success: false, status: 429, message: COPPER_MESSAGES.rateLimited };

describe('copper rate limits', () => {
  it('allows 3 bulk requests per second per token, then 429 with Retry-After until the second has passed', async () => {
    for (let i = 0; i < BULK_RATE_LIMIT.limit; i++) expect((await bulkCreate(sandbox(), [{ name: `Person ${i}` }])).status).toBe(200);
    const refused = await bulkCreate(sandbox(), [{ name: 'Too Fast' }]);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(LIMITED);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await storedPeople(sandbox())).map((p) => p.name)).toEqual(['Person 0', 'Person 1', 'Person 2']);

    // Another token has its own bucket; single-record calls are not bulk calls.
    expect((await bulkCreate(sandbox(), [{ name: 'Other Account' }], { as: OTHER })).status).toBe(200);
    expect((await getPerson(sandbox(), 1)).status).toBe(200);

    sandbox().clock.advance(999);
    expect((await bulkCreate(sandbox(), [{ name: 'Still Too Fast' }])).status).toBe(429);
    sandbox().clock.advance(1);
    const later = await bulkCreate(sandbox(), [{ name: 'Next Second' }]);
    expect(later.status).toBe(200);
    expect(await storedPeople(sandbox())).toHaveLength(4);
  });

  it('does not count requests that fail authentication', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await bulkCreate(sandbox(), [{ name: 'Bad' }], { as: { token: 'wrong', email: DEMO.email } })).status).toBe(401);
    }
    for (let i = 0; i < BULK_RATE_LIMIT.limit; i++) expect((await bulkCreate(sandbox(), [{ name: `Good ${i}` }])).status).toBe(200);
  });

  it('allows 180 requests per rolling minute per token, counting from the oldest request', async () => {
    const half = MINUTE_RATE_LIMIT.limit / 2;
    for (let i = 0; i < half; i++) expect((await getPerson(sandbox(), 1)).status).toBe(404);
    sandbox().clock.advance(30_000);
    for (let i = 0; i < half; i++) expect((await getPerson(sandbox(), 1)).status).toBe(404);
    const refused = await getPerson(sandbox(), 1);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(LIMITED);
    // The first 90 leave the window 60 s after they were made, 30 s from now.
    expect(refused.headers.get('retry-after')).toBe('30');
    expect((await bulkCreate(sandbox(), [{ name: 'Refused' }])).status).toBe(429);
    expect((await getPerson(sandbox(), 1, { as: OTHER })).status).toBe(404);

    sandbox().clock.advance(30_000);
    expect((await bulkCreate(sandbox(), [{ name: 'Allowed Again' }])).status).toBe(200);
    expect((await storedPeople(sandbox())).map((p) => p.name)).toEqual(['Allowed Again']);
  });
});
